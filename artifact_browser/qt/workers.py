"""The one way the GUI runs slow work (network, disk) off the GUI thread.

A :class:`TaskRunner` is a "latest request wins" channel owned by one widget or
model: each :meth:`TaskRunner.start` gets a new generation number and cancels the
token of the request it supersedes, and only the newest request's answer is
emitted, on the GUI thread, through :attr:`TaskRunner.finished` or
:attr:`TaskRunner.failed`. A slow answer for page 3 can never overwrite page 4.

The work itself is plain Python (``api``/``core`` calls) that receives the
request's :class:`~artifact_browser.api.CancelToken`; long work checks
``token.cancelled`` between chunks, short work may ignore it.

How the pieces live and die (each choice avoids a known PySide6 pitfall):

* The work runs in a :class:`QRunnable` on a :class:`QThreadPool`. A QRunnable
  cannot carry signals, so each request gets its own small QObject
  (``_TaskSignals``) created on the GUI thread.
* The runner keeps a Python reference to each request's runnable and signals
  object until the answer has been delivered, so neither can be garbage
  collected while the pool still runs it or while its queued signal waits.
* The runnable's signals are connected to slots of the runner itself, a QObject
  living on the GUI thread, so Qt queues the call to the GUI thread. When the
  runner is destroyed (it is a child of its owner), Qt drops queued calls to it:
  nothing is ever delivered to a deleted receiver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from artifact_browser.api import CancelToken

log = logging.getLogger(__name__)

Work = Callable[[CancelToken], Any]
"""What a runner runs: called on a pool thread with the request's cancel token."""

__all__ = ["CancelToken", "TaskRunner", "Work"]

# Background work mostly waits on the network, not the CPU. Qt sizes its global
# pool by the number of cores (2 on a small machine), so two slow requests would
# hold up every other panel's work; a few more threads cost next to nothing.
MIN_BACKGROUND_THREADS = 8


class _TaskSignals(QObject):
    """The voice of one request; emitted from the pool thread, received on the GUI thread."""

    succeeded = Signal(int, object)  # generation, result
    raised = Signal(int, object)  # generation, exception


class _Task(QRunnable):
    def __init__(self, work: Work, token: CancelToken, generation: int, signals: _TaskSignals) -> None:
        super().__init__()
        self._work = work
        self._token = token
        self._generation = generation
        self._signals = signals

    def run(self) -> None:  # runs on a pool thread
        try:
            result = self._work(self._token)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI thread
            self._emit("raised", exc)
        else:
            self._emit("succeeded", result)
        finally:
            # The pool may hold the runnable a little longer; it need not hold the work's closure.
            self._work = _no_work

    def _emit(self, signal_name: str, value: object) -> None:
        try:
            getattr(self._signals, signal_name).emit(self._generation, value)
        except RuntimeError:
            # The owner was destroyed while the work ran, and its runner with it:
            # nobody waits for this answer any more.
            log.debug("Dropped the answer of request %d: its receiver is gone", self._generation)


def _no_work(token: CancelToken) -> None:
    return None


class TaskRunner(QObject):
    """Runs one kind of request in the background, newest request wins.

    Give it a parent (the widget or model that shows the answer) so that it dies
    with its receiver.

    Args:
        parent: The owner; answers stop when it is destroyed.
        pool: The thread pool; the global pool by default.

    Signals:
        finished(object): The newest request's result, on the GUI thread.
        failed(object): The newest request's exception, on the GUI thread.
        running_changed(bool): Whether the newest request is still in flight.

    Example::

        runner = TaskRunner(parent=self)
        runner.finished.connect(self._show_page)
        runner.failed.connect(self._show_error)
        runner.start(lambda token: client.artifacts.get(page_length=100))
    """

    finished = Signal(object)
    failed = Signal(object)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        if pool is None:
            pool = QThreadPool.globalInstance()
            if pool.maxThreadCount() < MIN_BACKGROUND_THREADS:
                pool.setMaxThreadCount(MIN_BACKGROUND_THREADS)
        self._pool = pool
        self._generation = 0
        self._token: CancelToken | None = None
        # generation -> (runnable, signals): strong references until the answer is delivered.
        self._in_flight: dict[int, tuple[_Task, _TaskSignals]] = {}

    @property
    def generation(self) -> int:
        """The number of the newest request (0 before the first)."""
        return self._generation

    @property
    def is_running(self) -> bool:
        """True while the newest request has neither answered nor been cancelled."""
        return self._token is not None

    def start(self, work: Work) -> int:
        """Run ``work(token)`` on the pool, superseding (and cancelling) any earlier request.

        Args:
            work: Called on a pool thread with this request's cancel token.
                It must not touch widgets or models.

        Returns:
            The request's generation number.
        """
        was_running = self.is_running
        self._cancel_token()
        self._generation += 1
        self._token = CancelToken()
        signals = _TaskSignals()
        signals.succeeded.connect(self._on_succeeded)
        signals.raised.connect(self._on_raised)
        task = _Task(work, self._token, self._generation, signals)
        self._in_flight[self._generation] = (task, signals)
        self._pool.start(task)
        if not was_running:
            self.running_changed.emit(True)
        return self._generation

    def cancel(self) -> None:
        """Cancel the newest request: its token is set and its answer will be dropped."""
        if self._cancel_token():
            self.running_changed.emit(False)

    def _cancel_token(self) -> bool:
        if self._token is None:
            return False
        self._token.cancel()
        self._token = None
        return True

    @Slot(int, object)
    def _on_succeeded(self, generation: int, result: object) -> None:
        if self._accept(generation):
            self.finished.emit(result)

    @Slot(int, object)
    def _on_raised(self, generation: int, exc: object) -> None:
        if self._accept(generation):
            log.debug("Background work failed", exc_info=exc if isinstance(exc, BaseException) else None)
            self.failed.emit(exc)

    def _accept(self, generation: int) -> bool:
        """Release the request's objects; True if its answer is the one to show."""
        self._in_flight.pop(generation, None)
        if generation != self._generation or self._token is None:
            log.debug("Dropped the answer of superseded or cancelled request %d", generation)
            return False
        self._token = None
        self.running_changed.emit(False)
        return True
