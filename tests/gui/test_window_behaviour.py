"""What a user does in the integrated main window, against the real local Dioptra server.

Each piece of the window has its own tests; these check the wiring a user relies on:
the side panels follow the current row, the tree scopes the table, the job link,
copying, refreshing, the keyboard, settings that survive a restart, and a session
that expires while the window is open.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QModelIndex, QPoint, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QWidget

from artifact_browser.api import Artifact, DioptraClient, connect
from artifact_browser.devserver.manifest import ArtifactInfo, SeedManifest
from artifact_browser.qt.artifact_pager import ScopeKind
from artifact_browser.qt.artifact_table_model import Column
from artifact_browser.qt.details_pane import Field, full_file_url
from artifact_browser.qt.file_tree_model import Role as FileRole
from artifact_browser.qt.group_job_tree_model import ItemKind
from artifact_browser.core.transfers import TransferState
from artifact_browser.qt.download_dialog import DownloadDialog
from artifact_browser.qt.main_window import LOADING, MainWindow
from artifact_browser.qt.preview_pane import Page
from artifact_browser.qt.search_box import query_for
from artifact_browser.qt.settings import Settings
from background import let_background_requests_finish
from gui_support import save_screenshot

TIMEOUT_MS = 15_000
# Previews a user can read in the pane (not binaries, not the 10 MB+ kind).
_READABLE = (".txt", ".json", ".csv", ".md", ".log", ".yaml")
# "12 of 42 artifacts", perhaps followed by where they come from.
_COUNT = re.compile(r"^[\d.,\u00a0\u202f]+ of [\d.,\u00a0\u202f]+ artifacts\b")


# -- helpers ------------------------------------------------------------------------------


def settings_at(path: Path) -> Settings:
    """Settings read from ``path`` from scratch, as the next start of the program would."""
    return Settings(QSettings(str(path), QSettings.Format.IniFormat))


def status(window: MainWindow) -> str:
    return window.status_label.text()


def count_text(rows: int, total: int) -> str:
    locale = QLocale()
    return f"{locale.toString(rows)} of {locale.toString(total)} artifacts"


def wait_page(qtbot, window: MainWindow) -> None:
    """Wait until the page asked for is on screen and the status bar says how many rows it has."""
    qtbot.waitUntil(
        lambda: window.pager.page_info is not None and not window.pager.is_busy and _COUNT.match(status(window)) is not None,
        timeout=TIMEOUT_MS,
    )


def table_ids(window: MainWindow) -> list[int]:
    return [window.model.artifact(row).id for row in range(window.model.rowCount())]


def row_of(window: MainWindow, artifact_id: int) -> int:
    return table_ids(window).index(artifact_id)


def activate(qtbot, window: MainWindow, widget: QWidget | None = None) -> None:
    """Make ``window`` the active window (shortcuts need one) with ``widget`` focused."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT_MS)
    if widget is not None:
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        qtbot.waitUntil(widget.hasFocus, timeout=TIMEOUT_MS)


def wait_details(qtbot, window: MainWindow, artifact_id: int) -> None:
    qtbot.waitUntil(
        lambda: window.details.artifact is not None and window.details.artifact.id == artifact_id, timeout=TIMEOUT_MS
    )


def arrow_to(qtbot, window: MainWindow, row: int) -> None:
    """Walk the table's current row to ``row`` with the arrow keys, as a keyboard user would."""
    table = window.table
    while table.currentIndex().row() < row:
        qtbot.keyClick(table, Qt.Key.Key_Down)
    while table.currentIndex().row() > row:
        qtbot.keyClick(table, Qt.Key.Key_Up)
    assert table.currentIndex().row() == row


def row_center(window: MainWindow, row: int, column: Column = Column.DESCRIPTION) -> QPoint:
    window.table.scrollTo(window.model.index(row, column))
    return window.table.visualRect(window.model.index(row, column)).center()


def click_row(qtbot, window: MainWindow, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, modifier, row_center(window, row))


