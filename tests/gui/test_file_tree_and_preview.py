"""A directory artifact's file tree and the file preview, against the real local Dioptra server."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QSplitter

from artifact_browser.api import Artifact, ArtifactFile, CancelToken, DioptraClient, DownloadCancelled, NotFoundError
from artifact_browser.api.artifacts import ContentTooLargeError
from artifact_browser.core.preview import PreviewCache, PreviewKind
from artifact_browser.devserver.manifest import SeedManifest
from artifact_browser.qt.file_tree_model import Column, Role
from artifact_browser.qt.file_tree_view import FileTreeView
from artifact_browser.qt.preview_pane import CsvTableModel, Page, PreviewPane
from gui_support import save_screenshot, seeded

WAIT_MS = 15_000


def artifact(client: DioptraClient, manifest: SeedManifest, name: str) -> Artifact:
    return client.artifacts.get_by_id(seeded(manifest, name).id)


class Browser(QSplitter):
    """The tree and the preview side by side, wired as the main window wires them."""

    def __init__(self, client: DioptraClient, cache: PreviewCache, cap: int | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.tree_view = FileTreeView(client, self)
        self.preview = PreviewPane(client, self, cache=cache, **({"cap": cap} if cap is not None else {}))
        self.tree_view.file_selected.connect(self.preview.show_file)
        self.tree_view.folder_selected.connect(self.preview.show_file)
        self.addWidget(self.tree_view)
        self.addWidget(self.preview)
        self.setSizes([380, 520])
        self.resize(900, 520)


@pytest.fixture
def cache() -> PreviewCache:
    return PreviewCache()


@pytest.fixture
def open_browser(qtbot, client: DioptraClient, cache: PreviewCache) -> Callable[..., Browser]:
    def open_(cap: int | None = None) -> Browser:
        browser = Browser(client, cache, cap)
        qtbot.addWidget(browser)
        browser.show()
        return browser

    return open_


@pytest.fixture
def fetches(client: DioptraClient, monkeypatch) -> list[tuple[int, str | None]]:
    """Every ``read_contents`` call the GUI makes: ``(artifact id, path)``."""
    calls: list[tuple[int, str | None]] = []
    real = client.artifacts.read_contents

    def counting(target, artifact_path=None, **kwargs):
        calls.append((target.id if isinstance(target, Artifact) else int(target), artifact_path))
        return real(target, artifact_path, **kwargs)

    monkeypatch.setattr(client.artifacts, "read_contents", counting)
    return calls


def open_directory(qtbot, browser: Browser, directory: Artifact) -> None:
    view = browser.tree_view
    with qtbot.waitSignal(view.loader.loaded, timeout=WAIT_MS):
        view.show_artifact(directory)
        assert view.status_label.text() == "Loading files…"  # said at once, before the answer


def all_paths(view: FileTreeView) -> dict[str, QModelIndex]:
    """Every path the view's model can show, with its index (fetching everything first)."""
    model = view.model
    assert model.fetch_all(100_000)
    found = {}
    stack = [QModelIndex()]
    while stack:
        parent = stack.pop()
        for row in range(model.rowCount(parent)):
            index = model.index(row, Column.NAME, parent)
            found[index.data(Role.PATH)] = index
            stack.append(index)
    return found


def select(qtbot, browser: Browser, path: str) -> None:
    """Choose ``path`` in the tree and wait until the preview of it is on screen."""
    preview = browser.preview
    with qtbot.waitSignal(preview.preview_shown, timeout=WAIT_MS):
        assert browser.tree_view.select_path(path)


# -- the api addition: reading one file into memory ------------------------------------------------


def test_read_contents_of_a_file_artifact_and_of_a_file_in_a_directory(client, dioptra) -> None:
    manifest = dioptra.manifest
    assert client.artifacts.read_contents(seeded(manifest, "tiny.txt").id) == b"ok\n"
    evaluation = artifact(client, manifest, "evaluation")
    assert client.artifacts.read_contents(evaluation, "notes.txt") == b"evaluation notes\n"
    assert client.artifacts.read_contents(evaluation, "reports/summary/final/report.txt", limit=24) == b"nested four levels deep\n"


