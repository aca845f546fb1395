"""The main window while two transfers run (issue 4): the longest GUI-thread stall.

One run against a local seeded Dioptra server that gets two more file artifacts
of FILE_MIB random bytes each. A signed-in :class:`MainWindow` (offscreen, on a
throwaway settings file and data folder) shows its first page; then two FILE
transfers go to ``window.transfers`` at once, as the download dialog hands them
over, and the longest gap between ticks of a 5 ms timer on the GUI thread is
measured until both are DONE (goal < 50 ms). The baseline is the idle event
loop's longest gap over the same duration, measured right after. The meter and
the event-loop helpers are ``bench/gui_window.py``'s (its StallMeter comes from
``tests/gui/eventloop.py``).

Run: ``python -m bench.gui_transfers`` or ``python -m bench --only gui-transfers``
(offscreen unless QT_QPA_PLATFORM is set).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from artifact_browser.api import connect  # noqa: E402
from artifact_browser.core.transfers import TransferKind, TransferRequest, TransferState  # noqa: E402
from artifact_browser.devserver import add_file_artifact, start_seeded_server  # noqa: E402
from artifact_browser.qt import error_dialog  # noqa: E402
from artifact_browser.qt.main_window import MainWindow  # noqa: E402
from artifact_browser.qt.settings import Settings  # noqa: E402
from bench.download import MIB, _make_file  # noqa: E402
from bench.gui_window import STALL_GOAL_MS, _LoopWaiter, _median, _verdict, eventloop, idle_stall_ms, run_until, settle  # noqa: E402

FILE_MIB = 200
TRANSFERS = 2
ROUNDS = 2  # each: both transfers from a clean destination, then the idle baseline
TRANSFER_TIMEOUT_S = 600.0


class _Redirected:
    """XDG_DATA_HOME / XDG_CONFIG_HOME pointed at ``root`` for the block, so the window's
    transfer history (platformdirs) and anything else it keeps never touch the user's files."""

    NAMES = ("XDG_DATA_HOME", "XDG_CONFIG_HOME")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for name in self.NAMES:
            self.saved[name] = os.environ.get(name)
            folder = self.root / name.lower()
            folder.mkdir(parents=True, exist_ok=True)
            os.environ[name] = str(folder)

    def __exit__(self, *_exc: object) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure_round(window: MainWindow, requests: list[TransferRequest]) -> tuple[float, float, float, int]:
    """(longest stall ms, idle stall ms over the same time, wall s, bytes) of both transfers, submitted at once."""
    manager = window.transfers
    ids: list[int] = []

    def start() -> None:
        # As the window queues what the download dialog returns: submit each, show the queue.
        ids.extend(manager.submit(request) for request in requests)
        window.transfers_dock.show()

    def done() -> bool:
        states = [manager.get(i) for i in ids]
        failed = [t for t in states if t.state in (TransferState.FAILED, TransferState.CANCELLED)]
        if failed:
            raise RuntimeError(f"transfer {failed[0].request.name} ended {failed[0].state.value}: {failed[0].error}")
        return len(states) == len(requests) and all(t.state is TransferState.DONE for t in states)

    began = time.perf_counter()
    stall = eventloop.longest_stall_during(_LoopWaiter(), start, done, timeout_ms=int(TRANSFER_TIMEOUT_S * 1000))
    wall = time.perf_counter() - began
    written = sum(manager.get(i).bytes_done for i in ids)
    if written != sum(r.expected_size or 0 for r in requests):
        raise RuntimeError(f"the transfers wrote {written} bytes, not {sum(r.expected_size or 0 for r in requests)}")
    settle()
    return stall * 1000, idle_stall_ms(wall), wall, written


def main() -> None:
    app = QApplication.instance() or QApplication([])
    error_dialog.MODAL_DIALOGS_ENABLED = False  # a benchmark must never wait for a click
    with tempfile.TemporaryDirectory(prefix="bench-gui-transfers-") as tmp, _Redirected(Path(tmp) / "home"):
        tmp_path = Path(tmp)
        started = time.perf_counter()
        server, manifest = start_seeded_server(tmp_path / "server")
        seeded_s = time.perf_counter() - started
        try:
            artifact_ids = []
            for n in range(TRANSFERS):
                local = tmp_path / f"big-{n}.bin"
                _make_file(local, FILE_MIB)
                artifact_ids.append(add_file_artifact(server, local, f"benchmark: {FILE_MIB} MiB of random bytes ({n + 1})"))
                local.unlink()  # the server keeps its own copy; halve the disk this needs
            client = connect(server.url)
            try:
                client.auth.login(manifest.demo.username, manifest.demo.password)
                artifacts = [client.artifacts.get_by_id(i) for i in artifact_ids]
                window = MainWindow(client, Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
                window.resize(1400, 900)
                window.show()
                run_until(lambda: window.model.rowCount() > 0)
                settle(0.5)
                parallel = window.transfers.max_parallel
                results = []
                try:
                    for round_ in range(ROUNDS):
                        out = tmp_path / f"downloads-{round_}"
                        out.mkdir()
                        requests = [
                            TransferRequest(
                                artifact_id=a.id, name=a.name, kind=TransferKind.FILE, destination=out / f"{n}-{a.name}",
                                expected_size=a.file_size, link=a.file_url,
                            )
                            for n, a in enumerate(artifacts)
                        ]
                        results.append(measure_round(window, requests))
                        for request in requests:
                            request.destination.unlink()
                finally:
                    window.close()
                    settle(0.0)
                    window.deleteLater()
            finally:
                client.close()
        finally:
            server.stop()
    del app

    print(f"\n== Main window while {TRANSFERS} transfers run ({TRANSFERS} x {FILE_MIB} MiB random file artifacts, "
          f"max {parallel} at once; server seeded in {seeded_s:.0f} s)")
    busy = [s for s, _, _, _ in results]
    idle = [i for _, i, _, _ in results]
    walls = [w for _, _, w, _ in results]
    speed = _median(b / w / MIB for _, _, w, b in results)
    print(f"  longest GUI-thread stall until both are DONE (median of {ROUNDS}; goal < {STALL_GOAL_MS:.0f} ms)")
    print(f"     idle event loop, same durations (baseline)   {_median(idle):6.1f} ms   (worst {max(idle):5.1f})")
    print(f"     {TRANSFERS} transfers running                         {_median(busy):6.1f} ms   (worst {max(busy):5.1f}; "
          f"wall {_median(walls):.1f} s, {speed:.0f} MiB/s together)   {_verdict(_median(busy) < STALL_GOAL_MS)}")
    print(f"     runs: {', '.join(f'{s:.1f}' for s in busy)}  (idle: {', '.join(f'{i:.1f}' for i in idle)})")


if __name__ == "__main__":
    main()
