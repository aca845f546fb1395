"""The transfer queue as a Qt table model: one row per transfer of a ``TransferManager``.

The manager (``core.transfers``) is plain Python and calls its subscribers from
its worker threads. A Qt model may only change on the GUI thread, so a
subscriber here does nothing but emit a signal of a small QObject (the
bridge); Qt queues that to the GUI thread, where the model notes that
something changed and starts a short timer. When the timer fires, the model
compares the manager's list with the rows it shows and emits the fewest
signals that describe the difference. However many progress reports arrive,
views repaint at most :data:`UPDATE_INTERVAL_MS` apart (about ten times a
second).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor

from artifact_browser.core.units import format_size

if TYPE_CHECKING:  # the model only reads Transfer objects; it never builds one
    from artifact_browser.core.transfers import Transfer, TransferManager

log = logging.getLogger(__name__)

_AnyIndex = QModelIndex | QPersistentModelIndex

UPDATE_INTERVAL_MS = 100
"""Changes reported within this time reach the views as one update (at most ~10 per second)."""

# TransferState is a StrEnum: its members compare equal to these words, so the
# model and its views need not import the engine to tell states apart.
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE_STATES = frozenset({QUEUED, RUNNING})
FINISHED_STATES = frozenset({DONE, FAILED, CANCELLED})

STATE_LABELS = {QUEUED: "Queued", RUNNING: "Running", DONE: "Done", FAILED: "Failed", CANCELLED: "Cancelled"}


class Column(IntEnum):
    """The table's columns, in display order."""

    NAME = 0
    STATE = 1
    PROGRESS = 2
    SPEED = 3
    ETA = 4
    DESTINATION = 5


HEADERS: dict[Column, str] = {
    Column.NAME: "Name",
    Column.STATE: "State",
    Column.PROGRESS: "Progress",
    Column.SPEED: "Speed",
    Column.ETA: "Time left",
    Column.DESTINATION: "Saved to",
}


class Role(IntEnum):
    """Custom data roles (the same for every column of a row).

    TRANSFER gives the row's ``Transfer``; STATE its state as a lower-case word;
    PROGRESS ``(bytes_done, total_or_None)`` for a progress bar; ID the transfer id.
    """

    TRANSFER = Qt.ItemDataRole.UserRole + 1
    STATE = Qt.ItemDataRole.UserRole + 2
    PROGRESS = Qt.ItemDataRole.UserRole + 3
    ID = Qt.ItemDataRole.UserRole + 4


_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_ERROR_BRUSH = QBrush(QColor("#b00020"))


def percent(done: int, total: int | None) -> int | None:
    """Whole percent of ``total`` done (0-100), or None when the total is unknown."""
    if total is None or total <= 0:
        return None
    return max(0, min(100, math.floor(done * 100 / total)))


def progress_text(transfer: Transfer) -> str:
    """What a progress cell says: a percentage when the size is known, else the bytes so far."""
    state = transfer.state
    if state == FAILED:
        return transfer.error or "Failed"
    if state in (QUEUED, CANCELLED):
        return ""  # the state column says it all; "0%" would read as progress
    if state == DONE and transfer.total is None:
        return format_size(transfer.bytes_done)
    value = percent(transfer.bytes_done, transfer.total)
    if value is not None:
        return f"{value}%"
    return format_size(transfer.bytes_done)


def speed_text(speed: float | None) -> str:
    """``"1.5 MiB/s"``; empty when the speed is unknown."""
    if speed is None or speed < 0 or not math.isfinite(speed):
        return ""
    return f"{format_size(int(speed))}/s"


