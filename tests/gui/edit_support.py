"""Data of its own for a test that edits: a registered spare, a throwaway plugin.

The server is shared by the whole test session, so a test that edits an
artifact registers its own from the seed's spares, and a test that needs a
plugin whose file gets edited ("a newer plugin snapshot exists") creates its
own plugin rather than editing the seeded ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.devserver import content
from artifact_browser.devserver.manifest import SpareInfo


def register_spare(
    client: DioptraClient, spare: SpareInfo, *, task: tuple[int, int] | None = None, description: str | None = None
) -> Artifact:
    """Register a spare (taken from the ``spares`` pool) so that the test may edit it.

    Args:
        task: ``(plugin_snapshot_id, task_id)``, or None for no task.
    """
    snapshot_id, task_id = task if task else (None, None)
    return client.artifacts.create(spare.group_id, spare.job_id, spare.uri, snapshot_id, task_id, description)


@dataclass(frozen=True)
class OwnPlugin:
    """A plugin made by a test.

    Attributes:
        id: The plugin id.
        name: Its (unique) name.
        group_id: Its group.
        file_id: Its one plugin file.
        snapshot_id: The plugin snapshot right after the file was added (or the latest edit).
        tasks: The artifact tasks of that snapshot, name -> task id.
    """

    id: int
    name: str
    group_id: int
    file_id: int
    snapshot_id: int
    tasks: dict[str, int]


def _file_body(group_type_ids: dict[str, int], task_names: tuple[str, ...], revision: int) -> dict:
    outputs = {"save_model": ("model", "any"), "save_table": ("table", "string")}
    artifacts = []
    for name in task_names:
        param, ptype = outputs.get(name, ("output", "any"))
        artifacts.append({"name": name, "outputParams": [{"name": param, "parameterType": group_type_ids[ptype]}]})
    return {
        "filename": "own_tasks.py",
        # A changed source is what makes the server give the tasks new ids.
        "contents": content.PLUGIN_SOURCE + f"\n# revision {revision}\n",
        "description": f"test plugin file, revision {revision}",
        "tasks": {"functions": [], "artifacts": artifacts},
    }


def _type_ids(client: DioptraClient, group_id: int) -> dict[str, int]:
    types = client.session.get("/pluginParameterTypes/", params={"groupId": group_id, "pageLength": 100, "index": 0})
    return {t["name"]: t["id"] for t in types["data"]}


def create_plugin(client: DioptraClient, group_id: int, task_names: tuple[str, ...] = ("save_model", "save_table")) -> OwnPlugin:
    """A new plugin in ``group_id`` with one file defining ``task_names`` as artifact tasks."""
    name = f"test_plugin_{uuid.uuid4().hex[:10]}"
    plugin = client.session.post("/plugins/", json={"name": name, "group": group_id, "description": "made by a test"})
    plugin_file = client.session.post(f"/plugins/{plugin['id']}/files", json=_file_body(_type_ids(client, group_id), task_names, 1))
    return OwnPlugin(
        id=plugin["id"],
        name=name,
        group_id=group_id,
        file_id=plugin_file["id"],
        snapshot_id=client.plugins.get_by_id(plugin["id"]).snapshot_id,
        tasks={t["name"]: t["id"] for t in plugin_file["tasks"]["artifacts"]},
    )


def edit_plugin_file(client: DioptraClient, plugin: OwnPlugin, task_names: tuple[str, ...], revision: int = 2) -> OwnPlugin:
    """Edit the plugin's file (new source, these tasks): a newer plugin snapshot with new task ids."""
    edited = client.session.put(
        f"/plugins/{plugin.id}/files/{plugin.file_id}", json=_file_body(_type_ids(client, plugin.group_id), task_names, revision)
    )
    return OwnPlugin(
        id=plugin.id,
        name=plugin.name,
        group_id=plugin.group_id,
        file_id=plugin.file_id,
        snapshot_id=client.plugins.get_by_id(plugin.id).snapshot_id,
        tasks={t["name"]: t["id"] for t in edited["tasks"]["artifacts"]},
    )
