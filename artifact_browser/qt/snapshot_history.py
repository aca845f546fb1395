"""An artifact's snapshot history: every version the server keeps, newest first.

Each edit of an artifact (description, task) makes a new snapshot; the older
ones stay readable, and their contents downloadable, through
``/artifacts/{id}/snapshots/{sid}``. :class:`SnapshotListModel` holds the list,
:class:`SnapshotHistory` loads it through a
:class:`~artifact_browser.qt.workers.TaskRunner` and lets the user choose one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import ApiError, Artifact, DioptraClient
from artifact_browser.qt.artifact_table_model import format_datetime
from artifact_browser.qt.error_dialog import show_unexpected_error
from artifact_browser.qt.field_note import ERROR_STYLE
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

LATEST_MARK = "latest"
NO_TASK = "none"
NO_DESCRIPTION = "(no description)"

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The columns of the snapshot list."""

    SNAPSHOT = 0
    CREATED = 1
    EDITOR = 2
    DESCRIPTION = 3
    TASK = 4


HEADERS = {
    Column.SNAPSHOT: "Snapshot",
    Column.CREATED: "When",
    Column.EDITOR: "Who",
    Column.DESCRIPTION: "Description",
    Column.TASK: "Task",
}


class Role(IntEnum):
    """Custom data roles of :class:`SnapshotListModel`."""

    ARTIFACT = Qt.ItemDataRole.UserRole + 1
    """The row's :class:`Artifact` (that snapshot)."""
    SORT = Qt.ItemDataRole.UserRole + 2
    """The raw value of the cell (ints, datetimes), for sorting without parsing display text."""