def eta_text(seconds: float | None) -> str:
    """A short remaining time: ``"8 s"``, ``"3 min 05 s"``, ``"2 h 10 min"``; empty when unknown."""
    if seconds is None or seconds < 0 or not math.isfinite(seconds):
        return ""
    whole = int(math.ceil(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def location_of(transfer: Transfer) -> Path:
    """Where the transfer's file or folder is (or will be) on disk."""
    return Path(transfer.result) if transfer.result is not None else Path(transfer.request.destination)


class _Bridge(QObject):
    """Carries "something changed" from the manager's threads to the GUI thread.

    It has no parent and is kept alive by the subscriber closure that the manager
    holds, so a worker thread can always emit on it, even after the model is gone
    (Qt then simply has no receiver left).
    """

    changed = Signal()


class TransferTableModel(QAbstractTableModel):
    """Every transfer of a manager, in submission order.

    Args:
        manager: The ``TransferManager`` whose transfers are shown.
        parent: The owning QObject.
        interval_ms: The coalescing interval (see :data:`UPDATE_INTERVAL_MS`).

    Signals:
        updated(): After each batch of changes has been applied (for tests and
            for views that summarise the queue).
    """

    updated = Signal()

    def __init__(self, manager: TransferManager, parent: QObject | None = None, *, interval_ms: int = UPDATE_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._manager = manager
        self._rows: list[Transfer] = []
        self._row_of: dict[int, int] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)

        bridge = _Bridge()
        bridge.changed.connect(self._schedule, Qt.ConnectionType.QueuedConnection)

        def on_change(_transfer: object) -> None:  # runs on the manager's threads
            bridge.changed.emit()

        self._unsubscribe: Callable[[], None] | None = _once(manager.subscribe(on_change))
        # A plain function (no reference to self): it can run while the model is being destroyed.
        self.destroyed.connect(self._unsubscribe)
        self._set_rows(manager.transfers())

    # -- public -----------------------------------------------------------------------

    @property
    def manager(self) -> TransferManager:
        return self._manager

    def transfer_at(self, row: int) -> Transfer | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, transfer_id: int) -> int | None:
        """The row showing transfer ``transfer_id``, or None."""
        return self._row_of.get(transfer_id)

    def transfers(self) -> list[Transfer]:
        """The transfers as shown now (the manager may already know newer states)."""
        return list(self._rows)

    def detach(self) -> None:
        """Stop listening to the manager (the rows stay as they are)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()

    @Slot()
    def refresh(self) -> None:
        """Show the manager's transfers as they are now (call it after removing some)."""
        self._timer.stop()
        self._apply(self._manager.transfers())
        self.updated.emit()

    # -- keeping up with the manager ----------------------------------------------------

    @Slot()
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _set_rows(self, rows: list[Transfer]) -> None:
        self._rows = list(rows)
        self._row_of = {t.id: row for row, t in enumerate(self._rows)}

    def _apply(self, new: list[Transfer]) -> None:
        new_ids = {t.id for t in new}
        # Removals first, from the bottom, in runs of adjacent rows.
        row = len(self._rows) - 1
        while row >= 0:
            if self._rows[row].id in new_ids:
                row -= 1
                continue
            last = row
            while row - 1 >= 0 and self._rows[row - 1].id not in new_ids:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, last)
            del self._rows[row : last + 1]
            self.endRemoveRows()
            row -= 1
        self._row_of = {t.id: r for r, t in enumerate(self._rows)}

        kept = [t for t in new if t.id in self._row_of]
        if [t.id for t in kept] != [t.id for t in self._rows]:
            # The manager reordered what we show (it never does today): start over.
            self.beginResetModel()
            self._set_rows(new)
            self.endResetModel()
            return

        changed = [r for r, t in enumerate(kept) if t != self._rows[r]]
        self._rows[: len(kept)] = kept
        if changed:
            last_column = len(Column) - 1
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), last_column))

        added = [t for t in new if t.id not in self._row_of]
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._set_rows(self._rows + added)
            self.endInsertRows()
        else:
            self._row_of = {t.id: r for r, t in enumerate(self._rows)}

    # -- QAbstractTableModel ------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (Column.SPEED, Column.ETA):
            return _RIGHT
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        transfer = self._rows[index.row()]
        column = index.column()
        state = str(transfer.state)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(transfer, column, state)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(transfer, column, state)
        if role == Qt.ItemDataRole.ForegroundRole and state == FAILED and column in (Column.STATE, Column.PROGRESS):
            return _ERROR_BRUSH
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.SPEED, Column.ETA):
            return _RIGHT
        if role == Role.TRANSFER:
            return transfer
        if role == Role.STATE:
            return state
        if role == Role.PROGRESS:
            return (transfer.bytes_done, transfer.total)
        if role == Role.ID:
            return transfer.id
        return None

    def _display(self, transfer: Transfer, column: int, state: str) -> str:
        if column == Column.NAME:
            return transfer.request.name
        if column == Column.STATE:
            return STATE_LABELS.get(state, state.capitalize())
        if column == Column.PROGRESS:
            return progress_text(transfer)
        if column == Column.SPEED:
            return speed_text(transfer.speed) if state == RUNNING else ""
        if column == Column.ETA:
            return eta_text(transfer.eta) if state == RUNNING else ""
        if column == Column.DESTINATION:
            return str(location_of(transfer))
        return ""

    def _tooltip(self, transfer: Transfer, column: int, state: str) -> str | None:
        if state == FAILED and transfer.error and column in (Column.NAME, Column.STATE, Column.PROGRESS):
            return transfer.error
        if column == Column.PROGRESS and transfer.total:
            return f"{format_size(transfer.bytes_done)} of {format_size(transfer.total)}"
        if column in (Column.NAME, Column.DESTINATION):
            return str(location_of(transfer))
        return None


def _once(unsubscribe: Callable[[], None]) -> Callable[..., None]:
    """``unsubscribe`` made safe to call twice (by :meth:`detach`, then on destruction) and from ``destroyed``."""
    done = False

    def run(*_args: object) -> None:
        nonlocal done
        if done:
            return
        done = True
        try:
            unsubscribe()
        except Exception:  # noqa: BLE001 - a model going away must not fail because of the manager
            log.debug("Unsubscribing a transfer model failed", exc_info=True)

    return run
