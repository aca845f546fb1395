"""The tree left of the table: "All artifacts", then the user's groups and, under each, its jobs.

Groups come from ``/users/current``. A group's jobs are fetched only when it is
expanded (``canFetchMore``/``fetchMore``), newest first, one page at a time; while a
page is on its way the group shows a "Loading…" row, and when more jobs remain it
ends with a "Show more jobs…" row. Failures become a row that says what went wrong
(activating it retries) and an :attr:`GroupJobTreeModel.error` signal, never a dialog.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from artifact_browser.api import ApiError, DioptraClient, GroupRef, Job, Page, User
from artifact_browser.qt.artifact_pager import Scope
from artifact_browser.qt.artifact_table_model import format_datetime
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

_AnyIndex = QModelIndex | QPersistentModelIndex

JOBS_PER_FETCH: Final = 50
# "id" is the honest "newest first": the server sorts "createdOn" by the latest edit.
JOB_SORT_KEY: Final = "id"


class TreeColumn(IntEnum):
    """The tree's columns."""

    NAME = 0
    STATUS = 1
    EXPERIMENT = 2


class ItemKind(IntEnum):
    """What a row stands for."""

    ALL = 0
    GROUP = 1
    JOB = 2
    LOADING = 3
    MORE = 4
    ERROR = 5
    EMPTY = 6


PLACEHOLDER_KINDS: Final = frozenset({ItemKind.LOADING, ItemKind.MORE, ItemKind.ERROR, ItemKind.EMPTY})


class TreeRole(IntEnum):
    """Custom data roles (any column).

    KIND gives the row's :class:`ItemKind`; GROUP the :class:`GroupRef` of a group row
    or of a job's group; JOB the :class:`Job` of a job row; SCOPE the table
    :class:`~artifact_browser.qt.artifact_pager.Scope` the row selects (None for
    placeholder rows).
    """

    KIND = Qt.ItemDataRole.UserRole + 1
    GROUP = Qt.ItemDataRole.UserRole + 2
    JOB = Qt.ItemDataRole.UserRole + 3
    SCOPE = Qt.ItemDataRole.UserRole + 4


HEADERS: Final = {TreeColumn.NAME: "Name", TreeColumn.STATUS: "Status", TreeColumn.EXPERIMENT: "Experiment"}

# One colour per job status, readable on light and dark backgrounds.
STATUS_COLOURS: Final = {
    "queued": "#8a8f98",
    "started": "#1e88e5",
    "deferred": "#f39c12",
    "finished": "#2e9d48",
    "failed": "#d93025",
}


@dataclass(eq=False)
class _Node:
    kind: ItemKind
    parent: _Node | None
    row: int
    group: GroupRef | None = None
    job: Job | None = None
    text: str = ""
    children: list[_Node] = field(default_factory=list)
    node_id: int = 0
    # Group nodes: paging state of the group's jobs.
    loaded: int = 0
    total: int | None = None
    complete: bool = False
    loading: bool = False
    failed: bool = False

    @property
    def placeholder(self) -> _Node | None:
        if self.children and self.children[-1].kind in PLACEHOLDER_KINDS:
            return self.children[-1]
        return None