class SnapshotListModel(QAbstractTableModel):
    """A flat, read-only list of an artifact's snapshots, newest first; the latest is marked."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._snapshots: list[Artifact] = []

    def set_snapshots(self, snapshots: Sequence[Artifact]) -> None:
        """Replace the list (the caller gives it newest first, as the api client returns it)."""
        self.beginResetModel()
        self._snapshots = list(snapshots)
        self.endResetModel()

    def snapshots(self) -> list[Artifact]:
        """The snapshots shown, newest first."""
        return list(self._snapshots)

    def snapshot(self, row: int) -> Artifact | None:
        """The snapshot in ``row``, or None outside the list."""
        return self._snapshots[row] if 0 <= row < len(self._snapshots) else None

    def row_of(self, snapshot_id: int) -> int:
        """The row of snapshot ``snapshot_id``, or -1."""
        return next((row for row, s in enumerate(self._snapshots) if s.snapshot_id == snapshot_id), -1)

    # -- QAbstractItemModel -------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._snapshots)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(Column):
            return HEADERS[Column(section)]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        snapshot = self.snapshot(index.row())
        if snapshot is None or not 0 <= index.column() < len(Column):
            return None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(snapshot, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(snapshot, column)
        if role == Role.ARTIFACT:
            return snapshot
        if role == Role.SORT:
            return self._raw(snapshot, column)
        if role == Qt.ItemDataRole.FontRole and snapshot.latest_snapshot:
            font = QFont()
            font.setBold(True)  # the version the artifact has now stands out
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.DESCRIPTION and not snapshot.description:
            return QPalette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    @staticmethod
    def _display(snapshot: Artifact, column: Column) -> str:
        if column == Column.SNAPSHOT:
            return f"{snapshot.snapshot_id} ({LATEST_MARK})" if snapshot.latest_snapshot else str(snapshot.snapshot_id)
        if column == Column.CREATED:
            return format_datetime(snapshot.snapshot_created_on)
        if column == Column.EDITOR:
            return snapshot.user.username if snapshot.user else ""
        if column == Column.DESCRIPTION:
            # One line per row: a multi-line description would make rows of different heights.
            return " ".join((snapshot.description or NO_DESCRIPTION).split())
        return snapshot.task.name if snapshot.task else NO_TASK

    @staticmethod
    def _tooltip(snapshot: Artifact, column: Column) -> str | None:
        if column == Column.DESCRIPTION:
            return snapshot.description or NO_DESCRIPTION
        if column == Column.TASK and snapshot.task:
            task = snapshot.task
            return f"{task.name} (task id {task.id}), plugin {task.plugin_id} snapshot {task.plugin_snapshot_id}"
        if column == Column.CREATED:
            return format_datetime(snapshot.snapshot_created_on, QLocale.FormatType.LongFormat)
        return None

    @staticmethod
    def _raw(snapshot: Artifact, column: Column) -> Any:
        if column == Column.SNAPSHOT:
            return snapshot.snapshot_id
        if column == Column.CREATED:
            return snapshot.snapshot_created_on
        if column == Column.EDITOR:
            return snapshot.user.username if snapshot.user else ""
        if column == Column.DESCRIPTION:
            return snapshot.description or ""
        return snapshot.task.name if snapshot.task else ""


class SnapshotHistory(QWidget):
    """The snapshot list of one artifact, loaded from the server, with "Download this snapshot…".

    Args:
        client: A signed-in client, or None until :meth:`set_client` is called
            (without one, nothing is loaded).
        parent: The parent widget.

    Signals:
        snapshot_chosen(object): The user chose a snapshot (an :class:`Artifact`
            whose ``latest_snapshot`` tells whether it is the current version).
        download_requested(object): The user asked to download the chosen
            snapshot's contents; carries that snapshot's :class:`Artifact`.
        loaded(): A list arrived (or failed); see :meth:`snapshots` and :meth:`error`.
    """

    snapshot_chosen = Signal(object)
    download_requested = Signal(object)
    loaded = Signal()

    def __init__(self, client: DioptraClient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("snapshotHistory")
        self._client = client
        self._artifact: Artifact | None = None
        self._shown_snapshot: int | None = None
        self._choosing = False  # True while the widget itself moves the current row
        self._error = ""

        self.model = SnapshotListModel(self)
        self.view = QTreeView(self)
        self.view.setObjectName("snapshotList")
        self.view.setModel(self.model)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        header = self.view.header()
        header.setStretchLastSection(False)
        for column in Column:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_changed)
        # A few rows stay visible however small the pane gets.
        self.view.setMinimumHeight(self.view.fontMetrics().height() * 5 + header.sizeHint().height())

        self.title_label = QLabel("Snapshots", self)
        self.title_label.setObjectName("snapshotTitle")
        bold = QFont(self.title_label.font())
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("snapshotStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.retry_button = QToolButton(self)
        self.retry_button.setObjectName("snapshotRetry")
        self.retry_button.setText("Retry")
        self.retry_button.clicked.connect(self.reload)
        self.retry_button.hide()
        self.download_action = QAction("Download this snapshot…", self)
        self.download_action.setToolTip("Download the contents of the chosen snapshot")
        self.download_action.triggered.connect(self.request_download)
        # A short label: the pane must stay narrow; the tooltip says which snapshot.
        self.download_button = QPushButton("Download…", self)
        self.download_button.setObjectName("downloadSnapshot")
        self.download_button.setToolTip(self.download_action.toolTip())
        self.download_button.clicked.connect(self.request_download)

        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addWidget(self.status_label, 1)
        top.addWidget(self.retry_button)
        # The button gets a row of its own under the list, so the pane can stay narrow.
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._on_loaded)
        self._runner.failed.connect(self._on_failed)
        self._runner.running_changed.connect(self._on_running_changed)
        self._update_actions()

    # -- the interface ----------------------------------------------------------------

    def set_client(self, client: DioptraClient | None) -> None:
        """Use ``client`` for loading (None stops loading); the current artifact is loaded again."""
        self._client = client
        self.reload()

    def set_artifact(self, artifact: Artifact | None) -> None:
        """Show the history of ``artifact`` (None empties the list); loads it in the background."""
        if artifact is None or self._artifact is None or artifact.id != self._artifact.id:
            # Another artifact's versions must not stand under this one while it loads.
            self.model.set_snapshots([])
        self._artifact = artifact
        self._shown_snapshot = artifact.snapshot_id if artifact else None
        self.reload()

    def artifact(self) -> Artifact | None:
        """The artifact whose history is shown."""
        return self._artifact

    def reload(self) -> None:
        """Fetch the snapshot list again (after an edit, say)."""
        self._set_status("")
        artifact, client = self._artifact, self._client
        if artifact is None or client is None:
            self._runner.cancel()
            self.model.set_snapshots([])
            self._update_actions()
            return
        artifact_id = artifact.id
        self._runner.start(lambda token: client.artifacts.snapshots.get_all(artifact_id))

    def is_loading(self) -> bool:
        """True while the list is being fetched."""
        return self._runner.is_running

    def snapshots(self) -> list[Artifact]:
        """The snapshots listed, newest first."""
        return self.model.snapshots()

    def error(self) -> str:
        """Why the last load failed ("" when it did not)."""
        return self._error

    def chosen(self) -> Artifact | None:
        """The snapshot of the current row, or None."""
        index = self.view.currentIndex()
        return self.model.snapshot(index.row()) if index.isValid() else None

    def choose(self, snapshot_id: int) -> bool:
        """Make ``snapshot_id`` the current row as the user would (emits :attr:`snapshot_chosen`).

        Returns:
            False if the list has no such snapshot.
        """
        row = self.model.row_of(snapshot_id)
        if row < 0:
            return False
        self.view.setCurrentIndex(self.model.index(row, 0))
        return True

    def mark_shown(self, snapshot_id: int | None) -> None:
        """Highlight the snapshot the details show, without emitting :attr:`snapshot_chosen`."""
        self._shown_snapshot = snapshot_id
        self._select_quietly(snapshot_id)

    def request_download(self) -> None:
        """Emit :attr:`download_requested` for the chosen snapshot (if any)."""
        snapshot = self.chosen()
        if snapshot is not None:
            self.download_requested.emit(snapshot)

    # -- answers ------------------------------------------------------------------------

    def _on_loaded(self, snapshots: Sequence[Artifact]) -> None:
        self._error = ""
        self.model.set_snapshots(snapshots)
        count = len(snapshots)
        self._set_status(f"{count} version{'s' if count != 1 else ''}")
        self._select_quietly(self._shown_snapshot)
        self._update_actions()
        self.loaded.emit()

    def _on_failed(self, exc: object) -> None:
        if not isinstance(exc, ApiError):
            show_unexpected_error("Could not load the snapshot history.", exc if isinstance(exc, BaseException) else str(exc), self)
            return
        log.warning("Loading the snapshots of artifact %s failed: %s", getattr(self._artifact, "id", "?"), exc)
        self._error = exc.message
        self.model.set_snapshots([])
        self._set_status(f"Could not load the snapshots: {exc.message}", error=True)
        self._update_actions()
        self.loaded.emit()

    def _on_running_changed(self, running: bool) -> None:
        if running:
            self._set_status("Loading…")

    # -- the user -----------------------------------------------------------------------

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_actions()
        if self._choosing or not current.isValid():
            return
        snapshot = self.model.snapshot(current.row())
        if snapshot is not None:
            self._shown_snapshot = snapshot.snapshot_id
            self.snapshot_chosen.emit(snapshot)

    def _context_menu(self, pos: QPoint) -> None:
        if not self.view.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right click, not one more child each time
        menu.addAction(self.download_action)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    # -- helpers ------------------------------------------------------------------------

    def _select_quietly(self, snapshot_id: int | None) -> None:
        row = self.model.row_of(snapshot_id) if snapshot_id is not None else -1
        self._choosing = True
        try:
            if row < 0:
                self.view.selectionModel().clear()
            else:
                self.view.setCurrentIndex(self.model.index(row, 0))
        finally:
            self._choosing = False
        self._update_actions()

    def _update_actions(self) -> None:
        enabled = self.chosen() is not None
        self.download_action.setEnabled(enabled)
        self.download_button.setEnabled(enabled)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")
        self.retry_button.setVisible(error)
