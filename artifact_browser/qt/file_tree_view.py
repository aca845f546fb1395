"""The file tree of a directory artifact: a filter box above a lazily filled tree."""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelectionModel, QLocale, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import ApiError, Artifact, ArtifactFile, DioptraClient
from artifact_browser.core.units import format_size
from artifact_browser.qt.file_tree_model import Column, FileTreeLoader, FileTreeModel, LoadedTree, Role

log = logging.getLogger(__name__)

FILTER_DELAY_MS = 250
"""Typing pauses this long before the tree is filtered."""

EXPAND_ALL_MAX_NODES = 2_000
"""A filtered tree this small is shown fully expanded, so every match is in sight."""


class FileTreeView(QWidget):
    """Browse the files of one directory artifact.

    Args:
        client: The signed-in client that lists files (may be set later with :meth:`set_client`).
        parent: The parent widget.

    Signals:
        file_selected(Artifact, ArtifactFile): The current row became a file.
        folder_selected(Artifact, ArtifactFile): The current row became a folder
            (``is_dir`` True, ``file_size`` the folder's total).
        file_activated(Artifact, ArtifactFile): Enter or a double click on a file.
    """

    file_selected = Signal(object, object)
    folder_selected = Signal(object, object)
    file_activated = Signal(object, object)

    def __init__(self, client: DioptraClient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._artifact: Artifact | None = None

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("fileFilter")
        self.filter_edit.setPlaceholderText("Filter files: text, or a pattern like *.png")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip(
            "Keeps files whose path contains the text (any case), with their folders.\n"
            "* and ? are wildcards for a whole name or path: *.json, pred_0*"
        )

        self.model = FileTreeModel(self)
        self.loader = FileTreeLoader(self.model, self)

        self.tree = QTreeView(self)
        self.tree.setObjectName("fileTree")
        self.tree.setModel(self.model)
        # Equal row heights let the view skip measuring every row: needed for 100,000 files.
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.tree.header()
        header.setStretchLastSection(False)
        # Stretch and fixed widths: "resize to contents" would measure every fetched row.
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.SIZE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(Column.SIZE, self.fontMetrics().horizontalAdvance("999.9 MiB · 100,000 files") + 24)

        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("fileTreeBusy")
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(80)
        self.busy_bar.setMaximumHeight(self.fontMetrics().height())
        self.busy_bar.hide()
        self.status_label = QLabel(self)
        self.status_label.setObjectName("fileTreeStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # server messages are not markup
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.retry_button = QToolButton(self)
        self.retry_button.setText("Retry")
        self.retry_button.hide()
        self.retry_button.clicked.connect(self.reload)

        status_row = QHBoxLayout()
        status_row.setContentsMargins(0, 0, 0, 0)
        status_row.addWidget(self.busy_bar)
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addLayout(status_row)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_edit.textChanged.connect(lambda _text: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self._apply_filter)  # Enter filters at once

        self.copy_path_action = QAction("Copy path", self)
        self.copy_path_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_path_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_path_action.triggered.connect(self.copy_current_path)
        self.tree.addAction(self.copy_path_action)
        clear_filter = QAction(self.filter_edit)
        clear_filter.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear_filter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear_filter.triggered.connect(self.filter_edit.clear)
        self.filter_edit.addAction(clear_filter)

        # QTreeView fetches more rows only for the root and for the very last expanded
        # folder; a large folder higher up would stop at its first batch. So whenever
        # a folder's last fetched row comes into sight, the next batch is fetched.
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(0)  # after the view has laid out what changed
        self._fetch_timer.timeout.connect(self._fetch_visible)
        # Through a slot that drops the signals' arguments: QTimer.start(int) would take
        # a scroll value or a row number for its interval.
        self.tree.verticalScrollBar().valueChanged.connect(self._schedule_fetch)
        self.tree.verticalScrollBar().rangeChanged.connect(self._schedule_fetch)
        self.tree.expanded.connect(self._schedule_fetch)
        self.model.rowsInserted.connect(self._schedule_fetch)

        self.loader.busy_changed.connect(self._busy_changed)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.filtered.connect(self._on_filtered)
        self.loader.failed.connect(self._on_failed)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.activated.connect(self._activated)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self._set_status("")

    # -- public ---------------------------------------------------------------------

    @property
    def artifact(self) -> Artifact | None:
        """The directory artifact shown (None when nothing is)."""
        return self._artifact

    def set_client(self, client: DioptraClient | None) -> None:
        """Use another signed-in client (after signing in again); shows nothing until the next artifact."""
        self._client = client
        self.clear()

    def show_artifact(self, artifact: Artifact | None) -> None:
        """Show the files of ``artifact`` (fetched off the GUI thread); a single file or None shows none.

        The filter text stays, so the same filter applies to the next directory.
        """
        self._artifact = artifact
        self.loader.clear()
        if artifact is None:
            self._set_status("")
        elif not artifact.is_dir:
            self._set_status(f"{artifact.name} is a single file, not a directory.")
        elif self._client is None:
            self._set_status("Not signed in.")
        else:
            self._set_status("Loading files…")
            self.loader.load(self._client, artifact)

    def reload(self) -> None:
        """Fetch the listing of the shown artifact again."""
        self.show_artifact(self._artifact)

    def clear(self) -> None:
        self.show_artifact(None)

    def current_file(self) -> ArtifactFile | None:
        """The current row as a listing entry (a folder with its total size), or None."""
        index = self.tree.currentIndex()
        return index.data(Role.ARTIFACT_FILE) if index.isValid() else None

    def select_path(self, path: str) -> bool:
        """Make ``path`` the current row (expanding its folders); False if the shown tree lacks it."""
        index = self.model.index_for_path(path)
        if not index.isValid():
            return False
        parent = index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.setCurrentIndex(index)
        self.tree.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.tree.scrollTo(index)
        return True

    def copy_current_path(self) -> None:
        """Put the current row's relative path on the clipboard."""
        index = self.tree.currentIndex()
        if index.isValid():
            QGuiApplication.clipboard().setText(index.data(Role.PATH))

    # -- reactions ------------------------------------------------------------------

    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        self.loader.set_filter(self.filter_edit.text())
        if self.loader.is_busy and self._artifact is not None and self.loader.result is not None:
            self._set_status("Filtering…")

    def _schedule_fetch(self, *_args: object) -> None:
        self._fetch_timer.start()

    def _fetch_visible(self) -> None:
        """Fetch the next batch of a folder whose last fetched row is on screen."""
        bottom = self.tree.viewport().height()
        index = self.tree.indexAt(QPoint(1, 1))
        while index.isValid() and self.tree.visualRect(index).top() <= bottom:
            parent = index.parent()
            if index.row() == self.model.rowCount(parent) - 1 and self.model.canFetchMore(parent):
                self.model.fetchMore(parent)  # its rowsInserted brings us back for the next look
                return
            index = self.tree.indexBelow(index)

    def _busy_changed(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)

    def _on_loaded(self, result: LoadedTree) -> None:
        self._show_result(result)

    def _on_filtered(self, result: LoadedTree) -> None:
        self._show_result(result)

    def _show_result(self, result: LoadedTree) -> None:
        if result.pattern and self.model.fetch_all(EXPAND_ALL_MAX_NODES):
            self.tree.expandAll()
        self._set_status(self._summary(result))

    def _summary(self, result: LoadedTree) -> str:
        locale = QLocale()
        full = result.full
        total = f"{locale.toString(full.file_count)} {'file' if full.file_count == 1 else 'files'}"
        if full.file_count == 0:
            return "The directory is empty."
        if not result.pattern:
            return f"{total} · {format_size(full.total_size)}"
        shown = result.shown.file_count
        if shown == 0:
            return f"No file matches “{result.pattern}” (of {total})."
        return f"{locale.toString(shown)} of {total} match · {format_size(result.shown.total_size)}"

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ApiError):
            log.warning("Listing the files of artifact %s failed: %s", getattr(self._artifact, "id", "?"), exc)
            message = exc.message
        else:
            log.error("Unexpected failure while building a file tree", exc_info=exc)
            message = f"Unexpected error: {exc}"
        self._set_status(f"Could not list the files: {message}", error=True)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))
        self.status_label.setStyleSheet("color: #b00020;" if error else "")
        self.retry_button.setVisible(error)

    def _entry(self, index: QModelIndex) -> ArtifactFile | None:
        return index.data(Role.ARTIFACT_FILE) if index.isValid() else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self._entry(current)
        if entry is None or self._artifact is None:
            return
        (self.folder_selected if entry.is_dir else self.file_selected).emit(self._artifact, entry)

    def _activated(self, index: QModelIndex) -> None:
        entry = self._entry(index)
        if entry is not None and not entry.is_dir and self._artifact is not None:
            self.file_activated.emit(self._artifact, entry)

    def _context_menu(self, pos) -> None:  # noqa: ANN001 - a QPoint
        if not self.tree.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.addAction(self.copy_path_action)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
