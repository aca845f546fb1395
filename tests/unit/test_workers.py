"""The one background-work mechanism: answers on the GUI thread, newest wins, cancellable."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QObject, QThread, QThreadPool

from artifact_browser.qt.workers import CancelToken, TaskRunner

TIMEOUT_MS = 5000


@pytest.fixture
def pool() -> Iterator[QThreadPool]:
    pool = QThreadPool()
    yield pool
    assert pool.waitForDone(TIMEOUT_MS), "a test left work running"


@pytest.fixture
def runner(qtbot, pool: QThreadPool) -> TaskRunner:
    return TaskRunner(pool=pool)


def _settle(pool: QThreadPool) -> None:
    """Let every started task return and every answer it posted reach the GUI thread."""
    assert pool.waitForDone(TIMEOUT_MS)
    QCoreApplication.sendPostedEvents()


def _blocked_until(release: threading.Event, value: object):
    def work(token: CancelToken) -> object:
        assert release.wait(TIMEOUT_MS / 1000)
        return value

    return work


def test_result_arrives_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    threads = []
    runner.finished.connect(lambda _: threads.append(QThread.currentThread()))
    worker_threads = []

    def work(token: CancelToken) -> int:
        worker_threads.append(QThread.currentThread())
        return 42

    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as blocker:
        generation = runner.start(work)
    assert blocker.args == [42]
    assert generation == runner.generation == 1
    assert threads == [QCoreApplication.instance().thread()]
    assert worker_threads[0] is not threads[0]
    assert not runner.is_running


def test_a_late_answer_of_an_older_request_is_dropped(qtbot, runner: TaskRunner, pool: QThreadPool) -> None:
    results = []
    runner.finished.connect(results.append)
    release_old = threading.Event()
    runner.start(_blocked_until(release_old, "old page"))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        runner.start(lambda token: "new page")

    release_old.set()
    _settle(pool)
    assert results == ["new page"]


def test_an_older_answer_arriving_first_does_not_end_the_newer_request(qtbot, runner: TaskRunner, pool: QThreadPool) -> None:
    results = []
    runner.finished.connect(results.append)
    runner.start(lambda token: "old page")
    release_new = threading.Event()
    runner.start(_blocked_until(release_new, "new page"))

    qtbot.waitUntil(lambda: pool.activeThreadCount() == 1, timeout=TIMEOUT_MS)  # the old request has answered
    QCoreApplication.sendPostedEvents()
    assert results == []
    assert runner.is_running

    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        release_new.set()
    _settle(pool)
    assert results == ["new page"]


def test_errors_arrive_through_failed(qtbot, runner: TaskRunner) -> None:
    results = []
    runner.finished.connect(results.append)

    def work(token: CancelToken) -> None:
        raise LookupError("no such artifact")

    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT_MS) as blocker:
        runner.start(work)
    (error,) = blocker.args
    assert isinstance(error, LookupError)
    assert str(error) == "no such artifact"
    assert results == []
    assert not runner.is_running


def _loop_until_cancelled(started: threading.Event, stopped: threading.Event):
    def work(token: CancelToken) -> str:
        started.set()
        pause = threading.Event()
        while not token.cancelled:  # a long download checks between chunks like this
            pause.wait(0.005)
        stopped.set()
        return "partial"

    return work


def test_cancel_stops_the_work_and_drops_its_answer(qtbot, runner: TaskRunner, pool: QThreadPool) -> None:
    answers = []
    runner.finished.connect(answers.append)
    runner.failed.connect(answers.append)
    started, stopped = threading.Event(), threading.Event()
    runner.start(_loop_until_cancelled(started, stopped))
    qtbot.waitUntil(started.is_set, timeout=TIMEOUT_MS)
    assert runner.is_running

    with qtbot.waitSignal(runner.running_changed, timeout=TIMEOUT_MS) as blocker:
        runner.cancel()
    assert blocker.args == [False]
    qtbot.waitUntil(stopped.is_set, timeout=TIMEOUT_MS)
    _settle(pool)
    assert answers == []


def test_a_new_request_cancels_the_one_it_supersedes(qtbot, runner: TaskRunner) -> None:
    started, stopped = threading.Event(), threading.Event()
    runner.start(_loop_until_cancelled(started, stopped))
    qtbot.waitUntil(started.is_set, timeout=TIMEOUT_MS)

    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as blocker:
        runner.start(lambda token: "fresh")
    assert blocker.args == ["fresh"]
    qtbot.waitUntil(stopped.is_set, timeout=TIMEOUT_MS)


def test_running_changed_brackets_a_burst_of_requests(qtbot, runner: TaskRunner, pool: QThreadPool) -> None:
    states = []
    runner.running_changed.connect(states.append)
    release = threading.Event()
    runner.start(_blocked_until(release, 1))
    runner.start(_blocked_until(release, 2))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        release.set()
    _settle(pool)
    assert states == [True, False]


def test_the_answer_survives_garbage_collection_while_the_work_runs(qtbot, runner: TaskRunner) -> None:
    release = threading.Event()
    runner.start(_blocked_until(release, "kept alive"))
    gc.collect()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as blocker:
        release.set()
    assert blocker.args == ["kept alive"]


def test_nothing_is_delivered_after_the_owner_is_destroyed(qtbot, pool: QThreadPool) -> None:
    owner = QObject()
    runner = TaskRunner(owner, pool=pool)
    answers = []
    runner.finished.connect(answers.append)
    release = threading.Event()
    runner.start(_blocked_until(release, "too late"))

    with qtbot.waitSignal(owner.destroyed, timeout=TIMEOUT_MS):
        owner.deleteLater()
    release.set()
    _settle(pool)
    assert answers == []