def click_tree_row(qtbot, window: MainWindow, index: QModelIndex) -> None:
    window.tree.scrollTo(index)
    rect = window.tree.visualRect(index)
    assert rect.isValid(), "the tree row is not on screen"
    qtbot.mouseClick(window.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def seeded_in_table(window: MainWindow, manifest: SeedManifest) -> list[ArtifactInfo]:
    """The seeded artifacts on the current page, in table order (tests may have registered others)."""
    seeded = {a.id: a for a in manifest.artifacts}
    return [seeded[i] for i in table_ids(window) if i in seeded]


def readable_file(infos: list[ArtifactInfo]) -> ArtifactInfo:
    return next(a for a in infos if not a.is_dir and a.size and a.name.endswith(_READABLE))


def directory_with_top_level_file(infos: list[ArtifactInfo]) -> tuple[ArtifactInfo, str]:
    """A directory artifact and a readable file directly inside it (no folder to open first)."""
    for info in infos:
        if not info.is_dir:
            continue
        for entry in info.files:
            if "/" not in entry.relative_path and entry.size and entry.relative_path.endswith(_READABLE):
                return info, entry.relative_path
    raise AssertionError("the seed has no directory with a readable top-level file")


def visible_dialogs() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def open_window(qtbot, tmp_path: Path) -> Callable[..., MainWindow]:
    """Open a MainWindow on a settings file of the test's own, wait for its first page."""

    def open_(client: DioptraClient, settings: Settings | None = None, *, size: tuple[int, int] | None = (1500, 900)) -> MainWindow:
        window = MainWindow(client, settings if settings is not None else settings_at(tmp_path / "s.ini"))
        qtbot.addWidget(window)
        if size is not None:
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        wait_page(qtbot, window)
        return window

    return open_


@pytest.fixture
def window(open_window, client: DioptraClient) -> MainWindow:
    return open_window(client)


@pytest.fixture
def manifest(dioptra) -> SeedManifest:
    return dioptra.manifest


# -- the side panels follow the current row --------------------------------------------------


def test_the_first_row_is_current_and_the_details_follow_the_arrow_keys(qtbot, window: MainWindow) -> None:
    assert window.model.rowCount() >= 3
    # Keyboard users land on the first row, and the details show it without a click.
    assert window.table.currentIndex().row() == 0
    first, second, third = (window.model.artifact(row) for row in range(3))
    wait_details(qtbot, window, first.id)
    assert window.details.text(Field.ID) == str(first.id)

    activate(qtbot, window, window.table)
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.table.currentIndex().row() == 1
    wait_details(qtbot, window, second.id)
    assert window.details.text(Field.ID) == str(second.id)
    assert [i.row() for i in window.table.selectionModel().selectedRows()] == [1]  # the row, not one cell

    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    wait_details(qtbot, window, third.id)
    qtbot.keyClick(window.table, Qt.Key.Key_Up)
    wait_details(qtbot, window, second.id)
    assert window.details.text(Field.ID) == str(second.id)


def test_a_directory_row_shows_its_file_tree_and_a_file_row_previews_the_file(
    qtbot, window: MainWindow, manifest: SeedManifest
) -> None:
    infos = seeded_in_table(window, manifest)
    directory = next(a for a in infos if a.is_dir)
    single = readable_file(infos)
    activate(qtbot, window, window.table)

    arrow_to(qtbot, window, row_of(window, directory.id))
    wait_details(qtbot, window, directory.id)
    files = window.files
    qtbot.waitUntil(lambda: files.isVisible() and files.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert files.artifact is not None and files.artifact.id == directory.id
    top_level = {entry.relative_path.split("/", 1)[0] for entry in directory.files}
    shown = {files.model.index(row, 0).data(FileRole.PATH) for row in range(files.model.rowCount())}
    assert shown == top_level
    assert window.preview.page is Page.MESSAGE  # nothing to preview until a file is chosen

    with qtbot.waitSignal(window.preview.preview_shown, timeout=TIMEOUT_MS):
        arrow_to(qtbot, window, row_of(window, single.id))
    wait_details(qtbot, window, single.id)
    assert not files.isVisible()
    assert window.preview.page in (Page.TEXT, Page.TABLE)
    assert window.preview.title_label.text().startswith(single.name)
    if window.preview.page is Page.TEXT:
        assert window.preview.text_view.toPlainText().strip()


def test_a_file_tree_hidden_when_the_window_closed_gets_room_when_it_shows_again(
    qtbot, open_window, client: DioptraClient, manifest: SeedManifest, tmp_path: Path
) -> None:
    ini = tmp_path / "s.ini"
    first = open_window(client, settings_at(ini))
    infos = seeded_in_table(first, manifest)
    single, directory = readable_file(infos), next(a for a in infos if a.is_dir)
    activate(qtbot, first, first.table)
    arrow_to(qtbot, first, row_of(first, single.id))
    wait_details(qtbot, first, single.id)
    first.close()  # saved with the tree hidden, at height 0

    again = open_window(client, settings_at(ini), size=None)
    wait_page(qtbot, again)
    activate(qtbot, again, again.table)
    arrow_to(qtbot, again, row_of(again, directory.id))
    wait_details(qtbot, again, directory.id)
    qtbot.waitUntil(again.files.isVisible, timeout=TIMEOUT_MS)
    assert again.files.height() > 100 and again.side_splitter.sizes()[1] > 100


def test_enter_on_a_directory_focuses_its_file_tree_and_a_chosen_file_is_previewed(
    qtbot, window: MainWindow, manifest: SeedManifest, client: DioptraClient
) -> None:
    directory, path = directory_with_top_level_file(seeded_in_table(window, manifest))
    activate(qtbot, window, window.table)
    arrow_to(qtbot, window, row_of(window, directory.id))
    files = window.files
    qtbot.waitUntil(lambda: files.isVisible() and files.model.rowCount() > 0, timeout=TIMEOUT_MS)

    loads: list[object] = []
    files.loader.loaded.connect(loads.append)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(files.tree.hasFocus, timeout=TIMEOUT_MS)
    # Enter brings forward what is already shown: the listing is not thrown away and fetched again.
    assert not files.loader.is_busy and files.status_label.text() != "Loading files…"
    assert files.model.rowCount() > 0 and loads == []
    assert files.artifact is not None and files.artifact.id == directory.id

    index = files.model.index_for_path(path)
    assert index.isValid()
    files.tree.scrollTo(index)
    with qtbot.waitSignal(window.preview.preview_shown, timeout=TIMEOUT_MS) as shown:
        qtbot.mouseClick(files.tree.viewport(), Qt.MouseButton.LeftButton, pos=files.tree.visualRect(index).center())
    assert shown.args[0].kind.name in ("TEXT", "JSON", "CSV")
    assert window.preview.page in (Page.TEXT, Page.TABLE)
    assert window.preview.title_label.text().startswith(path)
    expected = client.artifacts.read_contents(client.artifacts.get_by_id(directory.id), path, limit=1 << 20)
    if window.preview.page is Page.TEXT and not path.endswith(".json"):
        assert window.preview.text_view.toPlainText() == expected.decode("utf-8")
    # The arrow keys keep working in the file tree.
    assert files.tree.currentIndex().data(FileRole.PATH) == path

    shot = save_screenshot(window, "window_behaviour")
    assert shot.stat().st_size > 0


# -- the tree and the job link --------------------------------------------------------------


def _job_with_artifacts(manifest: SeedManifest, *, group_id: int | None = None, exclude: tuple[int, ...] = ()) -> int:
    """A seeded job with a few artifacts that no test adds to (not the spare job)."""
    return next(
        j.id
        for j in manifest.jobs
        if j.id != manifest.spare_job_id
        and j.id not in exclude
        and (group_id is None or j.group_id == group_id)
        and len(manifest.artifacts_of_job(j.id)) >= 3
    )


def click_job_link(qtbot, window: MainWindow, job_id: int) -> None:
    """Click the "Job N" link in the details, as a user does."""
    label = window.details.value_widget(Field.JOB)
    assert window.details.text(Field.JOB) == f"Job {job_id}"
    with qtbot.waitSignal(window.details.job_activated, timeout=TIMEOUT_MS) as clicked:
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(6, label.height() // 2))
    assert clicked.args == [job_id]


def show_an_artifact_of(qtbot, window: MainWindow, manifest: SeedManifest, job_id: int) -> None:
    artifact_id = next(i for i in table_ids(window) if i in {a.id for a in manifest.artifacts_of_job(job_id)})
    click_row(qtbot, window, row_of(window, artifact_id))
    wait_details(qtbot, window, artifact_id)


def test_the_job_link_selects_a_loaded_job_in_the_tree_and_lists_its_artifacts(
    qtbot, window: MainWindow, manifest: SeedManifest
) -> None:
    job_id = _job_with_artifacts(manifest)
    job = manifest.job(job_id)
    qtbot.waitUntil(lambda: window.tree_model.index_for_group(job.group_id).isValid(), timeout=TIMEOUT_MS)
    group_index = window.tree_model.index_for_group(job.group_id)
    window.tree.expand(group_index)  # the user opens the group: its jobs are fetched
    qtbot.waitUntil(lambda: window.tree_model.index_for_job(job_id).isValid(), timeout=TIMEOUT_MS)

    show_an_artifact_of(qtbot, window, manifest, job_id)
    click_job_link(qtbot, window, job_id)

    current = window.tree.currentIndex()
    assert current == window.tree_model.index_for_job(job_id)
    assert window.tree_model.kind(current) is ItemKind.JOB
    expected = sorted(a.id for a in manifest.artifacts_of_job(job_id))
    qtbot.waitUntil(lambda: sorted(table_ids(window)) == expected, timeout=TIMEOUT_MS)
    wait_page(qtbot, window)
    assert status(window) == count_text(len(expected), len(expected))
    assert window.pager.query.scope.kind is ScopeKind.JOB and window.pager.query.scope.id == job_id


def test_the_job_link_of_a_job_not_loaded_in_the_tree_still_lists_its_artifacts(
    qtbot, window: MainWindow, manifest: SeedManifest
) -> None:
    job_id = _job_with_artifacts(manifest)
    assert not window.tree_model.index_for_job(job_id).isValid()  # no group is expanded yet

    show_an_artifact_of(qtbot, window, manifest, job_id)
    click_job_link(qtbot, window, job_id)

    expected = sorted(a.id for a in manifest.artifacts_of_job(job_id))
    qtbot.waitUntil(lambda: sorted(table_ids(window)) == expected, timeout=TIMEOUT_MS)
    wait_page(qtbot, window)
    # The tree cannot show where the rows come from, so the status bar says it.
    assert f"job {job_id}" in status(window)
    assert count_text(len(expected), len(expected)) in status(window)
    # Nothing in the tree pretends to be what the table shows...
    assert not window.tree.selectionModel().hasSelection()
    # ...so choosing "All artifacts" again goes back to everything.
    click_tree_row(qtbot, window, window.tree_model.all_index())
    qtbot.waitUntil(lambda: window.pager.query.scope.kind is ScopeKind.ALL, timeout=TIMEOUT_MS)
    wait_page(qtbot, window)
    assert window.model.rowCount() > len(expected)


def test_choosing_a_group_filters_the_table_and_all_artifacts_shows_everything(
    qtbot, window: MainWindow, manifest: SeedManifest, client: DioptraClient
) -> None:
    everything = client.artifacts.get(page_length=1).total
    assert status(window) == count_text(window.model.rowCount(), everything)
    for group in manifest.groups:
        qtbot.waitUntil(lambda group=group: window.tree_model.index_for_group(group.id).isValid(), timeout=TIMEOUT_MS)
        in_group = client.artifacts.get(group_id=group.id, page_length=1000)
        assert {a.id for a in manifest.artifacts_in_group(group.id)} <= {a.id for a in in_group.items}
        assert 0 < in_group.total < everything <= window.pager.query.page_size

        click_tree_row(qtbot, window, window.tree_model.index_for_group(group.id))
        qtbot.waitUntil(lambda in_group=in_group: sorted(table_ids(window)) == sorted(a.id for a in in_group.items), timeout=TIMEOUT_MS)
        wait_page(qtbot, window)
        assert status(window) == count_text(in_group.total, in_group.total)
        assert {window.model.artifact(row).group.id for row in range(window.model.rowCount())} == {group.id}

    click_tree_row(qtbot, window, window.tree_model.all_index())
    qtbot.waitUntil(lambda: window.model.rowCount() == everything, timeout=TIMEOUT_MS)
    wait_page(qtbot, window)
    assert status(window) == count_text(everything, everything)


# -- copying ----------------------------------------------------------------------------------


def select_two_rows(qtbot, window: MainWindow) -> list[Artifact]:
    click_row(qtbot, window, 1)
    click_row(qtbot, window, 3, Qt.KeyboardModifier.ControlModifier)
    chosen = [window.model.artifact(1), window.model.artifact(3)]
    assert window.selected_artifacts() == chosen
    return chosen


def test_ctrl_c_copies_the_ids_of_the_selected_rows(qtbot, window: MainWindow) -> None:
    activate(qtbot, window, window.table)
    chosen = select_two_rows(qtbot, window)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")

    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == f"{chosen[0].id}\n{chosen[1].id}"
    assert status(window) == "Copied 2 IDs."

    # In the search box, Ctrl+C copies the box's text, not the rows.
    window.search.line_edit.setText("some words")
    activate(qtbot, window, window.search.line_edit)
    window.search.line_edit.selectAll()
    qtbot.keyClick(window.search.line_edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "some words"


def test_the_uri_and_link_actions_copy_uris_and_full_download_urls(
    qtbot, window: MainWindow, client: DioptraClient
) -> None:
    activate(qtbot, window, window.table)
    chosen = select_two_rows(qtbot, window)
    clipboard = QGuiApplication.clipboard()

    window.copy_uri_action.trigger()
    assert clipboard.text() == "\n".join(a.artifact_uri for a in chosen)
    assert status(window) == "Copied 2 URIs."

    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    links = clipboard.text().split("\n")
    assert links == [client.address + a.file_url for a in chosen]
    assert all(link.startswith(("http://", "https://")) and f"/artifacts/{a.id}/contents" in link for link, a in zip(links, chosen))
    assert links == [full_file_url(client.address, a.file_url) for a in chosen]
    # What the link says is what the server serves.
    assert client.session._http.get(links[0]).status_code == 200  # noqa: SLF001 - the signed-in session


def test_the_context_menu_offers_the_copy_actions_for_the_clicked_rows(qtbot, window: MainWindow) -> None:
    activate(qtbot, window, window.table)
    chosen = select_two_rows(qtbot, window)
    menus_before = len(window.findChildren(QMenu))

    window.table.customContextMenuRequested.emit(row_center(window, 3))
    qtbot.waitUntil(lambda: any(isinstance(w, QMenu) and w.isVisible() for w in QApplication.topLevelWidgets()), timeout=TIMEOUT_MS)
    (menu,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts[:3] == ["Copy ID", "Copy URI", "Copy link"]
    assert {"Open details", "Refresh"} <= set(texts)

    copy_uri = next(a for a in menu.actions() if a.text().replace("&", "") == "Copy URI")
    copy_uri.trigger()
    menu.close()
    assert QGuiApplication.clipboard().text() == "\n".join(a.artifact_uri for a in chosen)
    # A closed menu does not stay behind: right-clicking all day must not pile up menus.
    qtbot.waitUntil(lambda: len(window.findChildren(QMenu)) == menus_before, timeout=TIMEOUT_MS)


# -- the keyboard -----------------------------------------------------------------------------


def test_f5_loads_the_page_again(qtbot, window: MainWindow, client: DioptraClient) -> None:
    total = client.artifacts.get(page_length=1).total
    before = window.model.page
    activate(qtbot, window, window.table)

    qtbot.keyClick(window.table, Qt.Key.Key_F5)
    assert status(window) == LOADING
    wait_page(qtbot, window)
    assert window.model.page is not before  # a new answer, not the cached page
    assert status(window) == count_text(window.model.rowCount(), total)
    qtbot.waitUntil(lambda: window.tree_model.index_for_group(1).isValid(), timeout=TIMEOUT_MS)  # the tree came back too


def test_ctrl_f_moves_from_the_table_to_the_search_box(qtbot, window: MainWindow) -> None:
    window.search.line_edit.setText("mnist")
    activate(qtbot, window, window.table)
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.search.line_edit.hasFocus, timeout=TIMEOUT_MS)
    assert window.search.line_edit.selectedText() == "mnist"  # ready to type over


# -- settings survive a restart ---------------------------------------------------------------


def test_page_size_sort_search_splitters_and_columns_survive_a_restart(
    qtbot, open_window, client: DioptraClient, tmp_path: Path
) -> None:
    ini = tmp_path / "s.ini"
    # Smaller than the offscreen screen (800 × 800), where a restored geometry would be shrunk to fit.
    first = open_window(client, settings_at(ini), size=(760, 700))
    header = first.table.horizontalHeader()

    # Page size 25.
    combo = first.pager_bar.page_size_combo
    row = combo.findData(25)
    combo.setCurrentIndex(row)
    combo.activated.emit(row)
    qtbot.waitUntil(lambda: first.model.rowCount() == 25, timeout=TIMEOUT_MS)

    # Sort by description, A to Z, with a click on its header.
    section = header.sectionViewportPosition(Column.DESCRIPTION) + header.sectionSize(Column.DESCRIPTION) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(section, header.height() // 2))
    qtbot.waitUntil(lambda: first.pager.query.sort_key == "description", timeout=TIMEOUT_MS)
    assert first.pager.query.descending is False
    wait_page(qtbot, first)

    # A search, typed.
    qtbot.keyClicks(first.search.line_edit, "mnist")
    qtbot.waitUntil(lambda: first.pager.query.search == query_for("mnist"), timeout=TIMEOUT_MS)
    wait_page(qtbot, first)
    found = table_ids(first)
    assert found
    for row in range(first.model.rowCount()):
        artifact = first.model.artifact(row)
        assert "mnist" in f"{artifact.description} {artifact.artifact_uri}".lower()

    # A column moved and the splitters dragged.
    header.moveSection(header.visualIndex(Column.TASK), 1)
    first.main_splitter.setSizes([150, 380, 220])
    first.side_splitter.setSizes([280, 130, 250])
    main_sizes, side_sizes = first.main_splitter.sizes(), first.side_splitter.sizes()
    column_order = [header.logicalIndex(v) for v in range(header.count())]
    description_width = header.sectionSize(Column.DESCRIPTION)
    geometry = first.geometry()
    first.close()

    again = open_window(client, settings_at(ini), size=None)  # the saved geometry, not a new size
    assert again.geometry().size() == geometry.size()
    query = again.pager.query
    assert (query.page_size, query.sort_key, query.descending) == (25, "description", False)
    assert again.pager_bar.page_size_combo.currentData() == 25
    again_header = again.table.horizontalHeader()
    assert again_header.sortIndicatorSection() == Column.DESCRIPTION
    assert again_header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    # The search box shows what the user typed, and the table is filtered by it.
    assert again.search.text == "mnist"
    assert query.search == query_for("mnist")
    assert table_ids(again) == found
    assert [again_header.logicalIndex(v) for v in range(again_header.count())] == column_order
    assert again_header.sectionSize(Column.DESCRIPTION) == description_width
    assert again.main_splitter.sizes() == main_sizes
    assert again.side_splitter.sizes() == side_sizes


# -- an expired session -----------------------------------------------------------------------


@pytest.fixture
def bob(dioptra) -> Iterator[DioptraClient]:
    """A client signed in as bob: signing him out everywhere leaves the other tests' alice alone."""
    user = dioptra.manifest.user("bob")
    with connect(dioptra.url) as signed_in:
        signed_in.auth.login(user.username, user.password)
        yield signed_in
        let_background_requests_finish()


def test_an_expired_session_is_renewed_without_the_user_noticing(
    qtbot, open_window, bob: DioptraClient, dioptra, caplog: pytest.LogCaptureFixture
) -> None:
    window = open_window(bob)
    total = bob.artifacts.get(page_length=1).total
    assert status(window) == count_text(window.model.rowCount(), total)

    # Bob signs out on every device from another program: the window's cookies are dead.
    user = dioptra.manifest.user("bob")
    with connect(dioptra.url) as second:
        second.auth.login(user.username, user.password)
        second.auth.logout(everywhere=True)

    caplog.set_level(logging.INFO, logger="artifact_browser.api.session")
    activate(qtbot, window, window.table)
    qtbot.keyClick(window.table, Qt.Key.Key_F5)
    assert status(window) == LOADING
    wait_page(qtbot, window)
    assert status(window) == count_text(window.model.rowCount(), total)
    assert window.model.rowCount() > 0
    qtbot.waitUntil(lambda: window.tree_model.index_for_group(user.group_ids[0]).isValid(), timeout=TIMEOUT_MS)
    assert visible_dialogs() == []
    # It really was renewed (not merely still valid), and said so only in the log.
    assert any("Session expired; signing in again as bob" in r.getMessage() for r in caplog.records)
    assert window.search.error_label.isHidden()


# -- downloads from the window ---------------------------------------------------------


def test_ctrl_s_downloads_the_selected_file_into_the_chosen_folder(
    qtbot, window: MainWindow, manifest: SeedManifest, tmp_path: Path
) -> None:
    info = max((a for a in seeded_in_table(window, manifest) if not a.is_dir), key=lambda a: a.size or 0)
    click_row(qtbot, window, row_of(window, info.id))
    assert not window.transfers_dock.isVisible()
    qtbot.keyClick(window.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.findChild(DownloadDialog) is not None, timeout=TIMEOUT_MS)
    dialog = window.findChild(DownloadDialog)
    qtbot.waitUntil(lambda: dialog.is_ready, timeout=TIMEOUT_MS)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    dialog.folder_edit.setText(str(downloads))
    dialog.download_button.click()

    target = downloads / dialog.name_edit.text()
    qtbot.waitUntil(lambda: window.transfers_dock.isVisible() and target.exists(), timeout=TIMEOUT_MS)
    assert target.stat().st_size == info.size
    (transfer,) = window.transfers.transfers()
    qtbot.waitUntil(lambda: window.transfers.get(transfer.id).state == TransferState.DONE, timeout=TIMEOUT_MS)
    assert [p.name for p in downloads.iterdir()] == [target.name]  # no .part left behind
