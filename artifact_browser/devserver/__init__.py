"""Provision, run and seed a real local Dioptra server (tests, benchmarks, demo).

Never imports PySide6: the server side of the project stays GUI-free.
"""

from __future__ import annotations

from artifact_browser.devserver.manifest import (
    ArtifactInfo,
    FileEntry,
    GroupInfo,
    JobInfo,
    PluginInfo,
    SeedManifest,
    SpareInfo,
    UserInfo,
)
from artifact_browser.devserver.provision import ProvisionError, ServerVenv, ensure_server_venv
from artifact_browser.devserver.seed import DEMO_USER, SeedError, add_file_artifact, seed
from artifact_browser.devserver.seeded import default_workdir, ensure_demo_server, start_seeded_server
from artifact_browser.devserver.server import DevServer, DevServerError, ServerState

__all__ = [
    "DEMO_USER",
    "ArtifactInfo",
    "DevServer",
    "DevServerError",
    "FileEntry",
    "GroupInfo",
    "JobInfo",
    "PluginInfo",
    "ProvisionError",
    "SeedError",
    "SeedManifest",
    "ServerState",
    "ServerVenv",
    "SpareInfo",
    "UserInfo",
    "add_file_artifact",
    "default_workdir",
    "ensure_demo_server",
    "ensure_server_venv",
    "seed",
    "start_seeded_server",
]
