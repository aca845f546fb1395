"""The controller behind the artifact table: which page of which listing it shows.

:class:`ArtifactPager` holds the query a user builds with the tree, the search box,
the header and the pager bar (scope, page size, page, sort, search), loads the
matching page through a :class:`~artifact_browser.qt.workers.TaskRunner` and hands
it to an :class:`~artifact_browser.qt.artifact_table_model.ArtifactTableModel`.

Why it is shaped like this:

* Every page it has received is kept for a short while, keyed by the full query, and
  the next page is fetched ahead on a second runner, so "Next" and "Previous" usually
  show rows without a round trip.
* The main runner guarantees that only the newest request's answer is shown; pages
  that arrive from the prefetch runner are shown only if they still match the query.
* A job's artifacts cannot be listed by the server page by page (there is no
  ``/jobs/{id}/artifacts``), so a job scope fetches the whole (small) list once and
  pages and sorts it here, on the same keys the server sorts by.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHeaderView

from artifact_browser.api import (
    ApiError,
    Artifact,
    AuthenticationError,
    DioptraClient,
    NotFoundError,
    Page,
    SearchSyntaxError,
    ServerUnreachableError,
)
from artifact_browser.api.paging import MAX_PAGE_LENGTH
from artifact_browser.qt.artifact_table_model import (
    HEADERS,
    ArtifactTableModel,
    Column,
    column_for_sort_key,
    local_sort_value,
    sort_key_for,
)
from artifact_browser.qt.workers import CancelToken, TaskRunner

log = logging.getLogger(__name__)

PAGE_SIZES: Final = (10, 25, 50, 100, 250, 500, 1000)
"""The page sizes a user can choose (the server allows 1..1000)."""
DEFAULT_PAGE_SIZE: Final = 100
# Newest first. "id" is the honest "newest": the server sorts "createdOn" by the time
# of the latest edit, so an edited old artifact would jump to the top.
DEFAULT_SORT_KEY: Final = "id"
DEFAULT_DESCENDING: Final = True
# Pages are kept this long: long enough for back-and-forth paging, short enough that
# a page seen minutes ago is fetched again rather than shown stale.
CACHE_SECONDS: Final = 60.0
CACHE_ENTRIES: Final = 16


class ScopeKind(enum.Enum):
    """What the table lists."""

    ALL = "all"
    GROUP = "group"
    JOB = "job"


@dataclass(frozen=True, slots=True)
class Scope:
    """All artifacts, a group's artifacts, or one job's output artifacts."""

    kind: ScopeKind = ScopeKind.ALL
    id: int | None = None

    @classmethod
    def all(cls) -> Scope:
        return cls()

    @classmethod
    def group(cls, group_id: int) -> Scope:
        return cls(ScopeKind.GROUP, int(group_id))

    @classmethod
    def job(cls, job_id: int) -> Scope:
        return cls(ScopeKind.JOB, int(job_id))


@dataclass(frozen=True, slots=True)
class ArtifactQuery:
    """Everything that decides which rows the table shows; hashable, so it keys the cache.

    Attributes:
        page: The 0-based page number.
        search: A query in Dioptra's search language ("" for none), already checked.
    """

    scope: Scope = Scope()
    page_size: int = DEFAULT_PAGE_SIZE
    page: int = 0
    sort_key: str = DEFAULT_SORT_KEY
    descending: bool = DEFAULT_DESCENDING
    search: str = ""

    @property
    def index(self) -> int:
        """The row offset of the page's first row."""
        return self.page * self.page_size


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What the pager bar shows: where the table is in the whole listing.

    Attributes:
        page: The 0-based number of the page shown.
        page_count: How many pages the listing has (at least 1).
        total: How many artifacts the listing has.
        page_size: Rows per page.
        rows: Rows on this page.
    """

    page: int
    page_count: int
    total: int
    page_size: int
    rows: int

    @property
    def is_first(self) -> bool:
        return self.page <= 0

    @property
    def is_last(self) -> bool:
        return self.page >= self.page_count - 1


@dataclass(frozen=True, slots=True)
class _JobListing:
    """A job's whole (already filtered) artifact list, as the cache keeps it."""

    artifacts: tuple[Artifact, ...]


