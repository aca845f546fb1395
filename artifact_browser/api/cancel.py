"""Cancelling long work (downloads) from another thread."""

from __future__ import annotations

import threading
from collections.abc import Callable


class DownloadCancelled(Exception):
    """The caller cancelled the download; nothing was kept."""


class CancelToken:
    """A flag that long work checks between steps; safe to set from any thread.

    Work that may block (a download waiting for the server's first byte)
    registers a callback that unblocks it, so a cancel takes effect at once.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when cancelled (at once if already cancelled)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def discard(self, callback: Callable[[], None]) -> None:
        """Forget a callback whose work has finished."""
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
