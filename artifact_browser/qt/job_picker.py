"""A searchable list of one group's jobs to register an artifact for.

The server registers an artifact only for a job with an MLflow run attached, and
only for a file or folder inside that run, so next to each job's id, description,
status and experiment the list shows whether it has a run. The job listing does
not say so: each job is asked (``/jobs/{id}/mlflowRun``) in the background as its
row arrives, a few at a time, and the column fills in as the answers come.

The look-ups wait in the model's own queue, not in a thread pool: only a few are
handed to the shared pool at once. A model that is reset or destroyed simply drops
its queue, so no request is sent for a job nobody will see, and destroying the
form never waits for a pool to work off a backlog (a pool destroyed on the GUI
thread waits for every runnable it holds, queued ones included).

Jobs come from the server a page at a time, newest first; scrolling to the end
fetches the next page (``canFetchMore``/``fetchMore``). Typing filters on the server
(description and status); a number also finds the job with that id.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import ApiError, DioptraClient, Job, NotFoundError, Page
from artifact_browser.core.search import build_query
from artifact_browser.qt.group_job_tree_model import status_icon
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

_AnyIndex = QModelIndex | QPersistentModelIndex

JOBS_PER_PAGE: Final = 50
# "id" is the honest "newest first": the server sorts "createdOn" by the latest edit.
JOB_SORT_KEY: Final = "id"
# Run look-ups are tiny requests; a few at once fill a page quickly without
# crowding out the rest of the program's work in the shared pool.
RUN_LOOKUPS_IN_PARALLEL: Final = 4
SEARCH_DELAY_MS: Final = 300

_ERROR_COLOUR: Final = "#b00020"
_OK_COLOUR: Final = "#2e7d32"


class JobColumn(IntEnum):
    """The picker's columns."""

    ID = 0
    DESCRIPTION = 1
    STATUS = 2
    EXPERIMENT = 3
    RUN = 4


HEADERS: Final = {
    JobColumn.ID: "Job",
    JobColumn.DESCRIPTION: "Description",
    JobColumn.STATUS: "Status",
    JobColumn.EXPERIMENT: "Experiment",
    JobColumn.RUN: "MLflow run",
}


class JobRole(IntEnum):
    """Custom data roles (any column): the row's :class:`Job` and its :class:`RunInfo`."""

    JOB = Qt.ItemDataRole.UserRole + 1
    RUN = Qt.ItemDataRole.UserRole + 2


class RunState(enum.Enum):
    """What is known about a job's MLflow run."""

    UNKNOWN = "unknown"
    CHECKING = "checking"
    ATTACHED = "attached"
    NONE = "none"
    FAILED = "failed"


@dataclass(frozen=True)
class RunInfo:
    """A job's MLflow run as far as the picker knows it.

    Attributes:
        state: Whether the run is known, being asked for, attached, absent or unknowable.
        run_id: The run id when attached.
        error: Why the question failed (state FAILED).
    """

    state: RunState
    run_id: str | None = None
    error: str = ""


NO_RUN_MESSAGE: Final = (
    "Job {job} has no MLflow run attached: no artifact can be registered for it until a run is attached "
    "(the job's worker attaches one when it starts)."
)


def run_problem(job: Job | None, run: RunInfo) -> str | None:
    """What stands between a chosen job and a registration, in a sentence; None when nothing does."""
    if job is None:
        return "Choose the job that produced the artifact."
    if run.state in (RunState.UNKNOWN, RunState.CHECKING):
        return f"Checking whether job {job.id} has an MLflow run…"
    if run.state is RunState.NONE:
        return NO_RUN_MESSAGE.format(job=job.id)
    if run.state is RunState.FAILED:
        return f"Could not find out whether job {job.id} has an MLflow run: {run.error}"
    return None


