"""The GUI thread while a 100,000-file directory is built, shown, opened and filtered (goal: no stall > 50 ms).

The listing is synthesised (realistic nested paths, plus one flat folder of
20,000 files), so no server is needed. A 1 ms QTimer ticks on the GUI thread;
the longest gap between two ticks is the longest time a user's input would
have waited. The baseline printed beside it is the pure build of the same tree
on one thread (what the worker spends), and the tick gap of an idle event loop
(what the machine's timers allow at all).

Run: ``python -m bench.gui_file_tree`` (offscreen unless QT_QPA_PLATFORM is set).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from artifact_browser.api import ArtifactFile  # noqa: E402
from artifact_browser.core.file_tree import build_tree, filter_tree  # noqa: E402
from artifact_browser.qt.file_tree_view import FileTreeView  # noqa: E402

FILES = 100_000
FLAT = 20_000  # files in one folder: the case lazy filling is for
GOAL_MS = 50.0


def synthetic_listing(count: int = FILES, flat: int = FLAT, seed: int = 7) -> list[ArtifactFile]:
    """A listing shaped like a real run's outputs: runs / epochs / layers / samples, and one flat image folder."""
    rng = random.Random(seed)
    files = []
    nested = count - flat
    for i in range(nested):
        run, epoch, layer = i % 8, (i // 8) % 25, (i // 200) % 40
        kind = ("weights.bin", "activations.npy", "grad.npy", "stats.json", "log.txt")[i % 5]
        path = f"runs/run_{run:02d}/epoch_{epoch:03d}/layer_{layer:02d}/sample_{i:06d}_{kind}"
        files.append(ArtifactFile(path, False, rng.randint(100, 4_000_000), f"/api/v1/artifacts/1/contents?path={path}"))
    for i in range(flat):
        path = f"images/Img {i:05d}.png"
        files.append(ArtifactFile(path, False, rng.randint(1_000, 200_000), f"/api/v1/artifacts/1/contents?path={path}"))
    # In path order, as ``client.artifacts.get_files`` hands the server's listing on.
    return sorted(files, key=lambda f: f.relative_path)


class TickMonitor:
    """Records the longest gap between ticks of a 1 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._last = 0
        self.max_gap_ms = 0.0
        self.ticks = 0

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self.max_gap_ms = 0.0
        self.ticks = 0
        self._timer.start()

    def stop(self) -> float:
        self._tick()
        self._timer.stop()
        return self.max_gap_ms

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) / 1e6)
        self._last = now
        self.ticks += 1


def run_until(app: QApplication, done: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the GUI did not finish in time")
        app.processEvents()
        time.sleep(0.0005)  # a benchmark's polling loop, not a test: lets the timer fire on time


def measure(app: QApplication, monitor: TickMonitor, action: Callable[[], None], done: Callable[[], bool]) -> tuple[float, float]:
    """(max tick gap, wall time) in ms while ``action`` runs until ``done``."""
    monitor.start()
    started = time.perf_counter()
    action()
    run_until(app, done)
    # A few more ticks, so a stall right at the end (the view's first layout) is seen.
    settle = time.perf_counter() + 0.1
    run_until(app, lambda: time.perf_counter() > settle)
    return monitor.stop(), (time.perf_counter() - started) * 1000


def main() -> None:
    app = QApplication.instance() or QApplication([])
    files = synthetic_listing()

    builds = []
    for _ in range(5):
        started = time.perf_counter()
        tree = build_tree(files)
        builds.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    filter_tree(tree, "*_stats.json")
    pure_filter = (time.perf_counter() - started) * 1000

    view = FileTreeView()
    view.resize(600, 800)
    view.show()
    monitor = TickMonitor()
    idle_gap, _ = measure(app, monitor, lambda: None, lambda: True)

    results = []
    seen = {"loaded": 0, "filtered": 0}
    view.loader.loaded.connect(lambda _r: seen.__setitem__("loaded", seen["loaded"] + 1))
    view.loader.filtered.connect(lambda _r: seen.__setitem__("filtered", seen["filtered"] + 1))

    gap, wall = measure(
        app, monitor, lambda: view.loader.load_files(files), lambda: seen["loaded"] == 1 and view.model.rowCount() > 0
    )
    results.append(("build + show the tree (worker + one model reset)", gap, wall))

    images = view.model.index_for_path("images")

    def open_and_scroll() -> None:
        view.tree.expand(images)
        view.tree.scrollToBottom()  # each scroll to the end fetches the next batch

    def scrolled_far() -> bool:
        view.tree.scrollToBottom()
        return view.model.rowCount(images) >= 5_000

    gap, wall = measure(app, monitor, open_and_scroll, scrolled_far)
    results.append((f"open a {FLAT:,}-file folder, scroll to 5,000 rows", gap, wall))

    gap, wall = measure(app, monitor, lambda: view.filter_edit.setText("*_stats.json"), lambda: seen["filtered"] == 1)
    results.append(("filter to 16,000 files (debounce + worker + reset)", gap, wall))

    gap, wall = measure(app, monitor, lambda: view.filter_edit.setText("sample_04321"), lambda: seen["filtered"] == 2)
    results.append(("filter to 1 file, shown expanded", gap, wall))

    print(f"\n== File tree of a {FILES:,}-file directory (GUI-thread stalls; goal < {GOAL_MS:.0f} ms)")
    print(f"  pure build_tree on one thread (baseline)   {statistics.median(builds):7.1f} ms  (median of 5)")
    print(f"  pure filter_tree '*_stats.json'            {pure_filter:7.1f} ms")
    print(f"  idle event loop: longest tick gap          {idle_gap:7.1f} ms")
    for label, gap, wall in results:
        verdict = "met" if gap < GOAL_MS else "NOT met"
        print(f"  {label:<52} longest stall {gap:6.1f} ms   (wall {wall:7.1f} ms)  {verdict}")
    view.close()


if __name__ == "__main__":
    main()
