"""The window never freezes: while a slow server answers, the GUI thread keeps turning.

A proxy in front of the real local Dioptra server holds every answer back; the
event-loop meter (``eventloop.py``) records the longest gap between 5 ms ticks.
"""

from __future__ import annotations

import time

from eventloop import longest_stall_during
from slow_proxy import SlowProxy

from artifact_browser.api import DioptraClient
from artifact_browser.qt.main_window import MainWindow

DELAY_S = 1.5
MAX_STALL_S = 0.100
LOADING = "Loading…"


def test_the_window_keeps_turning_while_a_slow_page_loads(qtbot, proxy: SlowProxy, slow_client: DioptraClient) -> None:
    proxy.delay = DELAY_S  # signed in fast; from now on every answer is slow
    opened: list[MainWindow] = []
    samples: list[tuple[float, str]] = []  # (seconds since the window opened, status shown)

    def open_window() -> None:
        window = MainWindow(slow_client)
        qtbot.addWidget(window)
        window.show()
        opened.append(window)

    def sample() -> None:
        if opened:
            samples.append((time.perf_counter() - started, opened[0].status_label.text()))

    def loaded() -> bool:
        return bool(opened) and opened[0].status_label.text() != LOADING

    started = time.perf_counter()
    delayed_before = proxy.responses_delayed
    stall = longest_stall_during(qtbot, open_window, loaded, timeout_ms=int(DELAY_S * 1000) + 15_000, on_tick=sample)
    took = time.perf_counter() - started

    window = opened[0]
    print(f"longest GUI-thread stall while a {DELAY_S} s page loaded: {stall * 1000:.1f} ms ({len(samples)} ticks)")
    assert stall < MAX_STALL_S, f"the GUI thread stalled for {stall * 1000:.0f} ms while the page loaded"
    # The answer really was slow (else this test would prove nothing) and really arrived.
    assert took >= DELAY_S * 0.9 and proxy.responses_delayed > delayed_before
    assert window.model.rowCount() > 0 and window.status_label.text().endswith("artifacts")
    # Meanwhile the window said it was loading, for the whole wait, ticking all along.
    waiting = [text for at, text in samples if at < DELAY_S * 0.9]
    # At least half the 5 ms ticks that fit in the wait: the loop turned all along, not in bursts.
    assert len(waiting) >= int(0.9 * DELAY_S / 0.005 / 2), f"only {len(waiting)} ticks in {DELAY_S} s"
    assert set(waiting) == {LOADING}


def test_the_meter_sees_a_blocked_gui_thread(qtbot, proxy: SlowProxy, slow_client: DioptraClient) -> None:
    """The same kind of request made ON the GUI thread is a stall the meter catches."""
    proxy.delay = 0.3
    stall = longest_stall_during(qtbot, lambda: slow_client.artifacts.get(page_length=10), lambda: True)
    assert stall >= 0.3


def test_the_proxy_passes_answers_through_unchanged(dioptra, client: DioptraClient, slow_client: DioptraClient, proxy: SlowProxy) -> None:
    proxy.delay = 0.0
    direct = client.artifacts.get(page_length=5, sort_by="id")
    proxied = slow_client.artifacts.get(page_length=5, sort_by="id")
    assert [a.id for a in proxied.items] == [a.id for a in direct.items] and proxied.total == direct.total