class JobListModel(QAbstractTableModel):
    """One group's jobs, newest first, with whether each has an MLflow run.

    Args:
        client: A signed-in client; used only on worker threads.
        parent: The owner.
        page_length: Jobs fetched per page.

    Signals:
        loading_changed(bool): A page is (no longer) on its way.
        error(str): A page could not be loaded (shown inline by the picker).
        run_known(int): The run of job ``id`` has become known (or could not be).
        page_loaded(): A page has arrived.
    """

    loading_changed = Signal(bool)
    error = Signal(str)
    run_known = Signal(int)
    page_loaded = Signal()

    def __init__(self, client: DioptraClient, parent: QObject | None = None, *, page_length: int = JOBS_PER_PAGE) -> None:
        super().__init__(parent)
        self._client = client
        self._page_length = max(1, min(1000, page_length))
        self._jobs: list[Job] = []
        self._runs: dict[int, RunInfo] = {}
        self._run_runners: dict[int, TaskRunner] = {}
        # Jobs whose run is still to be asked for, and those being asked now. The
        # shared pool (which the program waits for before its client closes) gets
        # only the latter; the queue dies with the model or its reset, unsent.
        self._run_queue: deque[int] = deque()
        self._run_asking: set[int] = set()
        self._group_id: int | None = None
        self._search = ""
        self._loaded = 0  # rows the server has given for the current query (offset of the next page)
        self._total: int | None = None
        self._complete = True
        self._failed = False
        # Views probe canFetchMore from change signals; a fetch started then would nest changes.
        self._changing = False
        self._page_runner = TaskRunner(self)
        self._page_runner.finished.connect(self._on_page)
        self._page_runner.failed.connect(self._on_page_failed)
        self._page_runner.running_changed.connect(self.loading_changed)

    # -- what the picker uses ------------------------------------------------------------

    @property
    def group_id(self) -> int | None:
        return self._group_id

    @property
    def total(self) -> int | None:
        """How many jobs match on the server (None before the first page)."""
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._page_runner.is_running

    def set_query(self, group_id: int | None, search: str = "") -> None:
        """List the jobs of ``group_id`` (all groups when None) matching the typed ``search``."""
        self._group_id = group_id
        self._search = search.strip()
        self.reload()

    def reload(self) -> None:
        """Fetch the first page again (run answers already known are kept)."""
        self._drop_queued_runs()
        self._changing = True
        self.beginResetModel()
        self._jobs = []
        self._loaded = 0
        self._total = None
        self._complete = False
        self._failed = False
        self.endResetModel()
        self._changing = False
        self._fetch()

    def job(self, row: int) -> Job | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: int) -> int:
        """The row of job ``job_id``, or -1."""
        return next((row for row, job in enumerate(self._jobs) if job.id == job_id), -1)

    def add_job(self, job: Job) -> int:
        """Show ``job`` (one fetched on its own, e.g. preselected) in id order; returns its row."""
        row = self.row_of(job.id)
        if row >= 0:
            return row
        row = self._insert_in_order(job)
        self._ask_run(job.id, urgent=True)  # fetched on its own because someone wants it
        return row

    def _insert_in_order(self, job: Job) -> int:
        row = next((r for r, known in enumerate(self._jobs) if known.id < job.id), len(self._jobs))
        self.beginInsertRows(QModelIndex(), row, row)
        self._jobs.insert(row, job)
        self.endInsertRows()
        return row

    def run_info(self, job_id: int) -> RunInfo:
        """What is known about job ``job_id``'s MLflow run (asking for it if nobody has yet)."""
        info = self._runs.get(job_id)
        if info is None or job_id in self._run_queue:
            # Asked for by name (the chosen job): it goes before the rest of the list.
            self._ask_run(job_id, urgent=True)
            info = self._runs.get(job_id, RunInfo(RunState.UNKNOWN))
        return info

    def recheck_run(self, job_id: int) -> None:
        """Ask the server again whether job ``job_id`` has a run (it may have been attached since)."""
        self._runs.pop(job_id, None)
        self._ask_run(job_id, urgent=True)

    @property
    def queued_run_lookups(self) -> int:
        """How many run look-ups wait for their turn (not yet sent)."""
        return len(self._run_queue)

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(JobColumn)

    def canFetchMore(self, parent: _AnyIndex) -> bool:  # noqa: N802
        if parent.isValid() or self._changing:
            return False
        # After a failure, wait for the user to retry: views ask again and again.
        return not (self._complete or self._failed or self._page_runner.is_running)

    def fetchMore(self, parent: _AnyIndex) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self._fetch()

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(JobColumn):
            return HEADERS[JobColumn(section)]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.model() is not self:
            return None
        job = self.job(index.row())
        if job is None or not 0 <= index.column() < len(JobColumn):
            return None
        column = JobColumn(index.column())
        run = self._runs.get(job.id, RunInfo(RunState.UNKNOWN))
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(job, run, column)
        if role == Qt.ItemDataRole.DecorationRole and column is JobColumn.STATUS:
            return status_icon(job.status)
        if role == Qt.ItemDataRole.DecorationRole and column is JobColumn.RUN and run.state in (RunState.NONE, RunState.FAILED):
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.ForegroundRole:
            return _foreground(job, run, column)
        if role == Qt.ItemDataRole.FontRole and column is JobColumn.DESCRIPTION and not job.description:
            font = QFont(QApplication.font())
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(job, run)
        if role == Qt.ItemDataRole.TextAlignmentRole and column is JobColumn.ID:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == JobRole.JOB:
            return job
        if role == JobRole.RUN:
            return run
        return None

    # -- fetching ------------------------------------------------------------------------

    def _fetch(self) -> None:
        client, group_id, index, length = self._client, self._group_id, self._loaded, self._page_length
        search = build_query(self._search, resource="jobs") if self._search else None
        # Job ids are not searchable on the server; a typed number also fetches that job.
        wanted_id = int(self._search) if self._search.isdigit() and index == 0 else None

        def work(token) -> tuple[Page[Job], Job | None]:
            page = client.jobs.get(
                group_id=group_id, index=index, page_length=length, sort_by=JOB_SORT_KEY, descending=True, search=search
            )
            by_id = None
            if wanted_id is not None and all(job.id != wanted_id for job in page.items):
                try:
                    found = client.jobs.get_by_id(wanted_id)
                except NotFoundError:
                    found = None
                if found is not None and (group_id is None or found.group.id == group_id):
                    by_id = found
            return page, by_id

        self._page_runner.start(work)

    def _on_page(self, result: tuple[Page[Job], Job | None]) -> None:
        page, by_id = result
        self._total = page.total + (1 if by_id is not None else 0)
        known = {job.id for job in self._jobs}
        # Jobs created since the last page shift the offsets; never list a job twice.
        fresh = [job for job in ([by_id] if by_id else []) + list(page.items) if job.id not in known]
        self._loaded += len(page.items)
        self._complete = page.is_complete or not page.items
        self._changing = True
        if fresh and (not self._jobs or max(job.id for job in fresh) < self._jobs[-1].id):
            first = len(self._jobs)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._jobs.extend(fresh)
            self.endInsertRows()
        else:
            # A job added on its own (preselected) came first: keep newest-first order.
            for job in fresh:
                self._insert_in_order(job)
        self._changing = False
        for job in fresh:
            self._ask_run(job.id)
        self.page_loaded.emit()

    def _on_page_failed(self, exc: object) -> None:
        self._failed = True
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        if not isinstance(exc, ApiError):
            log.error("Unexpected failure while loading jobs", exc_info=exc if isinstance(exc, BaseException) else None)
        self.error.emit(f"Could not load the jobs: {message}")

    def _ask_run(self, job_id: int, *, urgent: bool = False) -> None:
        """Queue a look-up of job ``job_id``'s run; ``urgent`` ones (a job the user chose) go first."""
        if job_id in self._runs and not (urgent and job_id in self._run_queue):
            return
        self._runs[job_id] = RunInfo(RunState.CHECKING)
        if job_id in self._run_asking:
            self._send_run_lookup(job_id)  # a recheck: the newer answer supersedes the one on its way
            return
        if job_id in self._run_queue:
            self._run_queue.remove(job_id)
        if urgent:
            self._run_queue.appendleft(job_id)
        else:
            self._run_queue.append(job_id)
        self._send_queued_runs()

    def _send_queued_runs(self) -> None:
        while self._run_queue and len(self._run_asking) < RUN_LOOKUPS_IN_PARALLEL:
            self._send_run_lookup(self._run_queue.popleft())

    def _send_run_lookup(self, job_id: int) -> None:
        runner = self._run_runners.get(job_id)
        if runner is None:
            runner = TaskRunner(self)
            runner.finished.connect(lambda run_id, job_id=job_id: self._on_run(job_id, RunInfo(
                RunState.ATTACHED if run_id else RunState.NONE, run_id or None)))
            runner.failed.connect(lambda exc, job_id=job_id: self._on_run(job_id, RunInfo(
                RunState.FAILED, error=exc.message if isinstance(exc, ApiError) else str(exc))))
            self._run_runners[job_id] = runner
        self._run_asking.add(job_id)
        client = self._client
        runner.start(lambda token: client.jobs.get_mlflow_run_id(job_id))

    def _drop_queued_runs(self) -> None:
        # Unsent look-ups are forgotten, not left "checking": a job listed again is asked again.
        for job_id in self._run_queue:
            self._runs.pop(job_id, None)
        self._run_queue.clear()

    def _on_run(self, job_id: int, info: RunInfo) -> None:
        self._run_asking.discard(job_id)
        self._runs[job_id] = info
        row = self.row_of(job_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(JobColumn) - 1))
        self.run_known.emit(job_id)
        self._send_queued_runs()