_CacheKey = ArtifactQuery | tuple[str, int, str]  # a page query, or ("job", job id, search)


def _job_key(query: ArtifactQuery) -> tuple[str, int, str]:
    return ("job", int(query.scope.id or 0), query.search)


class ArtifactPager(QObject):
    """Loads pages of artifacts into a table model, newest request wins.

    Args:
        client: A signed-in client; used only on worker threads.
        model: The table model that shows the pages.
        parent: The owner; requests stop being answered when it is destroyed.

    Signals:
        page_changed(object): A :class:`PageInfo`, each time a page is shown.
        query_changed(object): The new :class:`ArtifactQuery`, whenever the user
            changes scope, page size, sort or search (before its rows arrive).
        sort_changed(int, Qt.SortOrder): The column and direction the table is sorted by.
        busy_changed(bool): Whether a page the user asked for is still on its way.
        error(str): An expected failure (not signed in, not found, unreachable,
            timeout), to show inline; the table keeps its rows.
        search_error(str): The server refused the search (its 422 reason).
        notice(str): Information for the status bar (e.g. a column that cannot sort).
        unexpected_error(object): Any other exception, for the program's error dialog.
    """

    page_changed = Signal(object)
    query_changed = Signal(object)
    sort_changed = Signal(int, Qt.SortOrder)
    busy_changed = Signal(bool)
    error = Signal(str)
    search_error = Signal(str)
    notice = Signal(str)
    unexpected_error = Signal(object)

    def __init__(self, client: DioptraClient, model: ArtifactTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._model = model
        self._query = ArtifactQuery()
        self._shown: ArtifactQuery | None = None
        self._info: PageInfo | None = None
        self._cache: OrderedDict[_CacheKey, tuple[float, Page[Artifact] | _JobListing]] = OrderedDict()
        self._header: QHeaderView | None = None
        # What the main runner is loading, so its answer can be cached under the right key.
        self._loading: ArtifactQuery | None = None
        self._prefetching: ArtifactQuery | None = None
        # A query whose page the prefetch runner is already fetching: wait for it, do not ask twice.
        self._awaiting_prefetch = False
        self._busy = False

        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._on_loaded)
        self._runner.failed.connect(self._on_failed)
        self._runner.running_changed.connect(lambda _running: self._update_busy())
        self._prefetcher = TaskRunner(self)
        self._prefetcher.finished.connect(self._on_prefetched)
        self._prefetcher.failed.connect(self._on_prefetch_failed)

    # -- state -------------------------------------------------------------------------

    @property
    def query(self) -> ArtifactQuery:
        """The query the pager is showing or loading."""
        return self._query

    @property
    def page_info(self) -> PageInfo | None:
        """Where the page shown lies in its listing (None before the first page)."""
        return self._info

    @property
    def is_busy(self) -> bool:
        return self._busy

    @property
    def model(self) -> ArtifactTableModel:
        return self._model

    # -- what the user changes -------------------------------------------------------

    def set_scope(self, scope: Scope) -> None:
        """List all artifacts, a group's or a job's (from the first page)."""
        if scope != self._query.scope:
            self._change(replace(self._query, scope=scope, page=0))

    def set_search(self, search: str) -> None:
        """Search with an already checked query in Dioptra's language ("" for none)."""
        if search != self._query.search:
            self._change(replace(self._query, search=search, page=0))

    def set_page_size(self, page_size: int) -> None:
        """Show ``page_size`` rows per page, keeping the first row shown on screen."""
        page_size = max(1, min(MAX_PAGE_LENGTH, int(page_size)))
        if page_size != self._query.page_size:
            first_row = self._query.index
            self._change(replace(self._query, page_size=page_size, page=first_row // page_size))

    def set_sort(self, sort_key: str, descending: bool) -> None:
        """Sort by a server sort key (see ``SERVER_SORT_KEYS``), from the first page.

        Raises:
            ValueError: ``sort_key`` is not one the table can sort by.
        """
        column = column_for_sort_key(sort_key)
        if column is None:
            raise ValueError(f"the table cannot sort by {sort_key!r}")
        if (sort_key, descending) != (self._query.sort_key, self._query.descending):
            self._change(replace(self._query, sort_key=sort_key, descending=bool(descending), page=0))
        self._sync_header()

    def sort_by_column(self, column: int, order: Qt.SortOrder) -> bool:
        """Sort by a table column; a column the server cannot sort changes nothing.

        Returns:
            True if the column can be sorted.
        """
        key = sort_key_for(column)
        if key is None:
            name = HEADERS[Column(column)] if 0 <= column < len(Column) else str(column)
            current = HEADERS[Column(column_for_sort_key(self._query.sort_key))]
            direction = "descending" if self._query.descending else "ascending"
            self.notice.emit(
                f"The server cannot sort by {name.lower()}; the table stays sorted by {current.lower()} ({direction})."
            )
            self._sync_header()
            return False
        self.set_sort(key, order == Qt.SortOrder.DescendingOrder)
        return True

    def restore(self, query: ArtifactQuery) -> None:
        """Start from a saved query (page size, sort; scope and search as given)."""
        if column_for_sort_key(query.sort_key) is None:
            query = replace(query, sort_key=DEFAULT_SORT_KEY, descending=DEFAULT_DESCENDING)
        query = replace(query, page_size=max(1, min(MAX_PAGE_LENGTH, query.page_size)), page=max(0, query.page))
        self._change(query)
        self._sync_header()

    # -- paging --------------------------------------------------------------------------

    def go_to_page(self, page: int) -> None:
        """Show the 0-based ``page`` (clamped to the listing once its size is known)."""
        page = max(0, int(page))
        if self._info is not None and self._shown is not None and self._shown.page_size == self._query.page_size:
            page = min(page, self._info.page_count - 1)
        if page != self._query.page:
            self._change(replace(self._query, page=page))

    def first_page(self) -> None:
        self.go_to_page(0)

    def previous_page(self) -> None:
        self.go_to_page(self._query.page - 1)

    def next_page(self) -> None:
        self.go_to_page(self._query.page + 1)

    def last_page(self) -> None:
        if self._info is not None:
            self.go_to_page(self._info.page_count - 1)

    def refresh(self) -> None:
        """Load the current page again from the server, forgetting every kept page."""
        self._cache.clear()
        self._prefetcher.cancel()
        self._prefetching = None
        self._load(self._query, use_cache=False)

    def load(self) -> None:
        """Show the current query's page (from the cache if it is fresh)."""
        self._load(self._query, use_cache=True)

    def cancel(self) -> None:
        """Stop waiting for the page asked for; the table keeps what it shows."""
        self._runner.cancel()
        self._prefetcher.cancel()
        self._prefetching = None
        self._awaiting_prefetch = False
        if self._shown is not None:
            self._query = self._shown
        self._update_busy()

    # -- the header --------------------------------------------------------------------

    def attach_header(self, header: QHeaderView) -> None:
        """Let clicks on ``header`` sort the listing, and keep its sort indicator true.

        Leave sorting disabled on the view (``setSortingEnabled(False)``): the server
        sorts, not the model.
        """
        self._header = header
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicatorClearable(False)
        header.sectionClicked.connect(self._on_section_clicked)
        self._sync_header()

    def _on_section_clicked(self, section: int) -> None:
        key = sort_key_for(section)
        if key is None:
            self.sort_by_column(section, Qt.SortOrder.AscendingOrder)
            return
        if key == self._query.sort_key:
            descending = not self._query.descending
        else:
            # Newest, largest, latest first is what one looks for; text reads A to Z.
            descending = key in ("id", "job", "createdOn", "lastModifiedOn")
        self.set_sort(key, descending)

    def _sync_header(self) -> None:
        column = column_for_sort_key(self._query.sort_key)
        order = Qt.SortOrder.DescendingOrder if self._query.descending else Qt.SortOrder.AscendingOrder
        if self._header is not None and column is not None:
            # The header moves its indicator on every click before we see it; put it back.
            blocked = self._header.blockSignals(True)
            self._header.setSortIndicator(int(column), order)
            self._header.blockSignals(blocked)
        if column is not None:
            self.sort_changed.emit(int(column), order)

    # -- loading -------------------------------------------------------------------------

    def _change(self, query: ArtifactQuery) -> None:
        self._query = query
        self.query_changed.emit(query)
        self._load(query, use_cache=True)

    def _load(self, query: ArtifactQuery, *, use_cache: bool) -> None:
        self._awaiting_prefetch = False
        if use_cache:
            page = self._cached_page(query)
            if page is not None:
                self._runner.cancel()  # an older request must not overwrite this page
                self._loading = None
                self._show(query, page)
                return
            if self._prefetching == query and self._prefetcher.is_running:
                self._runner.cancel()
                self._loading = None
                self._awaiting_prefetch = True
                self._update_busy()
                return
        self._loading = query
        self._runner.start(self._work_for(query))

    def _work_for(self, query: ArtifactQuery) -> Callable[[CancelToken], object]:
        client = self._client  # the work runs on a pool thread: it gets the client, never self
        if query.scope.kind is ScopeKind.JOB:
            job_id = int(query.scope.id or 0)
            return lambda token: _JobListing(tuple(fetch_job_artifacts(client, job_id, query.search, token)))
        group_id = query.scope.id if query.scope.kind is ScopeKind.GROUP else None
        return lambda token: client.artifacts.get(
            group_id=group_id,
            index=query.index,
            page_length=query.page_size,
            sort_by=query.sort_key,
            descending=query.descending,
            search=query.search or None,
        )

    def _on_loaded(self, result: object) -> None:
        query, self._loading = self._loading, None
        if query is None:
            return
        page = self._store(query, result)
        if page is not None:
            self._show(query, page)

    def _on_failed(self, exc: object) -> None:
        query, self._loading = self._loading, None
        self._report(exc, query)

    def _on_prefetched(self, result: object) -> None:
        query, self._prefetching = self._prefetching, None
        if query is None:
            return
        page = self._store(query, result)
        if self._awaiting_prefetch and query == self._query and page is not None:
            self._awaiting_prefetch = False
            self._show(query, page)
        self._update_busy()

    def _on_prefetch_failed(self, exc: object) -> None:
        query, self._prefetching = self._prefetching, None
        log.debug("Prefetching a page failed: %s", exc)
        if self._awaiting_prefetch and query == self._query:
            # The user is waiting for this very page: ask again, and report if it fails again.
            self._awaiting_prefetch = False
            self._load(query, use_cache=False)
        self._update_busy()

    def _store(self, query: ArtifactQuery, result: object) -> Page[Artifact] | None:
        """Keep ``result`` in the cache; return the page of ``query`` it yields."""
        if isinstance(result, _JobListing):
            self._remember(_job_key(query), result)
            return local_page(result.artifacts, query)
        if isinstance(result, Page):
            self._remember(query, result)
            return result
        log.error("Unexpected answer for %s: %r", query, type(result))
        return None

    def _show(self, query: ArtifactQuery, page: Page[Artifact]) -> None:
        if not page.items and query.page > 0 and page.total > 0:
            # The listing shrank (or the page size grew) under us: show its last page.
            last = max(0, -(-page.total // query.page_size) - 1)
            if last < query.page:
                self._query = replace(query, page=last)
                self.query_changed.emit(self._query)
                self._load(self._query, use_cache=True)
                return
        self._shown = query
        self._query = query
        self._model.set_page(page)
        self._info = PageInfo(
            page=query.page,
            page_count=max(1, -(-page.total // query.page_size)),
            total=page.total,
            page_size=query.page_size,
            rows=len(page.items),
        )
        self._update_busy()
        self.page_changed.emit(self._info)
        self._prefetch_next(query)

    def _prefetch_next(self, query: ArtifactQuery) -> None:
        if query.scope.kind is ScopeKind.JOB or self._info is None or self._info.is_last:
            return  # a job's list is local already; the last page has no next
        following = replace(query, page=query.page + 1)
        if self._cached_page(following) is not None or self._prefetching == following:
            return
        self._prefetching = following
        self._prefetcher.start(self._work_for(following))

    def _report(self, exc: object, query: ArtifactQuery | None) -> None:
        # The table keeps the rows it shows, so the pager goes back to their query:
        # "Next" must page what the user sees, not the query that failed.
        if self._shown is not None and self._shown != self._query:
            self._query = self._shown
            self.query_changed.emit(self._query)
        self._sync_header()
        self._update_busy()
        if isinstance(exc, SearchSyntaxError):
            self.search_error.emit(search_error_text(exc))
        elif isinstance(exc, AuthenticationError | NotFoundError | ServerUnreachableError):
            log.info("Loading artifacts failed: %s", exc)
            self.error.emit(f"Could not load artifacts: {exc.message}")
        else:
            log.error("Unexpected failure while loading artifacts for %s", query, exc_info=exc if isinstance(exc, BaseException) else None)
            self.error.emit(f"Could not load artifacts: {exc.message if isinstance(exc, ApiError) else exc}")
            self.unexpected_error.emit(exc)

    def _update_busy(self) -> None:
        busy = self._runner.is_running or self._awaiting_prefetch
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    # -- the cache -----------------------------------------------------------------------

    def _cached_page(self, query: ArtifactQuery) -> Page[Artifact] | None:
        if query.scope.kind is ScopeKind.JOB:
            listing = self._cached(_job_key(query))
            return local_page(listing.artifacts, query) if isinstance(listing, _JobListing) else None
        page = self._cached(query)
        return page if isinstance(page, Page) else None

    def _cached(self, key: _CacheKey) -> Page[Artifact] | _JobListing | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        stored, value = entry
        if time.monotonic() - stored > CACHE_SECONDS:
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return value

    def _remember(self, key: _CacheKey, value: Page[Artifact] | _JobListing) -> None:
        self._cache[key] = (time.monotonic(), value)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)


# -- pure helpers (no Qt): also what the tests check -------------------------------------


def local_page(artifacts: Sequence[Artifact], query: ArtifactQuery) -> Page[Artifact]:
    """One page of a list the server could not page, sorted as the server would sort it."""
    ordered = sorted(artifacts, key=lambda a: local_sort_value(a, query.sort_key), reverse=query.descending)
    rows = tuple(ordered[query.index : query.index + query.page_size])
    return Page(
        items=rows,
        index=query.index,
        total=len(ordered),
        is_complete=query.index + len(rows) >= len(ordered),
        page_length=query.page_size,
    )


def fetch_job_artifacts(client: DioptraClient, job_id: int, search: str, token: CancelToken) -> list[Artifact]:
    """A job's output artifacts, filtered by ``search`` (runs on a worker thread).

    Without a search this reads the job's references. With one, the server searches,
    limited to the job's MLflow run (every artifact URI of a job holds its run id),
    and the rows are kept only if they belong to the job.
    """
    if not search:
        return client.jobs.get_artifacts(job_id)
    run_id = client.jobs.get_mlflow_run_id(job_id)
    if not run_id:
        return []  # a job without a run has no artifacts
    combined = f"artifactUri:*{run_id}*,{search}"
    found: list[Artifact] = []
    index = 0
    while not token.cancelled:
        page = client.artifacts.get(index=index, page_length=MAX_PAGE_LENGTH, sort_by="id", search=combined)
        found.extend(a for a in page.items if a.job_id == job_id)
        index += len(page.items)
        if page.is_complete or not page.items:
            break
    return found


def search_error_text(exc: SearchSyntaxError) -> str:
    """What to tell a user whose search the server refused."""
    if exc.reason:
        return f"The server could not understand the search: {exc.reason}"
    return exc.message
