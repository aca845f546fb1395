"""The one adapter over QSettings: what the program remembers between runs.

Every key, its type and its default live here, so the rest of the program asks
for ``settings.page_size()`` rather than spelling ``"table/pageSize"`` and
guessing what type comes back. Values are validated on the way out: a damaged
or hand-edited settings file, or one written by another version, yields the
default instead of an exception or a nonsense window.

No secret is ever stored here (passwords live in the OS keyring).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

from artifact_browser.api.artifacts import SORT_KEYS

log = logging.getLogger(__name__)

# The names that decide where the settings file lives; set here and nowhere else.
ORGANIZATION = "artifact-browser"
APPLICATION = "artifact-browser"

MIN_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

_WINDOW_GEOMETRY = "window/geometry"
_WINDOW_STATE = "window/state"
_SPLITTER = "splitters/{name}"
_HEADER = "headers/{name}"
_PAGE_SIZE = "table/pageSize"
_SORT_KEY = "table/sortKey"
_SORT_DESCENDING = "table/sortDescending"
_LAST_SEARCH = "table/lastSearch"
_LAST_DOWNLOAD_FOLDER = "downloads/lastFolder"
_LAST_DOWNLOAD_FORMAT = "downloads/lastFormat"
_MAX_PARALLEL_TRANSFERS = "downloads/maxParallel"

DOWNLOAD_FORMATS = ("tar_gz", "zip", "extract")
"""How a folder can be downloaded (the values of ``core.transfers.TransferKind`` for folders)."""
DEFAULT_DOWNLOAD_FORMAT = "tar_gz"
MIN_PARALLEL_TRANSFERS = 1
MAX_PARALLEL_TRANSFERS = 8
DEFAULT_PARALLEL_TRANSFERS = 2


@dataclass(frozen=True, slots=True)
class SortOrder:
    """A server-side sort: one of ``api.artifacts.SORT_KEYS`` and a direction."""

    key: str
    descending: bool


# Newest first: what a user looks for after a job has run. By id, because the
# server sorts "createdOn" by each artifact's latest edit, not its creation.
DEFAULT_SORT = SortOrder("id", descending=True)


def default_qsettings() -> QSettings:
    """The user's settings file: an INI file, readable and the same format on every platform."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


