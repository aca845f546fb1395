"""Tests that close a client must first let the requests their widgets started finish."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

# Long enough for a request through the slow proxy (1.5 s of delay), short enough not to hang a run.
BACKGROUND_WAIT_MS = 30_000


def let_background_requests_finish() -> None:
    """Close the test's windows and wait for their requests, as the program does before its client closes.

    Fixtures end in the reverse order of their creation, so a client may close
    while a window of the test is still open (pytest-qt closes it later). A
    request cut off by the closing client would fail with "client has been
    closed" and, delivered during a later test, look like that test's error.
    """
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        for widget in app.topLevelWidgets():
            if widget.isVisible():
                widget.close()
    if not QThreadPool.globalInstance().waitForDone(BACKGROUND_WAIT_MS):
        log.warning("Background requests still ran %d ms after the test; closing their client anyway", BACKGROUND_WAIT_MS)