def _display(job: Job, run: RunInfo, column: JobColumn) -> str:
    if column is JobColumn.ID:
        return str(job.id)
    if column is JobColumn.DESCRIPTION:
        return job.description or "(no description)"
    if column is JobColumn.STATUS:
        return job.status
    if column is JobColumn.EXPERIMENT:
        return job.experiment.name if job.experiment else ""
    return {
        RunState.UNKNOWN: "…",
        RunState.CHECKING: "checking…",
        RunState.ATTACHED: "yes",
        RunState.NONE: "no",
        RunState.FAILED: "unknown",
    }[run.state]


def _foreground(job: Job, run: RunInfo, column: JobColumn) -> QBrush | None:
    if column is JobColumn.RUN:
        if run.state is RunState.ATTACHED:
            return QBrush(QColor(_OK_COLOUR))
        if run.state in (RunState.NONE, RunState.FAILED):
            return QBrush(QColor(_ERROR_COLOUR))
    if run.state is RunState.NONE or (column is JobColumn.DESCRIPTION and not job.description):
        # Listed, but greyed: nothing can be registered for it.
        return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    return None


def _tooltip(job: Job, run: RunInfo) -> str:
    lines = [f"Job {job.id}: {job.description or '(no description)'}", f"Status: {job.status}"]
    if job.experiment:
        lines.append(f"Experiment: {job.experiment.name}")
    if run.state is RunState.ATTACHED:
        lines.append(f"MLflow run: {run.run_id}")
    else:
        lines.append(run_problem(job, run) or "")
    return "\n".join(lines)


