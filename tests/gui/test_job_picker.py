"""The job picker of the registration form, against the real local Dioptra server."""

from __future__ import annotations

import time

import pytest
import shiboken6
from PySide6.QtCore import QModelIndex, Qt, QThreadPool
from PySide6.QtWidgets import QWidget

from artifact_browser.qt.job_picker import (
    NO_RUN_MESSAGE,
    RUN_LOOKUPS_IN_PARALLEL,
    JobColumn,
    JobListModel,
    JobPicker,
    JobRole,
    RunState,
)

TIMEOUT_MS = 10_000


def _group_jobs(manifest, group_name: str):
    group_id = manifest.group(group_name).id
    return group_id, sorted((j for j in manifest.jobs if j.group_id == group_id), key=lambda j: j.id, reverse=True)


def _shown_ids(model: JobListModel) -> list[int]:
    return [model.job(row).id for row in range(model.rowCount())]


def _runs_known(model: JobListModel) -> bool:
    return all(
        model.index(row, 0).data(JobRole.RUN).state not in (RunState.UNKNOWN, RunState.CHECKING)
        for row in range(model.rowCount())
    )


@pytest.fixture
def make_picker(qtbot):
    """Make a :class:`JobPicker` (or a bare model); all are deleted and idle before the client closes.

    The signed-in client closes when the test ends; a request still running then
    would fail, or read from a socket number the next test's client reuses.
    """
    made: list = []

    def make(client, *, model_only: bool = False, **kwargs):
        made.append(JobListModel(client, **kwargs) if model_only else JobPicker(client, **kwargs))
        if not model_only:
            made[-1].resize(720, 320)
        return made[-1]

    yield make

    def idle() -> bool:
        alive = [o for o in made if shiboken6.isValid(o)]
        for obj in alive:
            if isinstance(obj, QWidget):
                obj.close()
            obj.deleteLater()
        return not alive and QThreadPool.globalInstance().activeThreadCount() == 0

    qtbot.waitUntil(idle, timeout=60_000)


def test_lists_one_groups_jobs_newest_first_and_whether_each_has_a_run(qtbot, client, dioptra, qtmodeltester, make_picker) -> None:
    group_id, jobs = _group_jobs(dioptra.manifest, "public")
    picker = make_picker(client)
    model = picker.model
    picker.set_group(group_id)
    qtbot.waitUntil(lambda: model.total is not None and not model.is_loading, timeout=TIMEOUT_MS)
    qtmodeltester.check(model)

    assert _shown_ids(model) == [j.id for j in jobs]
    qtbot.waitUntil(lambda: _runs_known(model), timeout=TIMEOUT_MS)
    qtmodeltester.check(model)
    for row, job in enumerate(jobs):
        run_cell = model.index(row, JobColumn.RUN)
        assert run_cell.data() == ("yes" if job.has_run else "no")
        assert run_cell.data(JobRole.RUN).run_id == job.run_id
        assert model.index(row, JobColumn.STATUS).data() == job.status
        assert model.index(row, JobColumn.EXPERIMENT).data() == job.experiment_name
        assert model.index(row, JobColumn.DESCRIPTION).data() == job.description
    assert picker.count_label.text() == f"{len(jobs)} of {len(jobs)} jobs"


def test_choosing_a_job_without_a_run_says_nothing_can_be_registered(qtbot, client, dioptra, make_picker) -> None:
    manifest = dioptra.manifest
    runless = manifest.job(manifest.runless_job_id)
    picker = make_picker(client)
    picker.set_group(runless.group_id)
    qtbot.waitUntil(lambda: picker.model.row_of(runless.id) >= 0, timeout=TIMEOUT_MS)

    with qtbot.waitSignal(picker.job_changed, timeout=TIMEOUT_MS) as chosen:
        picker.view.setCurrentIndex(picker.model.index(picker.model.row_of(runless.id), 0))
    assert chosen.args[0].id == runless.id
    qtbot.waitUntil(lambda: picker.run_info().state is RunState.NONE, timeout=TIMEOUT_MS)
    assert picker.problem() == NO_RUN_MESSAGE.format(job=runless.id)
    assert picker.run_label.text() == picker.problem() and picker.run_label.isVisibleTo(picker)
    assert "no MLflow run attached" in picker.model.index(picker.model.row_of(runless.id), 0).data(Qt.ItemDataRole.ToolTipRole)

    with_run = next(j for j in manifest.jobs if j.group_id == runless.group_id and j.has_run)
    picker.select_job(with_run.id)
    qtbot.waitUntil(lambda: picker.run_id() == with_run.run_id, timeout=TIMEOUT_MS)
    assert picker.problem() is None
    assert with_run.run_id in picker.run_label.text()


def test_typing_filters_on_the_server_and_a_number_finds_that_job(qtbot, client, dioptra, make_picker) -> None:
    group_id, jobs = _group_jobs(dioptra.manifest, "public")
    picker = make_picker(client)
    picker.set_group(group_id)
    qtbot.waitUntil(lambda: picker.model.total == len(jobs), timeout=TIMEOUT_MS)

    word = "mnist"
    expected = [j.id for j in jobs if word in j.description]
    assert 0 < len(expected) < len(jobs)
    qtbot.keyClicks(picker.search_edit, word)
    qtbot.waitUntil(lambda: _shown_ids(picker.model) == expected and not picker.model.is_loading, timeout=TIMEOUT_MS)

    picker.search_edit.clear()
    qtbot.waitUntil(lambda: picker.model.total == len(jobs) and not picker.model.is_loading, timeout=TIMEOUT_MS)
    target = jobs[-1]
    qtbot.keyClicks(picker.search_edit, str(target.id))
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: target.id in _shown_ids(picker.model) and not picker.model.is_loading, timeout=TIMEOUT_MS)


