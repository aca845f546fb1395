"""Measure how long the GUI thread stops turning: the longest gap between event-loop ticks.

A precise QTimer ticks every few milliseconds on the GUI thread; while the event
loop runs, ticks arrive on time, and whatever blocks the GUI thread (a
synchronous request, a long model reset) shows up as one long gap. The meter
has no pytest dependency, so a benchmark can use :class:`StallMeter` directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

DEFAULT_INTERVAL_MS = 5


class StallMeter(QObject):
    """Records the longest gap between ticks of a precise timer on the GUI thread.

    Args:
        interval_ms: The tick interval; gaps shorter than this cannot be seen.
        on_tick: Called on every tick (for sampling what the window shows meanwhile).
        parent: The QObject owner.
    """

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS, on_tick: Callable[[], None] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._on_tick = on_tick
        self._last = 0.0
        self.longest = 0.0
        self.ticks = 0

    def start(self) -> None:
        """Start measuring from now (a block right after this call counts)."""
        self.longest = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop, counting the gap since the last tick, and return the longest gap in seconds."""
        self._timer.stop()
        self._record(time.perf_counter())
        return self.longest

    def _tick(self) -> None:
        self.ticks += 1
        self._record(time.perf_counter())
        if self._on_tick is not None:
            self._on_tick()

    def _record(self, now: float) -> None:
        self.longest = max(self.longest, now - self._last)
        self._last = now


def longest_stall_during(
    qtbot,  # noqa: ANN001 - pytest-qt's QtBot
    start_fn: Callable[[], object],
    done_condition: Callable[[], bool],
    *,
    timeout_ms: int = 30_000,
    interval_ms: int = DEFAULT_INTERVAL_MS,
    on_tick: Callable[[], None] | None = None,
) -> float:
    """The longest GUI-thread stall, in seconds, from ``start_fn()`` until ``done_condition()``.

    ``start_fn`` runs on the GUI thread inside the measurement, so a start that
    blocks (say, a synchronous request) is counted.

    Args:
        qtbot: pytest-qt's fixture; its ``waitUntil`` runs the event loop.
        start_fn: Starts the work (opens the window, clicks "next page", …).
        done_condition: True once the work has visibly finished.
        timeout_ms: Fail the test if the work has not finished by then.
        interval_ms: The tick interval of the meter.
        on_tick: Called on each tick, e.g. to sample the status bar.
    """
    meter = StallMeter(interval_ms, on_tick)
    meter.start()
    try:
        start_fn()
        qtbot.waitUntil(done_condition, timeout=timeout_ms)
    finally:
        longest = meter.stop()
        meter.deleteLater()
    return longest
