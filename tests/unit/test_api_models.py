"""Records parsed from the server's JSON (dioptra-api.md §1, §5, §6.1, §2)."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from artifact_browser.api import Artifact, ArtifactFile, ArtifactTask, Group, Job, Page, User
from artifact_browser.api.client import DioptraClient
from artifact_browser.api.session import Session
from samples import ARTIFACT_JSON

TASK_JSON = {
    "id": 5,
    "name": "save_model",
    "outputParams": [{"name": "model", "parameterType": "keras_model"}, {"name": "meta", "parameterType": {"id": 3, "name": "any"}}],
    "pluginResourceId": 7,
    "pluginResourceSnapshotId": 9,
    "pluginFileResourceId": 11,
    "pluginFileResourceSnapshotId": 12,
}

GROUP_REF = {"id": 1, "name": "public", "url": "/api/v1/groups/1"}
USER_REF = {"id": 1, "username": "alice", "url": "/api/v1/users/1"}


def _ref(name: str, rid: int) -> dict:
    return {"id": rid, "snapshotId": rid + 100, "group": GROUP_REF, "url": f"/api/v1/{name}s/{rid}", "deleted": False, "name": f"{name} {rid}"}


def _artifact_ref(aid: int) -> dict:
    return {"id": aid, "group": GROUP_REF, "url": f"/api/v1/artifacts/{aid}", "deleted": False}


JOB_JSON = {
    "id": 13,
    "snapshot": 19,
    "group": GROUP_REF,
    "user": USER_REF,
    "createdOn": "2026-11-27T16:00:00+00:00",
    "snapshotCreatedOn": "2026-11-27T16:00:00+00:00",
    "lastModifiedOn": "2026-11-27T16:30:00+00:00",
    "latestSnapshot": True,
    "hasDraft": False,
    "tags": [],
    "deleted": False,
    "description": "job two",
    "queue": _ref("queue", 2),
    "experiment": _ref("experiment", 60),
    "entrypoint": _ref("entrypoint", 4),
    "values": {},
    "artifactValues": {},
    "timeout": "24h",
    "status": "finished",
    # §5: artifact 14 appeared 3x after two PUTs.
    "artifacts": [_artifact_ref(14), _artifact_ref(15), _artifact_ref(14), _artifact_ref(14)],
    "swaps": [],
}

USER_JSON = {
    "id": 1,
    "username": "alice",
    "email": "alice@example.org",
    "groups": [{"id": 1, "name": "public", "url": "/api/v1/groups/1"}, {"id": 2, "name": "red team", "url": "/api/v1/groups/2"}],
    "createdOn": "2026-11-27T16:00:00+00:00",
    "lastModifiedOn": "2026-11-27T16:00:00+00:00",
    "lastLoginOn": "2026-11-27T16:10:00.5+00:00",
    "passwordExpiresOn": "2027-11-27T16:00:00+00:00",
}


# -- Artifact --------------------------------------------------------------------------


def test_artifact_from_the_documented_example() -> None:
    artifact = Artifact.from_json(ARTIFACT_JSON)

    assert artifact.id == 14
    assert artifact.snapshot_id == 16
    assert (artifact.group.id, artifact.group.name) == (1, "public")
    assert artifact.user is not None and (artifact.user.id, artifact.user.username) == (1, "alice")
    assert artifact.job_id == 13
    assert artifact.task is None  # the server's {} means "no task"
    assert artifact.description == "single binary file"
    assert artifact.is_dir is False
    assert artifact.file_size == 1234
    assert artifact.file_url == "/api/v1/artifacts/14/contents"
    assert artifact.artifact_uri.endswith("/artifacts/outputs/model.bin")
    assert artifact.name == "model.bin"
    assert artifact.latest_snapshot is True


def test_artifact_times_are_aware_utc_datetimes() -> None:
    artifact = Artifact.from_json(ARTIFACT_JSON)

    assert artifact.created_on == datetime(2026, 11, 27, 16, 12, 38, 986745, tzinfo=timezone.utc)
    assert artifact.last_modified_on == datetime(2026, 11, 28, 9, 0, 0, 1, tzinfo=timezone.utc)
    assert artifact.snapshot_created_on == artifact.last_modified_on
    for value in (artifact.created_on, artifact.last_modified_on, artifact.snapshot_created_on):
        assert value is not None and value.utcoffset() == timedelta(0)
    # Aware values compare with other aware values (a naive one would raise TypeError).
    assert artifact.created_on < datetime.now(timezone.utc) + timedelta(days=3650)


def test_artifact_time_with_another_offset_is_the_same_instant() -> None:
    data = dict(ARTIFACT_JSON, createdOn="2026-11-27T18:12:38.986745+02:00")

    assert Artifact.from_json(data).created_on == datetime(2026, 11, 27, 16, 12, 38, 986745, tzinfo=timezone.utc)


def test_a_naive_time_is_read_as_utc() -> None:
    artifact = Artifact.from_json(dict(ARTIFACT_JSON, createdOn="2026-11-27T16:12:38"))

    assert artifact.created_on == datetime(2026, 11, 27, 16, 12, 38, tzinfo=timezone.utc)
    assert artifact.created_on.tzinfo is not None


def test_artifact_with_a_task() -> None:
    artifact = Artifact.from_json(dict(ARTIFACT_JSON, task=TASK_JSON))

    task = artifact.task
    assert isinstance(task, ArtifactTask)
    assert task.id == 5
    assert task.name == "save_model"
    assert task.plugin_id == 7
    assert task.plugin_snapshot_id == 9
    assert task.plugin_file_id == 11
    assert task.plugin_file_snapshot_id == 12
    assert [(p.name, p.parameter_type) for p in task.output_params] == [("model", "keras_model"), ("meta", "any")]


@pytest.mark.parametrize("task", [None, {}, {"id": None}])
def test_no_task_in_any_form_is_none(task: object) -> None:
    assert Artifact.from_json(dict(ARTIFACT_JSON, task=task)).task is None


def test_unknown_keys_are_ignored_and_description_may_be_null() -> None:
    data = dict(ARTIFACT_JSON, description=None, someFutureField={"x": 1}, anotherOne=[1, 2])

    artifact = Artifact.from_json(data)

    assert artifact.description is None
    assert artifact.id == 14
    assert not hasattr(artifact, "someFutureField")


def test_from_json_does_not_change_its_input() -> None:
    data = copy.deepcopy(dict(ARTIFACT_JSON, task=TASK_JSON))
    before = copy.deepcopy(data)

    Artifact.from_json(data)

    assert data == before


def test_a_directory_artifact_and_a_snapshot_without_has_draft() -> None:
    data = {k: v for k, v in ARTIFACT_JSON.items() if k != "hasDraft"}
    data.update(
        isDir=True,
        fileSize=None,
        latestSnapshot=False,
        artifactUri="file:///srv/dioptra/mlartifacts/9b4f/artifacts/dirart/",
    )

    artifact = Artifact.from_json(data)

    assert artifact.is_dir is True
    assert artifact.file_size is None
    assert artifact.latest_snapshot is False
    assert artifact.name == "dirart"


def test_artifacts_are_immutable_and_comparable() -> None:
    first = Artifact.from_json(ARTIFACT_JSON)
    second = Artifact.from_json(json.loads(json.dumps(ARTIFACT_JSON)))

    assert first == second
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.description = "changed"  # type: ignore[misc]


def test_artifact_file_entry() -> None:
    entry = ArtifactFile.from_json(
        {"isDir": False, "fileSize": 10, "fileUrl": "/api/v1/artifacts/16/contents?path=sub%2Fdeeper%2Fnotes.txt", "relativePath": "sub/deeper/notes.txt"}
    )

    assert entry.relative_path == "sub/deeper/notes.txt"
    assert entry.is_dir is False
    assert entry.file_size == 10


# -- Job -------------------------------------------------------------------------------


def test_job_deduplicates_repeated_artifact_refs() -> None:
    job = Job.from_json(JOB_JSON)

    assert [ref.id for ref in job.artifacts] == [14, 15]
    assert all(ref.group_id == 1 for ref in job.artifacts)


def test_job_fields() -> None:
    job = Job.from_json(JOB_JSON)

    assert (job.id, job.snapshot_id) == (13, 19)
    assert job.status == "finished"
    assert job.timeout == "24h"
    assert job.description == "job two"
    assert job.user is not None and job.user.username == "alice"
    assert job.queue is not None and (job.queue.id, job.queue.name, job.queue.snapshot_id) == (2, "queue 2", 102)
    assert job.experiment is not None and job.experiment.id == 60
    assert job.entrypoint is not None and job.entrypoint.name == "entrypoint 4"
    assert job.created_on == datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)


def test_job_without_artifacts_or_refs() -> None:
    data = dict(JOB_JSON, artifacts=[], queue=None, experiment={}, status="queued")

    job = Job.from_json(data)

    assert job.artifacts == ()
    assert job.queue is None
    assert job.experiment is None
    assert job.status == "queued"


def test_get_artifacts_fetches_each_artifact_of_a_job_once() -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        artifact_id = int(request.url.path.rsplit("/", 1)[-1])
        return httpx.Response(200, json=dict(ARTIFACT_JSON, id=artifact_id))

    with Session("127.0.0.1:5000", transport=httpx.MockTransport(handler)) as session:
        artifacts = DioptraClient(session).jobs.get_artifacts(Job.from_json(JOB_JSON))

    assert [a.id for a in artifacts] == [14, 15]
    assert sorted(requested) == ["/api/v1/artifacts/14", "/api/v1/artifacts/15"]


# -- Page ------------------------------------------------------------------------------

ENVELOPE = {
    "index": 20,
    "isComplete": False,
    "totalNumResults": 25,
    "first": "/api/v1/artifacts?index=0&pageLength=10&sortBy=id",
    "prev": "/api/v1/artifacts?index=10&pageLength=10&sortBy=id",
    "next": "/api/v1/artifacts?index=30&pageLength=10&sortBy=id",
    "data": [ARTIFACT_JSON, dict(ARTIFACT_JSON, id=15)],
}


def test_page_from_the_envelope() -> None:
    page = Page.from_json(ENVELOPE, Artifact.from_json, 10)

    assert [a.id for a in page.items] == [14, 15]
    assert page.index == 20
    assert page.total == 25
    assert page.is_complete is False
    assert page.page_length == 10
    assert page.page_number == 2
    assert page.page_count == 3


@pytest.mark.parametrize(
    ("index", "page_length", "total", "number", "count"),
    [
        (0, 10, 0, 0, 1),
        (0, 10, 1, 0, 1),
        (0, 10, 10, 0, 1),
        (10, 10, 11, 1, 2),
        (0, 1, 7, 0, 7),
        (6, 1, 7, 6, 7),
        (1, 2, 7, 0, 4),  # §2's example: index 1, pageLength 2
        (2000, 1000, 2001, 2, 3),
    ],
)
def test_page_number_and_count(index: int, page_length: int, total: int, number: int, count: int) -> None:
    page = Page.from_json({"index": index, "isComplete": False, "totalNumResults": total, "data": []}, Artifact.from_json, page_length)

    assert page.page_number == number
    assert page.page_count == count


def test_page_without_optional_keys() -> None:
    page = Page.from_json({"data": [ARTIFACT_JSON]}, Artifact.from_json, 10)

    assert page.index == 0
    assert page.total == 1
    assert page.is_complete is True
    assert page.page_count == 1


# -- User and Group --------------------------------------------------------------------


def test_user_with_groups() -> None:
    user = User.from_json(USER_JSON)

    assert (user.id, user.username, user.email) == (1, "alice", "alice@example.org")
    assert [(g.id, g.name) for g in user.groups] == [(1, "public"), (2, "red team")]
    assert user.created_on == datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)
    assert user.last_login_on == datetime(2026, 11, 27, 16, 10, 0, 500000, tzinfo=timezone.utc)
    assert user.password_expires_on == datetime(2027, 11, 27, 16, 0, tzinfo=timezone.utc)


def test_user_without_groups() -> None:
    user = User.from_json(dict(USER_JSON, groups=[]))

    assert user.groups == ()


def test_group_with_members_and_permissions() -> None:
    group = Group.from_json(
        {
            "name": "public",
            "id": 1,
            "user": USER_REF,
            "members": [
                {"user": USER_REF, "group": GROUP_REF, "permissions": {"read": True, "write": True, "shareRead": True, "shareWrite": True, "owner": True, "admin": True}},
                {"user": {"id": 2, "username": "bob", "url": "/api/v1/users/2"}, "group": GROUP_REF, "permissions": {"read": True, "write": True, "shareRead": False, "shareWrite": False, "owner": False, "admin": False}},
            ],
            "createdOn": "2026-11-27T16:00:00+00:00",
            "lastModifiedOn": "2026-11-27T16:00:00+00:00",
        }
    )

    assert group.owner is not None and group.owner.username == "alice"
    assert [m.user.username for m in group.members] == ["alice", "bob"]
    assert group.members[1].permissions == frozenset({"read", "write"})
    assert "owner" in group.members[0].permissions
