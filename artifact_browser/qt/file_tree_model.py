"""The file tree of a directory artifact as a Qt item model, filled lazily.

:class:`FileTreeModel` shows a finished :class:`~artifact_browser.core.file_tree.FileTree`
and hands a view its children in batches (``canFetchMore``/``fetchMore``), so a
folder of 100,000 files costs the GUI thread no more than a folder of 1,000.

:class:`FileTreeLoader` does the slow part off the GUI thread: it fetches the
listing, builds the tree and filters it in a :class:`TaskRunner`, and only
swaps the finished tree into the model (one reset).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from artifact_browser.api import Artifact, ArtifactFile, DioptraClient
from artifact_browser.core.file_tree import ROOT, FileTree, build_tree, filter_tree
from artifact_browser.core.units import format_size
from artifact_browser.qt.workers import CancelToken, TaskRunner

log = logging.getLogger(__name__)

_AnyIndex = QModelIndex | QPersistentModelIndex

FETCH_BATCH = 500
"""Children handed to a view per ``fetchMore``: a screenful many times over, cheap to insert."""


class Column(IntEnum):
    """The tree's columns, in display order."""

    NAME = 0
    SIZE = 1


class Role(IntEnum):
    """Custom data roles (the same for every column of a row).

    NODE gives the row's :class:`~artifact_browser.core.file_tree.FileNode`;
    PATH its relative path; IS_DIR whether it is a folder; RAW_SIZE its size
    (a folder's total) as an int or None, for sorting on values; ARTIFACT_FILE
    the row as an :class:`ArtifactFile` (a folder carries its total size).
    """

    NODE = Qt.ItemDataRole.UserRole + 1
    PATH = Qt.ItemDataRole.UserRole + 2
    IS_DIR = Qt.ItemDataRole.UserRole + 3
    RAW_SIZE = Qt.ItemDataRole.UserRole + 4
    ARTIFACT_FILE = Qt.ItemDataRole.UserRole + 5


HEADERS: dict[Column, str] = {Column.NAME: "Name", Column.SIZE: "Size"}

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# Combined once: a view asks for flags twice per row on every layout, and combining
# Python enum flags costs more than the rest of the call.
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_FOLDER_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FILE_FLAGS = _FOLDER_FLAGS | Qt.ItemFlag.ItemNeverHasChildren  # lets a view skip asking a file for children
_COLUMNS = len(Column)


def folder_size_text(size: int | None, files: int, locale: QLocale | None = None) -> str:
    """A folder's Size cell: its total and how many files it holds (``"1.2 MiB · 200 files"``)."""
    count = (locale or QLocale()).toString(files)
    return f"{format_size(size or 0)} · {count} {'file' if files == 1 else 'files'}"


