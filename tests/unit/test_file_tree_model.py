"""The file tree model: a valid Qt model, filled lazily; the loader builds and filters off the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QModelIndex, Qt

from artifact_browser.api import ArtifactFile
from artifact_browser.core.file_tree import build_tree
from artifact_browser.qt.file_tree_model import Column, FileTreeLoader, FileTreeModel, Role, folder_size_text

WAIT_MS = 5_000


def entry(path: str, size: int = 10) -> ArtifactFile:
    return ArtifactFile(relative_path=path, is_dir=False, file_size=size, file_url=f"/contents?path={path}")


LISTING = [
    entry("readme.txt", 3),
    entry("plots/roc.png", 1200),
    entry("plots/pr.png", 800),
    entry("plots/deep/er/x.json", 50),
    *[entry(f"batch/pred_{i:02d}.json", 20) for i in range(12)],
    ArtifactFile(relative_path="cache", is_dir=True, file_size=None, file_url=""),
]


def child_names(model: FileTreeModel, parent: QModelIndex = QModelIndex()) -> list[str]:
    return [model.index(r, Column.NAME, parent).data() for r in range(model.rowCount(parent))]


@pytest.mark.parametrize("batch", [1, 5, 500])
def test_model_passes_the_qt_model_tester(qapp, qtmodeltester, batch: int) -> None:
    model = FileTreeModel(batch=batch)
    model.set_tree(build_tree(LISTING))
    qtmodeltester.check(model, force_py=True)


def test_empty_and_missing_trees_pass_the_model_tester(qapp, qtmodeltester) -> None:
    model = FileTreeModel()
    qtmodeltester.check(model, force_py=True)
    model.set_tree(build_tree([]))
    qtmodeltester.check(model, force_py=True)


def test_children_arrive_in_batches_as_a_view_asks_for_them(qtbot) -> None:
    model = FileTreeModel(batch=5)
    model.set_tree(build_tree(LISTING))
    root = QModelIndex()
    assert model.rowCount(root) == 0 and model.canFetchMore(root)
    model.fetchMore(root)
    assert child_names(model) == ["batch", "cache", "plots", "readme.txt"]
    assert not model.canFetchMore(root)

    batch = model.index(0, 0)
    assert model.hasChildren(batch) and model.rowCount(batch) == 0  # expander shown before fetching
    with qtbot.waitSignal(model.rowsInserted, timeout=WAIT_MS) as inserted:
        model.fetchMore(batch)
    assert inserted.args[1:] == [0, 4]
    assert model.rowCount(batch) == 5
    model.fetchMore(batch)
    model.fetchMore(batch)
    assert model.rowCount(batch) == 12 and not model.canFetchMore(batch)
    assert child_names(model, batch)[-1] == "pred_11.json"


def test_cells_show_names_sizes_and_folder_totals() -> None:
    model = FileTreeModel()
    model.set_tree(build_tree(LISTING))
    plots = model.index_for_path("plots")
    assert plots.data() == "plots"
    assert model.index_for_path("plots", Column.SIZE).data() == folder_size_text(2050, 3) == "2.0 KiB · 3 files"
    roc = model.index_for_path("plots/roc.png", Column.SIZE)
    assert roc.data() == "1.2 KiB"
    assert roc.data(Qt.ItemDataRole.TextAlignmentRole) == Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert model.index_for_path("cache", Column.SIZE).data() == "0 B · 0 files"
    assert model.headerData(Column.SIZE, Qt.Orientation.Horizontal) == "Size"


def test_roles_give_the_node_path_kind_and_entry() -> None:
    model = FileTreeModel()
    model.set_tree(build_tree(LISTING))
    index = model.index_for_path("plots/deep/er/x.json", Column.SIZE)
    assert index.data(Role.PATH) == "plots/deep/er/x.json"
    assert index.data(Role.IS_DIR) is False
    assert index.data(Role.RAW_SIZE) == 50
    assert index.data(Role.NODE).name == "x.json"
    assert index.data(Role.ARTIFACT_FILE) == entry("plots/deep/er/x.json", 50)
    folder = model.index_for_path("plots/deep")
    assert folder.data(Role.ARTIFACT_FILE) == ArtifactFile("plots/deep", True, 50, "")
    assert not model.index_for_path("nope").isValid()


def test_files_never_have_children_and_folders_may() -> None:
    model = FileTreeModel()
    model.set_tree(build_tree(LISTING))
    assert model.flags(model.index_for_path("readme.txt")) & Qt.ItemFlag.ItemNeverHasChildren
    assert not model.flags(model.index_for_path("plots")) & Qt.ItemFlag.ItemNeverHasChildren
    assert not model.hasChildren(model.index_for_path("cache"))  # an empty folder has no expander


def test_fetch_all_only_for_small_trees() -> None:
    model = FileTreeModel(batch=2)
    model.set_tree(build_tree(LISTING))
    assert not model.fetch_all(max_nodes=5)
    assert model.rowCount() == 0
    assert model.fetch_all(max_nodes=100)
    assert model.rowCount(model.index_for_path("batch")) == 12
    assert model.rowCount(model.index_for_path("plots/deep/er")) == 1


def test_set_tree_resets_what_was_fetched(qtbot) -> None:
    model = FileTreeModel()
    model.set_tree(build_tree(LISTING))
    model.fetch_all(1000)
    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset], timeout=WAIT_MS):
        model.set_tree(build_tree([entry("only.txt")]))
    assert model.rowCount() == 0
    model.fetchMore(QModelIndex())
    assert child_names(model) == ["only.txt"]
    model.set_tree(None)
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())


# -- the loader -----------------------------------------------------------------------------


def test_loader_builds_off_the_gui_thread_and_swaps_the_tree_in(qtbot, monkeypatch) -> None:
    from artifact_browser.qt import file_tree_model

    threads = []
    real_build = file_tree_model.build_tree

    def spy(files):
        threads.append(threading.current_thread())
        return real_build(files)

    monkeypatch.setattr(file_tree_model, "build_tree", spy)
    model = FileTreeModel()
    loader = FileTreeLoader(model)
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS) as loaded:
        loader.load_files(LISTING)
    assert threads and threads[0] is not threading.main_thread()
    assert loaded.args[0].full.file_count == 16
    assert model.tree is loaded.args[0].shown
    assert not loader.is_busy


def test_loader_filters_and_unfilters(qtbot) -> None:
    model = FileTreeModel()
    loader = FileTreeLoader(model)
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS):
        loader.load_files(LISTING)
    with qtbot.waitSignal(loader.filtered, timeout=WAIT_MS) as filtered:
        loader.set_filter("*.png")
    assert filtered.args[0].shown.file_count == 2
    assert model.tree.file_count == 2
    with qtbot.waitSignal(loader.filtered, timeout=WAIT_MS):
        loader.set_filter("")
    assert model.tree.file_count == 16


def test_a_filter_typed_during_a_load_applies_when_the_load_ends(qtbot) -> None:
    model = FileTreeModel()
    loader = FileTreeLoader(model)
    gate = threading.Event()
    files = LISTING

    class SlowList(list):
        def __iter__(self):  # the build iterates the listing: hold it until the filter is set
            gate.wait(WAIT_MS / 1000)
            return super().__iter__()

    with qtbot.waitSignal(loader.filtered, timeout=WAIT_MS) as filtered:
        loader.load_files(SlowList(files))
        loader.set_filter("pred_1")
        gate.set()
    assert filtered.args[0].pattern == "pred_1"
    assert model.tree.file_count == 2  # pred_10, pred_11


def test_a_newer_load_wins_over_an_older_one(qtbot) -> None:
    model = FileTreeModel()
    loader = FileTreeLoader(model)
    gate = threading.Event()

    class SlowList(list):
        def __iter__(self):
            gate.wait(WAIT_MS / 1000)
            return super().__iter__()

    seen = []
    loader.loaded.connect(lambda result: seen.append(result.full.file_count))
    loader.load_files(SlowList(LISTING))
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS):
        loader.load_files([entry("newer.txt")])
    gate.set()
    qtbot.waitUntil(lambda: not loader.is_busy, timeout=WAIT_MS)
    assert seen == [1]
    assert model.tree.file_count == 1


def test_a_failed_load_is_reported(qtbot) -> None:
    model = FileTreeModel()
    loader = FileTreeLoader(model)

    class Broken(list):
        def __iter__(self):
            raise RuntimeError("listing exploded")

    with qtbot.waitSignal(loader.failed, timeout=WAIT_MS) as failed:
        loader.load_files(Broken())
    assert str(failed.args[0]) == "listing exploded"
