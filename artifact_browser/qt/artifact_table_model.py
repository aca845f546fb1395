"""The table of artifacts: one server page of :class:`~artifact_browser.api.Artifact` rows."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from artifact_browser.api import Artifact, Page
from artifact_browser.api.artifacts import SORT_KEYS as _SERVER_SORT_KEYS
from artifact_browser.core.units import format_size

_AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The table's columns, in display order."""

    ID = 0
    DESCRIPTION = 1
    JOB = 2
    TASK = 3
    TYPE = 4
    SIZE = 5
    CREATED = 6
    LAST_MODIFIED = 7
    URI = 8


class Role(IntEnum):
    """Custom data roles.

    RAW_VALUE gives what a column shows as a plain Python value (int, str, bool,
    aware datetime or None), for sorting and filtering on values rather than on
    display strings. ARTIFACT gives the row's :class:`Artifact`, whatever the column.
    """

    RAW_VALUE = Qt.ItemDataRole.UserRole + 1
    ARTIFACT = Qt.ItemDataRole.UserRole + 2


HEADERS: dict[Column, str] = {
    Column.ID: "ID",
    Column.DESCRIPTION: "Description",
    Column.JOB: "Job",
    Column.TASK: "Task",
    Column.TYPE: "Type",
    Column.SIZE: "Size",
    Column.CREATED: "Created",
    Column.LAST_MODIFIED: "Last modified",
    Column.URI: "URI",
}

SERVER_SORT_KEYS: dict[Column, str] = {
    Column.ID: "id",
    Column.DESCRIPTION: "description",
    Column.JOB: "job",
    Column.CREATED: "createdOn",
    Column.LAST_MODIFIED: "lastModifiedOn",
    Column.URI: "uri",
}
"""The server's sort key for each column it can sort; the other columns (task, type,
size) cannot be sorted by Dioptra 1.2.2, and sorting one page locally would mislead."""
assert set(SERVER_SORT_KEYS.values()) <= set(_SERVER_SORT_KEYS), "a sort key the server does not know"


def sort_key_for(column: int) -> str | None:
    """The server's sort key for ``column``, or None if the server cannot sort by it."""
    try:
        return SERVER_SORT_KEYS.get(Column(column))
    except ValueError:
        return None


def column_for_sort_key(key: str) -> Column | None:
    """The column the server sort key ``key`` belongs to, or None."""
    return next((column for column, known in SERVER_SORT_KEYS.items() if known == key), None)


def local_sort_value(artifact: Artifact, key: str) -> tuple[Any, ...]:
    """A value that orders ``artifact`` by the server sort key ``key``, for lists the
    server cannot sort (a job's artifacts).

    Missing values come first, as SQLite orders NULLs; the id breaks ties so the order
    is stable. ``createdOn`` orders by the creation time the table shows (the server
    itself orders it by the latest snapshot's time, which surprises users).
    """
    column = column_for_sort_key(key)
    if column is None:
        raise ValueError(f"unknown sort key {key!r}")
    value = raw_value(artifact, column)
    return (value is not None, value if value is not None else 0, artifact.id)


_NUMERIC = frozenset({Column.ID, Column.JOB, Column.SIZE})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def raw_value(artifact: Artifact, column: Column) -> Any:
    """The value ``column`` shows for ``artifact``, unformatted."""
    match column:
        case Column.ID:
            return artifact.id
        case Column.DESCRIPTION:
            return artifact.description or ""
        case Column.JOB:
            return artifact.job_id
        case Column.TASK:
            return artifact.task.name if artifact.task else ""
        case Column.TYPE:
            return artifact.is_dir
        case Column.SIZE:
            return artifact.file_size
        case Column.CREATED:
            return artifact.created_on
        case Column.LAST_MODIFIED:
            return artifact.last_modified_on
        case Column.URI:
            return artifact.artifact_uri
    raise ValueError(f"unknown column {column!r}")


def format_datetime(
    value: datetime | None,
    format_type: QLocale.FormatType = QLocale.FormatType.ShortFormat,
    locale: QLocale | None = None,
) -> str:
    """``value`` in the user's time zone and locale, or ``""`` when there is none."""
    if value is None:
        return ""
    # Via the epoch, so an aware UTC datetime becomes the same instant in local time.
    local = QDateTime.fromMSecsSinceEpoch(round(value.timestamp() * 1000))
    locale = locale or QLocale()
    if locale.language() == QLocale.Language.C:
        # The C/POSIX locale states no preference, and Qt's C format ("27 11 2026") reads
        # like a typo; ISO 8601 is unambiguous everywhere.
        short = format_type != QLocale.FormatType.LongFormat
        return local.toString("yyyy-MM-dd HH:mm" if short else "yyyy-MM-dd HH:mm:ss t")
    return locale.toString(local, format_type)


class ArtifactTableModel(QAbstractTableModel):
    """One page of artifacts, as :meth:`set_page` last received it.

    The model holds no connection: whoever fetches pages (through a worker)
    hands them over, so the model is as easy to test as a list.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._page: Page[Artifact] | None = None
        self._rows: tuple[Artifact, ...] = ()

    # -- what the rest of the program uses -------------------------------------------

    def set_page(self, page: Page[Artifact] | None) -> None:
        """Show ``page`` (None empties the table)."""
        self.beginResetModel()
        self._page = page
        self._rows = page.items if page is not None else ()
        self.endResetModel()

    @property
    def page(self) -> Page[Artifact] | None:
        return self._page

    @property
    def total(self) -> int:
        """How many artifacts the whole listing has (not only this page)."""
        return self._page.total if self._page is not None else 0

    def artifact(self, row: int) -> Artifact:
        """The artifact shown in ``row``."""
        return self._rows[row]

    # -- QAbstractTableModel ----------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        artifact = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(artifact, column)
        if role == Role.RAW_VALUE:
            return raw_value(artifact, column)
        if role == Role.ARTIFACT:
            return artifact
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(artifact, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in _NUMERIC else _LEFT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[Column(section)]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _RIGHT if Column(section) in _NUMERIC else _LEFT
            if role == Qt.ItemDataRole.ToolTipRole:
                if Column(section) in SERVER_SORT_KEYS:
                    return f"Click to sort all artifacts by {HEADERS[Column(section)].lower()} on the server"
                return "The server cannot sort by this column"
            return None
        return super().headerData(section, orientation, role)

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # -- formatting ---------------------------------------------------------------------

    @staticmethod
    def _display(artifact: Artifact, column: Column) -> str:
        match column:
            case Column.ID:
                return str(artifact.id)
            case Column.JOB:
                return "" if artifact.job_id is None else str(artifact.job_id)
            case Column.TYPE:
                return "Directory" if artifact.is_dir else "File"
            case Column.SIZE:
                return format_size(artifact.file_size)
            case Column.CREATED:
                return format_datetime(artifact.created_on)
            case Column.LAST_MODIFIED:
                return format_datetime(artifact.last_modified_on)
        return str(raw_value(artifact, column))

    @staticmethod
    def _tooltip(artifact: Artifact, column: Column) -> str | None:
        match column:
            case Column.SIZE if artifact.file_size is not None:
                return f"{QLocale().toString(artifact.file_size)} bytes"
            case Column.DESCRIPTION | Column.URI:
                text = str(raw_value(artifact, column))
                return text or None  # long values are elided in the view
            case Column.CREATED | Column.LAST_MODIFIED:
                return format_datetime(raw_value(artifact, column), QLocale.FormatType.LongFormat) or None
        return None
