"""The edit dialog against the real local Dioptra server: only what the user changed is changed.

Every test edits an artifact it registered itself from the seed's spares, so no
other test sees its edits.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.qt import task_picker
from artifact_browser.qt.artifact_editor import CANNOT_CANCEL, NOTHING_CHANGED, SAVING, ArtifactEditor
from artifact_browser.qt.task_picker import PROBLEM_LOADING, PROBLEM_NO_TASK
from edit_support import create_plugin, edit_plugin_file, register_spare
from gui_support import save_screenshot

TIMEOUT_MS = 15_000


@pytest.fixture
def open_editor(qtbot, client: DioptraClient) -> Callable[[Artifact], ArtifactEditor]:
    def open_(artifact: Artifact) -> ArtifactEditor:
        editor = ArtifactEditor(client, artifact)
        qtbot.addWidget(editor)
        editor.show()
        qtbot.waitExposed(editor)
        qtbot.waitUntil(lambda: not editor.task_picker.is_loading(), timeout=TIMEOUT_MS)
        return editor

    return open_


def save_and_wait(qtbot, editor: ArtifactEditor) -> Artifact:
    assert editor.save_button.isEnabled(), editor.hint_label.text()
    with qtbot.waitSignal(editor.artifact_changed, timeout=TIMEOUT_MS) as saved:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.result() == ArtifactEditor.DialogCode.Accepted
    return saved.args[0]


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)


def type_description(qtbot, editor: ArtifactEditor, text: str) -> None:
    editor.description_edit.selectAll()
    editor.description_edit.setFocus()
    qtbot.keyClick(editor.description_edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor.description_edit, text)


def test_it_opens_clean_with_the_artifacts_values(qtbot, dioptra, client, spares, open_editor) -> None:
    plugin = dioptra.manifest.plugin
    artifact = register_spare(client, spares.take(is_dir=False), task=(plugin.snapshot_id, plugin.artifact_task_id), description="as registered")
    editor = open_editor(artifact)
    assert editor.description_edit.toPlainText() == "as registered"
    assert editor.task_picker.selection() == (plugin.snapshot_id, plugin.artifact_task_id)
    assert not editor.save_button.isEnabled() and editor.hint_label.text() == NOTHING_CHANGED
    assert editor.changes() == {}
    assert not editor.latest_offer.isVisible()
    save_screenshot(editor, "artifact_editor_clean")


def test_editing_the_description_only_keeps_the_task(qtbot, dioptra, client, spares, open_editor) -> None:
    plugin = dioptra.manifest.plugin
    artifact = register_spare(client, spares.take(is_dir=False), task=(plugin.snapshot_id, plugin.artifact_task_id), description="first words")
    editor = open_editor(artifact)
    type_description(qtbot, editor, "better words")
    assert editor.changes() == {"description": "better words"}  # the task is not named, so it is resent as it is
    assert editor.save_button.isEnabled()
    save_screenshot(editor, "artifact_editor_changed")

    saved = save_and_wait(qtbot, editor)
    assert saved.description == "better words" and saved.snapshot_id != artifact.snapshot_id
    now = client.artifacts.get_by_id(artifact.id)
    assert now.description == "better words"
    assert now.task is not None and (now.task.plugin_snapshot_id, now.task.id) == (plugin.snapshot_id, plugin.artifact_task_id)


def test_editing_the_task_only_keeps_the_description(qtbot, dioptra, client, spares, open_editor) -> None:
    plugin = dioptra.manifest.plugin
    artifact = register_spare(client, spares.take(is_dir=True), description="keep me")
    editor = open_editor(artifact)
    assert editor.task_picker.is_none()
    choose(editor.task_picker.plugin_combo, plugin.id)
    qtbot.waitUntil(lambda: not editor.task_picker.is_loading(), timeout=TIMEOUT_MS)
    assert not editor.save_button.isEnabled()  # a snapshot without its task: the server would refuse it
    assert editor.task_problem.isVisible() and editor.task_problem.text() == PROBLEM_NO_TASK
    save_screenshot(editor, "artifact_editor_half_task")
    table_task = plugin.artifact_tasks["save_table"]
    choose(editor.task_picker.task_combo, table_task)
    assert editor.changes() == {"plugin_snapshot_id": plugin.snapshot_id, "task_id": table_task}

    saved = save_and_wait(qtbot, editor)
    assert saved.task is not None and saved.task.id == table_task
    now = client.artifacts.get_by_id(artifact.id)
    assert now.description == "keep me" and now.task.id == table_task and now.task.plugin_snapshot_id == plugin.snapshot_id


def test_clearing_the_task_sends_neither_half(qtbot, dioptra, client, spares, open_editor) -> None:
    plugin = dioptra.manifest.plugin
    artifact = register_spare(client, spares.take(is_dir=False), task=(plugin.snapshot_id, plugin.artifact_task_id), description="stays")
    editor = open_editor(artifact)
    choose(editor.task_picker.plugin_combo, None)
    assert editor.changes() == {"plugin_snapshot_id": None, "task_id": None}
    saved = save_and_wait(qtbot, editor)
    assert saved.task is None
    now = client.artifacts.get_by_id(artifact.id)
    assert now.task is None and now.description == "stays"


def test_undoing_a_change_disables_save_again(qtbot, dioptra, client, spares, open_editor) -> None:
    artifact = register_spare(client, spares.take(is_dir=False), description="same")
    editor = open_editor(artifact)
    type_description(qtbot, editor, "other")
    assert editor.save_button.isEnabled()
    type_description(qtbot, editor, "same")
    assert not editor.save_button.isEnabled() and editor.changes() == {}


@pytest.mark.parametrize(
    ("stale", "error_type", "words"),
    [
        ("task of the older version", "EntityRelationshipDoesNotExistError", "does not belong to the chosen plugin snapshot"),
        ("unknown task", "PluginTaskDoesNotExistError", "does not exist on the server"),
    ],
)
def test_a_refused_task_is_explained_on_the_task_and_the_typing_is_kept(
    qtbot, dioptra, client, spares, open_editor, monkeypatch, stale: str, error_type: str, words: str
) -> None:
    own = create_plugin(client, dioptra.manifest.group("vision-lab").id)
    artifact = register_spare(client, spares.take(is_dir=False), task=(own.snapshot_id, own.tasks["save_model"]), description="original")
    newer = edit_plugin_file(client, own, ("save_model", "save_table"))
    editor = open_editor(artifact)
    type_description(qtbot, editor, "typed by the user")
    # A picker whose lists went stale while the dialog was open: it offers a pair the server no longer takes.
    task_id = own.tasks["save_model"] if stale == "task of the older version" else 987_654
    monkeypatch.setattr(editor.task_picker, "selection", lambda: (newer.snapshot_id, task_id))
    assert editor.changes() == {
        "description": "typed by the user",
        "plugin_snapshot_id": newer.snapshot_id,
        "task_id": task_id,
    }

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.task_error.text() != "", timeout=TIMEOUT_MS)
    assert words in editor.task_error.text()
    assert error_type in editor.task_error.details_text() and "HTTP 404" in editor.task_error.details_text()
    assert editor.task_error.label.toolTip() == editor.task_error.details_text()  # the server's words, one hover away
    assert editor.description_error.text() == "" and editor.form_error.text() == ""
    assert editor.isVisible() and editor.result() == 0  # still open
    assert editor.description_edit.toPlainText() == "typed by the user"
    assert editor.save_button.isEnabled()  # another try is one click away
    editor.task_error.details_button.click()
    assert editor.task_error.details_view.isVisible()
    save_screenshot(editor, "artifact_editor_refused")
    # Nothing was half saved.
    now = client.artifacts.get_by_id(artifact.id)
    assert now.description == "original" and now.snapshot_id == artifact.snapshot_id


def test_an_artifact_gone_from_the_server_is_said_for_the_whole_form(qtbot, client, spares, open_editor) -> None:
    artifact = register_spare(client, spares.take(is_dir=False), description="here")
    editor = open_editor(dataclasses.replace(artifact, id=987_654))
    type_description(qtbot, editor, "lost?")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.form_error.text() != "", timeout=TIMEOUT_MS)
    assert "no longer exists" in editor.form_error.text()
    assert "EntityDoesNotExistError" in editor.form_error.details_text()
    assert editor.description_edit.toPlainText() == "lost?"


def test_the_latest_snapshot_of_the_plugin_is_offered(qtbot, dioptra, client, spares, open_editor) -> None:
    own = create_plugin(client, dioptra.manifest.group("vision-lab").id)
    artifact = register_spare(client, spares.take(is_dir=False), task=(own.snapshot_id, own.tasks["save_table"]), description="unchanged")
    newer = edit_plugin_file(client, own, ("save_model", "save_table"))
    editor = open_editor(artifact)
    assert editor.latest_offer.isVisible()
    assert editor.latest_button.text() == f"Use the latest snapshot of this plugin (snapshot {newer.snapshot_id})"
    assert not editor.save_button.isEnabled()
    save_screenshot(editor, "artifact_editor_latest_offer")

    qtbot.mouseClick(editor.latest_button, Qt.MouseButton.LeftButton)
    assert not editor.latest_offer.isVisible()
    assert editor.changes() == {"plugin_snapshot_id": newer.snapshot_id, "task_id": newer.tasks["save_table"]}
    saved = save_and_wait(qtbot, editor)
    assert (saved.task.plugin_snapshot_id, saved.task.id) == (newer.snapshot_id, newer.tasks["save_table"])
    assert client.artifacts.get_by_id(artifact.id).description == "unchanged"


# -- a save on its way --------------------------------------------------------------------------


def test_cancel_and_esc_wait_for_a_save_on_its_way(qtbot, dioptra, slow_client, proxy, spares) -> None:
    plugin = dioptra.manifest.plugin
    task = (plugin.snapshot_id, plugin.artifact_task_id)
    artifact = register_spare(slow_client, spares.take(is_dir=False), task=task, description="before")
    editor = ArtifactEditor(slow_client, artifact)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.waitUntil(lambda: not editor.task_picker.is_loading(), timeout=TIMEOUT_MS)
    type_description(qtbot, editor, "after")
    proxy.delay = 1.5
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.is_saving() and editor.hint_label.text() == SAVING
    assert not editor.cancel_button.isEnabled()

    # The server saves whatever the dialog does now: closing would only hide that from the user.
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.isVisible() and editor.is_saving()
    assert editor.hint_label.text() == CANNOT_CANCEL
    editor.close()  # the window's close button
    assert editor.isVisible()

    with qtbot.waitSignal(editor.artifact_changed, timeout=TIMEOUT_MS) as saved:
        pass
    assert saved.args[0].description == "after"
    assert editor.result() == ArtifactEditor.DialogCode.Accepted and not editor.isVisible()
    assert slow_client.artifacts.get_by_id(artifact.id).description == "after"


# -- a task the picker cannot show ----------------------------------------------------------------


def test_a_description_can_be_saved_while_the_task_is_still_loading(qtbot, dioptra, client, spares, monkeypatch) -> None:
    plugin = dioptra.manifest.plugin
    task = (plugin.snapshot_id, plugin.artifact_task_id)
    artifact = register_spare(client, spares.take(is_dir=False), task=task, description="before")
    # The plugin's snapshots are held back until the save is done: a slow or stuck server.
    release = threading.Event()
    real_get_all = client.plugins.snapshots.get_all

    def held_back(plugin_id: int):
        release.wait(TIMEOUT_MS / 1000)  # bounded, so a failing test never keeps a pool thread
        return real_get_all(plugin_id)

    monkeypatch.setattr(client.plugins.snapshots, "get_all", held_back)
    try:
        editor = ArtifactEditor(client, artifact)
        qtbot.addWidget(editor)
        editor.show()
        qtbot.waitExposed(editor)
        assert editor.task_picker.is_loading() and editor.task_picker.problem() == PROBLEM_LOADING
        type_description(qtbot, editor, "after")
        assert editor.changes() == {"description": "after"}  # the task is resent as the server has it
        saved = save_and_wait(qtbot, editor)
    finally:
        release.set()
    assert saved.description == "after"
    now = client.artifacts.get_by_id(artifact.id)
    assert now.description == "after" and (now.task.plugin_snapshot_id, now.task.id) == task


def test_a_description_can_be_saved_after_the_task_failed_to_load(qtbot, dioptra, client, spares, monkeypatch) -> None:
    plugin = dioptra.manifest.plugin
    task = (plugin.snapshot_id, plugin.artifact_task_id)
    artifact = register_spare(client, spares.take(is_dir=False), task=task, description="before")

    def broken(plugin_id: int):
        raise RuntimeError("the plugin cache is corrupt")  # not an ApiError: the unexpected-error path

    reported: list[str] = []
    monkeypatch.setattr(client.plugins.snapshots, "get_all", broken)
    monkeypatch.setattr(task_picker, "show_unexpected_error", lambda message, error, parent=None: reported.append(message))
    editor = ArtifactEditor(client, artifact)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.waitUntil(lambda: bool(reported) and not editor.task_picker.is_loading(), timeout=TIMEOUT_MS)
    assert reported == ["Could not load the plugin's snapshots."]
    assert editor.task_picker.message().startswith("Could not load the plugin's snapshots")
    assert editor.task_picker.retry_button.isVisible()
    assert not editor.task_problem.isVisible()  # the user did not touch the task: nothing there to fix
    assert editor.hint_label.text() == NOTHING_CHANGED

    type_description(qtbot, editor, "after")
    assert editor.changes() == {"description": "after"}
    saved = save_and_wait(qtbot, editor)
    assert saved.description == "after"
    now = client.artifacts.get_by_id(artifact.id)
    assert now.description == "after" and (now.task.plugin_snapshot_id, now.task.id) == task