def test_read_contents_stops_past_the_limit_and_keeps_the_head(client, dioptra) -> None:
    predictions = artifact(client, dioptra.manifest, "predictions.csv")
    with pytest.raises(ContentTooLargeError) as raised:
        client.artifacts.read_contents(predictions, limit=100)
    assert raised.value.limit == 100
    assert raised.value.head == "".join(f"{i},{i % 10},{(i * 7) % 10}\n" for i in range(30)).encode()[:100]
    assert "larger than 100 bytes" in raised.value.message


def test_read_contents_refuses_folders_archives_and_cancelled_reads(client, dioptra) -> None:
    evaluation = artifact(client, dioptra.manifest, "evaluation")
    with pytest.raises(ValueError, match="is a directory"):
        client.artifacts.read_contents(evaluation)
    with pytest.raises(ValueError, match="is a folder"):
        client.artifacts.read_contents(evaluation, "plots")
    with pytest.raises(ValueError, match="single file"):
        client.artifacts.read_contents(artifact(client, dioptra.manifest, "tiny.txt"), "tiny.txt")
    token = CancelToken()
    token.cancel()
    with pytest.raises(DownloadCancelled):
        client.artifacts.read_contents(evaluation, "notes.txt", cancel=token)


# -- the tree ------------------------------------------------------------------------------------


def test_the_200_file_directory_matches_the_servers_listing(qtbot, client, dioptra, open_browser) -> None:
    info = seeded(dioptra.manifest, "predictions")
    browser = open_browser()
    open_directory(qtbot, browser, client.artifacts.get_by_id(info.id))
    view = browser.tree_view

    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=WAIT_MS)  # the view asks for the first rows itself
    top = [view.model.index(r, 0).data() for r in range(view.model.rowCount())]
    assert top == [f"batch_{b:02d}" for b in range(10)]
    paths = all_paths(view)
    files = {p for p, index in paths.items() if not index.data(Role.IS_DIR)}
    assert files == {f.relative_path for f in info.files}
    assert len(files) == 200
    for b in range(10):
        folder = paths[f"batch_{b:02d}"]
        expected = sum(f.size for f in info.files if f.relative_path.startswith(f"batch_{b:02d}/"))
        assert folder.data(Role.RAW_SIZE) == expected
        assert folder.data(Role.NODE).file_count == 20
        assert folder.siblingAtColumn(Column.SIZE).data().endswith("· 20 files")
    assert view.status_label.text().startswith("200 files · ")
    assert not view.busy_bar.isVisible()


def test_a_nested_directory_keeps_its_depth_and_its_empty_folder(qtbot, client, dioptra, open_browser) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    browser = open_browser()
    open_directory(qtbot, browser, client.artifacts.get_by_id(info.id))
    paths = all_paths(browser.tree_view)
    assert {f.relative_path for f in info.files} <= set(paths)
    assert set(info.empty_dirs) <= set(paths)
    assert paths["reports/summary/final"].data(Role.IS_DIR)
    assert paths["reports/summary/final/report.txt"].parent().data(Role.PATH) == "reports/summary/final"
    model = browser.tree_view.model
    top = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert top == ["cache", "plots", "reports", "tables", "notes.txt"]  # folders first
    assert paths["cache"].siblingAtColumn(Column.SIZE).data() == "0 B · 0 files"
    reports = paths["reports"]
    assert reports.data(Role.RAW_SIZE) == sum(f.size for f in info.files if f.relative_path.startswith("reports/"))


