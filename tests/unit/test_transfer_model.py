"""The transfer table model: a valid Qt model that follows a manager's threads on the GUI thread, coalesced."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QThread, Qt
from PySide6.QtWidgets import QApplication

from artifact_browser.core.transfers import Transfer, TransferKind, TransferRequest, TransferState
from artifact_browser.qt.transfer_model import (
    Column,
    Role,
    TransferTableModel,
    eta_text,
    progress_text,
    speed_text,
)

WAIT_MS = 5_000


class FakeManager:
    """What the model needs of a TransferManager: a list, and subscribers called from any thread."""

    def __init__(self, transfers: list[Transfer] | None = None) -> None:
        self._lock = threading.Lock()
        self._transfers: dict[int, Transfer] = {t.id: t for t in transfers or []}
        self.subscribers: list[Callable[[Transfer], None]] = []
        self.max_parallel = 2

    def transfers(self) -> list[Transfer]:
        with self._lock:
            return list(self._transfers.values())

    def subscribe(self, callback: Callable[[Transfer], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def put(self, transfer: Transfer) -> None:
        """Record a change and tell the subscribers, from whatever thread calls this."""
        with self._lock:
            self._transfers[transfer.id] = transfer
        for callback in list(self.subscribers):
            callback(transfer)

    def drop(self, transfer_id: int) -> None:
        with self._lock:
            del self._transfers[transfer_id]


def transfer(tid: int, state: TransferState = TransferState.QUEUED, **changes: object) -> Transfer:
    request = TransferRequest(
        artifact_id=100 + tid,
        name=f"artifact {tid}.bin",
        kind=TransferKind.FILE,
        destination=Path(f"/downloads/artifact {tid}.bin"),
        expected_size=1000,
        link=f"http://server/api/v1/artifacts/{100 + tid}/contents",
    )
    return replace(Transfer(id=tid, request=request, state=state, total=1000, created_at=0.0), **changes)


def cells(model: TransferTableModel, row: int) -> list[str]:
    return [model.index(row, column).data() for column in Column]


def test_model_passes_the_qt_model_tester_through_inserts_updates_and_removals(qapp, qtmodeltester) -> None:
    manager = FakeManager([transfer(1, TransferState.DONE, bytes_done=1000), transfer(2, TransferState.RUNNING, bytes_done=250)])
    model = TransferTableModel(manager)
    qtmodeltester.check(model, force_py=True)
    # With the tester watching, the model changes in every way a queue changes.
    for tid in (3, 4, 5):
        manager.put(transfer(tid))
    model.refresh()
    manager.put(transfer(2, TransferState.RUNNING, bytes_done=900, speed=2048.0, eta=0.05))
    manager.drop(1)
    manager.drop(4)
    model.refresh()
    assert [model.index(r, Column.NAME).data(Role.ID) for r in range(model.rowCount())] == [2, 3, 5]
    manager.drop(2)
    manager.drop(3)
    manager.drop(5)
    model.refresh()
    assert model.rowCount() == 0
    qtmodeltester.check(model, force_py=True)


def test_cells_say_what_a_user_needs_in_each_state(qapp) -> None:
    rows = [
        transfer(1, TransferState.QUEUED, total=None),
        transfer(2, TransferState.RUNNING, bytes_done=420, speed=1536.0, eta=125.2),
        transfer(3, TransferState.RUNNING, bytes_done=3 * 1024 * 1024, total=None, speed=1024.0 * 1024),
        transfer(4, TransferState.DONE, bytes_done=1000, total=1000, result=Path("/downloads/artifact 4 (2).bin")),
        transfer(5, TransferState.FAILED, bytes_done=10, error="The disk is full: free some space, then retry."),
        transfer(6, TransferState.CANCELLED, bytes_done=0),
    ]
    model = TransferTableModel(FakeManager(rows))
    assert cells(model, 0) == ["artifact 1.bin", "Queued", "", "", "", "/downloads/artifact 1.bin"]
    assert cells(model, 1) == ["artifact 2.bin", "Running", "42%", "1.5 KiB/s", "2 min 06 s", "/downloads/artifact 2.bin"]
    # No total: bytes so far (the delegate draws the busy look); no ETA without a total.
    assert cells(model, 2)[1:5] == ["Running", "3.0 MiB", "1.0 MiB/s", ""]
    # Done: where the file really went (keep-both may have renamed it).
    assert cells(model, 3) == ["artifact 4.bin", "Done", "100%", "", "", "/downloads/artifact 4 (2).bin"]
    failed = model.index(4, Column.STATE)
    assert failed.data() == "Failed"
    assert failed.data(Qt.ItemDataRole.ToolTipRole) == "The disk is full: free some space, then retry."
    assert model.index(4, Column.PROGRESS).data() == "The disk is full: free some space, then retry."
    assert failed.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert cells(model, 5)[1] == "Cancelled"
    assert model.index(1, Column.PROGRESS).data(Role.PROGRESS) == (420, 1000)
    assert model.index(2, Column.NAME).data(Role.STATE) == "running"
    assert model.index(3, Column.NAME).data(Role.TRANSFER) is rows[3]
    assert model.headerData(Column.ETA, Qt.Orientation.Horizontal) == "Time left"
    assert model.index(0, 0, model.index(0, 0)).isValid() is False


def test_text_helpers() -> None:
    assert speed_text(None) == "" and speed_text(float("nan")) == "" and speed_text(512.0) == "512 B/s"
    assert eta_text(None) == "" and eta_text(0.2) == "1 s" and eta_text(59) == "59 s"
    assert eta_text(61) == "1 min 01 s" and eta_text(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert progress_text(transfer(1, TransferState.DONE, bytes_done=2048, total=None)) == "2.0 KiB"
    assert progress_text(transfer(1, TransferState.RUNNING, bytes_done=2000, total=1000)) == "100%"


def test_updates_from_worker_threads_reach_the_gui_thread_coalesced(qapp, qtbot) -> None:
    manager = FakeManager([transfer(1)])
    model = TransferTableModel(manager)
    gui_thread = QApplication.instance().thread()
    seen_threads: set[bool] = set()
    updates: list[int] = []
    model.dataChanged.connect(lambda *_: seen_threads.add(QThread.currentThread() == gui_thread))
    model.rowsInserted.connect(lambda *_: seen_threads.add(QThread.currentThread() == gui_thread))
    model.updated.connect(lambda: updates.append(model.rowCount()))

    reports = 2_000

    def download() -> None:  # a worker thread reporting progress as fast as it can
        for done in range(1, reports + 1):
            manager.put(transfer(1, TransferState.RUNNING, bytes_done=done * 1000 // reports))
        manager.put(transfer(2, TransferState.RUNNING, bytes_done=1))
        manager.put(transfer(1, TransferState.DONE, bytes_done=1000))

    worker = threading.Thread(target=download)
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=WAIT_MS)
    worker.join()
    qtbot.waitUntil(lambda: model.rowCount() == 2 and model.index(0, Column.STATE).data() == "Done", timeout=WAIT_MS)

    assert seen_threads == {True}, "a model signal was emitted on a worker thread"
    # Two thousand reports, a handful of repaints: the model batches what arrives within ~100 ms.
    assert 1 <= len(updates) <= 5, updates
    assert model.index(1, Column.PROGRESS).data(Role.PROGRESS) == (1, 1000)


def test_the_model_stops_listening_when_it_is_destroyed_or_detached(qapp, qtbot) -> None:
    manager = FakeManager()
    model = TransferTableModel(manager)
    assert len(manager.subscribers) == 1
    with qtbot.waitSignal(model.destroyed, timeout=WAIT_MS):
        model.deleteLater()
    assert manager.subscribers == []
    manager.put(transfer(1))  # nobody is listening: nothing breaks

    other = TransferTableModel(manager)
    other.detach()
    other.detach()  # twice is harmless
    assert manager.subscribers == []
    assert other.rowCount() == 1  # what it showed stays


@pytest.mark.parametrize("state", list(TransferState))
def test_every_state_has_a_label(qapp, state: TransferState) -> None:
    model = TransferTableModel(FakeManager([transfer(1, state)]))
    label = model.index(0, Column.STATE).data()
    assert label and label[0].isupper() and label.lower() == state.value
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(QModelIndex()) == len(Column)
