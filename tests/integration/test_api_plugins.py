"""Plugins, their snapshots and artifact tasks; and an artifact's whole snapshot history."""

from __future__ import annotations

import pytest

from artifact_browser.api import NotFoundError


def test_plugins_of_a_group_with_their_artifact_tasks(client, dioptra):
    seeded = dioptra.manifest.plugin
    plugins = client.plugins.get_all(seeded.group_id)
    assert [p.group.id for p in plugins] == [seeded.group_id] * len(plugins)
    plugin = next(p for p in plugins if p.id == seeded.id)
    assert (plugin.name, plugin.snapshot_id, plugin.latest_snapshot) == (seeded.name, seeded.snapshot_id, True)
    assert {t.name: t.id for t in plugin.artifact_tasks} == seeded.artifact_tasks
    assert plugin.task_named(seeded.artifact_task_name).id == seeded.artifact_task_id
    assert plugin.task_named("no such task") is None
    assert client.plugins.get_by_id(seeded.id) == plugin


def test_every_group_without_a_group_filter(client, dioptra):
    names = [p.name for p in client.plugins.get_all()]
    assert set(names) >= {p.name for p in dioptra.manifest.plugins}
    assert names == sorted(names)


def test_plugin_snapshots_newest_first_with_the_tasks_of_each(client, dioptra):
    seeded = dioptra.manifest.plugin
    snapshots = client.plugins.snapshots.get_all(seeded.id)
    assert snapshots[0].snapshot_id == seeded.snapshot_id and snapshots[0].latest_snapshot
    assert [s.snapshot_id for s in snapshots] == sorted((s.snapshot_id for s in snapshots), reverse=True)
    assert not any(s.latest_snapshot for s in snapshots[1:])
    # The plugin was created before its file, so its first snapshot offers no task.
    assert snapshots[-1].artifact_tasks == ()
    one = client.plugins.snapshots.get_by_id(seeded.id, seeded.snapshot_id)
    assert {t.name for t in one.artifact_tasks} == set(seeded.artifact_tasks)


def test_unknown_plugin_and_snapshot(client, dioptra):
    with pytest.raises(NotFoundError):
        client.plugins.get_by_id(999_999)
    with pytest.raises(NotFoundError):
        client.plugins.snapshots.get_by_id(dioptra.manifest.plugin.id, 999_999)


def test_artifact_snapshot_history_newest_first(client, dioptra):
    edited = next(a for a in dioptra.manifest.artifacts if a.snapshot_count > 1)
    history = client.artifacts.snapshots.get_all(edited.id)
    assert len(history) == edited.snapshot_count
    assert history[0].snapshot_id == client.artifacts.get_by_id(edited.id).snapshot_id
    assert [s.latest_snapshot for s in history] == [True] + [False] * (len(history) - 1)
    assert [s.snapshot_id for s in history] == sorted((s.snapshot_id for s in history), reverse=True)