class Settings:
    """Typed access to the program's persistent settings.

    Args:
        qsettings: Where to read and write; tests pass a QSettings on a temporary
            file. By default, the user's own settings file (:func:`default_qsettings`).
    """

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings if qsettings is not None else default_qsettings()

    @property
    def qsettings(self) -> QSettings:
        """The underlying QSettings (for its file name in messages, or for sync)."""
        return self._q

    def sync(self) -> None:
        """Write pending changes to disk now (Qt also does it on exit)."""
        self._q.sync()

    # -- window -----------------------------------------------------------------------

    def window_geometry(self) -> QByteArray | None:
        """The main window's saved geometry (``QWidget.saveGeometry``), if any."""
        return self._bytes(_WINDOW_GEOMETRY)

    def set_window_geometry(self, geometry: QByteArray | bytes) -> None:
        self._q.setValue(_WINDOW_GEOMETRY, QByteArray(geometry))

    def window_state(self) -> QByteArray | None:
        """The main window's saved dock/toolbar state (``QMainWindow.saveState``), if any."""
        return self._bytes(_WINDOW_STATE)

    def set_window_state(self, state: QByteArray | bytes) -> None:
        self._q.setValue(_WINDOW_STATE, QByteArray(state))

    def save_window(self, window: QMainWindow) -> None:
        """Remember ``window``'s geometry and state (call it from ``closeEvent``)."""
        self.set_window_geometry(window.saveGeometry())
        self.set_window_state(window.saveState())

    def restore_window(self, window: QMainWindow) -> bool:
        """Give ``window`` its saved geometry and state; False when there was none usable."""
        geometry, state = self.window_geometry(), self.window_state()
        restored = geometry is not None and window.restoreGeometry(geometry)
        if state is not None:
            restored = window.restoreState(state) and restored
        if geometry is not None and not restored:
            log.info("Ignoring an unusable saved window geometry")
        return bool(restored)

    # -- splitters and table headers --------------------------------------------------

    def splitter_sizes(self, name: str) -> list[int] | None:
        """The saved sizes of the splitter called ``name``, or None."""
        raw = self._q.value(_SPLITTER.format(name=name))
        if isinstance(raw, str):  # INI files give back a single value as a string
            raw = raw.split(",")
        if not isinstance(raw, (list, tuple)) or not raw:
            return None
        try:
            sizes = [int(str(part).strip()) for part in raw]
        except ValueError:
            return None
        return sizes if all(size >= 0 for size in sizes) else None

    def set_splitter_sizes(self, name: str, sizes: list[int]) -> None:
        # A comma-separated string, because INI files turn a list of ints into a list of strings.
        self._q.setValue(_SPLITTER.format(name=name), ",".join(str(int(size)) for size in sizes))

    def save_splitter(self, name: str, splitter: QSplitter) -> None:
        """Remember the sizes of ``splitter`` under ``name``."""
        self.set_splitter_sizes(name, splitter.sizes())

    def restore_splitter(self, name: str, splitter: QSplitter) -> bool:
        """Give ``splitter`` its saved sizes; False when none fit (another layout, damage)."""
        sizes = self.splitter_sizes(name)
        if sizes is None or len(sizes) != splitter.count() or not any(sizes):
            return False
        splitter.setSizes(sizes)
        return True

    def header_state(self, name: str) -> QByteArray | None:
        """The saved state (column widths, order, hidden columns) of the header ``name``."""
        return self._bytes(_HEADER.format(name=name))

    def set_header_state(self, name: str, state: QByteArray | bytes) -> None:
        self._q.setValue(_HEADER.format(name=name), QByteArray(state))

    def save_header(self, name: str, header: QHeaderView) -> None:
        """Remember the column widths and order of ``header`` under ``name``."""
        self.set_header_state(name, header.saveState())

    def restore_header(self, name: str, header: QHeaderView) -> bool:
        """Give ``header`` its saved widths and order; False when none was usable.

        Call it after the view has its model, so the header knows its sections.
        """
        state = self.header_state(name)
        if state is None:
            return False
        if not header.restoreState(state):
            log.info("Ignoring an unusable saved state of the %s header", name)
            return False
        return True

    # -- the artifact table -----------------------------------------------------------

    def page_size(self) -> int:
        """Rows per page, between :data:`MIN_PAGE_SIZE` and :data:`MAX_PAGE_SIZE`."""
        value = _as_int(self._q.value(_PAGE_SIZE))
        if value is None or not MIN_PAGE_SIZE <= value <= MAX_PAGE_SIZE:
            return DEFAULT_PAGE_SIZE
        return value

    def set_page_size(self, size: int) -> None:
        """Remember ``size`` rows per page.

        Raises:
            ValueError: ``size`` is outside the range the program offers.
        """
        if not MIN_PAGE_SIZE <= size <= MAX_PAGE_SIZE:
            raise ValueError(f"a page size must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}, not {size}")
        self._q.setValue(_PAGE_SIZE, int(size))

    def sort_order(self) -> SortOrder:
        """The table's server-side sort; :data:`DEFAULT_SORT` when none (or no valid one) is saved."""
        key = self._q.value(_SORT_KEY)
        descending = _as_bool(self._q.value(_SORT_DESCENDING))
        # A key the server does not know (renamed, or typed by hand) would make every page a 400.
        if not isinstance(key, str) or key not in SORT_KEYS or descending is None:
            return DEFAULT_SORT
        return SortOrder(key, descending)

    def set_sort_order(self, order: SortOrder) -> None:
        """Remember ``order``.

        Raises:
            ValueError: its key is not one the server can sort by.
        """
        if order.key not in SORT_KEYS:
            raise ValueError(f"the server cannot sort artifacts by {order.key!r}; use one of {', '.join(SORT_KEYS)}")
        self._q.setValue(_SORT_KEY, order.key)
        self._q.setValue(_SORT_DESCENDING, bool(order.descending))

    def last_search(self) -> str:
        """The text last typed into the search box (empty when none)."""
        value = self._q.value(_LAST_SEARCH)
        return value if isinstance(value, str) else ""

    def set_last_search(self, text: str) -> None:
        self._q.setValue(_LAST_SEARCH, str(text))

    # -- downloads ----------------------------------------------------------------------

    def last_download_folder(self) -> str | None:
        """The folder the last download went to (it may no longer exist), or None."""
        value = self._q.value(_LAST_DOWNLOAD_FOLDER)
        return value if isinstance(value, str) and value.strip() else None

    def set_last_download_folder(self, folder: str | None) -> None:
        """Remember ``folder`` as the next download's default (None forgets it)."""
        if folder:
            self._q.setValue(_LAST_DOWNLOAD_FOLDER, str(folder))
        else:
            self._q.remove(_LAST_DOWNLOAD_FOLDER)

    def last_download_format(self) -> str:
        """How folders were downloaded last: one of :data:`DOWNLOAD_FORMATS` (tar.gz by default)."""
        value = self._q.value(_LAST_DOWNLOAD_FORMAT)
        return value if isinstance(value, str) and value in DOWNLOAD_FORMATS else DEFAULT_DOWNLOAD_FORMAT

    def set_last_download_format(self, fmt: str) -> None:
        """Remember ``fmt`` for the next folder download.

        Raises:
            ValueError: ``fmt`` is not one of :data:`DOWNLOAD_FORMATS`.
        """
        fmt = str(fmt)
        if fmt not in DOWNLOAD_FORMATS:
            raise ValueError(f"a download format must be one of {', '.join(DOWNLOAD_FORMATS)}, not {fmt!r}")
        self._q.setValue(_LAST_DOWNLOAD_FORMAT, fmt)

    def max_parallel_transfers(self) -> int:
        """How many transfers may run at once, between the MIN and MAX constants (2 by default)."""
        value = _as_int(self._q.value(_MAX_PARALLEL_TRANSFERS))
        if value is None or not MIN_PARALLEL_TRANSFERS <= value <= MAX_PARALLEL_TRANSFERS:
            return DEFAULT_PARALLEL_TRANSFERS
        return value

    def set_max_parallel_transfers(self, count: int) -> None:
        """Remember how many transfers may run at once.

        Raises:
            ValueError: ``count`` is outside the range the program offers.
        """
        if isinstance(count, bool) or not MIN_PARALLEL_TRANSFERS <= int(count) <= MAX_PARALLEL_TRANSFERS:
            raise ValueError(
                f"at most {MIN_PARALLEL_TRANSFERS} to {MAX_PARALLEL_TRANSFERS} transfers can run at once, not {count}"
            )
        self._q.setValue(_MAX_PARALLEL_TRANSFERS, int(count))

    # -- internals ----------------------------------------------------------------------

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._q.value(key)
        if isinstance(value, (bytes, bytearray)):
            value = QByteArray(bytes(value))
        if not isinstance(value, QByteArray) or value.isEmpty():
            return None
        return value


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):  # bool is an int, but True pages are not a size
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):  # INI files and the native formats give back "true"/"false"
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    if isinstance(value, int):
        return bool(value) if value in (0, 1) else None
    return None
