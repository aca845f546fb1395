"""The main window against a real server (issue 3): stalls, click-to-rows, cold start.

One run against a local seeded Dioptra server that gets 1,000 more (tiny) file
artifacts, so a 1,000-row page is real. Three figures, each beside a baseline
measured in the same run:

1. The longest GUI-thread stall while a 1,000-row page loads into the window
   and is shown (goal < 50 ms), beside the longest stall of the idle event loop
   over the same time. The meter is ``tests/gui/eventloop.py``'s StallMeter
   (5 ms precise timer), driven by a plain event loop instead of pytest-qt.
2. Time from a click (``pager.refresh()``) to the rows being in the table, beside
   the api client alone doing the same request (``client.artifacts.get``, same
   query: HTTP, server, JSON, typed models), at 100 and 1,000 rows. What the
   window adds (goal < 30 ms) is printed twice: against that separate request,
   and against the click's own api call, timed on its worker thread. The second
   is exact; the first also carries the server's run-to-run swing.
3. Cold start: a fresh ``python -c`` that imports the app, creates the
   QApplication, signs in (password on stdin), builds and shows the window and
   waits for the first page's rows (goal < 1.5 s), beside a process that only
   creates a QApplication (the floor). Warm file cache: one untimed run of each first.

Run: ``python -m bench.gui_window`` or ``python -m bench --only window``
(offscreen unless QT_QPA_PLATFORM is set).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QThreadPool, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from artifact_browser.api import DioptraClient, connect  # noqa: E402
from artifact_browser.devserver import DevServer, SeedManifest, start_seeded_server  # noqa: E402
from artifact_browser.devserver.seed import MLFLOW_EXPERIMENT, run_seedtool  # noqa: E402
from artifact_browser.qt import error_dialog  # noqa: E402
from artifact_browser.qt.main_window import MainWindow  # noqa: E402
from artifact_browser.qt.settings import Settings  # noqa: E402

EXTRA_ARTIFACTS = 1000
REGISTER_THREADS = 4
ROWS_PER_JOB = 50
STALL_GOAL_MS = 50.0
OVERHEAD_GOAL_MS = 30.0
COLD_START_GOAL_S = 1.5
RUNS = 5  # of each measurement, interleaved with its baseline
# The server's time for one page swings by tens of percent run to run here: more clicks.
CLICK_RUNS = 9
# After the rows arrive the window still selects the first row and, 150 ms later,
# fills the details and preview panes: part of "shows", so inside the measurement.
SHOW_SETTLE_S = 0.4


def _load_eventloop() -> ModuleType:
    # By path: tests/ is not a package, and the meter must stay the tests' own.
    path = Path(__file__).resolve().parent.parent / "tests" / "gui" / "eventloop.py"
    spec = importlib.util.spec_from_file_location("_bench_eventloop", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


eventloop = _load_eventloop()


# -- the event loop, without pytest-qt ---------------------------------------------------


def run_until(done: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Run the Qt event loop (a real ``QEventLoop``, as ``app.exec`` would) until ``done()``."""
    if done():
        return
    loop = QEventLoop()
    timed_out = []
    poll = QTimer()
    poll.setInterval(5)  # as pytest-qt polls (10 ms); a busier poll would compete for the GIL
    poll.timeout.connect(lambda: loop.quit() if done() else None)
    QTimer.singleShot(int(timeout_s * 1000), lambda: (timed_out.append(True), loop.quit()))
    poll.start()
    loop.exec()
    poll.stop()
    if timed_out and not done():
        raise TimeoutError("the window did not get there in time")


class _LoopWaiter:
    """The one part of pytest-qt's ``qtbot`` that ``longest_stall_during`` uses."""

    def waitUntil(self, condition: Callable[[], bool], timeout: int = 5000) -> None:  # noqa: N802 - qtbot's name
        run_until(condition, timeout / 1000)


def settle(extra_s: float = 0.2, timeout_s: float = 30.0) -> None:
    """Let background work (prefetch, preview) finish, then the loop run a little more."""
    run_until(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout_s)
    until = time.perf_counter() + extra_s
    run_until(lambda: time.perf_counter() >= until)


