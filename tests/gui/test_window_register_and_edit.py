"""Registering and editing from the main window: the new or changed artifact ends up selected in the table."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication, QMenu, QToolBar

from artifact_browser.api import DioptraClient
from artifact_browser.qt.artifact_editor import ArtifactEditor
from artifact_browser.qt.main_window import MainWindow
from artifact_browser.qt.register_dialog import RegisterDialog
from edit_support import register_spare
from gui_support import save_screenshot

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot, client: DioptraClient) -> MainWindow:
    opened = MainWindow(client)
    qtbot.addWidget(opened)
    opened.resize(1400, 900)
    opened.show()
    qtbot.waitUntil(lambda: opened.model.rowCount() > 0, timeout=TIMEOUT_MS)
    return opened


def current_id(window: MainWindow) -> int | None:
    index = window.table.currentIndex()
    return window.model.artifact(index.row()).id if index.isValid() else None


def job_row_in_tree(qtbot, window: MainWindow, group_id: int, job_id: int):
    window.tree.expand(window.tree_model.index_for_group(group_id))
    qtbot.waitUntil(lambda: window.tree_model.index_for_job(job_id).isValid(), timeout=TIMEOUT_MS)
    return window.tree_model.index_for_job(job_id)


def test_register_from_a_jobs_context_menu_selects_the_new_artifact(qtbot, window: MainWindow, dioptra, spares) -> None:
    spare = spares.take(is_dir=False)
    job = job_row_in_tree(qtbot, window, spare.group_id, spare.job_id)
    window.tree.scrollTo(job)

    window.tree.customContextMenuRequested.emit(window.tree.visualRect(job).center())
    [menu] = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
    [register] = [a for a in menu.actions() if a.text().startswith("Register artifact for job")]
    register.trigger()
    [dialog] = window.findChildren(RegisterDialog)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    assert dialog.group_id() == spare.group_id and dialog.job_picker.current_job().id == spare.job_id
    dialog.uri_edit.setText(spare.uri)
    qtbot.keyClicks(dialog.description_edit, "registered from the window")
    qtbot.waitUntil(dialog.register_button.isEnabled, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(dialog.registered, timeout=TIMEOUT_MS) as registered:
        dialog.register_button.click()
    artifact = registered.args[0]

    # The job's artifacts are listed again, with the new one selected and in the details.
    qtbot.waitUntil(lambda: current_id(window) == artifact.id, timeout=TIMEOUT_MS)
    assert window.pager.query.scope.id == spare.job_id
    qtbot.waitUntil(lambda: window.details.artifact is not None and window.details.artifact.id == artifact.id, timeout=TIMEOUT_MS)
    assert window.model.artifact(window.table.currentIndex().row()).description == "registered from the window"
    # While its history loads, the list never shows the versions of the artifact selected before.
    assert all(s.id == artifact.id for s in window.details.history.snapshots())
    qtbot.waitUntil(lambda: len(window.details.history.snapshots()) == 1, timeout=TIMEOUT_MS)
    save_screenshot(window, "window_after_registering")


def test_the_menu_and_toolbar_offer_registration_with_the_trees_group(qtbot, window: MainWindow, dioptra) -> None:
    lab = dioptra.manifest.group("vision-lab").id
    window.tree.setCurrentIndex(window.tree_model.index_for_group(lab))
    [toolbar] = window.findChildren(QToolBar)
    assert window.register_action in toolbar.actions() and window.edit_action in toolbar.actions()
    assert window.register_action.shortcut().toString() == "Ctrl+N"
    window.register_action.trigger()
    [dialog] = window.findChildren(RegisterDialog)
    qtbot.waitUntil(lambda: dialog.group_id() == lab, timeout=TIMEOUT_MS)
    assert dialog.job_picker.current_job() is None
    dialog.reject()


def test_editing_the_current_artifact_updates_its_row_and_keeps_it_selected(
    qtbot, window: MainWindow, client: DioptraClient, spares
) -> None:
    artifact = register_spare(client, spares.take(is_dir=False), description="before the edit")
    window.show_job(artifact.job_id)
    window.reveal_artifact(artifact.id)
    qtbot.waitUntil(lambda: current_id(window) == artifact.id, timeout=TIMEOUT_MS)

    window.edit_action.trigger()
    qtbot.waitUntil(lambda: window.details.editor is not None and window.details.editor.isVisible(), timeout=TIMEOUT_MS)
    editor: ArtifactEditor = window.details.editor
    qtbot.waitUntil(lambda: not editor.task_picker.is_loading(), timeout=TIMEOUT_MS)
    editor.description_edit.setPlainText("after the edit")
    qtbot.waitUntil(editor.save_button.isEnabled, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(editor.artifact_changed, timeout=TIMEOUT_MS):
        editor.save_button.click()

    qtbot.waitUntil(
        lambda: current_id(window) == artifact.id
        and window.model.artifact(window.table.currentIndex().row()).description == "after the edit",
        timeout=TIMEOUT_MS,
    )
    assert client.artifacts.get_by_id(artifact.id).description == "after the edit"
    history = window.details.history
    qtbot.waitUntil(lambda: len(history.snapshots()) == 2, timeout=TIMEOUT_MS)


def test_edit_without_a_row_says_what_to_do(qtbot, window: MainWindow) -> None:
    window.table.selectionModel().setCurrentIndex(window.model.index(-1, -1), QItemSelectionModel.SelectionFlag.Clear)
    window.edit_current()
    assert window.status_label.text() == "Select the artifact to edit first."