class GroupJobTreeModel(QAbstractItemModel):
    """The user's groups and their jobs, fetched lazily through workers.

    Args:
        client: A signed-in client; used only on worker threads.
        parent: The owner.
        jobs_per_fetch: Jobs fetched each time a group is expanded or asks for more.

    Signals:
        error(str): A request failed (expected failures included); show it inline.
        groups_loaded(): The groups have arrived (the tree's top level is complete).
        jobs_loaded(QModelIndex): A page of a group's jobs has arrived under that group index.
    """

    error = Signal(str)
    groups_loaded = Signal()
    jobs_loaded = Signal(QModelIndex)

    def __init__(self, client: DioptraClient, parent: QObject | None = None, *, jobs_per_fetch: int = JOBS_PER_FETCH) -> None:
        super().__init__(parent)
        self._client = client
        self._jobs_per_fetch = max(1, min(1000, jobs_per_fetch))
        self._ids = itertools.count(1)
        self._nodes: dict[int, _Node] = {}
        self._root = _Node(ItemKind.ALL, None, -1)
        self._runners: dict[int, TaskRunner] = {}  # group node id -> its jobs runner
        self._retired: list[TaskRunner] = []
        self._icons: dict[str, QIcon] = {}
        # True while rows change: views and testers probe the model from the change
        # signals, and a fetch started then would nest one change in another.
        self._changing = False
        self._groups_runner = TaskRunner(self)
        self._groups_runner.finished.connect(self._on_groups)
        self._groups_runner.failed.connect(self._on_groups_failed)
        self._build([], loading=False)

    # -- what the rest of the program uses ---------------------------------------------

    def reload(self) -> None:
        """Fetch the user's groups again; the tree shows "Loading…" under "All artifacts" meanwhile."""
        self._build([], loading=True)
        client = self._client
        self._groups_runner.start(lambda token: client.users.current())

    def set_groups(self, groups: tuple[GroupRef, ...] | list[GroupRef]) -> None:
        """Show these groups (e.g. from the user signed in a moment ago) without a request."""
        self._groups_runner.cancel()
        self._build(list(groups), loading=False)
        self.groups_loaded.emit()

    def kind(self, index: _AnyIndex) -> ItemKind | None:
        node = self._node(index)
        return None if node is None else node.kind

    def scope_at(self, index: _AnyIndex) -> Scope | None:
        """The table scope a row selects, or None for a placeholder row."""
        node = self._node(index)
        if node is None:
            return None
        if node.kind is ItemKind.ALL:
            return Scope.all()
        if node.kind is ItemKind.GROUP and node.group is not None:
            return Scope.group(node.group.id)
        if node.kind is ItemKind.JOB and node.job is not None:
            return Scope.job(node.job.id)
        return None

    def activate(self, index: _AnyIndex) -> bool:
        """Act on a placeholder row: "Show more jobs…" fetches more, an error row retries.

        Returns:
            True if the row was such a placeholder.
        """
        node = self._node(index)
        if node is None or node.kind not in (ItemKind.MORE, ItemKind.ERROR) or node.parent is None:
            return False
        group = node.parent
        if group.kind is ItemKind.GROUP:
            group.failed = False
            self._fetch_jobs(group)
        else:  # the groups themselves failed to load
            self.reload()
        return True

    def index_for_group(self, group_id: int) -> QModelIndex:
        """The row of the group ``group_id`` (invalid if the user is not in it)."""
        for node in self._root.children:
            if node.kind is ItemKind.GROUP and node.group is not None and node.group.id == group_id:
                return self.createIndex(node.row, 0, node.node_id)
        return QModelIndex()

    def index_for_job(self, job_id: int) -> QModelIndex:
        """The row of job ``job_id`` if its group has loaded it (invalid otherwise)."""
        for group in self._root.children:
            for node in group.children:
                if node.kind is ItemKind.JOB and node.job is not None and node.job.id == job_id:
                    return self.createIndex(node.row, 0, node.node_id)
        return QModelIndex()

    def all_index(self) -> QModelIndex:
        """The "All artifacts" row."""
        return self.index(0, 0)

    # -- QAbstractItemModel ------------------------------------------------------------

    def index(self, row: int, column: int, parent: _AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        owner = self._node(parent) if parent.isValid() else self._root
        if owner is None or not 0 <= row < len(owner.children):
            return QModelIndex()
        return self.createIndex(row, column, owner.children[row].node_id)

    def parent(self, index: _AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008  # type: ignore[override]
        node = self._node(index)
        if node is None or node.parent is None or node.parent is self._root:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent.node_id)

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid() and parent.column() != 0:
            return 0
        owner = self._node(parent) if parent.isValid() else self._root
        return 0 if owner is None else len(owner.children)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(TreeColumn)

    def hasChildren(self, parent: _AnyIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        if not parent.isValid():
            return bool(self._root.children)
        if parent.column() != 0:
            return False
        node = self._node(parent)
        if node is None:
            return False
        if node.kind is ItemKind.GROUP:
            return True  # jobs are fetched on expansion; the arrow must show before that
        return bool(node.children)

    def canFetchMore(self, parent: _AnyIndex) -> bool:  # noqa: N802
        node = self._node(parent) if parent.isValid() else None
        if node is None or node.kind is not ItemKind.GROUP or parent.column() != 0:
            return False
        # After a failure, wait for the user to retry: views ask again and again.
        return not (self._changing or node.complete or node.loading or node.failed)

    def fetchMore(self, parent: _AnyIndex) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            node = self._node(parent)
            assert node is not None
            self._fetch_jobs(node)

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        node = self._node(index)
        if node is None:
            return Qt.ItemFlag.NoItemFlags
        if node.kind in (ItemKind.LOADING, ItemKind.EMPTY):
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if node.kind not in (ItemKind.ALL, ItemKind.GROUP):
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(TreeColumn):
            return HEADERS[TreeColumn(section)]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self._node(index)
        if node is None:
            return None
        column = TreeColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(node, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(node, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.ItemDataRole.FontRole and node.kind in PLACEHOLDER_KINDS:
            font = QApplication.font()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and node.kind in PLACEHOLDER_KINDS:
            if node.kind is ItemKind.ERROR:
                return QBrush(QColor("#b00020"))
            return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == TreeRole.KIND:
            return node.kind
        if role == TreeRole.GROUP:
            return node.group
        if role == TreeRole.JOB:
            return node.job
        if role == TreeRole.SCOPE:
            return self.scope_at(index)
        return None

    # -- fetching ----------------------------------------------------------------------

    def _fetch_jobs(self, group: _Node) -> None:
        assert group.group is not None
        group.loading = True
        self._set_placeholder(group, ItemKind.LOADING, "Loading jobs…")
        runner = self._runners.get(group.node_id)
        if runner is None:
            runner = TaskRunner(self)
            node_id = group.node_id
            runner.finished.connect(lambda page, node_id=node_id: self._on_jobs(node_id, page))
            runner.failed.connect(lambda exc, node_id=node_id: self._on_jobs_failed(node_id, exc))
            self._runners[group.node_id] = runner
        client, group_id, index, length = self._client, group.group.id, group.loaded, self._jobs_per_fetch
        runner.start(
            lambda token: client.jobs.get(
                group_id=group_id, index=index, page_length=length, sort_by=JOB_SORT_KEY, descending=True
            )
        )

    def _on_jobs(self, node_id: int, page: Page[Job]) -> None:
        group = self._nodes.get(node_id)
        if group is None:  # the tree was rebuilt meanwhile
            return
        group.total = page.total
        self._remove_placeholder(group)
        known = {n.job.id for n in group.children if n.job is not None}
        # Jobs created since the last page shift the offsets; never list a job twice.
        fresh = [job for job in page.items if job.id not in known]
        group.loaded += len(page.items)
        group.complete = page.is_complete or not page.items
        parent_index = self.createIndex(group.row, 0, group.node_id)
        if fresh:
            first = len(group.children)
            self.beginInsertRows(parent_index, first, first + len(fresh) - 1)
            for offset, job in enumerate(fresh):
                self._add(ItemKind.JOB, group, first + offset, group=job.group, job=job)
            self.endInsertRows()
        if not group.complete:
            remaining = max(0, page.total - group.loaded)
            self._set_placeholder(group, ItemKind.MORE, f"Show more jobs… ({QLocale().toString(remaining)} more)")
        elif not any(n.kind is ItemKind.JOB for n in group.children):
            self._set_placeholder(group, ItemKind.EMPTY, "No jobs")
        group.loading = False  # only now: views ask for more while the rows above change
        self.jobs_loaded.emit(parent_index)

    def _on_jobs_failed(self, node_id: int, exc: object) -> None:
        group = self._nodes.get(node_id)
        if group is None:
            return
        group.failed = True
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        if not isinstance(exc, ApiError):
            log.error("Unexpected failure while loading jobs", exc_info=exc if isinstance(exc, BaseException) else None)
        self._set_placeholder(group, ItemKind.ERROR, f"Could not load jobs: {message} (activate to retry)")
        group.loading = False
        self.error.emit(f"Could not load the jobs of {group.group.name if group.group else 'the group'}: {message}")

    def _on_groups(self, user: User) -> None:
        self._build(list(user.groups), loading=False)
        self.groups_loaded.emit()

    def _on_groups_failed(self, exc: object) -> None:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        if not isinstance(exc, ApiError):
            log.error("Unexpected failure while loading groups", exc_info=exc if isinstance(exc, BaseException) else None)
        all_node = self._root.children[0]
        self._set_placeholder(all_node, ItemKind.ERROR, f"Could not load your groups: {message} (activate to retry)")
        self.error.emit(f"Could not load your groups: {message}")

    # -- the node tree -------------------------------------------------------------------

    def _build(self, groups: list[GroupRef], *, loading: bool) -> None:
        self._changing = True
        self.beginResetModel()
        for runner in self._runners.values():
            # Cancelled, not deleted: a request still running must find its runner alive.
            runner.cancel()
            self._retired.append(runner)
        self._runners.clear()
        self._nodes.clear()
        self._root.children.clear()
        all_node = self._add(ItemKind.ALL, self._root, 0, text="All artifacts")
        if loading:
            self._add(ItemKind.LOADING, all_node, 0, text="Loading groups…")
        for row, group in enumerate(groups, start=1):
            self._add(ItemKind.GROUP, self._root, row, group=group, text=group.name)
        self.endResetModel()
        self._changing = False

    def _add(self, kind: ItemKind, parent: _Node, row: int, **values: Any) -> _Node:
        node = _Node(kind, parent, row, node_id=next(self._ids), **values)
        parent.children.insert(row, node)
        self._nodes[node.node_id] = node
        return node

    def _set_placeholder(self, owner: _Node, kind: ItemKind, text: str) -> None:
        """Make ``owner``'s last row a placeholder of ``kind`` showing ``text``."""
        parent_index = self._index_of(owner)
        current = owner.placeholder
        if current is not None and current.kind is kind:
            current.text = text
            changed = self.createIndex(current.row, 0, current.node_id)
            self.dataChanged.emit(changed, changed.siblingAtColumn(len(TreeColumn) - 1))
            return
        self._remove_placeholder(owner)
        row = len(owner.children)
        self.beginInsertRows(parent_index, row, row)
        self._add(kind, owner, row, text=text)
        self.endInsertRows()

    def _remove_placeholder(self, owner: _Node) -> None:
        current = owner.placeholder
        if current is None:
            return
        self.beginRemoveRows(self._index_of(owner), current.row, current.row)
        owner.children.pop()
        self._nodes.pop(current.node_id, None)
        self.endRemoveRows()

    def _index_of(self, node: _Node) -> QModelIndex:
        if node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node.node_id)

    def _node(self, index: _AnyIndex) -> _Node | None:
        if not index.isValid() or index.model() is not self:
            return None
        return self._nodes.get(index.internalId())

    # -- presentation ------------------------------------------------------------------

    @staticmethod
    def _display(node: _Node, column: TreeColumn) -> str | None:
        if node.kind is ItemKind.JOB and node.job is not None:
            job = node.job
            if column is TreeColumn.NAME:
                return f"#{job.id}  {job.description or '(no description)'}"
            if column is TreeColumn.STATUS:
                return job.status
            return job.experiment.name if job.experiment else ""
        return node.text if column is TreeColumn.NAME else ""

    def _decoration(self, node: _Node, column: TreeColumn) -> QIcon | None:
        if node.kind is ItemKind.JOB and node.job is not None:
            # On the name, so the status shows even when the tree is too narrow for its column.
            return self._status_icon(node.job.status) if column is TreeColumn.NAME else None
        if column is not TreeColumn.NAME:
            return None
        style = QApplication.style()
        if node.kind is ItemKind.ALL:
            return style.standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon)
        if node.kind is ItemKind.GROUP:
            return style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        if node.kind is ItemKind.ERROR:
            return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None

    def _status_icon(self, status: str) -> QIcon:
        icon = self._icons.get(status)
        if icon is None:
            icon = status_icon(status)
            self._icons[status] = icon
        return icon

    @staticmethod
    def _tooltip(node: _Node) -> str | None:
        if node.kind is ItemKind.JOB and node.job is not None:
            job = node.job
            lines = [f"Job {job.id}: {job.description or '(no description)'}", f"Status: {job.status}"]
            if job.experiment:
                lines.append(f"Experiment: {job.experiment.name}")
            if job.entrypoint:
                lines.append(f"Entrypoint: {job.entrypoint.name}")
            if job.created_on:
                lines.append(f"Created: {format_datetime(job.created_on)}")
            count = len(job.artifacts)
            lines.append(f"{count} output artifact" + ("" if count == 1 else "s"))
            return "\n".join(lines)
        if node.kind is ItemKind.GROUP and node.group is not None:
            if node.total is None:
                return f"Group {node.group.name}: select to list its artifacts, expand for its jobs"
            return f"Group {node.group.name}: {QLocale().toString(node.total)} jobs"
        if node.kind is ItemKind.ALL:
            return "Every artifact you can see on this server"
        return node.text or None


def status_icon(status: str, size: int = 16) -> QIcon:
    """A disc in the status's colour, with a mark a colour-blind user can tell apart."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(STATUS_COLOURS.get(status, "#8a8f98"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    margin = size * 0.1
    painter.drawEllipse(int(margin), int(margin), int(size - 2 * margin), int(size - 2 * margin))
    pen = QPen(QColor("white"))
    pen.setWidthF(max(1.5, size / 9))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    s = size
    if status == "finished":  # a tick
        painter.drawPolyline([_pt(s, 0.30, 0.52), _pt(s, 0.45, 0.67), _pt(s, 0.72, 0.36)])
    elif status == "failed":  # a cross
        painter.drawLine(_pt(s, 0.34, 0.34), _pt(s, 0.66, 0.66))
        painter.drawLine(_pt(s, 0.66, 0.34), _pt(s, 0.34, 0.66))
    elif status == "started":  # a play triangle
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("white"))
        painter.drawPolygon([_pt(s, 0.40, 0.30), _pt(s, 0.72, 0.50), _pt(s, 0.40, 0.70)])
    elif status == "deferred":  # a pause sign
        painter.drawLine(_pt(s, 0.40, 0.32), _pt(s, 0.40, 0.68))
        painter.drawLine(_pt(s, 0.60, 0.32), _pt(s, 0.60, 0.68))
    else:  # queued: an ellipsis
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("white"))
        for x in (0.30, 0.50, 0.70):
            painter.drawEllipse(_pt(s, x, 0.50), s * 0.06, s * 0.06)
    painter.end()
    return QIcon(pixmap)


def _pt(size: int, x: float, y: float) -> QPointF:
    return QPointF(size * x, size * y)