def test_filter_keeps_matching_paths_with_their_parents(qtbot, client, dioptra, open_browser) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    browser = open_browser()
    view = browser.tree_view
    open_directory(qtbot, browser, client.artifacts.get_by_id(info.id))

    with qtbot.waitSignal(view.loader.filtered, timeout=WAIT_MS):
        qtbot.keyClicks(view.filter_edit, "*.PNG")  # debounced: one filtering after the typing
    assert set(all_paths(view)) == {
        "plots", "plots/roc", "plots/roc/roc curve.png", "plots/confusion", "plots/confusion/matrix.png"
    }
    assert view.tree.isExpanded(view.model.index_for_path("plots/roc"))  # a small result is shown open
    assert view.status_label.text().startswith(f"2 of {len(info.files)} files match")
    save_screenshot(browser, "file_tree_filtered")

    with qtbot.waitSignal(view.loader.filtered, timeout=WAIT_MS):
        view.filter_edit.setText("nothing like this")
    assert all_paths(view) == {}
    assert view.status_label.text() == f"No file matches “nothing like this” (of {len(info.files)} files)."

    with qtbot.waitSignal(view.loader.filtered, timeout=WAIT_MS):
        qtbot.keyClick(view.filter_edit, Qt.Key.Key_Escape)  # Esc clears the filter
    assert view.filter_edit.text() == ""
    assert len([p for p, i in all_paths(view).items() if not i.data(Role.IS_DIR)]) == len(info.files)


def test_a_listing_that_fails_says_so_inline_with_a_retry(qtbot, client, dioptra, open_browser) -> None:
    real = artifact(client, dioptra.manifest, "evaluation")
    missing = Artifact(**{**{f: getattr(real, f) for f in real.__slots__}, "id": 999_999})  # type: ignore[arg-type]
    browser = open_browser()
    view = browser.tree_view
    with qtbot.waitSignal(view.loader.failed, timeout=WAIT_MS) as failed:
        view.show_artifact(missing)
    assert isinstance(failed.args[0], NotFoundError)
    assert view.status_label.text().startswith("Could not list the files: ")
    assert view.retry_button.isVisible()
    view.show_artifact(real)  # choosing another artifact recovers
    assert not view.retry_button.isVisible()
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=WAIT_MS)


def test_a_single_file_artifact_has_no_tree(qtbot, client, dioptra, open_browser) -> None:
    browser = open_browser()
    browser.tree_view.show_artifact(artifact(client, dioptra.manifest, "tiny.txt"))
    assert browser.tree_view.model.rowCount() == 0
    assert browser.tree_view.status_label.text() == "tiny.txt is a single file, not a directory."


# -- the preview ---------------------------------------------------------------------------------


def test_preview_text_json_csv_and_image_files_of_a_directory(qtbot, client, dioptra, open_browser) -> None:
    browser = open_browser()
    preview = browser.preview
    open_directory(qtbot, browser, artifact(client, dioptra.manifest, "evaluation"))

    select(qtbot, browser, "notes.txt")
    assert preview.page is Page.TEXT
    assert preview.text_view.toPlainText() == "evaluation notes\n"
    assert preview.text_view.isReadOnly()
    save_screenshot(browser, "file_tree_preview_text")

    select(qtbot, browser, "reports/summary/final/données.json")
    assert preview.page is Page.TEXT
    assert preview.text_view.toPlainText() == json.dumps({"ok": True}, indent=2)
    assert "JSON" in preview.title_label.text()

    select(qtbot, browser, "tables/per_class.csv")
    assert preview.page is Page.TABLE
    model = preview.csv_model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == ["class", "precision", "recall"]
    assert model.rowCount() == 10
    assert [model.index(3, c).data() for c in range(3)] == ["3", "0.99", "0.98"]
    save_screenshot(browser, "file_tree_preview_csv")

    select(qtbot, browser, "plots/roc/roc curve.png")
    assert preview.page is Page.IMAGE
    pixmap = preview.image_label.pixmap()
    assert not pixmap.isNull()
    assert pixmap.width() * 30 == pixmap.height() * 40  # 40 x 30, scaled keeping the aspect ratio
    assert pixmap.width() > 40  # enlarged to use the pane
    assert "PNG image, 40 × 30" in preview.title_label.text()
    save_screenshot(browser, "file_tree_preview_image")


