"""The group → job tree, fed by a fake client whose answers the tests control."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QModelIndex, QThreadPool, Qt

from artifact_browser.api import GroupRef, Job, NotFoundError, Page, ServerUnreachableError, User
from artifact_browser.qt.artifact_pager import Scope
from artifact_browser.qt.group_job_tree_model import (
    GroupJobTreeModel,
    ItemKind,
    TreeColumn,
    TreeRole,
)

TIMEOUT_MS = 5_000
PUBLIC = GroupRef(1, "public")
LAB = GroupRef(2, "vision-lab")
STATUSES = ("queued", "started", "deferred", "finished", "failed")


def _job(job_id: int, group: GroupRef, status: str = "finished") -> Job:
    return Job.from_json(
        {
            "id": job_id,
            "snapshot": job_id,
            "group": {"id": group.id, "name": group.name},
            "description": f"job {job_id}",
            "status": status,
            "experiment": {"id": 7, "name": "mnist-baseline"},
            "artifacts": [{"id": 100 + job_id}, {"id": 100 + job_id}],
        }
    )


class FakeJobs:
    """``client.jobs.get`` over a fixed list; ``gate`` holds answers back until set."""

    def __init__(self, jobs: dict[int, list[Job]]) -> None:
        self.jobs = jobs
        self.gate = threading.Event()
        self.gate.set()
        self.calls: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None

    def get(self, group_id=None, index=0, page_length=10, sort_by=None, descending=None, search=None) -> Page[Job]:
        self.calls.append(dict(group_id=group_id, index=index, page_length=page_length, sort_by=sort_by, descending=descending))
        assert self.gate.wait(10), "the test never released the answer"
        if self.fail_with is not None:
            raise self.fail_with
        rows = sorted(self.jobs.get(group_id, []), key=lambda j: j.id, reverse=bool(descending))
        items = tuple(rows[index : index + page_length])
        return Page(items=items, index=index, total=len(rows), is_complete=index + len(items) >= len(rows), page_length=page_length)


class FakeUsers:
    def __init__(self, groups: tuple[GroupRef, ...]) -> None:
        self.groups = groups
        self.fail_with: Exception | None = None

    def current(self) -> User:
        if self.fail_with is not None:
            raise self.fail_with
        return User(id=1, username="alice", email=None, groups=self.groups)


class FakeClient:
    def __init__(self, jobs: dict[int, list[Job]], groups: tuple[GroupRef, ...] = (PUBLIC, LAB)) -> None:
        self.jobs = FakeJobs(jobs)
        self.users = FakeUsers(groups)


@pytest.fixture
def client() -> Iterator[FakeClient]:
    fake = FakeClient(
        {
            PUBLIC.id: [_job(i, PUBLIC, STATUSES[i % len(STATUSES)]) for i in range(1, 8)],
            LAB.id: [],
        }
    )
    yield fake
    fake.jobs.gate.set()  # never leave a worker thread waiting


@pytest.fixture
def model(qtbot, client: FakeClient) -> GroupJobTreeModel:
    tree = GroupJobTreeModel(client, jobs_per_fetch=3)  # type: ignore[arg-type]
    with qtbot.waitSignal(tree.groups_loaded, timeout=TIMEOUT_MS):
        tree.reload()
    return tree


def _names(model: GroupJobTreeModel, parent: QModelIndex = QModelIndex()) -> list[str]:
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def _kinds(model: GroupJobTreeModel, parent: QModelIndex) -> list[ItemKind]:
    return [model.index(r, 0, parent).data(TreeRole.KIND) for r in range(model.rowCount(parent))]


def _fetch(qtbot, model: GroupJobTreeModel, parent: QModelIndex) -> None:
    with qtbot.waitSignal(model.jobs_loaded, timeout=TIMEOUT_MS):
        model.fetchMore(parent)


def test_top_level_is_all_then_the_users_groups(model: GroupJobTreeModel, qtmodeltester) -> None:
    assert _names(model) == ["All artifacts", "public", "vision-lab"]
    assert model.scope_at(model.index(0, 0)) == Scope.all()
    assert model.scope_at(model.index(1, 0)) == Scope.group(PUBLIC.id)
    assert model.index(2, 0).data(TreeRole.GROUP) == LAB
    assert model.index(1, 0).data(TreeRole.KIND) is ItemKind.GROUP
    # Groups show an expand arrow before their jobs were fetched; nothing else does.
    assert model.hasChildren(model.index(1, 0)) and model.canFetchMore(model.index(1, 0))
    assert not model.hasChildren(model.index(0, 0))
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in TreeColumn] == ["Name", "Status", "Experiment"]
    qtmodeltester.check(model)


def test_expanding_a_group_lists_its_jobs_newest_first_in_pages(qtbot, model: GroupJobTreeModel, client: FakeClient, qtmodeltester) -> None:
    public = model.index(1, 0)
    _fetch(qtbot, model, public)
    assert client.jobs.calls[-1] == dict(group_id=PUBLIC.id, index=0, page_length=3, sort_by="id", descending=True)
    assert _names(model, public)[:3] == ["#7  job 7", "#6  job 6", "#5  job 5"]
    assert _kinds(model, public) == [ItemKind.JOB] * 3 + [ItemKind.MORE]
    assert _names(model, public)[3] == "Show more jobs… (4 more)"
    assert model.canFetchMore(public)  # more remain: views may ask for them

    job = model.index(0, 0, public)
    assert job.data(TreeRole.JOB).id == 7
    assert model.scope_at(job) == Scope.job(7)
    assert model.parent(job) == public
    assert job.siblingAtColumn(TreeColumn.STATUS).data() == "deferred"  # 7 % 5 == 2
    assert job.siblingAtColumn(TreeColumn.EXPERIMENT).data() == "mnist-baseline"
    assert not job.data(Qt.ItemDataRole.DecorationRole).isNull()  # a status icon
    assert "1 output artifact" in job.data(Qt.ItemDataRole.ToolTipRole)  # duplicate refs counted once

    # "Show more jobs…" fetches the next page, then the rest; the last page ends the list.
    with qtbot.waitSignal(model.jobs_loaded, timeout=TIMEOUT_MS):
        assert model.activate(model.index(3, 0, public))
    assert client.jobs.calls[-1]["index"] == 3
    _fetch(qtbot, model, public)
    assert _names(model, public) == [f"#{i}  job {i}" for i in range(7, 0, -1)]
    assert not model.canFetchMore(public)
    assert model.index_for_job(2) == model.index(5, 0, public)
    qtmodeltester.check(model)


def test_a_group_without_jobs_says_so(qtbot, model: GroupJobTreeModel, qtmodeltester) -> None:
    lab = model.index(2, 0)
    _fetch(qtbot, model, lab)
    assert _names(model, lab) == ["No jobs"]
    assert model.scope_at(model.index(0, 0, lab)) is None
    assert not model.flags(model.index(0, 0, lab)) & Qt.ItemFlag.ItemIsSelectable
    qtmodeltester.check(model)


def test_loading_row_shows_while_jobs_are_on_their_way(qtbot, model: GroupJobTreeModel, client: FakeClient, qtmodeltester) -> None:
    client.jobs.gate.clear()
    public = model.index(1, 0)
    model.fetchMore(public)
    assert _names(model, public) == ["Loading jobs…"]
    assert not model.canFetchMore(public)  # no second request while one runs
    qtmodeltester.check(model)
    client.jobs.gate.set()
    qtbot.waitUntil(lambda: "Loading jobs…" not in _names(model, public), timeout=TIMEOUT_MS)
    assert _names(model, public)[:3] == ["#7  job 7", "#6  job 6", "#5  job 5"]
    # The tester walks the whole tree and may fetch further pages, but never a page twice.
    offsets = [c["index"] for c in client.jobs.calls if c["group_id"] == PUBLIC.id]
    assert offsets == sorted(set(offsets)) and offsets[0] == 0


def test_a_failure_becomes_a_row_and_a_signal_and_activating_it_retries(qtbot, model: GroupJobTreeModel, client: FakeClient, qtmodeltester) -> None:
    client.jobs.fail_with = ServerUnreachableError("The server did not answer in time.")
    public = model.index(1, 0)
    with qtbot.waitSignal(model.error, timeout=TIMEOUT_MS) as blocker:
        model.fetchMore(public)
    assert blocker.args == ["Could not load the jobs of public: The server did not answer in time."]
    error_row = model.index(0, 0, public)
    assert error_row.data(TreeRole.KIND) is ItemKind.ERROR
    assert "did not answer in time" in error_row.data()
    assert not model.canFetchMore(public)  # views must not retry in a loop
    qtmodeltester.check(model)

    client.jobs.fail_with = None
    with qtbot.waitSignal(model.jobs_loaded, timeout=TIMEOUT_MS):
        assert model.activate(error_row)
    assert _kinds(model, public) == [ItemKind.JOB] * 3 + [ItemKind.MORE]


def test_groups_that_fail_to_load_show_why_under_all(qtbot, client: FakeClient, qtmodeltester) -> None:
    client.users.fail_with = NotFoundError("Not signed in.")
    model = GroupJobTreeModel(client)  # type: ignore[arg-type]
    with qtbot.waitSignal(model.error, timeout=TIMEOUT_MS):
        model.reload()
    all_index = model.all_index()
    assert _names(model, all_index) == ["Could not load your groups: Not signed in. (activate to retry)"]
    qtmodeltester.check(model)
    client.users.fail_with = None
    with qtbot.waitSignal(model.groups_loaded, timeout=TIMEOUT_MS):
        model.activate(model.index(0, 0, all_index))
    assert _names(model) == ["All artifacts", "public", "vision-lab"]


def test_reloading_drops_answers_for_the_old_tree(qtbot, model: GroupJobTreeModel, client: FakeClient) -> None:
    client.jobs.gate.clear()
    model.fetchMore(model.index(1, 0))
    with qtbot.waitSignal(model.groups_loaded, timeout=TIMEOUT_MS):
        model.reload()
    client.jobs.gate.set()
    # The old request's answer arrives for a group node that no longer exists: nothing changes.
    with qtbot.assertNotEmitted(model.jobs_loaded):
        assert QThreadPool.globalInstance().waitForDone(TIMEOUT_MS)
        QCoreApplication.processEvents()  # deliver the answer the worker queued
    assert model.rowCount(model.index(1, 0)) == 0
    assert model.canFetchMore(model.index(1, 0))


def test_set_groups_needs_no_request(model: GroupJobTreeModel, qtmodeltester) -> None:
    model.set_groups([LAB])
    assert _names(model) == ["All artifacts", "vision-lab"]
    assert model.index_for_group(LAB.id) == model.index(1, 0)
    assert not model.index_for_group(PUBLIC.id).isValid()
    qtmodeltester.check(model)
