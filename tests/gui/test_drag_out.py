"""Dragging artifacts and files out of the window, against the real local Dioptra server.

Offscreen, ``QDrag.exec`` returns at once, so these tests drive a real mouse
drag on the views, take the drag's MIME data as it started, and then ask for
the URL list the way a drop target does at drop time (``urls()`` /
``data("text/uri-list")``). The real drop between two processes is in
test_drag_drop_xvfb.py.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt, QTimer, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QTableView

from artifact_browser.api import Artifact, DioptraClient, connect
from artifact_browser.api.models import Page
from artifact_browser.core.file_tree import build_tree
from artifact_browser.core.transfers import (
    Transfer,
    TransferHistory,
    TransferKind,
    TransferManager,
    TransferRequest,
    TransferState,
)
from artifact_browser.devserver.manifest import ArtifactInfo
from artifact_browser.qt.artifact_table_model import ArtifactTableModel
from artifact_browser.qt import drag_out as drag_out_module
from artifact_browser.qt.drag_out import (
    URI_LIST,
    DragItem,
    DragOut,
    DragOutMimeData,
    artifact_items,
    file_tree_items,
    tree_items,
)
from artifact_browser.qt.file_tree_view import FileTreeView
from artifact_browser.qt.main_window import MainWindow
from artifact_browser.qt.transfer_panel import TransferPanel
from gui_support import save_screenshot, seeded

WAIT_MS = 30_000


class Harness:
    """A transfer manager, its panel, and a DragOut wired to them, as the main window wires them."""

    def __init__(
        self,
        qtbot,
        client: DioptraClient,
        staging: Path,
        *,
        drop_wait_ms: int = WAIT_MS,
        history: TransferHistory | None = None,
    ) -> None:
        self.qtbot = qtbot
        self.client = client
        self.manager = TransferManager(client, max_parallel=2, history=history)
        self.panel = TransferPanel(self.manager)
        qtbot.addWidget(self.panel)
        self.panel.resize(900, 240)
        self.drag_out = DragOut(self.manager, client, staging_root=staging, drop_wait_ms=drop_wait_ms)
        self.messages: list[str] = []
        self.queued: list[int] = []
        self.drag_out.message.connect(self.messages.append)
        self.drag_out.transfers_queued.connect(self.queued.append)

    def table(self, artifacts: list[Artifact]) -> QTableView:
        """The artifact table's model in a view with the main window's selection settings, wired for drags."""
        view = QTableView()
        model = ArtifactTableModel(view)
        model.set_page(Page(items=tuple(artifacts), index=0, total=len(artifacts), is_complete=True))
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.qtbot.addWidget(view)
        view.resize(900, 300)
        view.show()

        def selected() -> list[Artifact]:
            return [model.artifact(row) for row in sorted(i.row() for i in view.selectionModel().selectedRows())]

        self.drag_out.enable(view, lambda: artifact_items(selected()))
        return view

    def tree(self, artifact: Artifact) -> FileTreeView:
        """A directory artifact's file tree, several rows selectable, wired for drags."""
        view = FileTreeView(self.client)
        view.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.qtbot.addWidget(view)
        view.resize(500, 400)
        view.show()
        view.show_artifact(artifact)
        self.qtbot.waitUntil(lambda: view.loader.result is not None, timeout=WAIT_MS)
        self.drag_out.enable(view.tree, lambda: file_tree_items(view))
        return view

    def drag(self, view: QAbstractItemView, row_index) -> DragOutMimeData:  # noqa: ANN001 - a QModelIndex
        """Press on a row, move past the drag distance; return the data the drag started with."""
        viewport = view.viewport()
        start = view.visualRect(row_index).center()
        end = start + QPoint(40, 0)
        with self.qtbot.waitSignal(self.drag_out.drag_started, timeout=WAIT_MS) as started:
            QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
            # Small steps, as a hand moves: the short moves before the drag starts must not
            # reach the view, which would make them a new selection.
            for dx in range(2, 42, 2):
                QTest.mouseMove(viewport, start + QPoint(dx, 0))
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
        mime = started.args[0]
        assert isinstance(mime, DragOutMimeData)
        return mime

    def transfer_ids(self) -> set[int]:
        return {t.id for t in self.manager.transfers()}

    def shown(self, transfer_id: int) -> Transfer | None:
        """The transfer as the panel shows it now, or None when it has no row (yet)."""
        row = self.panel.model.row_of(transfer_id)
        return None if row is None else self.panel.model.transfer_at(row)

    def panel_shows(self, ids: list[int]) -> bool:
        return all(self.shown(i) is not None for i in ids)

    def close(self) -> None:
        # The main window's order: the drag forgets its finished downloads before the last save.
        self.drag_out.close()
        self.manager.shutdown()