def test_a_folder_choice_shows_a_hint_not_a_preview(qtbot, client, dioptra, open_browser) -> None:
    browser = open_browser()
    open_directory(qtbot, browser, artifact(client, dioptra.manifest, "evaluation"))
    with qtbot.waitSignal(browser.tree_view.folder_selected, timeout=WAIT_MS) as chosen:
        browser.tree_view.select_path("plots")
    assert chosen.args[1] == ArtifactFile("plots", True, chosen.args[1].file_size, "")
    assert browser.preview.page is Page.MESSAGE
    assert browser.preview.message_label.text() == "plots is a folder: choose a file in it to preview."


def test_single_file_artifacts_preview_through_show_artifact(qtbot, client, dioptra, cache) -> None:
    pane = PreviewPane(client, cache=cache)
    qtbot.addWidget(pane)
    pane.resize(500, 400)
    pane.show()
    with qtbot.waitSignal(pane.preview_shown, timeout=WAIT_MS) as shown:
        pane.show_artifact(artifact(client, dioptra.manifest, "metrics.json"))
    assert shown.args[0].kind is PreviewKind.JSON
    assert json.loads(pane.text_view.toPlainText()) == {"accuracy": 0.9912, "loss": 0.031, "epochs": 12}
    with qtbot.waitSignal(pane.preview_shown, timeout=WAIT_MS) as shown:
        pane.show_artifact(artifact(client, dioptra.manifest, "model.bin"))
    assert pane.page is Page.MESSAGE
    assert pane.message_label.text() == "No preview: model.bin is a binary file (5.0 MiB)."
    pane.show_artifact(artifact(client, dioptra.manifest, "predictions"))
    assert pane.message_label.text() == "predictions is a directory: choose a file in it to preview."


def test_an_over_cap_file_waits_for_load_anyway(qtbot, client, dioptra, cache, fetches) -> None:
    pane = PreviewPane(client, cache=cache, cap=100)
    qtbot.addWidget(pane)
    pane.resize(500, 400)
    pane.show()
    predictions = artifact(client, dioptra.manifest, "predictions.csv")
    pane.show_artifact(predictions)
    assert pane.page is Page.MESSAGE
    assert pane.message_label.text().startswith(f"Too large to preview: {predictions.file_size / 1024:.1f} KiB")
    assert pane.action_button.isVisible() and pane.action_button.text() == "Load anyway"
    assert fetches == []  # the size was known: nothing was read
    save_screenshot(pane, "preview_over_cap")

    with qtbot.waitSignal(pane.preview_shown, timeout=WAIT_MS):
        qtbot.mouseClick(pane.action_button, Qt.MouseButton.LeftButton)
    assert pane.page is Page.TABLE
    assert pane.csv_model.rowCount() == 1000
    assert pane.note_label.text() == "Showing the first 1,000 rows."
    assert fetches == [(predictions.id, None)]


def test_an_over_cap_file_of_unknown_size_stops_reading_at_the_cap(qtbot, client, dioptra, cache, fetches) -> None:
    pane = PreviewPane(client, cache=cache, cap=100)
    qtbot.addWidget(pane)
    pane.show()
    evaluation = artifact(client, dioptra.manifest, "evaluation")
    entry = ArtifactFile("tables/per_class.csv", False, None, "")  # 143 bytes, but the listing gives no size
    pane.show_file(evaluation, entry)
    qtbot.waitUntil(lambda: pane.page is Page.MESSAGE and pane.action_button.isVisible(), timeout=WAIT_MS)
    assert pane.message_label.text() == "Too large to preview: more than 100 B, previews are capped at 100 B."
    assert pane.action_button.text() == "Load anyway"
    with qtbot.waitSignal(pane.preview_shown, timeout=WAIT_MS):
        pane.action_button.click()
    assert pane.page is Page.TABLE
    assert pane.csv_model.rowCount() == 10
    assert fetches == [(evaluation.id, "tables/per_class.csv")] * 2  # the capped read kept nothing


