"""An artifact's snapshot history in the details pane, against the real local Dioptra server.

Seeded artifacts with several snapshots are only read here; the test that edits
registers its own artifact from the seed's spares.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QMenu

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.transfers import TransferManager, TransferState
from artifact_browser.qt.details_pane import DetailsPane, Field
from artifact_browser.qt.download_dialog import DownloadDialog
from artifact_browser.qt.field_note import ERROR_STYLE
from artifact_browser.qt.settings import Settings
from artifact_browser.qt.snapshot_history import Column, Role, SnapshotHistory, SnapshotListModel
from edit_support import register_spare
from gui_support import save_screenshot, seeded, shown

TIMEOUT_MS = 15_000


@pytest.fixture
def pane(qtbot, client: DioptraClient) -> DetailsPane:
    return shown(qtbot, DetailsPane(client.address, client=client), 620, 760)


@pytest.fixture
def edited(dioptra, client: DioptraClient) -> Artifact:
    """A seeded single file edited once after registration (two snapshots); only read."""
    info = seeded(dioptra.manifest, "tiny.txt")
    assert info.snapshot_count == 2 and not info.is_dir
    return client.artifacts.get_by_id(info.id)


def wait_loaded(qtbot, history: SnapshotHistory, rows: int | None = None) -> None:
    qtbot.waitUntil(
        lambda: not history.is_loading() and (rows is None or history.model.rowCount() == rows), timeout=TIMEOUT_MS
    )


def click_row(qtbot, history: SnapshotHistory, row: int) -> None:
    rect = history.view.visualRect(history.model.index(row, Column.DESCRIPTION))
    qtbot.mouseClick(history.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_model_passes_qtmodeltester(qtmodeltester, client: DioptraClient, dioptra) -> None:
    info = max(dioptra.manifest.artifacts, key=lambda a: a.snapshot_count)
    model = SnapshotListModel()
    model.set_snapshots(client.artifacts.snapshots.get_all(info.id))
    assert model.rowCount() == info.snapshot_count >= 3
    qtmodeltester.check(model, force_py=True)
    model.set_snapshots([])
    qtmodeltester.check(model, force_py=True)


def test_snapshots_are_listed_newest_first_with_the_latest_marked(qtbot, client: DioptraClient, dioptra) -> None:
    info = max(dioptra.manifest.artifacts, key=lambda a: a.snapshot_count)
    history = SnapshotHistory(client)
    qtbot.addWidget(history)
    history.set_artifact(client.artifacts.get_by_id(info.id))
    wait_loaded(qtbot, history, info.snapshot_count)
    model = history.model
    ids = [model.index(row, Column.SNAPSHOT).data(Role.SORT) for row in range(model.rowCount())]
    assert ids == sorted(ids, reverse=True)
    assert model.index(0, Column.SNAPSHOT).data() == f"{ids[0]} (latest)"
    assert all(model.index(row, Column.SNAPSHOT).data() == str(ids[row]) for row in range(1, len(ids)))
    assert isinstance(model.index(0, Column.SNAPSHOT).data(Qt.ItemDataRole.FontRole), QFont)
    assert model.index(1, Column.SNAPSHOT).data(Qt.ItemDataRole.FontRole) is None
    snapshots = history.snapshots()
    assert [model.index(r, Column.DESCRIPTION).data() for r in range(len(ids))] == [s.description for s in snapshots]
    assert model.index(0, Column.EDITOR).data() == snapshots[0].user.username
    assert model.index(0, Column.TASK).data() == snapshots[0].task.name  # the seeded weights have a task
    assert model.index(0, Column.CREATED).data()  # a date, in the user's locale


def test_choosing_an_older_snapshot_shows_it_read_only_with_a_way_back(qtbot, pane: DetailsPane, edited: Artifact, client) -> None:
    pane.show_artifact(edited)
    wait_loaded(qtbot, pane.history, 2)
    assert pane.history.chosen().snapshot_id == edited.snapshot_id  # the version on display is highlighted
    save_screenshot(pane, "details_pane_snapshots")
    older = pane.history.snapshots()[1]
    assert older.description != edited.description

    with qtbot.waitSignal(pane.history.snapshot_chosen, timeout=TIMEOUT_MS):
        click_row(qtbot, pane.history, 1)
    assert pane.is_showing_older_snapshot() and pane.snapshot_banner.isVisible()
    assert f"snapshot {older.snapshot_id}" in pane.snapshot_banner_label.text()
    assert "older version (read-only)" in pane.snapshot_banner_label.text()
    assert pane.text(Field.DESCRIPTION) == older.description
    assert pane.text(Field.SNAPSHOT) == str(older.snapshot_id)
    assert pane.text(Field.LATEST_SNAPSHOT) == "No"
    assert pane.text(Field.FILE_URL).endswith(f"/api/v1/artifacts/{edited.id}/snapshots/{older.snapshot_id}/contents")
    assert not pane.edit_button.isEnabled()  # edits start from the artifact as it is now
    assert pane.artifact == edited and pane.shown_artifact == older
    save_screenshot(pane, "details_pane_older_snapshot")

    qtbot.mouseClick(pane.back_to_latest_button, Qt.MouseButton.LeftButton)
    assert not pane.is_showing_older_snapshot() and not pane.snapshot_banner.isVisible()
    assert pane.text(Field.DESCRIPTION) == edited.description and pane.text(Field.LATEST_SNAPSHOT) == "Yes"
    assert pane.history.chosen().snapshot_id == edited.snapshot_id
    assert pane.edit_button.isEnabled()


def test_the_list_grows_after_an_edit(qtbot, pane: DetailsPane, client: DioptraClient, spares) -> None:
    artifact = register_spare(client, spares.take(is_dir=False), description="before")
    pane.show_artifact(artifact)
    wait_loaded(qtbot, pane.history, 1)

    qtbot.mouseClick(pane.edit_button, Qt.MouseButton.LeftButton)
    editor = pane.editor
    assert editor is not None and editor.isVisible()
    qtbot.waitUntil(lambda: not editor.task_picker.is_loading(), timeout=TIMEOUT_MS)
    editor.description_edit.setPlainText("after")
    with qtbot.waitSignal(pane.artifact_changed, timeout=TIMEOUT_MS) as changed:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    saved = changed.args[0]
    assert saved.description == "after" and saved.id == artifact.id
    assert pane.artifact == saved and pane.text(Field.DESCRIPTION) == "after"

    wait_loaded(qtbot, pane.history, 2)
    newest, oldest = pane.history.snapshots()
    assert (newest.snapshot_id, newest.description, newest.latest_snapshot) == (saved.snapshot_id, "after", True)
    assert (oldest.snapshot_id, oldest.description) == (artifact.snapshot_id, "before")
    assert pane.history.chosen().snapshot_id == saved.snapshot_id
    qtbot.waitUntil(lambda: pane.editor is None, timeout=TIMEOUT_MS)  # closed on success


def test_downloading_an_older_snapshot_fetches_that_snapshots_contents(
    qtbot, pane: DetailsPane, edited: Artifact, client: DioptraClient, dioptra, tmp_path: Path, monkeypatch
) -> None:
    pane.show_artifact(edited)
    wait_loaded(qtbot, pane.history, 2)
    older = pane.history.snapshots()[1]
    pane.history.view.selectionModel().setCurrentIndex(
        pane.history.model.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    assert pane.history.download_button.isEnabled()
    with qtbot.waitSignal(pane.download_requested, timeout=TIMEOUT_MS) as requested:
        qtbot.mouseClick(pane.history.download_button, Qt.MouseButton.LeftButton)
    snapshot = requested.args[0]
    assert (snapshot.id, snapshot.snapshot_id, snapshot.latest_snapshot) == (edited.id, older.snapshot_id, False)

    # What the lead wires: the request goes to the download dialog, then the transfer queue.
    dialog = DownloadDialog(client, [snapshot], Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_ready, timeout=TIMEOUT_MS)
    dialog.folder_edit.setText(str(tmp_path))
    dialog.download_button.click()
    (request,) = dialog.requests()
    assert request.snapshot_id == older.snapshot_id

    streamed: list[str] = []
    real_stream = client.session.stream

    def recording_stream(path, *args, **kwargs):
        streamed.append(path)
        return real_stream(path, *args, **kwargs)

    monkeypatch.setattr(client.session, "stream", recording_stream)
    manager = TransferManager(client, max_parallel=1)
    try:
        transfer_id = manager.submit(request)
        qtbot.waitUntil(lambda: manager.get(transfer_id).finished, timeout=60_000)
        assert manager.get(transfer_id).state == TransferState.DONE, manager.get(transfer_id).error
    finally:
        manager.shutdown()
    # Dioptra's snapshots share their contents (the URI cannot be edited), so the old
    # snapshot's bytes equal today's; what matters is that they came from that snapshot.
    assert streamed == [f"/artifacts/{edited.id}/snapshots/{older.snapshot_id}/contents"]
    downloaded = request.destination
    assert downloaded.read_bytes() == client.artifacts.read_contents(edited)
    assert downloaded.stat().st_size == seeded(dioptra.manifest, "tiny.txt").size


def test_each_right_click_menu_goes_away_when_it_closes(qtbot, pane: DetailsPane, edited: Artifact) -> None:
    history = pane.history
    pane.show_artifact(edited)
    wait_loaded(qtbot, history, 2)
    where = history.view.visualRect(history.model.index(1, Column.DESCRIPTION)).center()
    for _click in range(3):
        history.view.customContextMenuRequested.emit(where)
        (menu,) = history.findChildren(QMenu)
        assert history.download_action in menu.actions()
        menu.close()
        # A menu kept as a child after each right click would pile up for as long as the pane lives.
        qtbot.waitUntil(lambda: not history.findChildren(QMenu), timeout=TIMEOUT_MS)


def test_a_failed_load_is_said_in_the_programs_error_colour(qtbot, client: DioptraClient, edited: Artifact) -> None:
    history = SnapshotHistory(client)
    qtbot.addWidget(history)
    with qtbot.waitSignal(history.loaded, timeout=TIMEOUT_MS):
        history.set_artifact(dataclasses.replace(edited, id=987_654))  # no such artifact: the server answers 404
    assert history.error() and history.status_label.text().startswith("Could not load the snapshots")
    assert history.status_label.styleSheet() == ERROR_STYLE  # the same red as every form's error line
    assert history.retry_button.isVisibleTo(history)