def idle_stall_ms(duration_s: float) -> float:
    """The longest tick gap of an event loop with nothing to do, over ``duration_s``."""
    until = time.perf_counter() + duration_s
    return eventloop.longest_stall_during(_LoopWaiter(), lambda: None, lambda: time.perf_counter() >= until) * 1000


class _PaintWatch(QObject):
    """Records when a widget (the table's viewport) next paints."""

    def __init__(self, widget) -> None:  # noqa: ANN001 - any QWidget
        super().__init__()
        self.last_paint = 0.0
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.last_paint = time.perf_counter()
        return False


# -- the data: 1,000 more artifacts -------------------------------------------------------


def add_many_artifacts(server: DevServer, manifest: SeedManifest, count: int, workdir: Path) -> float:
    """Register ``count`` more tiny file artifacts, as a worker would; returns the seconds it took.

    One seed-tool call logs the files into MLflow runs of ROWS_PER_JOB files each;
    each run gets a job in the demo group, and every file is registered through the
    REST API, REGISTER_THREADS at a time. Not one run for all: the server loads all
    of a job's artifacts on each registration, so 1,000 in one job took about 3 minutes.
    """
    started = time.perf_counter()
    chunks = [range(first, min(first + ROWS_PER_JOB, count)) for first in range(0, count, ROWS_PER_JOB)]
    runs_request: dict = {"experiment": MLFLOW_EXPERIMENT, "artifact_location": server.artifact_root.as_uri(), "runs": []}
    for number, chunk in enumerate(chunks):
        folder = workdir / f"rows-{number:02d}"
        folder.mkdir()
        for i in chunk:
            (folder / f"row_{i:04d}.txt").write_text(f"benchmark row {i}\n" * (1 + i % 7), encoding="utf-8")
        runs_request["runs"].append({"name": f"bench-window-rows-{number:02d}", "files": [], "dirs": [[str(folder), "rows"]]})
    runs = run_seedtool(server, "log-runs", runs_request)["runs"]

    demo = manifest.demo
    template = next(j for j in manifest.jobs if j.group_id == manifest.plugin.group_id and j.has_run)
    jobs_url = f"/experiments/{template.experiment_id}/jobs"
    local = threading.local()
    clients: list[DioptraClient] = []

    def client() -> DioptraClient:
        if not hasattr(local, "client"):  # a signed-in client per thread, as the seeder does
            local.client = connect(server.url)
            local.client.auth.login(demo.username, demo.password)
            clients.append(local.client)
        return local.client

    def make_job(number: int) -> int:
        session = client().session
        job = session.post(
            jobs_url,
            json={"queue": template.queue_id, "entrypoint": template.entrypoint_id, "description": f"window benchmark rows, part {number}", "values": {}},
        )
        session.put(f"{jobs_url}/{job['id']}/status", json={"status": "started"})
        session.post(f"/jobs/{job['id']}/mlflowRun", json={"mlflowRunId": runs[number]["run_id"]})
        return int(job["id"])

    def register(item: tuple[int, int]) -> int:
        number, i = item
        uri = f"{runs[number]['artifact_uri']}/rows/row_{i:04d}.txt"
        return client().artifacts.create(template.group_id, job_ids[number], uri, description=f"benchmark row {i}").id

    def finish_job(job_id: int) -> None:
        client().session.put(f"{jobs_url}/{job_id}/status", json={"status": "finished"})

    try:
        with ThreadPoolExecutor(max_workers=REGISTER_THREADS) as pool:
            job_ids = list(pool.map(make_job, range(len(chunks))))
            ids = list(pool.map(register, [(number, i) for number, chunk in enumerate(chunks) for i in chunk]))
            list(pool.map(finish_job, job_ids))
    finally:
        for each in clients:
            each.close()
    if len(set(ids)) != count:
        raise RuntimeError(f"registered {len(set(ids))} artifacts, not {count}")
    return time.perf_counter() - started


# -- 1 and 2: the window in this process -------------------------------------------------