def test_a_second_preview_of_the_same_file_is_not_fetched_again(qtbot, client, dioptra, open_browser, fetches) -> None:
    browser = open_browser()
    evaluation = artifact(client, dioptra.manifest, "evaluation")
    open_directory(qtbot, browser, evaluation)
    select(qtbot, browser, "notes.txt")
    select(qtbot, browser, "tables/per_class.csv")
    select(qtbot, browser, "notes.txt")
    assert browser.preview.text_view.toPlainText() == "evaluation notes\n"
    assert fetches == [(evaluation.id, "notes.txt"), (evaluation.id, "tables/per_class.csv")]

    # Another pane sharing the session's cache does not fetch either.
    other = PreviewPane(client, cache=browser.preview.cache)
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.preview_shown, timeout=WAIT_MS):
        other.show_file(evaluation, ArtifactFile("notes.txt", False, 17, ""))
    assert len(fetches) == 2


def test_a_preview_can_be_cancelled_and_tried_again(qtbot, client, dioptra, cache, monkeypatch) -> None:
    import threading

    release = threading.Event()
    real = client.artifacts.read_contents

    def held(target, artifact_path=None, *, limit=None, cancel=None):
        release.wait(WAIT_MS / 1000)  # a server that has not answered yet
        return real(target, artifact_path, limit=limit, cancel=cancel)

    monkeypatch.setattr(client.artifacts, "read_contents", held)
    pane = PreviewPane(client, cache=cache)
    qtbot.addWidget(pane)
    pane.show()
    pane.show_artifact(artifact(client, dioptra.manifest, "tiny.txt"))
    assert pane.page is Page.LOADING and pane.is_busy
    qtbot.mouseClick(pane.cancel_button, Qt.MouseButton.LeftButton)
    assert pane.page is Page.MESSAGE and not pane.is_busy
    assert pane.message_label.text() == "Preview cancelled."
    release.set()
    with qtbot.waitSignal(pane.preview_shown, timeout=WAIT_MS):
        pane.action_button.click()  # "Try again"
    assert pane.text_view.toPlainText() == "ok\n"


def test_csv_table_model_passes_the_qt_model_tester(qapp, qtmodeltester) -> None:
    model = CsvTableModel()
    qtmodeltester.check(model, force_py=True)
    model.set_rows(("a", "b", "Column 3"), [("1", "2", "3"), ("4",), ("5", "6")])
    qtmodeltester.check(model, force_py=True)
    assert model.index(1, 2).data() == ""
    assert model.headerData(1, Qt.Orientation.Vertical) == "2"


def test_a_large_folder_above_others_keeps_fetching_as_it_scrolls(qtbot) -> None:
    # QTreeView by itself fetches more only for the root and the last expanded folder:
    # here "big" is followed by "zz", so without the view's own fetching it would stop at 500.
    view = FileTreeView()
    qtbot.addWidget(view)
    view.resize(400, 600)
    view.show()
    listing = [ArtifactFile(f"big/f{i:05d}.txt", False, 1, "") for i in range(3000)] + [ArtifactFile("zz/last.txt", False, 1, "")]
    with qtbot.waitSignal(view.loader.loaded, timeout=WAIT_MS):
        view.loader.load_files(listing)
    big = view.model.index_for_path("big")
    view.tree.expand(big)
    qtbot.waitUntil(lambda: view.model.rowCount(big) > 0, timeout=WAIT_MS)
    first = view.model.rowCount(big)
    assert first < 3000  # lazily filled
    while view.model.rowCount(big) < 3000:
        before = view.model.rowCount(big)
        view.tree.scrollToBottom()
        qtbot.waitUntil(lambda: view.model.rowCount(big) > before, timeout=WAIT_MS)
    assert view.model.index(2999, 0, big).data() == "f02999.txt"
