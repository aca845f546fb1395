"""The plugin / snapshot / artifact task picker, fed by the real local Dioptra server."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QComboBox

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.qt import task_picker
from artifact_browser.qt.field_note import ERROR_STYLE
from artifact_browser.qt.task_picker import (
    NONE_ENTRY,
    PROBLEM_LOADING,
    PROBLEM_NO_TASK,
    PROBLEM_PLUGIN_ONLY,
    PROBLEM_SNAPSHOT_WITHOUT_TASKS,
    TaskPicker,
)
from gui_support import save_screenshot, shown
from edit_support import create_plugin, edit_plugin_file

TIMEOUT_MS = 10_000


@pytest.fixture
def picker(qtbot, client: DioptraClient) -> TaskPicker:
    return shown(qtbot, TaskPicker(client), 560, 110)


def settle(qtbot, picker: TaskPicker) -> None:
    qtbot.waitUntil(lambda: not picker.is_loading(), timeout=TIMEOUT_MS)


def choose(combo: QComboBox, data: int | None) -> None:
    """Pick the entry carrying ``data``, as a user picking it from the list does."""
    index = combo.findData(data)
    assert index >= 0, f"{data} is not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def texts(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


@pytest.fixture
def seeded_task_artifact(dioptra, client: DioptraClient) -> Artifact:
    info = next(a for a in dioptra.manifest.artifacts if a.has_task)
    return client.artifacts.get_by_id(info.id)


def test_it_lists_the_plugins_of_the_chosen_group(qtbot, dioptra, picker: TaskPicker) -> None:
    public, lab = dioptra.manifest.plugins
    picker.set_group(public.group_id)
    settle(qtbot, picker)
    offered = texts(picker.plugin_combo)
    assert offered[0] == NONE_ENTRY and public.name in offered and lab.name not in offered
    assert picker.selection() is None and picker.problem() is None and picker.is_none()

    picker.set_group(None)  # every group
    settle(qtbot, picker)
    assert {public.name, lab.name} <= set(texts(picker.plugin_combo))


def test_a_snapshot_and_a_task_go_together(qtbot, dioptra, picker: TaskPicker) -> None:
    plugin = dioptra.manifest.plugin
    picker.set_group(plugin.group_id)
    settle(qtbot, picker)

    with qtbot.waitSignal(picker.changed, timeout=TIMEOUT_MS):
        choose(picker.plugin_combo, plugin.id)
    settle(qtbot, picker)
    # Choosing a plugin offers its latest snapshot, marked, and asks for the task.
    assert picker.snapshot_combo.currentData() == plugin.snapshot_id
    assert picker.snapshot_combo.currentText() == f"{plugin.snapshot_id} (latest)"
    assert sorted(texts(picker.task_combo)[1:]) == sorted(plugin.artifact_tasks)
    assert picker.selection() is None
    assert picker.problem() == PROBLEM_NO_TASK and "refuses a plugin snapshot without an artifact task" in PROBLEM_NO_TASK
    save_screenshot(picker, "task_picker_missing_task")

    choose(picker.snapshot_combo, None)
    assert picker.problem() == PROBLEM_PLUGIN_ONLY and picker.selection() is None
    assert not picker.task_combo.isEnabled()

    choose(picker.snapshot_combo, plugin.snapshot_id)
    choose(picker.task_combo, plugin.artifact_task_id)
    assert picker.problem() is None
    assert picker.selection() == (plugin.snapshot_id, plugin.artifact_task_id)
    assert picker.current_task().name == plugin.artifact_task_name
    save_screenshot(picker, "task_picker_complete")

    choose(picker.plugin_combo, None)  # back to none: valid again, and nothing is sent
    assert picker.problem() is None and picker.selection() is None and picker.is_none()
    assert picker.snapshot_combo.count() == 1 and picker.task_combo.count() == 1


def test_a_snapshot_without_artifact_tasks_is_explained(qtbot, dioptra, picker: TaskPicker) -> None:
    plugin = dioptra.manifest.plugin
    picker.set_group(plugin.group_id)
    settle(qtbot, picker)
    choose(picker.plugin_combo, plugin.id)
    settle(qtbot, picker)
    # The plugin's first snapshot predates its file, so it has no tasks at all.
    first = picker.snapshot_combo.itemData(picker.snapshot_combo.count() - 1)
    choose(picker.snapshot_combo, first)
    assert picker.problem() == PROBLEM_SNAPSHOT_WITHOUT_TASKS.format(snapshot=first)
    assert not picker.task_combo.isEnabled()


def test_set_current_shows_a_seeded_artifacts_task(qtbot, picker: TaskPicker, seeded_task_artifact: Artifact) -> None:
    task = seeded_task_artifact.task
    picker.set_group(seeded_task_artifact.group.id)
    picker.set_current(task.plugin_id, task.plugin_snapshot_id, task.id)
    assert picker.selection() is None and picker.problem() is not None  # not known until loaded
    settle(qtbot, picker)
    assert picker.selection() == (task.plugin_snapshot_id, task.id)
    assert picker.problem() is None
    assert picker.current_plugin_id() == task.plugin_id
    assert picker.task_combo.currentText() == task.name
    assert picker.newer_snapshot() is None  # the seeded plugin was never edited after its file was added

    picker.set_current(None, None, None)
    assert picker.is_none() and picker.selection() is None and picker.problem() is None


def test_set_current_works_for_a_plugin_of_another_group(qtbot, dioptra, picker: TaskPicker) -> None:
    public, lab = dioptra.manifest.plugins
    picker.set_group(public.group_id)
    picker.set_current(lab.id, lab.snapshot_id, lab.artifact_task_id)
    settle(qtbot, picker)
    assert picker.selection() == (lab.snapshot_id, lab.artifact_task_id)
    lab_group = dioptra.manifest.group("vision-lab").name
    assert picker.plugin_combo.currentText() == f"{lab.name} ({lab_group})"  # says where it lives
    assert public.name in texts(picker.plugin_combo)


def test_changing_the_snapshot_keeps_the_task_by_name(qtbot, client: DioptraClient, dioptra, picker: TaskPicker) -> None:
    group_id = dioptra.manifest.group("vision-lab").id
    old = create_plugin(client, group_id)
    new = edit_plugin_file(client, old, ("save_model", "save_table"))
    picker.set_current(old.id, new.snapshot_id, new.tasks["save_table"])
    settle(qtbot, picker)
    # Task ids differ between the two versions; the name is what stays.
    choose(picker.snapshot_combo, old.snapshot_id)
    assert picker.selection() == (old.snapshot_id, old.tasks["save_table"])


def test_a_newer_snapshot_is_offered_and_its_task_found_by_name(qtbot, client: DioptraClient, dioptra, picker: TaskPicker) -> None:
    group_id = dioptra.manifest.group("vision-lab").id
    old = create_plugin(client, group_id)
    new = edit_plugin_file(client, old, ("save_model", "save_table"))
    assert new.tasks["save_model"] != old.tasks["save_model"]  # the server's rule this feature exists for

    picker.set_group(group_id)
    picker.set_current(old.id, old.snapshot_id, old.tasks["save_model"])
    settle(qtbot, picker)
    assert picker.selection() == (old.snapshot_id, old.tasks["save_model"])
    newer = picker.newer_snapshot()
    assert newer is not None and newer.snapshot_id == new.snapshot_id and newer.name == old.name

    with qtbot.waitSignal(picker.changed, timeout=TIMEOUT_MS):
        assert picker.use_latest_snapshot() is None
    assert picker.selection() == (new.snapshot_id, new.tasks["save_model"])
    assert picker.newer_snapshot() is None and picker.problem() is None


def test_use_latest_says_so_when_the_task_is_gone(qtbot, client: DioptraClient, dioptra, picker: TaskPicker) -> None:
    group_id = dioptra.manifest.group("vision-lab").id
    old = create_plugin(client, group_id)
    new = edit_plugin_file(client, old, ("save_model",))  # save_table removed from the file
    picker.set_current(old.id, old.snapshot_id, old.tasks["save_table"])
    settle(qtbot, picker)

    message = picker.use_latest_snapshot()
    assert message is not None and "save_table" in message and str(new.snapshot_id) in message
    assert picker.message() == message  # shown in the picker, not only returned
    assert picker.snapshot_combo.currentData() == new.snapshot_id
    assert picker.selection() is None and picker.problem() == PROBLEM_NO_TASK
    save_screenshot(picker, "task_picker_task_gone")


def test_a_load_failure_is_shown_inside_the_picker(qtbot, picker: TaskPicker) -> None:
    picker.set_current(987_654, 1, 1)  # no such plugin: the server answers 404
    settle(qtbot, picker)
    assert "Could not load the plugin's snapshots" in picker.message()
    assert picker.retry_button.isVisible()
    assert picker.selection() is None and picker.problem() == PROBLEM_PLUGIN_ONLY
    assert picker.message_label.styleSheet() == ERROR_STYLE  # the same red as every form's error line
    save_screenshot(picker, "task_picker_load_failed")


def test_an_unexpected_load_failure_ends_the_wait_and_stays_said(
    qtbot, dioptra, client: DioptraClient, picker: TaskPicker, monkeypatch
) -> None:
    plugin = dioptra.manifest.plugin
    # The plugin list is held back until the snapshots have failed, so it arrives after the failure.
    release = threading.Event()
    real_plugins = client.plugins.get_all

    def held_back(group_id=None):
        release.wait(TIMEOUT_MS / 1000)  # bounded, so a failing test never keeps a pool thread
        return real_plugins(group_id)

    def broken(plugin_id: int):
        raise RuntimeError("the plugin cache is corrupt")  # not an ApiError: the unexpected-error path

    reported: list[str] = []
    monkeypatch.setattr(client.plugins, "get_all", held_back)
    monkeypatch.setattr(client.plugins.snapshots, "get_all", broken)
    monkeypatch.setattr(task_picker, "show_unexpected_error", lambda message, error, parent=None: reported.append(message))
    told: list[str | None] = []
    picker.changed.connect(lambda: told.append(picker.problem()))
    try:
        picker.set_group(plugin.group_id)
        picker.set_current(plugin.id, plugin.snapshot_id, plugin.artifact_task_id)
        qtbot.waitUntil(lambda: bool(reported), timeout=TIMEOUT_MS)
        # Whoever shows the picker was told that it no longer waits for the snapshots.
        assert picker.problem() != PROBLEM_LOADING and told[-1] == picker.problem()
        assert picker.message().startswith("Could not load the plugin's snapshots")
    finally:
        release.set()
    qtbot.waitUntil(lambda: picker.plugin_combo.findData(plugin.id) >= 0 and not picker.is_loading(), timeout=TIMEOUT_MS)
    # The plugin list arriving later does not wipe out the failure of the snapshots.
    assert picker.message().startswith("Could not load the plugin's snapshots")
    assert picker.retry_button.isVisible()