class FileTreeModel(QAbstractItemModel):
    """A :class:`FileTree` for a view: name and size columns, children fetched in batches.

    Each index carries its node number as ``internalId``, so no Python object
    has to outlive the tree for an index to stay valid.

    Args:
        parent: The owning QObject.
        batch: Children added per ``fetchMore``.
    """

    def __init__(self, parent: QObject | None = None, *, batch: int = FETCH_BATCH) -> None:
        super().__init__(parent)
        self._tree: FileTree | None = None
        self._batch = max(1, batch)
        # node -> how many of its children the view has been given so far
        self._loaded: dict[int, int] = {}
        self._locale = QLocale()
        self._icons: tuple[QIcon, QIcon] | None = None  # (folder, file), taken from the style on first use

    # -- what it shows -----------------------------------------------------------------

    @property
    def tree(self) -> FileTree | None:
        return self._tree

    def set_tree(self, tree: FileTree | None) -> None:
        """Show ``tree`` (None shows nothing); views start with nothing expanded."""
        self.beginResetModel()
        self._tree = tree
        self._loaded = {}
        self.endResetModel()

    def node_id(self, index: _AnyIndex) -> int:
        """The node number behind ``index``; the root for an invalid index."""
        return index.internalId() if index.isValid() else ROOT

    def index_of(self, node: int, column: int = 0) -> QModelIndex:
        """The index of node ``node``, fetching the batches that lead to it; invalid for the root."""
        tree = self._tree
        if tree is None or node == ROOT or not 0 < node < len(tree):
            return QModelIndex()
        parent = tree.parent(node)
        parent_index = self.index_of(parent)
        row = tree.row(node)
        while self._loaded.get(parent, 0) <= row:
            self.fetchMore(parent_index)
        return self.createIndex(row, column, node)

    def index_for_path(self, path: str, column: int = 0) -> QModelIndex:
        """The index of a relative path, or an invalid index when the tree has no such path."""
        node = self._tree.find(path) if self._tree is not None else None
        return self.index_of(node, column) if node is not None else QModelIndex()

    def fetch_all(self, max_nodes: int) -> bool:
        """Hand the view every row at once, if the tree has at most ``max_nodes`` nodes.

        For small (say, filtered) trees a view can then expand everything.

        Returns:
            Whether everything is now fetched.
        """
        tree = self._tree
        if tree is None:
            return True
        if len(tree) > max_nodes:
            return False
        for node in tree.walk():
            if tree.is_dir(node) and self._loaded.get(node, 0) < tree.child_count(node):
                self.fetchMore(self.index_of(node))
                while self.canFetchMore(self.index_of(node)):
                    self.fetchMore(self.index_of(node))
        return True

    def _style_icons(self) -> tuple[QIcon, QIcon]:
        if self._icons is None:
            style = QApplication.style()
            self._icons = (
                style.standardIcon(QStyle.StandardPixmap.SP_DirIcon),
                style.standardIcon(QStyle.StandardPixmap.SP_FileIcon),
            )
        return self._icons

    # -- QAbstractItemModel ----------------------------------------------------------------

    def index(self, row: int, column: int, parent: _AnyIndex = QModelIndex()) -> QModelIndex:
        # Bounds checked here rather than with hasIndex(), which would call back into
        # rowCount() and columnCount(): a view calls index() for every row it lays out.
        tree = self._tree
        if tree is None or row < 0 or not 0 <= column < _COLUMNS:
            return QModelIndex()
        if parent.isValid():
            if parent.column() != 0:
                return QModelIndex()
            node = parent.internalId()
        else:
            node = ROOT
        if row >= self._loaded.get(node, 0):
            return QModelIndex()
        return self.createIndex(row, column, tree.child(node, row))

    def parent(self, index: _AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if self._tree is None or not index.isValid():
            return QModelIndex()
        parent = self._tree.parent(index.internalId())
        if parent <= ROOT:
            return QModelIndex()
        return self.createIndex(self._tree.row(parent), 0, parent)

    def sibling(self, row: int, column: int, index: _AnyIndex) -> QModelIndex:
        return self.index(row, column, self.parent(index))

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: N802
        if self._tree is None or parent.column() > 0:
            return 0
        return self._loaded.get(self.node_id(parent), 0)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return _COLUMNS

    def hasChildren(self, parent: _AnyIndex = QModelIndex()) -> bool:  # noqa: N802
        # True before the children are fetched, so a view draws the expander of a folder.
        if self._tree is None or parent.column() > 0:
            return False
        return self._tree.child_count(self.node_id(parent)) > 0

    def canFetchMore(self, parent: _AnyIndex) -> bool:  # noqa: N802
        if self._tree is None or parent.column() > 0:
            return False
        node = self.node_id(parent)
        return self._loaded.get(node, 0) < self._tree.child_count(node)

    def fetchMore(self, parent: _AnyIndex) -> None:  # noqa: N802
        if not self.canFetchMore(parent):
            return
        node = self.node_id(parent)
        loaded = self._loaded.get(node, 0)
        last = min(loaded + self._batch, self._tree.child_count(node)) - 1  # type: ignore[union-attr]
        self.beginInsertRows(parent, loaded, last)
        self._loaded[node] = last + 1
        self.endInsertRows()

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if self._tree is None or not index.isValid():
            return _NO_FLAGS
        return _FOLDER_FLAGS if self._tree.is_dir(index.internalId()) else _FILE_FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.SIZE:
            return _RIGHT
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        tree = self._tree
        if tree is None or not index.isValid():
            return None
        node = index.internalId()
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.NAME:
                return tree.name(node)
            if tree.is_dir(node):
                return folder_size_text(tree.size(node), tree.file_count_of(node), self._locale)
            return format_size(tree.size(node))
        if role == Qt.ItemDataRole.ToolTipRole:
            if tree.is_dir(node):
                return f"{tree.path(node)}/\n{folder_size_text(tree.size(node), tree.file_count_of(node), self._locale)}"
            size = tree.size(node)
            exact = f" ({self._locale.toString(size)} bytes)" if size is not None else ""
            return f"{tree.path(node)}\n{format_size(size)}{exact}"
        if role == Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            folder_icon, file_icon = self._style_icons()
            return folder_icon if tree.is_dir(node) else file_icon
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.SIZE:
            return _RIGHT
        if role == Role.NODE:
            return tree.node(node)
        if role == Role.PATH:
            return tree.path(node)
        if role == Role.IS_DIR:
            return tree.is_dir(node)
        if role == Role.RAW_SIZE:
            return tree.size(node)
        if role == Role.ARTIFACT_FILE:
            return tree.node(node).to_artifact_file()
        return None


@dataclass(frozen=True)
class LoadedTree:
    """What a :class:`FileTreeLoader` request produced.

    Attributes:
        artifact: The directory artifact (None for a listing handed in directly).
        full: The whole tree.
        shown: The tree after the filter (``full`` itself without one).
        pattern: The filter text ``shown`` was made with.
    """

    artifact: Artifact | None
    full: FileTree
    shown: FileTree
    pattern: str


class FileTreeLoader(QObject):
    """Fetches, builds and filters file trees off the GUI thread and feeds a :class:`FileTreeModel`.

    Loading and filtering are two channels (two :class:`TaskRunner` s): a new
    load supersedes the last load and any filtering; a new filter text
    supersedes the last filtering only. A filter set while a load runs is
    applied when the load finishes.

    Args:
        model: The model that shows the results.
        parent: The owner (a view); answers stop when it is destroyed.

    Signals:
        busy_changed(bool): Whether a load or a filtering is in flight.
        loaded(object): A :class:`LoadedTree`, after the model shows a new tree.
        filtered(object): A :class:`LoadedTree`, after the model shows a new filtering.
        failed(object): The exception of a failed load (listing or build).
    """

    busy_changed = Signal(bool)
    loaded = Signal(object)
    filtered = Signal(object)
    failed = Signal(object)

    def __init__(self, model: FileTreeModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._result: LoadedTree | None = None
        self._pattern = ""
        self._loader = TaskRunner(self)
        self._loader.finished.connect(self._on_loaded)
        self._loader.failed.connect(self._on_failed)
        self._loader.running_changed.connect(self._busy_changed)
        self._filterer = TaskRunner(self)
        self._filterer.finished.connect(self._on_filtered)
        self._filterer.failed.connect(self._on_failed)
        self._filterer.running_changed.connect(self._busy_changed)

    @property
    def result(self) -> LoadedTree | None:
        """What the model shows now (None before the first load or after :meth:`clear`)."""
        return self._result

    @property
    def pattern(self) -> str:
        return self._pattern

    @property
    def is_busy(self) -> bool:
        return self._loader.is_running or self._filterer.is_running

    def load(self, client: DioptraClient, artifact: Artifact) -> None:
        """Fetch the listing of a directory artifact and show its tree (current filter applied)."""
        pattern = self._pattern

        def work(token: CancelToken) -> LoadedTree:
            return _built(artifact, client.artifacts.get_files(artifact.id), pattern, token)

        self._start_load(work)

    def load_files(self, files: list[ArtifactFile], artifact: Artifact | None = None) -> None:
        """Show the tree of a listing already at hand (built off the GUI thread all the same)."""
        pattern = self._pattern
        self._start_load(lambda token: _built(artifact, files, pattern, token))

    def set_filter(self, pattern: str) -> None:
        """Filter the shown tree (off the GUI thread); ``""`` shows the whole tree."""
        if pattern == self._pattern:
            return
        self._pattern = pattern
        if self._loader.is_running or self._result is None:
            return  # the load in flight (or the next one) applies it
        full, artifact = self._result.full, self._result.artifact

        def work(token: CancelToken) -> LoadedTree:
            return LoadedTree(artifact, full, filter_tree(full, pattern), pattern)

        self._filterer.start(work)

    def cancel(self) -> None:
        """Stop any load or filtering in flight; the model keeps what it shows."""
        self._loader.cancel()
        self._filterer.cancel()

    def clear(self) -> None:
        """Stop all work and show nothing."""
        self.cancel()
        self._result = None
        self.model.set_tree(None)

    def _start_load(self, work: Any) -> None:
        self._filterer.cancel()
        self._loader.start(work)

    def _on_loaded(self, result: LoadedTree) -> None:
        self._result = result
        self.model.set_tree(result.shown)
        self.loaded.emit(result)
        if result.pattern != self._pattern:  # typed while the load ran
            pattern, full, artifact = self._pattern, result.full, result.artifact
            self._filterer.start(lambda token: LoadedTree(artifact, full, filter_tree(full, pattern), pattern))

    def _on_filtered(self, result: LoadedTree) -> None:
        if self._result is None or result.full is not self._result.full:
            return  # made for a tree that has been replaced since
        self._result = result
        self.model.set_tree(result.shown)
        self.filtered.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        self.failed.emit(exc)

    def _busy_changed(self, _running: bool) -> None:
        self.busy_changed.emit(self.is_busy)


def _built(artifact: Artifact | None, files: list[ArtifactFile], pattern: str, token: CancelToken) -> LoadedTree:
    """Build (and filter) a tree on a worker thread."""
    full = build_tree(files)
    if token.cancelled:
        return LoadedTree(artifact, full, full, "")  # superseded: the runner drops it anyway
    return LoadedTree(artifact, full, filter_tree(full, pattern), pattern)