def test_the_keyboard_reaches_the_list_from_the_filter_box(qtbot, client, dioptra, make_picker) -> None:
    group_id, jobs = _group_jobs(dioptra.manifest, "public")
    picker = make_picker(client)
    picker.show()
    picker.set_group(group_id)
    qtbot.waitUntil(lambda: picker.model.rowCount() == len(jobs), timeout=TIMEOUT_MS)
    picker.search_edit.setFocus()
    with qtbot.waitSignal(picker.job_changed, timeout=TIMEOUT_MS):
        qtbot.keyClick(picker.search_edit, Qt.Key.Key_Down)
    assert picker.current_job().id == jobs[0].id
    qtbot.keyClick(picker.view, Qt.Key.Key_Down)
    assert picker.current_job().id == jobs[1].id


def test_pages_arrive_as_the_list_asks_for_more(qtbot, client, dioptra, qtmodeltester, make_picker) -> None:
    group_id, jobs = _group_jobs(dioptra.manifest, "public")
    # The model alone: a view asks for more pages as long as it has room to show them.
    model = make_picker(client, model_only=True, page_length=2)
    model.set_query(group_id)
    qtbot.waitUntil(lambda: model.total is not None and not model.is_loading, timeout=TIMEOUT_MS)
    assert _shown_ids(model) == [j.id for j in jobs[:2]]
    assert model.canFetchMore(QModelIndex())
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.is_loading, timeout=TIMEOUT_MS)
    assert _shown_ids(model) == [j.id for j in jobs]
    qtmodeltester.check(model)


def test_a_short_list_fills_itself_and_says_how_many_there_are(qtbot, client, dioptra, make_picker) -> None:
    group_id, jobs = _group_jobs(dioptra.manifest, "public")
    picker = make_picker(client, page_length=2)
    picker.set_group(group_id)
    qtbot.waitUntil(lambda: picker.model.rowCount() == len(jobs) and not picker.model.is_loading, timeout=TIMEOUT_MS)
    assert picker.count_label.text() == f"{len(jobs)} of {len(jobs)} jobs"


def test_a_preselected_job_is_chosen_and_a_job_of_another_group_is_refused(qtbot, client, dioptra, make_picker) -> None:
    manifest = dioptra.manifest
    public_id, public_jobs = _group_jobs(manifest, "public")
    _lab_id, lab_jobs = _group_jobs(manifest, "vision-lab")
    picker = make_picker(client, page_length=1)  # the oldest job is not on the first page
    picker.set_group(public_id)
    oldest = public_jobs[-1]
    with qtbot.waitSignal(picker.job_changed, timeout=TIMEOUT_MS):
        picker.select_job(oldest.id)
    assert picker.current_job().id == oldest.id
    assert picker.view.currentIndex().data(JobRole.JOB).id == oldest.id

    picker.select_job(lab_jobs[0].id)
    qtbot.waitUntil(lambda: "not to the chosen group" in picker.count_label.text(), timeout=TIMEOUT_MS)
    assert picker.current_job().id == oldest.id  # the earlier choice stands


def test_closing_the_picker_does_not_wait_for_run_lookups_and_unsent_ones_are_dropped(
    qtbot, dioptra, slow_client, proxy, make_picker
) -> None:
    # Every job of the seed: more jobs than look-ups run at once, so some wait their turn.
    jobs = dioptra.manifest.jobs
    assert len(jobs) > RUN_LOOKUPS_IN_PARALLEL
    picker = make_picker(slow_client)
    proxy.delay = 1.0
    picker.set_group(None)
    qtbot.waitUntil(lambda: picker.model.rowCount() == len(jobs), timeout=TIMEOUT_MS)
    # The page has arrived and its run look-ups have just been handed out; the rest wait.
    assert picker.model.queued_run_lookups == len(jobs) - RUN_LOOKUPS_IN_PARALLEL
    answered_before = proxy.responses_delayed

    started = time.monotonic()
    shiboken6.delete(picker)  # what closing the registration form does to it
    took = time.monotonic() - started
    # A pool owned by the picker made this wait for every look-up, one second each.
    assert took < proxy.delay / 4, f"deleting the picker took {took:.2f} s"

    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=TIMEOUT_MS)
    # Only the look-ups already on their way were answered; the queued ones were never sent.
    assert proxy.responses_delayed - answered_before <= RUN_LOOKUPS_IN_PARALLEL


def test_a_new_search_drops_unsent_run_lookups_but_still_learns_the_chosen_jobs_run(
    qtbot, dioptra, slow_client, proxy, make_picker
) -> None:
    manifest = dioptra.manifest
    jobs = manifest.jobs
    oldest_with_run = min((j for j in jobs if j.has_run), key=lambda j: j.id)
    picker = make_picker(slow_client)
    proxy.delay = 0.5
    picker.set_group(None)
    qtbot.waitUntil(lambda: picker.model.rowCount() == len(jobs), timeout=TIMEOUT_MS)
    # The oldest job is last in the list: its look-up waits behind the others until it is chosen.
    with qtbot.waitSignal(picker.job_changed, timeout=TIMEOUT_MS):
        picker.select_job(oldest_with_run.id)
    qtbot.keyClicks(picker.search_edit, "no job is described like this")
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    # The reset dropped what was not sent; only the chosen job's look-up may wait (the picker needs it).
    assert picker.model.queued_run_lookups <= 1
    qtbot.waitUntil(lambda: picker.run_id() == oldest_with_run.run_id, timeout=TIMEOUT_MS)