@pytest.fixture
def harness(qtbot, client: DioptraClient, tmp_path: Path) -> Iterator[Harness]:
    made = Harness(qtbot, client, tmp_path / "staging")
    yield made
    made.close()


@pytest.fixture
def get(client: DioptraClient, dioptra) -> Callable[[str], Artifact]:
    return lambda name: client.artifacts.get_by_id(seeded(dioptra.manifest, name).id)


def select_rows(view: QAbstractItemView, indexes) -> None:  # noqa: ANN001 - QModelIndexes
    selection = QItemSelection()
    for index in indexes:
        selection.select(index, index)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().select(selection, flags)


def paths_of(urls: list[QUrl]) -> list[Path]:
    assert all(url.isLocalFile() for url in urls), urls
    return [Path(url.toLocalFile()) for url in urls]


def files_in(folder: Path) -> list[tuple[str, int]]:
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*") if p.is_file())


def listed(info: ArtifactInfo, below: str = "") -> list[tuple[str, int]]:
    prefix = f"{below}/" if below else ""
    return sorted((f.relative_path[len(prefix):], f.size) for f in info.files if f.relative_path.startswith(prefix))


def no_partial_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".part")]


def test_the_drag_advertises_a_url_list_before_any_data_exists(harness: Harness, get) -> None:
    view = harness.table([get("tiny.txt")])
    select_rows(view, [view.model().index(0, 0)])
    mime = harness.drag(view, view.model().index(0, 0))
    # Formats are known at once; the URLs are produced only when asked for.
    assert mime.formats() == [URI_LIST] and mime.hasUrls() and not mime.hasImage() and not mime.hasHtml()
    assert harness.drag_out.last_mime_data is mime
    assert mime.wait(WAIT_MS) and [p.name for p in mime.local_files()] == ["tiny.txt"]


def test_a_file_downloaded_this_session_drags_at_once(harness: Harness, get, client: DioptraClient, tmp_path: Path) -> None:
    artifact = get("roc curve.png")
    mine = tmp_path / "mine"
    tid = harness.manager.submit(
        TransferRequest(artifact.id, artifact.name, TransferKind.FILE, mine / "roc curve.png", expected_size=artifact.file_size)
    )
    harness.qtbot.waitUntil(lambda: harness.manager.get(tid).state is TransferState.DONE, timeout=WAIT_MS)
    before = harness.transfer_ids()

    view = harness.table([artifact])
    select_rows(view, [view.model().index(0, 0)])
    mime = harness.drag(view, view.model().index(0, 0))
    assert harness.transfer_ids() == before and mime.transfer_ids() == []  # nothing new to download
    assert mime.is_settled()  # so the drop is answered without waiting
    assert mime.urls() == [QUrl.fromLocalFile(str(mine / "roc curve.png"))]
    assert bytes(mime.data(URI_LIST).data()) == QUrl.fromLocalFile(str(mine / "roc curve.png")).toEncoded().data() + b"\r\n"
    assert harness.messages[-1] == "Dropped roc curve.png."


def test_several_fresh_rows_download_visibly_and_the_drop_gets_complete_files_and_folders(
    harness: Harness, get, dioptra, tmp_path: Path
) -> None:
    names = ["roc curve.png", "logs", "history.csv"]
    view = harness.table([get(n) for n in names])
    model = view.model()
    select_rows(view, [model.index(row, 0) for row in range(3)])
    mime = harness.drag(view, model.index(1, 0))  # pressing on a selected row keeps the others selected

    assert [item.label for item in mime.items] == names
    assert harness.messages[0] == "Downloading 3 items for the drag; progress in Transfers."
    # The two files are queued at once; the directory once its listing (to check it against) arrives.
    harness.qtbot.waitUntil(lambda: len(mime.transfer_ids()) == 3, timeout=WAIT_MS)
    assert sum(harness.queued) == 3
    harness.qtbot.waitUntil(lambda: harness.panel_shows(mime.transfer_ids()), timeout=WAIT_MS)
    kinds = {harness.manager.get(i).request.name: harness.manager.get(i).request.kind for i in mime.transfer_ids()}
    assert kinds == {"roc curve.png": TransferKind.FILE, "logs": TransferKind.EXTRACT, "history.csv": TransferKind.FILE}

    # Drop time: the target asks for the list; the answer waits for the downloads.
    dropped = paths_of(mime.urls())
    assert [p.name for p in dropped] == names
    png, logs, csv = dropped
    assert png.is_file() and png.stat().st_size == seeded(dioptra.manifest, "roc curve.png").size
    assert csv.is_file() and csv.stat().st_size == seeded(dioptra.manifest, "history.csv").size
    assert logs.is_dir() and files_in(logs) == listed(seeded(dioptra.manifest, "logs"))
    assert all(p.is_relative_to(tmp_path / "staging" / str(os.getpid())) for p in dropped)
    assert no_partial_files(tmp_path / "staging")
    assert harness.messages[-1] == "Dropped 3 items."

    # Dragged again: the staged copies are used, nothing is downloaded twice.
    before = harness.transfer_ids()
    select_rows(view, [model.index(row, 0) for row in range(3)])
    again = harness.drag(view, model.index(0, 0))
    assert again.is_settled() and harness.transfer_ids() == before
    assert paths_of(again.urls()) == dropped


