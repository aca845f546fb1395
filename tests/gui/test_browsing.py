"""Browsing against the real local Dioptra server: group/job tree, paging, sorting, searching.

The widgets are wired here exactly as the main window wires them (see ``Browser``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QModelIndex, QPoint, QThreadPool, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTableView, QTreeView, QVBoxLayout, QWidget

from artifact_browser.api import DioptraClient
from artifact_browser.qt.artifact_pager import ArtifactPager, PageInfo, Scope
from artifact_browser.qt.artifact_table_model import SERVER_SORT_KEYS, ArtifactTableModel, Column
from artifact_browser.qt.group_job_tree_model import GroupJobTreeModel, TreeRole
from artifact_browser.qt.pager_bar import PagerBar
from artifact_browser.qt.search_box import SearchBox

TIMEOUT_MS = 15_000
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"


class CountingArtifacts:
    """``client.artifacts`` that counts list requests and can hold one search back."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.requests: list[dict[str, Any]] = []
        self.hold_search: str | None = None
        self.release = threading.Event()
        self._lock = threading.Lock()

    def get(self, **params: Any):
        with self._lock:
            self.requests.append(params)
        if self.hold_search is not None and params.get("search") == self.hold_search:
            assert self.release.wait(TIMEOUT_MS / 1000), "the test never released the held request"
        return self._real.get(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Browser(QWidget):
    """Tree, search box, table and pager bar, wired as the main window wires them."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.tree_model = GroupJobTreeModel(client, self)
        self.tree = QTreeView(self)
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.header().resizeSection(0, 260)

        self.model = ArtifactTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)  # the server sorts; the pager owns the header
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)

        self.pager = ArtifactPager(client, self.model, self)
        self.pager.attach_header(self.table.horizontalHeader())
        self.search = SearchBox(self)
        self.bar = PagerBar(self.pager, self)

        # The wiring the main window needs:
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current)
        self.tree.activated.connect(self.tree_model.activate)
        self.search.search_requested.connect(self.pager.set_search)
        self.pager.search_error.connect(self.search.show_error)
        self.notices: list[str] = []
        self.errors: list[str] = []
        self.pager.notice.connect(self.notices.append)
        self.pager.error.connect(self.errors.append)
        self.pages: list[PageInfo] = []
        self.pager.page_changed.connect(self.pages.append)

        centre = QWidget(self)
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search)
        column.addWidget(self.table, 1)
        column.addWidget(self.bar)
        splitter = QSplitter(self)
        splitter.addWidget(self.tree)
        splitter.addWidget(centre)
        splitter.setSizes([380, 900])
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        self.resize(1280, 560)

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        scope = self.tree_model.scope_at(current)
        if scope is not None:
            self.pager.set_scope(scope)

    # -- helpers for the tests -------------------------------------------------------

    def ids(self) -> list[int]:
        return [self.model.artifact(r).id for r in range(self.model.rowCount())]

    def wait_idle(self, qtbot) -> None:
        qtbot.waitUntil(lambda: not self.pager.is_busy and self.pager.page_info is not None, timeout=TIMEOUT_MS)

    def click_header(self, column: int) -> None:
        header = self.table.horizontalHeader()
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, header.height() // 2))

    def type_search(self, text: str) -> None:
        self.search.line_edit.setFocus()
        self.search.line_edit.selectAll()
        QTest.keyClicks(self.search.line_edit, text)
        QTest.keyClick(self.search.line_edit, Qt.Key.Key_Return)


@pytest.fixture
def counting(client: DioptraClient) -> SimpleNamespace:
    """The signed-in client, with its artifact list requests counted."""
    counted = CountingArtifacts(client.artifacts)
    yield SimpleNamespace(artifacts=counted, jobs=client.jobs, users=client.users, real=client)
    counted.release.set()


@pytest.fixture
def browser(qtbot, counting: SimpleNamespace) -> Iterator[Browser]:
    widget = Browser(counting)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    with qtbot.waitSignal(widget.tree_model.groups_loaded, timeout=TIMEOUT_MS):
        widget.tree_model.reload()
    widget.pager.load()
    widget.wait_idle(qtbot)
    yield widget
    widget.pager.cancel()
    # Requests still running use the client, which closes after this fixture.
    assert QThreadPool.globalInstance().waitForDone(TIMEOUT_MS)


def _server_ids(client: DioptraClient, **params: Any) -> list[int]:
    params.setdefault("sort_by", "id")
    params.setdefault("descending", True)
    params.setdefault("page_length", 100)
    return [a.id for a in client.artifacts.get(**params).items]


def _expand(qtbot, browser: Browser, row: int) -> QModelIndex:
    group = browser.tree_model.index(row, 0)
    with qtbot.waitSignal(browser.tree_model.jobs_loaded, timeout=TIMEOUT_MS):
        browser.tree.expand(group)
    return group


# -- the tree ----------------------------------------------------------------------------


def test_tree_lists_all_then_the_users_groups(browser: Browser, dioptra, qtmodeltester) -> None:
    manifest = dioptra.manifest
    expected = [next(g.name for g in manifest.groups if g.id == gid) for gid in manifest.demo.group_ids]
    model = browser.tree_model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["All artifacts", *expected]
    assert [model.index(r, 0).data(TreeRole.GROUP).id for r in range(1, model.rowCount())] == list(manifest.demo.group_ids)
    qtmodeltester.check(model)


def test_expanding_a_group_lists_its_jobs_newest_first(qtbot, browser: Browser, client: DioptraClient, dioptra, qtmodeltester) -> None:
    public_id = dioptra.manifest.group("public").id
    group = _expand(qtbot, browser, 1)
    model = browser.tree_model
    shown = [model.index(r, 0, group).data(TreeRole.JOB) for r in range(model.rowCount(group))]
    server = client.jobs.get(group_id=public_id, page_length=50, sort_by="id", descending=True)
    assert [j.id for j in shown if j is not None] == [j.id for j in server.items]
    assert [j.id for j in shown] == sorted((j.id for j in shown), reverse=True)
    # Every seeded job of the group is there, with its status and experiment.
    seeded = {j.id: j for j in dioptra.manifest.jobs if j.group_id == public_id}
    for row in range(model.rowCount(group)):
        job = model.index(row, 0, group).data(TreeRole.JOB)
        if job.id in seeded:
            assert model.index(row, 1, group).data() == seeded[job.id].status
            assert model.index(row, 2, group).data() == seeded[job.id].experiment_name
    assert set(seeded) <= {j.id for j in shown}
    qtmodeltester.check(model)


def test_choosing_a_group_filters_the_table_to_it(qtbot, browser: Browser, client: DioptraClient, dioptra) -> None:
    lab = dioptra.manifest.group("vision-lab")
    row = next(r for r in range(browser.tree_model.rowCount()) if browser.tree_model.index(r, 0).data() == lab.name)
    browser.tree.setCurrentIndex(browser.tree_model.index(row, 0))
    assert browser.pager.query.scope == Scope.group(lab.id)
    qtbot.waitUntil(lambda: browser.pager.page_info is not None and browser.pager.query.scope == Scope.group(lab.id)
                    and not browser.pager.is_busy, timeout=TIMEOUT_MS)
    assert browser.ids() == _server_ids(client, group_id=lab.id)
    assert {browser.model.artifact(r).group.id for r in range(browser.model.rowCount())} == {lab.id}
    assert browser.pager.page_info.total == client.artifacts.get(group_id=lab.id).total
    assert browser.bar.position_label.text().endswith(f"{browser.pager.page_info.total} artifacts")

    # "All artifacts" lists everything again.
    browser.tree.setCurrentIndex(browser.tree_model.all_index())
    qtbot.waitUntil(lambda: browser.pager.page_info.total == client.artifacts.get().total and not browser.pager.is_busy,
                    timeout=TIMEOUT_MS)
    assert browser.ids() == _server_ids(client)


def test_choosing_a_job_shows_exactly_its_artifacts(qtbot, browser: Browser, dioptra) -> None:
    manifest = dioptra.manifest
    job_id = max(manifest.jobs, key=lambda j: len(manifest.artifacts_of_job(j.id))).id
    group_row = next(
        r for r in range(1, browser.tree_model.rowCount())
        if browser.tree_model.index(r, 0).data(TreeRole.GROUP).id == manifest.job(job_id).group_id
    )
    group = _expand(qtbot, browser, group_row)
    job_index = browser.tree_model.index_for_job(job_id)
    assert job_index.parent() == group
    QTest.mouseClick(browser.tree.viewport(), Qt.MouseButton.LeftButton, pos=browser.tree.visualRect(job_index).center())
    assert browser.pager.query.scope == Scope.job(job_id)
    expected = sorted((a.id for a in manifest.artifacts_of_job(job_id)), reverse=True)
    qtbot.waitUntil(lambda: browser.ids() == expected, timeout=TIMEOUT_MS)
    assert browser.pager.page_info.total == len(expected)

    # The job's list is paged and sorted here, on the same keys the server uses.
    browser.pager.set_page_size(10)
    assert browser.ids() == expected[:10]  # from the job's list at hand: no round trip
    browser.pager.next_page()
    assert browser.ids() == expected[10:20]
    browser.click_header(Column.DESCRIPTION)
    rows = [browser.model.artifact(r) for r in range(browser.model.rowCount())]
    descriptions = [a.description or "" for a in rows]
    assert descriptions == sorted(descriptions)
    assert browser.pager.page_info.page == 0


def test_a_job_search_keeps_only_that_jobs_matches(qtbot, browser: Browser, dioptra) -> None:
    manifest = dioptra.manifest
    job = next(j for j in manifest.jobs if any("roc" in (a.description or "").lower() for a in manifest.artifacts_of_job(j.id)))
    browser.pager.set_scope(Scope.job(job.id))
    browser.wait_idle(qtbot)
    browser.type_search("description:*roc*")
    expected = sorted(
        (a.id for a in manifest.artifacts_of_job(job.id) if "roc" in (a.description or "").lower()), reverse=True
    )
    qtbot.waitUntil(lambda: browser.pager.query.search == "description:*roc*" and not browser.pager.is_busy, timeout=TIMEOUT_MS)
    assert browser.ids() == expected
    assert 0 < len(expected) < len(manifest.artifacts_of_job(job.id))


def test_an_unknown_job_is_reported_inline_and_the_table_keeps_its_rows(qtbot, browser: Browser) -> None:
    before = browser.ids()
    with qtbot.waitSignal(browser.pager.error, timeout=TIMEOUT_MS) as blocker:
        browser.pager.set_scope(Scope.job(987_654))
    assert blocker.args[0].startswith("Could not load artifacts:")
    assert browser.ids() == before
    assert browser.pager.query.scope == Scope.all()  # "Next" pages what the table shows


# -- paging ------------------------------------------------------------------------------


def test_paging_forward_back_and_to_the_last_page(qtbot, browser: Browser, client: DioptraClient) -> None:
    combo = browser.bar.page_size_combo
    combo.setCurrentIndex(combo.findData(10))
    combo.activated.emit(combo.currentIndex())  # what choosing an entry with the mouse emits
    browser.wait_idle(qtbot)
    assert browser.ids() == _server_ids(client, page_length=10)
    total = client.artifacts.get().total
    pages = -(-total // 10)
    assert browser.bar.position_label.text() == f"Page 1 of {pages} — {total} artifacts"
    assert not browser.bar.previous_action.isEnabled() and browser.bar.next_action.isEnabled()

    browser.bar.next_action.trigger()
    browser.wait_idle(qtbot)
    assert browser.ids() == _server_ids(client, page_length=10, index=10)
    assert browser.bar.position_label.text().startswith(f"Page 2 of {pages}")

    browser.bar.previous_action.trigger()
    browser.wait_idle(qtbot)
    assert browser.ids() == _server_ids(client, page_length=10, index=0)

    browser.bar.last_action.trigger()
    browser.wait_idle(qtbot)
    assert browser.ids() == _server_ids(client, page_length=10, index=(pages - 1) * 10)
    assert browser.bar.position_label.text().startswith(f"Page {pages} of {pages}")
    assert not browser.bar.next_action.isEnabled() and not browser.bar.last_action.isEnabled()
    assert browser.bar.first_action.isEnabled()

    browser.bar.first_action.trigger()
    browser.wait_idle(qtbot)
    assert browser.pager.page_info.page == 0


def test_page_shortcuts_work_from_the_table(qtbot, browser: Browser, client: DioptraClient) -> None:
    browser.pager.set_page_size(10)
    browser.wait_idle(qtbot)
    browser.table.setFocus()
    QTest.keyClick(browser.table, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    browser.wait_idle(qtbot)
    assert browser.pager.page_info.page == 1
    assert browser.ids() == _server_ids(client, page_length=10, index=10)


def test_a_bigger_page_keeps_the_first_row_in_view(qtbot, browser: Browser) -> None:
    browser.pager.set_page_size(10)
    browser.wait_idle(qtbot)
    browser.pager.go_to_page(3)
    browser.wait_idle(qtbot)
    first = browser.ids()[0]
    browser.pager.set_page_size(25)
    browser.wait_idle(qtbot)
    assert browser.pager.page_info.page == 1  # rows 25..49 hold row 30
    assert first in browser.ids()
    assert browser.bar.page_size_combo.currentData() == 25


def test_the_next_page_is_fetched_ahead_and_shown_without_a_request(qtbot, browser: Browser, counting, client) -> None:
    browser.pager.set_page_size(10)
    browser.wait_idle(qtbot)
    qtbot.waitUntil(lambda: any(r.get("index") == 10 for r in counting.artifacts.requests), timeout=TIMEOUT_MS)
    assert QThreadPool.globalInstance().waitForDone(TIMEOUT_MS)
    QCoreApplication.processEvents()  # deliver the prefetched page to the pager
    before = len(counting.artifacts.requests)
    browser.bar.next_action.trigger()
    # Shown at once, before the event loop ran again: nothing was asked of the server.
    assert browser.pager.page_info.page == 1
    assert browser.ids() == _server_ids(client, page_length=10, index=10)
    assert [r.get("index") for r in counting.artifacts.requests[before:]] in ([], [20])  # only the next prefetch
    browser.bar.previous_action.trigger()
    assert browser.pager.page_info.page == 0  # kept from before
    assert browser.ids() == _server_ids(client, page_length=10)


def test_busy_indicator_shows_while_a_page_is_on_its_way(qtbot, browser: Browser, counting) -> None:
    counting.artifacts.hold_search = '"slow"'
    browser.pager.set_search('"slow"')
    qtbot.waitUntil(lambda: browser.bar.busy_indicator.isVisible(), timeout=TIMEOUT_MS)
    counting.artifacts.release.set()
    qtbot.waitUntil(lambda: not browser.bar.busy_indicator.isVisible(), timeout=TIMEOUT_MS)
    assert browser.pager.query.search == '"slow"'


# -- sorting -----------------------------------------------------------------------------


@pytest.mark.parametrize("column", list(SERVER_SORT_KEYS), ids=lambda c: c.name)
def test_every_sortable_column_sorts_both_ways_on_the_server(qtbot, browser: Browser, client: DioptraClient, column: Column) -> None:
    key = SERVER_SORT_KEYS[column]
    browser.pager.set_page_size(10)
    browser.wait_idle(qtbot)
    header = browser.table.horizontalHeader()
    seen = []
    for _ in range(2):
        browser.click_header(column)
        browser.wait_idle(qtbot)
        query = browser.pager.query
        assert query.sort_key == key
        assert header.sortIndicatorSection() == column
        expected_order = Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
        assert header.sortIndicatorOrder() == expected_order
        qtbot.waitUntil(lambda: browser.pager.query == query and not browser.pager.is_busy, timeout=TIMEOUT_MS)
        assert browser.ids() == _server_ids(client, page_length=10, sort_by=key, descending=query.descending)
        seen.append(query.descending)
    assert sorted(seen) == [False, True]  # both directions


@pytest.mark.parametrize("column", [c for c in Column if c not in SERVER_SORT_KEYS], ids=lambda c: c.name)
def test_a_column_the_server_cannot_sort_changes_nothing(qtbot, browser: Browser, counting, column: Column) -> None:
    header = browser.table.horizontalHeader()
    before_ids, before_query = browser.ids(), browser.pager.query
    before_requests = len(counting.artifacts.requests)
    browser.click_header(column)
    assert browser.pager.query == before_query
    assert browser.ids() == before_ids
    assert len(counting.artifacts.requests) == before_requests
    assert header.sortIndicatorSection() == Column.ID  # the indicator stays where the sort is
    assert "cannot sort by" in browser.notices[-1]
    assert "cannot" in browser.model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


# -- searching ---------------------------------------------------------------------------


def test_plain_words_search_as_free_text(qtbot, browser: Browser, client: DioptraClient) -> None:
    browser.type_search("mnist")
    qtbot.waitUntil(lambda: browser.pager.query.search == '"mnist"' and not browser.pager.is_busy, timeout=TIMEOUT_MS)
    expected = _server_ids(client, search='"mnist"')
    assert browser.ids() == expected and expected
    assert len(expected) < client.artifacts.get().total
    assert not browser.search.error_label.isVisible()


def test_typing_searches_after_a_pause(qtbot, browser: Browser, client: DioptraClient) -> None:
    QTest.keyClicks(browser.search.line_edit, "description:*roc*")
    assert browser.pager.query.search == ""  # nothing sent while typing
    qtbot.waitUntil(lambda: browser.pager.query.search == "description:*roc*", timeout=TIMEOUT_MS)
    browser.wait_idle(qtbot)
    expected = _server_ids(client, search="description:*roc*")
    assert browser.ids() == expected
    assert all("roc" in (browser.model.artifact(r).description or "").lower() for r in range(browser.model.rowCount()))
    # Esc clears the box and lists everything again.
    QTest.keyClick(browser.search.line_edit, Qt.Key.Key_Escape)
    assert browser.search.text == "" and browser.pager.query.search == ""


def test_a_broken_query_is_explained_inline_and_not_sent(qtbot, browser: Browser, counting) -> None:
    before = len(counting.artifacts.requests)
    browser.type_search('description:"roc')
    assert browser.search.error_label.isVisible()
    assert "quote" in browser.search.error_label.text().lower()
    browser.type_search("description:*roc*,bogus:1")  # an unknown field, caught before sending
    assert '"bogus" is not a field' in browser.search.error_label.text()
    assert len(counting.artifacts.requests) == before
    assert browser.pager.query.search == ""


def test_the_servers_422_reason_appears_under_the_box(qtbot, browser: Browser) -> None:
    before = browser.ids()
    with qtbot.waitSignal(browser.pager.search_error, timeout=TIMEOUT_MS):
        browser.pager.set_search("bogusfield:x")  # what a server stricter than the checker refuses
    assert browser.search.error_label.isVisible()
    assert "'bogusfield' is not a valid field" in browser.search.error_label.text()
    assert browser.ids() == before and browser.pager.query.search == ""
    assert browser.errors == []  # a search problem is not a load failure


def test_ctrl_f_focuses_the_search_box(qtbot, browser: Browser) -> None:
    browser.table.setFocus()
    QTest.keyClick(browser.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(browser.search.line_edit.hasFocus, timeout=TIMEOUT_MS)


def test_a_late_answer_never_replaces_a_newer_one(qtbot, browser: Browser, counting, client: DioptraClient) -> None:
    slow, fast = '"mnist"', "description:*roc*"
    counting.artifacts.hold_search = slow
    shown_before = len(browser.pages)
    browser.pager.set_search(slow)
    qtbot.waitUntil(lambda: any(r.get("search") == slow for r in counting.artifacts.requests), timeout=TIMEOUT_MS)
    browser.pager.set_search(fast)
    qtbot.waitUntil(lambda: browser.pager.query.search == fast and not browser.pager.is_busy, timeout=TIMEOUT_MS)
    expected = _server_ids(client, search=fast)
    assert browser.ids() == expected
    counting.artifacts.release.set()  # the older answer arrives now
    assert QThreadPool.globalInstance().waitForDone(TIMEOUT_MS)
    QCoreApplication.processEvents()
    assert browser.ids() == expected
    assert browser.pager.query.search == fast
    assert len(browser.pages) == shown_before + 1  # only the newer page was ever shown


# -- the picture -------------------------------------------------------------------------


def test_screenshot_of_tree_search_table_and_pager(qtbot, browser: Browser, dioptra) -> None:
    _expand(qtbot, browser, 1)
    browser.pager.set_page_size(25)
    browser.wait_idle(qtbot)
    browser.table.resizeColumnsToContents()
    browser.table.horizontalHeader().resizeSection(Column.DESCRIPTION, 240)
    browser.table.horizontalHeader().resizeSection(Column.URI, 300)
    browser.type_search('description:"roc')  # show the inline error too
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / "browsing.png"
    assert browser.grab().save(str(path))
    assert path.stat().st_size > 10_000
