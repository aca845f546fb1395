"""The drag's source for the real drop test: the artifact table, wired with DragOut, on a real X server.

Run as its own process with ``QT_QPA_PLATFORM=xcb`` (tests/gui/test_drag_drop_xvfb.py
starts it under Xvfb, and moves the pointer with XTEST). It signs in to the
server, shows the given artifacts as table rows, all selected, and lets
:class:`~artifact_browser.qt.drag_out.DragOut` do the rest. One line per
event on stdout, flushed at once:

* ``READY <x> <y>``: the window is on screen; the first row's centre, in global coordinates;
* ``DRAG_STARTED <items>``, ``DRAG_FINISHED <action>``: the drag's start and ``QDrag.exec``'s result;
* ``STATUS <text>``: what the status bar would say.

The password comes in the environment (``DRAG_SOURCE_PASSWORD``), never on the
command line. The process ends when its standard input closes, or after
``--timeout`` seconds (a drag still running then is cancelled), so it never hangs a test.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView

from artifact_browser.api import connect
from artifact_browser.api.models import Page
from artifact_browser.core.transfers import TransferManager
from artifact_browser.qt.artifact_table_model import ArtifactTableModel
from artifact_browser.qt.drag_out import DragOut, artifact_items


def say(*words: object) -> None:
    print(*words, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the Dioptra server")
    parser.add_argument("--user", required=True)
    parser.add_argument("--artifacts", required=True, help="comma-separated artifact ids, one table row each")
    parser.add_argument("--staging", required=True, type=Path, help="the staging root for DragOut")
    parser.add_argument("--geometry", default="0,0,650,400", help="x,y,width,height of the window")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    x, y, width, height = (int(v) for v in args.geometry.split(","))

    app = QApplication(sys.argv[:1])
    client = connect(args.url)
    client.auth.login(args.user, os.environ["DRAG_SOURCE_PASSWORD"])
    artifacts = tuple(client.artifacts.get_by_id(int(i)) for i in args.artifacts.split(","))
    manager = TransferManager(client)

    view = QTableView()
    model = ArtifactTableModel(view)
    model.set_page(Page(items=artifacts, index=0, total=len(artifacts), is_complete=True))
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.selectAll()

    drag_out = DragOut(manager, client, staging_root=args.staging)
    drag_out.enable(view, lambda: artifact_items(model.artifact(i.row()) for i in sorted(view.selectionModel().selectedRows())))
    drag_out.drag_started.connect(lambda mime: say("DRAG_STARTED", len(mime.items)))
    drag_out.drag_finished.connect(lambda action: say("DRAG_FINISHED", action.name))
    drag_out.message.connect(lambda text: say("STATUS", text))

    # No window manager runs under Xvfb: the window lands exactly here, without a frame.
    view.setGeometry(x, y, width, height)
    view.show()

    def announce_when_exposed() -> None:
        handle = view.windowHandle()
        if handle is None or not handle.isExposed():
            QTimer.singleShot(20, announce_when_exposed)
            return
        centre = view.viewport().mapToGlobal(view.visualRect(model.index(0, 0)).center())
        say("READY", centre.x(), centre.y())

    announce_when_exposed()

    def stop(code: int) -> None:
        QDrag.cancel()  # QDrag.exec blocks on a real display: a drag still running must end too
        app.exit(code)

    stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    stdin.activated.connect(lambda: sys.stdin.readline() or stop(0))
    QTimer.singleShot(int(args.timeout * 1000), lambda: (say("TIMEOUT"), stop(2)))
    code = app.exec()
    manager.shutdown()
    drag_out.close()
    client.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