def test_pressing_on_an_unselected_row_drags_that_row_only(harness: Harness, get) -> None:
    view = harness.table([get("tiny.txt"), get("metrics.json")])
    model = view.model()
    select_rows(view, [model.index(0, 0)])
    mime = harness.drag(view, model.index(1, 0))
    assert [item.label for item in mime.items] == ["metrics.json"]
    assert [p.name for p in paths_of(mime.urls())] == ["metrics.json"]


def test_a_file_and_a_folder_from_the_file_tree(harness: Harness, get, dioptra) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    view = harness.tree(get("evaluation"))
    model = view.model
    plots, notes = model.index_for_path("plots"), model.index_for_path("notes.txt")
    select_rows(view.tree, [plots, notes])
    mime = harness.drag(view.tree, plots)
    assert [(item.artifact_path, item.is_folder) for item in mime.items] == [("notes.txt", False), ("plots", True)]
    ids = mime.transfer_ids()
    assert len(ids) == 2
    harness.qtbot.waitUntil(lambda: harness.panel_shows(ids), timeout=WAIT_MS)
    assert harness.shown(ids[1]).request.name == "evaluation/plots"

    notes_file, plots_folder = paths_of(mime.urls())
    assert notes_file.name == "notes.txt" and notes_file.read_bytes() == b"evaluation notes\n"
    assert plots_folder.name == "plots" and files_in(plots_folder) == listed(info, "plots")

    # The same rows again: instant, from this session's copies.
    before = harness.transfer_ids()
    select_rows(view.tree, [plots, notes])
    again = harness.drag(view.tree, notes)
    assert again.is_settled() and harness.transfer_ids() == before
    assert paths_of(again.urls()) == [notes_file, plots_folder]


def test_a_folder_dragged_from_a_filtered_tree_arrives_whole(harness: Harness, get, dioptra) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    view = harness.tree(get("evaluation"))
    view.filter_edit.setText("roc")
    view.filter_edit.returnPressed.emit()
    harness.qtbot.waitUntil(lambda: view.loader.result is not None and view.loader.result.pattern == "roc", timeout=WAIT_MS)
    plots = view.model.index_for_path("plots")
    assert view.model.rowCount(plots) == 1  # only plots/roc is shown
    select_rows(view.tree, [plots])
    (folder,) = paths_of(harness.drag(view.tree, plots).urls())
    assert files_in(folder) == listed(info, "plots")


def test_a_path_inside_a_chosen_folder_is_not_dragged_twice(get, client: DioptraClient, dioptra) -> None:
    artifact = get("evaluation")
    tree = build_tree(client.artifacts.get_files(artifact.id))
    items = tree_items(artifact, tree, ["plots/roc/roc curve.png", "plots", "", "no/such/file", "reports/summary"])
    assert [(item.artifact_path, item.name, item.label) for item in items] == [
        ("plots", "plots", "evaluation/plots"),
        ("reports/summary", "summary", "evaluation/reports/summary"),
    ]
    assert sorted(items[1].files) == listed(seeded(dioptra.manifest, "evaluation"), "reports/summary")


