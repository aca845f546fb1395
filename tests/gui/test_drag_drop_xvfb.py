"""One real drag and drop between two processes, on a real X server (Xvfb), with real XDND.

The source (drag_source.py: the artifact table wired with DragOut) and the
target (drop_target.py: a stand-in for a file manager) run as separate
processes on their own Xvfb display; this test moves the pointer with the
XTEST extension, as a user's mouse would, and checks that the target received
the real files, with the bytes the seeder uploaded, for a file and for a
directory artifact dragged together.

Nothing here sleeps: every step waits for a line the processes print (with a
timeout), and every process is ended by a finaliser.
"""

from __future__ import annotations

import hashlib
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from Xlib import X
from Xlib.display import Display
from Xlib.ext import xtest

from artifact_browser.devserver.content import demo_plan
from gui_support import seeded

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 60.0
STEP_TIMEOUT = 10.0
DROP_TIMEOUT = 60.0
TARGET_GEOMETRY = (700, 100, 400, 400)


class Child:
    """A child process whose stdout lines are read by a thread into a queue (so waits can time out)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _read(stream, put: Callable[[str], None]) -> None:  # noqa: ANN001 - a text stream
        for line in stream:
            put(line.rstrip("\n"))

    def expect(self, prefix: str, timeout: float = STEP_TIMEOUT) -> str:
        """The next line that starts with ``prefix``; fails with everything said so far after ``timeout``."""
        found = self.poll(prefix, timeout)
        if found is None:
            pytest.fail(
                f"{Path(self.args[0]).name} did not say {prefix!r} within {timeout} s.\n"
                f"stdout: {self.seen}\nstderr (last lines): {self.stderr[-20:]}",
                pytrace=False,
            )
        return found

    def poll(self, prefix: str, timeout: float) -> str | None:
        """Like :meth:`expect`, but None after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # the source quits when its input closes
            except OSError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb server on a free display number (Xvfb picks it and writes it to a pipe)."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is not installed: ./dev setup installs it (package xvfb)"
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], START_TIMEOUT)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        assert number.isdigit(), f"Xvfb did not report its display: {server.stderr.read1(4096) if server.poll() is not None else 'no answer'}"
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class Pointer:
    """The X server's pointer, moved and pressed through XTEST as a real mouse would."""

    def __init__(self, display_name: str) -> None:
        self._display = Display(display_name)
        assert self._display.has_extension("XTEST"), "the X server lacks the XTEST extension"

    def move(self, x: int, y: int) -> None:
        xtest.fake_input(self._display, X.MotionNotify, x=x, y=y)
        self._display.sync()

    def press(self) -> None:
        xtest.fake_input(self._display, X.ButtonPress, 1)
        self._display.sync()

    def release(self) -> None:
        xtest.fake_input(self._display, X.ButtonRelease, 1)
        self._display.sync()

    def close(self) -> None:
        self._display.close()


def expected_bytes() -> dict[str, bytes]:
    """What the seeder uploaded for the dragged artifacts: path as the drop shows it -> bytes."""
    expected: dict[str, bytes] = {}
    for job in demo_plan():
        for planned in job.files:
            if planned.rel == "outputs/roc curve.png":
                expected["roc curve.png"] = planned.data
        for folder in job.dirs:
            if folder.rel == "logs":
                expected.update({f"logs/{path}": data for path, data in folder.files.items()})
    return expected


def test_a_file_and_a_directory_dropped_onto_another_process_arrive_whole(display: str, dioptra, tmp_path: Path) -> None:
    manifest = dioptra.manifest
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "DRAG_SOURCE_PASSWORD": manifest.demo.password,
        # Each process keeps its files (Qt's runtime folder, caches) in the test's folder.
        "XDG_RUNTIME_DIR": str(tmp_path / "runtime"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    (tmp_path / "runtime").mkdir(mode=0o700)
    env.pop("XAUTHORITY", None)
    children: list[Child] = []
    pointer: Pointer | None = None
    try:
        x, y, width, height = TARGET_GEOMETRY
        target = Child([str(HERE / "drop_target.py"), "--geometry", f"{x},{y},{width},{height}"], env)
        children.append(target)
        target.expect("READY", START_TIMEOUT)
        ids = [seeded(manifest, "roc curve.png").id, seeded(manifest, "logs").id]
        source = Child(
            [
                str(HERE / "drag_source.py"),
                "--url", dioptra.url,
                "--user", manifest.demo.username,
                "--artifacts", ",".join(map(str, ids)),
                "--staging", str(tmp_path / "staging"),
                "--geometry", "0,0,650,400",
            ],
            env,
        )
        children.append(source)
        _, row_x, row_y = source.expect("READY", START_TIMEOUT).split()
        start_x, start_y = int(row_x), int(row_y)

        pointer = Pointer(display)
        pointer.move(start_x, start_y)
        pointer.press()
        # Past the drag distance, a few pixels at a time, until the source says the drag began.
        for step in range(1, 40):
            pointer.move(start_x + 4 * step, start_y)
            if source.poll("DRAG_STARTED", 0.25) is not None:
                break
        else:
            pytest.fail(f"the drag did not start; the source said {source.seen}, {source.stderr[-10:]}", pytrace=False)
        assert source.seen[-1] == "DRAG_STARTED 2"

        # Across to the target; XDND reports each position to it.
        centre_x, centre_y = x + width // 2, y + height // 2
        for step in range(1, 11):
            pointer.move(start_x + (centre_x - start_x) * step // 10, start_y + (centre_y - start_y) * step // 10)
        target.expect("ENTER")
        # Two positions over the target: a Qt source sends the next position only after the
        # answer to the last, so by the second it knows the target accepts, and the release drops.
        moves = 0
        for nudge in range(1, 20):
            if moves == 2:
                break
            pointer.move(centre_x + nudge, centre_y)
            if target.poll("MOVE", 2.0) is not None:
                moves += 1
        assert moves == 2, f"the target saw no drag over it: {target.seen}"
        pointer.release()

        drop = target.expect("DROP", DROP_TIMEOUT)
        target.expect("END", DROP_TIMEOUT)
        assert drop.split()[1:] == ["CopyAction", "CopyAction", "2"]  # copy is the only action offered
        received = {}
        for line in target.seen:
            if line.startswith("FILE "):
                _, digest, size, path = line.split(" ", 3)
                received[path] = (digest, int(size))
        expected = expected_bytes()
        assert sorted(received) == sorted(expected)
        for path, data in expected.items():
            assert received[path] == (hashlib.sha256(data).hexdigest(), len(data)), path
        assert not [line for line in target.seen if line.startswith("REMOTE")]

        assert source.expect("DRAG_FINISHED") == "DRAG_FINISHED CopyAction"
        assert source.expect("STATUS Dropped") == "STATUS Dropped 2 items."
        # What the target got lives in this run's staging folder, and nothing half-made sits beside it.
        staged = tmp_path / "staging"
        assert not list(staged.rglob("*.part"))
    finally:
        if pointer is not None:
            pointer.close()
        for child in reversed(children):
            child.stop()