class _SearchEdit(QLineEdit):
    """The filter box: Down moves into the list, so the keyboard never needs the mouse; Enter searches now."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.down_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Enter searches; it must not also press a dialog's default button.
            event.accept()


class JobPicker(QWidget):
    """A filter box over a list of one group's jobs, with a line about the chosen job's run.

    Args:
        client: A signed-in client; used only on worker threads.
        parent: The parent widget.
        page_length: Jobs fetched per page.

    Signals:
        job_changed(object): The chosen :class:`Job`, or None.
        changed(): The choice or what is known about its run changed; read
            :meth:`current_job`, :meth:`run_info` and :meth:`problem` again.
    """

    job_changed = Signal(object)
    changed = Signal()

    def __init__(self, client: DioptraClient, parent: QWidget | None = None, *, page_length: int = JOBS_PER_PAGE) -> None:
        super().__init__(parent)
        self.setObjectName("jobPicker")
        self._client = client
        self._chosen: Job | None = None
        self._wanted: int | None = None  # a job to choose once it is listed or fetched on its own
        self._reselect: int | None = None  # the chosen job, to select again if a new list has it

        self.search_edit = _SearchEdit(self)
        self.search_edit.setObjectName("jobSearch")
        self.search_edit.setPlaceholderText("Filter by description or status, or type a job id")
        self.search_edit.setClearButtonEnabled(True)

        self.model = JobListModel(client, self, page_length=page_length)
        self.view = QTableView(self)
        self.view.setObjectName("jobList")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(JobColumn.DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        metrics = self.view.fontMetrics()
        self.view.setColumnWidth(JobColumn.ID, metrics.horizontalAdvance("00000") + 16)
        self.view.setColumnWidth(JobColumn.STATUS, metrics.horizontalAdvance("deferred") + 40)
        self.view.setColumnWidth(JobColumn.EXPERIMENT, metrics.horizontalAdvance("an experiment name") + 16)
        self.view.setColumnWidth(JobColumn.RUN, metrics.horizontalAdvance("checking…") + 40)
        # About six rows: enough to choose from without crowding the form.
        self.view.setMinimumHeight(self.view.verticalHeader().defaultSectionSize() * 6 + header.sizeHint().height() + 4)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("jobCount")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.retry_button = QToolButton(self)
        self.retry_button.setText("Retry")
        self.retry_button.hide()
        self.run_label = QLabel(self)
        self.run_label.setObjectName("jobRunMessage")
        self.run_label.setTextFormat(Qt.TextFormat.PlainText)
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.count_label, 1)
        footer.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.view, 1)
        layout.addLayout(footer)
        layout.addWidget(self.run_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search_edit.textEdited.connect(lambda _text: self._search_timer.start())
        self.search_edit.returnPressed.connect(self._apply_search)
        self.search_edit.textChanged.connect(lambda text: None if text else self._apply_search())
        self.search_edit.down_pressed.connect(self._focus_list)
        self.retry_button.clicked.connect(self._retry)

        self.model.page_loaded.connect(self._on_page_loaded)
        self.model.loading_changed.connect(lambda _busy: self._update_footer())
        self.model.error.connect(self._on_error)
        self.model.run_known.connect(self._on_run_known)
        self.model.modelReset.connect(self._update_footer)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_row)

        self._job_runner = TaskRunner(self)
        self._job_runner.finished.connect(self._on_job_fetched)
        self._job_runner.failed.connect(self._on_job_fetch_failed)
        self._error = ""  # the list could not be loaded
        self._job_error = ""  # a job asked for by id could not be chosen
        self._update_footer()
        self._show_run()

    # -- what the form uses --------------------------------------------------------------

    def set_group(self, group_id: int | None) -> None:
        """List the jobs of ``group_id``; the chosen job stays chosen if it belongs to it."""
        if self._chosen is not None and group_id is not None and self._chosen.group.id != group_id:
            self._set_chosen(None)
        self._reselect = self._chosen.id if self._chosen is not None else None
        self.model.set_query(group_id, self.search_edit.text())
        self._reask_chosen_run()

    def select_job(self, job_id: int) -> None:
        """Choose job ``job_id``: at once if listed, else once it has been fetched on its own."""
        self._job_error = ""
        row = self.model.row_of(job_id)
        if row >= 0:
            self._wanted = None
            self._select_row(row)
            return
        self._wanted = job_id
        if not self.model.is_loading:
            self._fetch_wanted()
        # else: the page on its way may hold it; only if not is it fetched on its own

    def _fetch_wanted(self) -> None:
        job_id, client = self._wanted, self._client
        if job_id is not None:
            self._job_runner.start(lambda token: client.jobs.get_by_id(job_id))

    def current_job(self) -> Job | None:
        """The chosen job, or None."""
        return self._chosen

    def run_info(self) -> RunInfo:
        """What is known about the chosen job's MLflow run."""
        if self._chosen is None:
            return RunInfo(RunState.UNKNOWN)
        return self.model.run_info(self._chosen.id)

    def run_id(self) -> str | None:
        """The chosen job's MLflow run id, when it has one and it is known."""
        info = self.run_info()
        return info.run_id if info.state is RunState.ATTACHED else None

    def problem(self) -> str | None:
        """Why no artifact can be registered for the chosen job (yet); None when it can."""
        return run_problem(self._chosen, self.run_info())

    def recheck_run(self) -> None:
        """Ask the server again about the chosen job's run (after a refusal said it has none)."""
        if self._chosen is not None:
            self.model.recheck_run(self._chosen.id)
            self._show_run()
            self.changed.emit()

    # -- reacting ------------------------------------------------------------------------

    def _apply_search(self) -> None:
        self._search_timer.stop()
        self._reselect = self._chosen.id if self._chosen is not None else None
        self.model.set_query(self.model.group_id, self.search_edit.text())
        self._reask_chosen_run()

    def _reask_chosen_run(self) -> None:
        # A reset drops unsent look-ups; the chosen job's run must still become known.
        if self._chosen is not None:
            self.model.run_info(self._chosen.id)

    def _on_page_loaded(self) -> None:
        self._error = ""
        if self._wanted is not None:
            row = self.model.row_of(self._wanted)
            if row >= 0:
                self._wanted = None
                self._select_row(row)
            elif not self._job_runner.is_running:
                self._fetch_wanted()
        elif self._reselect is not None and self.model.row_of(self._reselect) >= 0:
            self._select_row(self.model.row_of(self._reselect))
            self._reselect = None
        self._update_footer()

    def _on_job_fetched(self, job: Job) -> None:
        if self._wanted != job.id:
            return
        group_id = self.model.group_id
        if group_id is not None and job.group.id != group_id:
            self._wanted = None
            self._job_error = f"Job {job.id} belongs to group {job.group.name}, not to the chosen group."
            self._update_footer()
            return
        self._wanted = None
        self._select_row(self.model.add_job(job))

    def _on_job_fetch_failed(self, exc: object) -> None:
        wanted, self._wanted = self._wanted, None
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        self._job_error = f"Could not load job {wanted}: {message}"
        self._update_footer()

    def _on_error(self, message: str) -> None:
        self._error = message
        self._update_footer()

    def _retry(self) -> None:
        self._error = ""
        self.model.reload()
        self._reask_chosen_run()

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        job = current.data(JobRole.JOB) if current.isValid() else None
        if job is None and self._chosen is not None and self.model.row_of(self._chosen.id) < 0:
            # The list was reset (a new search): the choice stands until another is made.
            return
        self._set_chosen(job)

    def _on_run_known(self, job_id: int) -> None:
        if self._chosen is not None and self._chosen.id == job_id:
            self._show_run()
            self.changed.emit()

    def _set_chosen(self, job: Job | None) -> None:
        if job == self._chosen:
            return
        self._chosen = job
        if job is None:
            self.view.selectionModel().clearSelection()
        self._show_run()
        self.job_changed.emit(job)
        self.changed.emit()

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(index)

    def _focus_list(self) -> None:
        self.view.setFocus(Qt.FocusReason.TabFocusReason)
        if not self.view.currentIndex().isValid() and self.model.rowCount():
            self._select_row(0)

    # -- showing -------------------------------------------------------------------------

    def _update_footer(self) -> None:
        if self._error:
            self.count_label.setText(self._error)
            self.count_label.setStyleSheet(f"color: {_ERROR_COLOUR};")
            self.retry_button.setVisible(not self.model.is_loading)
            return
        self.retry_button.hide()
        locale = QLocale()
        shown = self.model.rowCount()
        if self.model.is_loading:
            text = "Loading jobs…" if not shown else f"{locale.toString(shown)} jobs shown, loading more…"
        elif self.model.total is None:
            text = ""
        elif self.model.total == 0:
            text = "No jobs match." if self.search_edit.text().strip() else "This group has no jobs."
        else:
            more = " (scroll down for more)" if shown < self.model.total else ""
            text = f"{locale.toString(shown)} of {locale.toString(self.model.total)} jobs{more}"
        if self._job_error:
            text = f"{text} — {self._job_error}" if text else self._job_error
        self.count_label.setText(text)
        self.count_label.setStyleSheet(f"color: {_ERROR_COLOUR};" if self._job_error else "")

    def _show_run(self) -> None:
        job, info = self._chosen, self.run_info()
        problem = run_problem(job, info)
        if job is None:
            self.run_label.setText("")
            self.run_label.hide()
            return
        self.run_label.show()
        if problem is None:
            self.run_label.setText(f"Job {job.id} has MLflow run {info.run_id}: the URI must lie inside it.")
            self.run_label.setStyleSheet(f"color: {_OK_COLOUR};")
        else:
            waiting = info.state in (RunState.UNKNOWN, RunState.CHECKING)
            self.run_label.setText(problem)
            self.run_label.setStyleSheet("" if waiting else f"color: {_ERROR_COLOUR};")


__all__ = ["JobColumn", "JobListModel", "JobPicker", "JobRole", "RunInfo", "RunState", "run_problem", "NO_RUN_MESSAGE"]
