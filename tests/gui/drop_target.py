"""A stand-in for a file manager: a window on a real X server that accepts file drops.

Run as its own process with ``QT_QPA_PLATFORM=xcb`` (tests/gui/test_drag_drop_xvfb.py
starts it under Xvfb). It speaks on stdout, one line per event, flushed at once,
so the test can wait on real conditions instead of sleeping:

* ``READY <x> <y> <width> <height>``: the window is on screen (global coordinates);
* ``ENTER <action>`` / ``MOVE <n> <action>``: a drag entered / moved over it (accepted);
* ``DROP <action> <possible actions joined by +> <url count>``: a drop arrived;
  then, for every local file it brought (the files inside a dropped folder
  too), ``FILE <sha256> <size> <path>``
  with the path relative to the folder the dropped item sits in; ``REMOTE <url>``
  for a URL that is not a local file; then ``END``.

Like a file manager, it asks for the data only when the drop happens. It quits
after the drop, or after ``--timeout`` seconds so that a test can never hang on it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel


def say(*words: object) -> None:
    print(*words, flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


def files_of(path: Path) -> list[Path]:
    """The path itself for a file; every file below it, sorted, for a folder."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


class DropTarget(QLabel):
    """Accepts any drop that carries URLs and reports what it got."""

    def __init__(self) -> None:
        super().__init__("Drop files here")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAcceptDrops(True)
        self.moves = 0

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        # hasUrls() reads only the advertised formats: no data moves before the drop.
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            say("ENTER", event.proposedAction().name)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self.moves += 1
            say("MOVE", self.moves, event.proposedAction().name)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()  # the source produces the list now
        event.acceptProposedAction()
        actions = (Qt.DropAction.CopyAction, Qt.DropAction.MoveAction, Qt.DropAction.LinkAction)
        possible = "+".join(action.name for action in actions if event.possibleActions() & action)
        say("DROP", event.proposedAction().name, possible, len(urls))
        for url in urls:
            if not url.isLocalFile():
                say("REMOTE", url.toString())
                continue
            dropped = Path(url.toLocalFile())
            for file in files_of(dropped):
                say("FILE", sha256(file), file.stat().st_size, file.relative_to(dropped.parent).as_posix())
        say("END")
        QTimer.singleShot(0, QApplication.quit)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--geometry", default="700,100,400,400", help="x,y,width,height of the window")
    parser.add_argument("--timeout", type=float, default=120.0, help="quit after this many seconds without a drop")
    args = parser.parse_args()
    x, y, width, height = (int(v) for v in args.geometry.split(","))

    app = QApplication(sys.argv[:1])
    window = DropTarget()
    # No window manager runs under Xvfb: the window lands exactly here, without a frame.
    window.setGeometry(x, y, width, height)
    window.show()

    def announce_when_exposed() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():
            QTimer.singleShot(20, announce_when_exposed)
            return
        top_left = window.mapToGlobal(window.rect().topLeft())
        say("READY", top_left.x(), top_left.y(), window.width(), window.height())

    announce_when_exposed()
    # A guard, not a pause: if no drop ever comes, the process still ends.
    QTimer.singleShot(int(args.timeout * 1000), lambda: (say("TIMEOUT"), app.exit(2)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
