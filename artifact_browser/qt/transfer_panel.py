"""The transfer queue panel: every download with its progress, and what can be done with it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.qt.settings import MAX_PARALLEL_TRANSFERS, MIN_PARALLEL_TRANSFERS, Settings
from artifact_browser.qt.transfer_model import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Column,
    Role,
    TransferTableModel,
    location_of,
    percent,
    progress_text,
)

if TYPE_CHECKING:
    from artifact_browser.core.transfers import Transfer, TransferManager

log = logging.getLogger(__name__)

Opener = Callable[[QUrl], bool]
"""Opens a URL with the desktop's default program (``QDesktopServices.openUrl`` unless a test injects one)."""

# Which actions a transfer in each state offers, in menu order.
STATE_ACTIONS: dict[str, tuple[str, ...]] = {
    QUEUED: ("cancel", "copy_link"),
    RUNNING: ("cancel", "copy_link"),
    FAILED: ("retry", "remove", "copy_link"),
    CANCELLED: ("retry", "remove", "copy_link"),
    DONE: ("open", "show_in_folder", "remove", "copy_link"),
}
ACTION_ORDER = ("open", "show_in_folder", "cancel", "retry", "remove", "copy_link")


class ProgressBarDelegate(QStyledItemDelegate):
    """Paints a progress cell as a progress bar; a failed or cancelled transfer's cell as text.

    A known total gives a real percentage; an unknown one (a folder archived by
    the server) gives the style's busy look with the bytes so far as text.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        state = index.data(Role.STATE)
        progress = index.data(Role.PROGRESS)
        if state not in (RUNNING, DONE) or progress is None:
            # Failed: the error message, whose start matters more than its end.
            text_option = QStyleOptionViewItem(option)
            text_option.textElideMode = Qt.TextElideMode.ElideRight
            super().paint(painter, text_option, index)
            return
        done, total = progress
        # The selection background first, so a selected row stays visibly selected.
        view_option = QStyleOptionViewItem(option)
        self.initStyleOption(view_option, index)
        view_option.text = ""
        style = view_option.widget.style() if view_option.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view_option, painter, view_option.widget)

        bar = QStyleOptionProgressBar()
        if view_option.widget is not None:
            bar.initFrom(view_option.widget)
        bar.rect = QRect(option.rect).adjusted(3, 3, -3, -3)
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        value = percent(done, total)
        if state == DONE:
            bar.minimum, bar.maximum, bar.progress = 0, 100, 100
        elif value is not None:
            bar.minimum, bar.maximum, bar.progress = 0, 100, value
        else:
            bar.minimum, bar.maximum, bar.progress = 0, 0, 0  # the busy (indeterminate) look
        transfer = index.data(Role.TRANSFER)
        bar.text = progress_text(transfer) if transfer is not None else ""
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, view_option.widget)


class TransferPanel(QWidget):
    """The transfer queue: a table of transfers, their actions, and the queue's settings.

    Args:
        manager: The ``TransferManager`` that runs the transfers.
        parent: The parent widget.
        settings: Where the "at most N at once" choice is remembered (optional).
        opener: Opens files and folders (``QDesktopServices.openUrl`` by default).

    Attributes:
        model: The :class:`TransferTableModel` the table shows.
        table: The QTableView.
        open_action, show_in_folder_action, cancel_action, retry_action,
        remove_action, copy_link_action: Act on the selected transfers; each is
            enabled when it applies to at least one of them.
    """

    def __init__(
        self,
        manager: TransferManager,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
        opener: Opener | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transferPanel")
        self._manager = manager
        self._settings = settings
        self._opener: Opener = opener or QDesktopServices.openUrl

        self.model = TransferTableModel(manager, self)

        self.warning_label = QLabel(self)
        self.warning_label.setObjectName("transferWarning")
        self.warning_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #8a5300;")
        self.warning_label.hide()

        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("transferSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)

        self.message_label = QLabel(self)  # what the last action could not do, inline
        self.message_label.setObjectName("transferMessage")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setStyleSheet("color: #b00020;")
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        self.parallel_spin = QSpinBox(self)
        self.parallel_spin.setObjectName("maxParallel")
        self.parallel_spin.setRange(MIN_PARALLEL_TRANSFERS, MAX_PARALLEL_TRANSFERS)
        self.parallel_spin.setValue(max(MIN_PARALLEL_TRANSFERS, min(MAX_PARALLEL_TRANSFERS, int(manager.max_parallel))))
        self.parallel_spin.setToolTip("How many downloads run at the same time; the others wait in order.")
        self.parallel_spin.valueChanged.connect(self._set_max_parallel)
        parallel_label = QLabel("&At most", self)
        parallel_label.setBuddy(self.parallel_spin)
        at_once = QLabel("at once", self)

        self.clear_button = QPushButton("Clear finished", self)
        self.clear_button.setObjectName("clearFinished")
        self.clear_button.setToolTip("Remove done, failed and cancelled downloads from the list (files stay on disk).")
        self.clear_button.clicked.connect(self.clear_finished)

        self.table = QTableView(self)
        self.table.setObjectName("transferTable")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(Column.PROGRESS, ProgressBarDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        metrics = self.fontMetrics()
        widths = {
            Column.NAME: metrics.horizontalAdvance("M") * 18,
            Column.STATE: metrics.horizontalAdvance("Cancelled") + 24,
            Column.PROGRESS: metrics.horizontalAdvance("M") * 14,
            Column.SPEED: metrics.horizontalAdvance("999.9 MiB/s") + 16,
            Column.ETA: metrics.horizontalAdvance("99 min 59 s") + 16,
        }
        for column, width in widths.items():
            header.resizeSection(column, width)

        self.open_action = self._action("Open", "open", QKeySequence(Qt.Key.Key_Return))
        self.show_in_folder_action = self._action("Show in folder", "show_in_folder")
        self.cancel_action = self._action("Cancel", "cancel")
        self.retry_action = self._action("Retry", "retry")
        self.remove_action = self._action("Remove from list", "remove", QKeySequence(QKeySequence.StandardKey.Delete))
        self.copy_link_action = self._action("Copy link", "copy_link", QKeySequence(QKeySequence.StandardKey.Copy))
        self._actions = {
            "open": self.open_action,
            "show_in_folder": self.show_in_folder_action,
            "cancel": self.cancel_action,
            "retry": self.retry_action,
            "remove": self.remove_action,
            "copy_link": self.copy_link_action,
        }

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary_label, 1)
        top.addWidget(parallel_label)
        top.addWidget(self.parallel_spin)
        top.addWidget(at_once)
        top.addSpacing(12)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.warning_label)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message_label)

        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda _index: self._trigger_default())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.updated.connect(self._on_updated)
        self.model.modelReset.connect(self._on_updated)

        self._on_updated()

    # -- public -----------------------------------------------------------------------

    @property
    def manager(self) -> TransferManager:
        return self._manager

    def set_warning(self, text: str | None) -> None:
        """Show (or with None/"" hide) a warning above the table, e.g. a damaged history file."""
        self.warning_label.setText(text or "")
        self.warning_label.setVisible(bool(text))

    def selected_transfers(self) -> list[Transfer]:
        """The selected transfers, top to bottom."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [t for t in (self.model.transfer_at(row) for row in rows) if t is not None]

    def select_ids(self, ids: Sequence[int]) -> None:
        """Select the rows of the transfers with these ids (and nothing else)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for transfer_id in ids:
            row = self.model.row_of(transfer_id)
            if row is not None:
                selection.select(self.model.index(row, 0), flags)
                selection.setCurrentIndex(self.model.index(row, 0), selection.SelectionFlag.NoUpdate)
        self._update_actions()

    def menu_for(self, transfers: Sequence[Transfer]) -> QMenu:
        """The context menu for ``transfers``: the actions their states offer (not yet shown)."""
        wanted = {name for t in transfers for name in STATE_ACTIONS.get(str(t.state), ())}
        menu = QMenu(self)
        for name in ACTION_ORDER:
            if name in wanted:
                if name == "remove" and menu.actions():
                    menu.addSeparator()
                menu.addAction(self._actions[name])
        return menu

    def clear_finished(self) -> None:
        """Remove done, failed and cancelled transfers from the list (their files stay)."""
        self._manager.clear_finished()
        self.model.refresh()

    def open_selected(self) -> None:
        """Open each selected finished download with the desktop's program for it."""
        for transfer in self._applicable("open"):
            self._open(location_of(transfer))

    def show_selected_in_folder(self) -> None:
        """Open the folder that holds each selected finished download (once per folder)."""
        folders: list[Path] = []
        for transfer in self._applicable("show_in_folder"):
            folder = location_of(transfer).parent
            if folder not in folders:
                folders.append(folder)
        for folder in folders:
            self._open(folder)

    def cancel_selected(self) -> None:
        for transfer in self._applicable("cancel"):
            self._manager.cancel(transfer.id)
        self.model.refresh()

    def retry_selected(self) -> None:
        for transfer in self._applicable("retry"):
            try:
                self._manager.retry(transfer.id)
            except (KeyError, ValueError, RuntimeError) as exc:  # busy destination, or it changed meanwhile
                self._say(f"Could not retry {transfer.request.name}: {exc}")
        self.model.refresh()

    def remove_selected(self) -> None:
        for transfer in self._applicable("remove"):
            try:
                self._manager.remove(transfer.id)
            except (KeyError, ValueError, RuntimeError) as exc:  # it started or vanished meanwhile
                self._say(f"Could not remove {transfer.request.name}: {exc}")
        self.model.refresh()

    def copy_selected_links(self) -> None:
        """Put the download links of the selected transfers on the clipboard, one a line."""
        links = [t.request.link for t in self.selected_transfers() if t.request.link]
        if links:
            QGuiApplication.clipboard().setText("\n".join(links))
        else:
            self._say("The selected downloads have no link to copy.")

    # -- reactions --------------------------------------------------------------------

    def _action(self, text: str, name: str, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"{name}Action")
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.table.addAction(action)
        handler = {
            "open": self.open_selected,
            "show_in_folder": self.show_selected_in_folder,
            "cancel": self.cancel_selected,
            "retry": self.retry_selected,
            "remove": self.remove_selected,
            "copy_link": self.copy_selected_links,
        }[name]
        action.triggered.connect(lambda _checked=False: handler())
        return action

    def _applicable(self, name: str) -> list[Transfer]:
        return [t for t in self.selected_transfers() if name in STATE_ACTIONS.get(str(t.state), ())]

    def _update_actions(self) -> None:
        selected = self.selected_transfers()
        offered = {name for t in selected for name in STATE_ACTIONS.get(str(t.state), ())}
        for name, action in self._actions.items():
            if name == "copy_link":
                action.setEnabled(any(t.request.link for t in selected))
            else:
                action.setEnabled(name in offered)

    def _on_updated(self) -> None:
        self._update_actions()
        counts: dict[str, int] = {}
        for transfer in self.model.transfers():
            counts[str(transfer.state)] = counts.get(str(transfer.state), 0) + 1
        parts = [f"{counts[state]} {label}" for state, label in (
            (RUNNING, "running"), (QUEUED, "queued"), (DONE, "done"), (FAILED, "failed"), (CANCELLED, "cancelled")
        ) if counts.get(state)]
        self.summary_label.setText(" · ".join(parts) if parts else "No downloads yet.")
        self.clear_button.setEnabled(any(counts.get(s) for s in (DONE, FAILED, CANCELLED)))

    def _set_max_parallel(self, value: int) -> None:
        self._manager.max_parallel = int(value)
        if self._settings is not None:
            self._settings.set_max_parallel_transfers(int(value))

    def _trigger_default(self) -> None:
        if self.open_action.isEnabled():
            self.open_selected()

    def _open(self, path: Path) -> None:
        if not path.exists():
            self._say(f"{path} no longer exists: it was moved or deleted.")
            return
        if not self._opener(QUrl.fromLocalFile(str(path))):
            self._say(f"No program could open {path}.")

    def _say(self, text: str) -> None:
        log.info("%s", text)
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _context_menu(self, pos: QPoint) -> None:
        if not self.table.indexAt(pos).isValid():
            return
        transfers = self.selected_transfers()
        if not transfers:
            return
        menu = self.menu_for(transfers)
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()