def test_a_failed_download_is_left_out_of_the_drop(harness: Harness, get) -> None:
    artifact = get("logs")
    good = artifact_items([get("tiny.txt")])[0]
    # The listing names a file the archive does not hold: the unpacked folder fails its check.
    broken = DragItem(artifact, None, True, "logs", "logs", 10, files=(("worker/2026/run.log", 11), ("ghost.txt", 5)))
    mime = harness.drag_out.mime_data([broken, good])
    bad_id, good_id = mime.transfer_ids()
    dropped = paths_of(mime.urls())
    assert [p.name for p in dropped] == ["tiny.txt"]
    assert harness.manager.get(bad_id).state is TransferState.FAILED
    assert harness.manager.get(good_id).state is TransferState.DONE
    (left,) = mime.left_out()
    assert left.item is broken and left.reason == "failed" and "ghost.txt" in left.message
    assert harness.messages[-1].startswith("Dropped 1 of 2 items. logs could not be downloaded: ")
    assert "missing: ghost.txt" in harness.messages[-1]
    staging = harness.drag_out.staging_folder
    assert no_partial_files(staging) and not list(staging.rglob("logs"))  # nothing half-made was kept


@pytest.fixture
def held(dioptra) -> Iterator[tuple[FaultProxy, DioptraClient]]:
    """A client whose downloads stop after 3 MiB until the test releases them (reads are 1 MiB: progress shows)."""
    demo = dioptra.manifest.demo
    with FaultProxy(dioptra.url, hold_after=3 * 1024 * 1024) as proxy, connect(proxy.url) as signed_in:
        signed_in.auth.login(demo.username, demo.password)
        yield proxy, signed_in


def test_a_download_still_running_at_drop_time_stays_in_the_panel(qtbot, held, dioptra, tmp_path: Path) -> None:
    proxy, slow_client = held
    harness = Harness(qtbot, slow_client, tmp_path / "staging", drop_wait_ms=300)
    try:
        model_bin = slow_client.artifacts.get_by_id(seeded(dioptra.manifest, "model.bin").id)
        tiny = slow_client.artifacts.get_by_id(seeded(dioptra.manifest, "tiny.txt").id)
        harness.panel.show()
        mime = harness.drag_out.mime_data(artifact_items([model_bin, tiny]))
        big_id, tiny_id = mime.transfer_ids()
        qtbot.waitUntil(lambda: proxy.holding.is_set() and harness.manager.get(tiny_id).state is TransferState.DONE, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: (shown := harness.shown(big_id)) is not None and shown.bytes_done > 0, timeout=WAIT_MS)
        save_screenshot(harness.panel, "drag-out-transfer-running")

        # The drop comes while model.bin is held: the answer waits 300 ms, then gives what is complete.
        dropped = paths_of(mime.urls())
        assert [p.name for p in dropped] == ["tiny.txt"]
        assert harness.manager.get(big_id).state is TransferState.RUNNING
        assert [(x.item.label, x.reason) for x in mime.left_out()] == [("model.bin", "downloading")]
        assert harness.messages[-1] == (
            "Dropped 1 of 2 items. 1 item was still downloading: see Transfers, and drag again once done."
        )
        # model.bin is on its way, as a .part that the drop never saw.
        staging = harness.drag_out.staging_folder
        assert list(staging.rglob("model.bin.part")) and not list(staging.rglob("model.bin"))

        proxy.release()
        qtbot.waitUntil(lambda: harness.manager.get(big_id).state is TransferState.DONE, timeout=WAIT_MS)
        again = harness.drag_out.mime_data(artifact_items([model_bin]))
        assert again.is_settled() and again.transfer_ids() == []
        (path,) = paths_of(again.urls())
        assert path.stat().st_size == seeded(dioptra.manifest, "model.bin").size
    finally:
        harness.close()


def test_a_request_during_the_wait_answers_at_once_and_every_request_shares_one_deadline(
    qtbot, held, dioptra, tmp_path: Path
) -> None:
    proxy, slow_client = held
    wait_ms = 1_500
    harness = Harness(qtbot, slow_client, tmp_path / "staging", drop_wait_ms=wait_ms)
    try:
        model_bin = slow_client.artifacts.get_by_id(seeded(dioptra.manifest, "model.bin").id)
        mime = harness.drag_out.mime_data(artifact_items([model_bin]))
        qtbot.waitUntil(proxy.holding.is_set, timeout=WAIT_MS)  # it cannot finish: every wait runs out

        # A file manager asking again while the first answer still waits (the nested event
        # loop lets its request in): late in the first wait, where a second full wait inside
        # it would push the first answer far past the target's timeout.
        inner: list[tuple[float, bytes]] = []

        def ask_again() -> None:
            began = time.monotonic()
            answer = bytes(mime.data(URI_LIST).data())
            inner.append((time.monotonic() - began, answer))

        QTimer.singleShot(int(wait_ms * 0.7), ask_again)
        began = time.monotonic()
        assert mime.urls() == []
        outer = time.monotonic() - began

        ((inner_s, inner_answer),) = inner
        assert inner_answer == b""  # nothing complete yet, and said so at once
        assert inner_s < wait_ms / 1000 * 0.2, inner_s
        # One deadline for both: the first answer is not held up by the second wait.
        assert wait_ms / 1000 * 0.9 <= outer < wait_ms / 1000 * 1.3, outer

        # Asked once more after the deadline (the drop itself, say): no new wait either.
        began = time.monotonic()
        assert mime.twin().urls() == []
        assert time.monotonic() - began < wait_ms / 1000 * 0.2
        assert [(x.item.label, x.reason) for x in mime.left_out()] == [("model.bin", "downloading")]
    finally:
        proxy.release()
        harness.close()