class WindowBench:
    """A signed-in MainWindow on a throwaway settings file, plus a second client for baselines."""

    def __init__(self, url: str, username: str, password: str, settings_path: Path) -> None:
        self.client = connect(url)
        self.client.auth.login(username, password)
        # The window's own api calls, timed where they run (a worker thread): the server
        # time of the very request a click made, so the window's share needs no guessing.
        self.api_calls: list[tuple[float, float]] = []
        untimed_get = self.client.artifacts.get

        def timed_get(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - passes everything on
            began = time.perf_counter()
            try:
                return untimed_get(*args, **kwargs)
            finally:
                self.api_calls.append((began, time.perf_counter()))

        self.client.artifacts.get = timed_get  # type: ignore[method-assign]
        self.direct = connect(url)  # the baseline's own connection, as the window's worker has its own
        self.direct.auth.login(username, password)
        self.window = MainWindow(self.client, Settings(QSettings(str(settings_path), QSettings.Format.IniFormat)))
        self.window.resize(1400, 900)
        self.failures: list[str] = []
        self.pager = self.window.pager
        self.pager.error.connect(self.failures.append)
        self.pager.unexpected_error.connect(lambda exc: self.failures.append(repr(exc)))
        self.shown_at = 0.0
        self.pager.page_changed.connect(self._on_page)
        self.paints = _PaintWatch(self.window.table.viewport())
        self.window.show()
        run_until(lambda: self.rows() > 0 or self._failed())
        settle(0.5)

    def _on_page(self, _info: object) -> None:
        self.shown_at = time.perf_counter()

    def _failed(self) -> bool:
        if self.failures:
            raise RuntimeError(f"the window could not load: {self.failures[-1]}")
        return False

    def rows(self) -> int:
        return self.window.model.rowCount()

    def load_stall(self, start: Callable[[], None], rows: int) -> tuple[float, float]:
        """(longest stall ms, wall s) from ``start()`` until ``rows`` rows show and the panes follow."""
        self.shown_at = 0.0
        began = time.perf_counter()

        def done() -> bool:
            self._failed()
            return bool(self.shown_at) and self.rows() == rows and time.perf_counter() - self.shown_at >= SHOW_SETTLE_S

        stall = eventloop.longest_stall_during(_LoopWaiter(), start, done)
        return stall * 1000, time.perf_counter() - began

    def click_to_rows(self) -> tuple[float, float, float]:
        """After ``pager.refresh()``: ms to the rows in the model, to the table's next paint,
        and the ms of the api call that click made (timed on its worker thread)."""
        self.shown_at = 0.0
        self.paints.last_paint = 0.0
        began = time.perf_counter()
        self.pager.refresh()
        run_until(lambda: bool(self.shown_at) or self._failed())
        run_until(lambda: self.paints.last_paint >= self.shown_at)
        call_began, call_ended = next((b, e) for b, e in self.api_calls if b >= began)
        return (self.shown_at - began) * 1000, (self.paints.last_paint - began) * 1000, (call_ended - call_began) * 1000

    def direct_get(self) -> float:
        """ms for the api client alone to fetch (and parse) the page the pager shows."""
        query = self.pager.query
        began = time.perf_counter()
        page = self.direct.artifacts.get(
            index=query.index, page_length=query.page_size, sort_by=query.sort_key, descending=query.descending, search=query.search or None
        )
        took = (time.perf_counter() - began) * 1000
        if len(page.items) != self.rows():
            raise RuntimeError(f"the api client got {len(page.items)} rows, the window shows {self.rows()}")
        return took

    def close(self) -> None:
        self.window.close()
        settle(0.0)
        self.window.deleteLater()
        self.client.close()
        self.direct.close()


def measure_stalls(bench: WindowBench, rows: int) -> list[tuple[float, float, float]]:
    """[(load stall ms, idle stall ms over the same time, wall s)] of a user choosing ``rows`` per page.

    Each run starts from 100 rows per page with nothing cached, so the big page is
    really fetched, parsed and shown; the idle baseline runs right after it.
    """
    results = []
    for _ in range(RUNS):
        bench.pager.set_page_size(100)
        bench.pager.refresh()  # forgets every kept page, the 1,000-row one too
        run_until(lambda: bench.rows() == 100 and not bench.pager.is_busy)
        settle()
        stall, wall = bench.load_stall(lambda: bench.pager.set_page_size(rows), rows)
        settle()
        results.append((stall, idle_stall_ms(wall), wall))
    return results


def measure_click_to_rows(bench: WindowBench, page_size: int) -> list[tuple[float, float, float, float]]:
    """[(click-to-rows ms, click-to-paint ms, that click's api call ms, separate api client ms)].

    The click and the separate api request take turns to go first.
    """
    bench.pager.set_page_size(page_size)
    run_until(lambda: bench.rows() == min(page_size, bench.pager.page_info.total if bench.pager.page_info else page_size))
    settle()
    results = []
    for run in range(CLICK_RUNS):
        if run % 2:
            direct = bench.direct_get()
            settle()
            rows_ms, paint_ms, inner = bench.click_to_rows()
        else:
            rows_ms, paint_ms, inner = bench.click_to_rows()
            settle()
            direct = bench.direct_get()
        settle()
        results.append((rows_ms, paint_ms, inner, direct))
    return results


# -- 3: cold start in a fresh process ----------------------------------------------------

# The job (with the password) comes on stdin; timestamps are time.time() so the parent can compare.
COLD_APP = r"""
import time
marks = {"main": time.time()}
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
job = json.loads(sys.stdin.readline())
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from artifact_browser.api import connect
from artifact_browser.app import application
from artifact_browser.qt.main_window import MainWindow
from artifact_browser.qt.settings import Settings
marks["imported"] = time.time()
app = application()
marks["qapplication"] = time.time()
client = connect(job["url"])
client.auth.login(job["username"], job["password"])
marks["signed_in"] = time.time()
window = MainWindow(client, Settings(QSettings(job["settings"], QSettings.Format.IniFormat)))
marks["window_built"] = time.time()
window.show()
marks["shown"] = time.time()
loop = QEventLoop()
window.pager.page_changed.connect(lambda info: loop.quit() if window.model.rowCount() else None)
window.pager.error.connect(lambda text: (print(text, file=sys.stderr), loop.quit()))
QTimer.singleShot(30000, loop.quit)
if not window.model.rowCount():
    loop.exec()
marks["rows"] = time.time()
print(json.dumps({"marks": marks, "rows": window.model.rowCount()}), flush=True)
os._exit(0)
"""

COLD_FLOOR = r"""
import time
marks = {"main": time.time()}
import json, os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication
marks["imported"] = time.time()
app = QApplication([])
marks["qapplication"] = time.time()
print(json.dumps({"marks": marks}), flush=True)
os._exit(0)
"""


def _spawn(script: str, job: dict | None) -> dict:
    """Run ``script`` in a fresh interpreter; marks become seconds since just before the spawn."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(job) + "\n" if job is not None else "",
        capture_output=True, text=True, env=env, timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed ({done.returncode}): {done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer["at"] = {name: stamp - spawned for name, stamp in answer["marks"].items()}
    return answer


def measure_cold_start(job: dict) -> tuple[list[dict], list[dict]]:
    """Interleaved fresh processes: (the app's runs, the floor's runs); one untimed warm-up of each."""
    _spawn(COLD_FLOOR, None)
    _spawn(COLD_APP, job)
    apps, floors = [], []
    for _ in range(RUNS):
        floors.append(_spawn(COLD_FLOOR, None))
        answer = _spawn(COLD_APP, job)
        if not answer["rows"]:
            raise RuntimeError("the cold-started window showed no rows")
        apps.append(answer)
    return apps, floors


# -- the report ----------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _median(values) -> float:  # noqa: ANN001 - any iterable of numbers
    return statistics.median(list(values))


def _runs(values) -> str:  # noqa: ANN001 - any iterable of numbers
    return ", ".join(f"{v:.0f}" for v in values)


def main() -> None:
    app = QApplication.instance() or QApplication([])
    error_dialog.MODAL_DIALOGS_ENABLED = False  # a benchmark must never wait for a click
    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp:
        tmp_path = Path(tmp)
        started = time.perf_counter()
        server, manifest = start_seeded_server(tmp_path / "server")
        seeded_s = time.perf_counter() - started
        try:
            setup_s = add_many_artifacts(server, manifest, EXTRA_ARTIFACTS, tmp_path)
            demo = manifest.demo
            bench = WindowBench(server.url, demo.username, demo.password, tmp_path / "settings.ini")
            try:
                stalls = measure_stalls(bench, 1000)
                clicks = {size: measure_click_to_rows(bench, size) for size in (100, 1000)}
                total = bench.pager.page_info.total if bench.pager.page_info else 0
            finally:
                bench.close()
            job = {"url": server.url, "username": demo.username, "password": demo.password, "settings": str(tmp_path / "cold.ini")}
            apps, floors = measure_cold_start(job)
        finally:
            server.stop()
    del app

    print(f"\n== Main window against a local Dioptra server ({total:,} artifacts; seeded in {seeded_s:.0f} s, "
          f"{EXTRA_ARTIFACTS:,} more registered in {setup_s:.0f} s)")

    load = [s for s, _, _ in stalls]
    idle = [i for _, i, _ in stalls]
    walls = [w * 1000 for _, _, w in stalls]
    print(f"  1. longest GUI-thread stall, 1,000-row page loaded and shown (median of {RUNS}; goal < {STALL_GOAL_MS:.0f} ms)")
    print(f"     idle event loop, same durations (baseline)   {_median(idle):6.1f} ms   (worst {max(idle):5.1f})")
    print(f"     loading + showing 1,000 rows                 {_median(load):6.1f} ms   (worst {max(load):5.1f}; "
          f"wall {_median(walls):.0f} ms incl. {SHOW_SETTLE_S * 1000:.0f} ms of panes)   {_verdict(_median(load) < STALL_GOAL_MS)}")
    print(f"     runs (page size 100 -> 1000, nothing cached): {', '.join(f'{s:.1f}' for s in load)}")

    print(f"  2. click (pager.refresh) to rows in the table (median of {CLICK_RUNS}; goal: the window adds < {OVERHEAD_GOAL_MS:.0f} ms)")
    for size, runs in clicks.items():
        rows_ms = _median(r for r, _, _, _ in runs)
        paint_ms = _median(p for _, p, _, _ in runs)
        inner = _median(i for _, _, i, _ in runs)
        direct = _median(d for _, _, _, d in runs)
        own = _median(r - i for r, _, i, _ in runs)
        versus_direct = rows_ms - direct
        print(f"     {size:>5} rows  api client alone, same query (baseline)  {direct:7.1f} ms   (runs: {_runs(d for _, _, _, d in runs)})")
        print(f"                 click -> rows in the table               {rows_ms:7.1f} ms   (runs: {_runs(r for r, _, _, _ in runs)})")
        print(f"                 click -> table painted                   {paint_ms:7.1f} ms")
        print(f"                 overhead = click->rows - baseline        {versus_direct:7.1f} ms   (two medians; the server's own time swings run to run)")
        print(f"                 the click's own api call (its worker)    {inner:7.1f} ms")
        print(f"                 overhead = click->rows - its own call    {own:7.1f} ms   {_verdict(own < OVERHEAD_GOAL_MS)}")

    floor = _median(f["at"]["qapplication"] for f in floors)
    total_s = _median(a["at"]["rows"] for a in apps)
    print(f"  3. cold start to the first page's rows (fresh process, warm file cache, median of {RUNS}; goal < {COLD_START_GOAL_S} s)")
    print(f"     python + PySide6.QtWidgets + QApplication (floor)  {floor:5.2f} s   (runs: "
          + ", ".join(f"{f['at']['qapplication']:.2f}" for f in floors) + ")")
    print(f"     artifact-browser window with rows                  {total_s:5.2f} s   (runs: "
          + ", ".join(f"{a['at']['rows']:.2f}" for a in apps) + f")   {_verdict(total_s < COLD_START_GOAL_S)}")
    steps = ("main", "imported", "qapplication", "signed_in", "window_built", "shown", "rows")
    labels = {
        "main": "interpreter start",
        "imported": "imports (PySide6 + app)",
        "qapplication": "QApplication",
        "signed_in": "sign in (login request)",
        "window_built": "MainWindow()",
        "shown": "show()",
        "rows": "first page (request + rows)",
    }
    print("     where the app's time goes (medians of each step):")
    for before, step in zip((None, *steps), steps):
        took = _median(a["at"][step] - (a["at"][before] if before else 0.0) for a in apps)
        print(f"       {labels[step]:<30} {took * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
