"""Wire data in the exact shape Dioptra 1.2.2 sends (dioptra-api.md §6.1), shared by unit tests."""

from __future__ import annotations

from typing import Any

# A single-file artifact, edited once (so lastModifiedOn is later than createdOn).
ARTIFACT_JSON: dict[str, Any] = {
    "id": 14,
    "snapshot": 16,
    "group": {"id": 1, "name": "public", "url": "/api/v1/groups/1"},
    "user": {"id": 1, "username": "alice", "url": "/api/v1/users/1"},
    "createdOn": "2026-11-27T16:12:38.986745+00:00",
    "snapshotCreatedOn": "2026-11-28T09:00:00.000001+00:00",
    "lastModifiedOn": "2026-11-28T09:00:00.000001+00:00",
    "latestSnapshot": True,
    "hasDraft": False,
    "tags": [],
    "deleted": False,
    "description": "single binary file",
    "isDir": False,
    "fileSize": 1234,
    "fileUrl": "/api/v1/artifacts/14/contents",
    "artifactUri": "file:///srv/dioptra/mlartifacts/8a50d5a920d540baa95f62950b85d094/artifacts/outputs/model.bin",
    "job": 13,
    "task": {},
}