def test_close_keeps_staged_files_and_forgets_the_drags_finished_downloads(
    qtbot, client: DioptraClient, get, tmp_path: Path
) -> None:
    history = TransferHistory(tmp_path / "history.json")
    harness = Harness(qtbot, client, tmp_path / "staging", history=history)
    # The user's own download stays in the history; the drag's downloads do not.
    artifact = get("metrics.json")
    own_id = harness.manager.submit(
        TransferRequest(artifact.id, artifact.name, TransferKind.FILE, tmp_path / "mine" / "metrics.json", expected_size=artifact.file_size)
    )
    mime = harness.drag_out.mime_data(artifact_items([get("tiny.txt"), get("logs")]))
    qtbot.waitUntil(lambda: len(mime.transfer_ids()) == 2, timeout=WAIT_MS)
    assert mime.wait(WAIT_MS)
    qtbot.waitUntil(lambda: harness.manager.get(own_id).state is TransferState.DONE, timeout=WAIT_MS)
    dropped = paths_of(mime.urls())

    harness.close()

    # A file manager may still be copying the dropped folder: nothing staged goes at close.
    assert [p.name for p in dropped] == ["tiny.txt", "logs"] and all(p.exists() for p in dropped)
    assert [t.id for t in harness.manager.transfers()] == [own_id]
    assert [t.id for t in TransferHistory(tmp_path / "history.json").load()] == [own_id]


def test_closing_the_window_saves_no_history_of_staged_drag_downloads(
    qtbot, client: DioptraClient, get, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window stages into the platform cache folder: a folder of the test's own.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    window = MainWindow(client)
    qtbot.addWidget(window)
    window.show()
    mime = window.drag_out.mime_data(artifact_items([get("tiny.txt")]))
    assert mime.wait(WAIT_MS)
    (staged,) = paths_of(mime.urls())
    assert staged.is_relative_to(tmp_path / "cache")
    (drag_id,) = mime.transfer_ids()
    qtbot.waitUntil(lambda: window.transfers.get(drag_id).state is TransferState.DONE, timeout=WAIT_MS)

    window.close()

    # After a restart, "Open" and "Show in folder" must not point at files the next start deletes.
    saved = TransferHistory().load()
    assert drag_id not in [t.id for t in saved] and not [t for t in saved if t.request.name == "tiny.txt"]
    assert staged.is_file()


def test_staging_folders_of_finished_runs_go_in_the_background_and_close_keeps_this_one(
    client: DioptraClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "staging"
    gone = root / "999999999"  # above any pid_max: no such process
    (gone / "x").mkdir(parents=True)
    (gone / "x" / "old.txt").write_text("old")
    # Removing a crashed run's big folder may take long: it must not happen on the GUI thread.
    cleaned_on: list[threading.Thread] = []
    real_cleanup = drag_out_module._remove_stale_stagings

    def cleanup(folder: Path) -> None:
        cleaned_on.append(threading.current_thread())
        real_cleanup(folder)

    monkeypatch.setattr(drag_out_module, "_remove_stale_stagings", cleanup)
    manager = TransferManager(client)
    drag_out = DragOut(manager, client, staging_root=root)
    try:
        assert drag_out.cleanup_done.wait(WAIT_MS / 1000)
        assert not gone.exists()
        (thread,) = cleaned_on
        assert thread is not threading.main_thread() and thread.daemon
        assert drag_out.staging_folder == root / str(os.getpid())
        drag_out.staging_folder.mkdir(parents=True)
        (drag_out.staging_folder / "staged.txt").write_text("staged")
    finally:
        drag_out.close()
        manager.shutdown()
    # A file manager may still be copying from it; the next start removes it once this process is gone.
    assert (drag_out.staging_folder / "staged.txt").read_text() == "staged"
