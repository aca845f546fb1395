"""The "Register artifact" form: group, job, URI, plugin task and description.

Dioptra registers a file or folder that a job's MLflow run has logged (dioptra-api.md
§6.5). The form checks what it can before sending (a usable URI, inside the chosen
job's run; a job that has a run; the plugin snapshot and task both or neither), keeps
Register disabled and says what is missing until then, and puts each refusal of the
server under the field it concerns, with the server's own words a click away.
Nothing typed is lost on a refusal: the form stays as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import ApiError, Artifact, DioptraClient, NotFoundError, User
from artifact_browser.core.registration import (
    FormField,
    Refusal,
    check_inside_run,
    check_uri,
    explain_refusal,
    uri_for_log,
    uri_from_drop,
)
from artifact_browser.qt.error_dialog import show_unexpected_error
from artifact_browser.qt.field_note import HINT_STYLE, FieldNote
from artifact_browser.qt.job_picker import JobPicker, RunState
from artifact_browser.qt.task_picker import TaskPicker
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

TITLE = "Register artifact"
REGISTER = "&Register"
URI_HINT = "A file or folder the job's MLflow run has logged: …/<run id>/artifacts/<path>. Drop a file here to fill it in."
REGISTERING = "Registering… the server checks the file against the job's MLflow run."
# A registration cannot be called back once sent: the server would register the artifact anyway.
CANNOT_CANCEL = (
    "Registering… the server is already being asked and cannot be stopped; this dialog closes with its answer "
    "(or stays open to say why it was refused)."
)


class UriEdit(QLineEdit):
    """The URI field: a ``file://`` URL, a path or text dropped onto it replaces its text.

    The replacement goes through the undo stack (Ctrl+Z brings back what was typed).
    """

    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._uri_of(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._uri_of(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        uri = self._uri_of(event.mimeData())
        if uri is None:
            event.ignore()
            return
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.selectAll()
        self.insert(uri)  # unlike setText(), undoable
        event.acceptProposedAction()
        self.dropped.emit(uri)

    @staticmethod
    def _uri_of(mime: QMimeData) -> str | None:
        if mime.hasUrls() and mime.urls():
            url: QUrl = mime.urls()[0]
            # A local file arrives percent-encoded; MLflow keeps names as they are.
            text = url.toLocalFile() if url.isLocalFile() else url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
            return uri_from_drop(text)
        if mime.hasText():
            return uri_from_drop(mime.text())
        return None


class RegisterDialog(QDialog):
    """Register a logged file or folder of a job's MLflow run as a Dioptra artifact.

    Args:
        client: A signed-in client; used only on worker threads.
        parent: The parent window.
        group_id: The group to preselect (the first of the user's groups otherwise).
        job_id: The job to preselect (from a job's context menu).

    Signals:
        registered(object): The new :class:`Artifact`, just before the dialog accepts.
    """

    registered = Signal(object)

    def __init__(
        self, client: DioptraClient, parent: QWidget | None = None, *, group_id: int | None = None, job_id: int | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setObjectName("registerDialog")
        self._client = client
        self._wanted_group = group_id
        self._wanted_job = job_id
        self._refusals: dict[FormField, Refusal] = {}
        self._sent: dict[FormField, Any] = {}  # what the refused request carried, per field

        self.group_combo = QComboBox(self)
        self.group_combo.setObjectName("groupCombo")
        self.group_combo.addItem("Loading your groups…", None)
        self.group_combo.setEnabled(False)
        self.group_note = FieldNote(self, name="groupNote")

        self.job_picker = JobPicker(client, self)
        self.job_note = FieldNote(self, name="jobNote")

        self.uri_edit = UriEdit(self)
        self.uri_edit.setObjectName("uriEdit")
        self.uri_edit.setPlaceholderText("file:///…/<run id>/artifacts/<path>")
        self.uri_edit.setClearButtonEnabled(True)
        self.uri_note = FieldNote(self, name="uriNote")

        self.task_picker = TaskPicker(client, self)
        # The picker would take any height it is given; the job list makes better use of it.
        self.task_picker.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.task_note = FieldNote(self, name="taskNote")

        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("descriptionEdit")
        self.description_edit.setPlaceholderText("Optional: what this artifact is")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.description_edit.fontMetrics().lineSpacing() * 3 + 12)

        self.form_note = FieldNote(self, name="formNote")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("registerBusy")
        self.busy_bar.setRange(0, 0)  # indeterminate: the server says nothing until it is done
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.hide()
        self.missing_label = QLabel(self)
        self.missing_label.setObjectName("missingLabel")
        self.missing_label.setTextFormat(Qt.TextFormat.PlainText)
        self.missing_label.setWordWrap(True)
        self.missing_label.setStyleSheet(HINT_STYLE)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.register_button: QPushButton = self.buttons.addButton(REGISTER, QDialogButtonBox.ButtonRole.AcceptRole)
        self.register_button.setObjectName("registerButton")
        self.register_button.setDefault(True)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self._cancel_asked = False  # Cancel/Esc was tried while the registration was on its way
        self.buttons.accepted.connect(self.register)
        self.buttons.rejected.connect(self.reject)

        self._fields = QWidget(self)
        form = QFormLayout(self._fields)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Group:", _stack(self.group_combo, self.group_note))
        form.addRow("&Job:", _stack(self.job_picker, self.job_note))
        form.addRow("Artifact &URI:", _stack(self.uri_edit, self.uri_note))
        form.addRow("Plugin &task:", _stack(self.task_picker, self.task_note))
        form.addRow("&Description:", self.description_edit)
        _set_buddies(form)

        status = QHBoxLayout()
        status.addWidget(self.busy_bar)
        status.addWidget(self.missing_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self._fields, 1)
        layout.addWidget(self.form_note)
        layout.addLayout(status)
        layout.addWidget(self.buttons)
        self.resize(820, 720)

        self._groups_runner = TaskRunner(self)
        self._groups_runner.finished.connect(self._on_groups)
        self._groups_runner.failed.connect(self._on_groups_failed)
        self._register_runner = TaskRunner(self)
        self._register_runner.finished.connect(self._on_registered)
        self._register_runner.failed.connect(self._on_refused)
        self._register_runner.running_changed.connect(self._on_busy)

        self.group_combo.currentIndexChanged.connect(self._on_group_chosen)
        self.job_picker.changed.connect(self._update)
        self.uri_edit.textChanged.connect(self._update)
        self.task_picker.changed.connect(self._update)

        self._update()

        def load_groups(token) -> tuple[User, int | None]:
            user = client.users.current()
            if job_id is None or group_id is not None:
                return user, group_id
            # Only a job: it belongs to one group, and that is the group to show.
            try:
                return user, client.jobs.get_by_id(job_id).group.id
            except NotFoundError:
                return user, None  # the picker says so when it looks for the job

        self._groups_runner.start(load_groups)

    # -- what the window uses --------------------------------------------------------------

    def group_id(self) -> int | None:
        data = self.group_combo.currentData()
        return None if data is None else int(data)

    def uri(self) -> str:
        """The URI as it will be sent (surrounding whitespace dropped)."""
        return self.uri_edit.text().strip()

    def description(self) -> str | None:
        text = self.description_edit.toPlainText().strip()
        return text or None

    def problems(self) -> dict[FormField, str]:
        """What keeps the form from being sent, per field (empty when Register is enabled)."""
        found: dict[FormField, str] = {}
        if self.group_id() is None:
            found[FormField.GROUP] = "Choose a group." if self.group_combo.isEnabled() else "Loading your groups…"
        job_problem = self.job_picker.problem()
        if job_problem:
            found[FormField.JOB] = job_problem
        uri_problem = check_uri(self.uri_edit.text())
        run_id = self.job_picker.run_id()
        if uri_problem is None and run_id is not None:
            uri_problem = check_inside_run(self.uri(), run_id)
        if uri_problem:
            found[FormField.URI] = uri_problem
        task_problem = self.task_picker.problem()
        if task_problem:
            found[FormField.TASK] = task_problem
        for field, refusal in self._refusals.items():
            if field is not FormField.FORM:
                found.setdefault(field, refusal.message)
        return found

    def field_message(self, field: FormField) -> str:
        """The sentence under ``field`` ("" when none), as the user sees it."""
        note = {
            FormField.GROUP: self.group_note,
            FormField.JOB: self.job_note,
            FormField.URI: self.uri_note,
            FormField.TASK: self.task_note,
            FormField.FORM: self.form_note,
        }.get(field)
        return "" if note is None else note.label.text() if not note.isHidden() else ""

    def is_busy(self) -> bool:
        return self._register_runner.is_running

    def register(self) -> None:
        """Send the form (only when it can succeed as far as the client can tell)."""
        if self.problems() or self.is_busy():
            return
        group_id, job = self.group_id(), self.job_picker.current_job()
        assert group_id is not None and job is not None
        uri, description, pair = self.uri(), self.description(), self.task_picker.selection()
        plugin_snapshot_id, task_id = pair if pair is not None else (None, None)
        self._clear_refusal(FormField.FORM)
        self._cancel_asked = False
        self._sent = {
            FormField.GROUP: group_id,
            FormField.JOB: job.id,
            FormField.URI: uri,
            FormField.TASK: pair,
            FormField.FORM: None,
        }
        client = self._client
        self._register_runner.start(
            lambda token: client.artifacts.create(
                group_id, job.id, uri, plugin_snapshot_id=plugin_snapshot_id, task_id=task_id, description=description
            )
        )

    def reject(self) -> None:
        """Cancel, Esc or the window's close button: closes the form, except while registering.

        A registration on its way cannot be called back: the server registers the
        artifact anyway. Closing then would drop its answer, so the table would not
        show the new artifact and the user would believe nothing was registered.
        """
        if self.is_busy():
            self._cancel_asked = True
            self._update()
            return
        super().reject()

    # -- reacting ------------------------------------------------------------------------

    def _on_groups(self, answer: tuple[User, int | None]) -> None:
        user, wanted = answer
        groups = list(user.groups)
        self._wanted_group = wanted
        self.group_combo.blockSignals(True)
        self.group_combo.clear()
        for group in groups:
            self.group_combo.addItem(group.name, group.id)
        if wanted is not None and self.group_combo.findData(wanted) < 0:
            # Groups are filters, not privacy (dioptra-api.md §6.8): a non-member may register.
            self.group_combo.addItem(f"group {wanted}", wanted)
        self.group_combo.setEnabled(True)
        self.group_combo.blockSignals(False)
        if not groups and wanted is None:
            self.group_note.show_problem("You belong to no group, so there is nowhere to register an artifact.")
        index = self.group_combo.findData(wanted) if wanted is not None else 0
        self.group_combo.setCurrentIndex(max(0, index))
        self._on_group_chosen()

    def _on_groups_failed(self, exc: object) -> None:
        if not isinstance(exc, ApiError):
            show_unexpected_error("Could not load your groups.", exc if isinstance(exc, BaseException) else str(exc), self)
            return
        self.group_combo.clear()
        self.group_combo.addItem("(could not load)", None)
        self.group_note.show_problem(f"Could not load your groups: {exc.message}", str(exc))
        self._update()

    def _on_group_chosen(self, _index: int = -1) -> None:
        group_id = self.group_id()
        if group_id is None:
            return
        self.job_picker.set_group(group_id)
        self.task_picker.set_group(group_id)
        if self._wanted_job is not None:
            self.job_picker.select_job(self._wanted_job)
            self._wanted_job = None
        self._update()

    def _on_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        # Fields are kept as typed but frozen, so what is sent is what is shown.
        self._fields.setEnabled(not busy)
        self._update()

    def _on_registered(self, artifact: Artifact) -> None:
        log.info("Registered artifact %s (%s)", artifact.id, uri_for_log(artifact.artifact_uri))
        self.registered.emit(artifact)
        self.accept()

    def _on_refused(self, exc: object) -> None:
        if not isinstance(exc, ApiError):
            show_unexpected_error("Could not register the artifact.", exc if isinstance(exc, BaseException) else str(exc), self)
            return
        refusal = explain_refusal(exc, job_id=self._sent.get(FormField.JOB))
        log.info("Registration refused (%s): %s", refusal.field.value, exc)
        self._refusals[refusal.field] = refusal
        if refusal.field is FormField.JOB:
            # The job's run may have changed since the list said it had one.
            self.job_picker.recheck_run()
        self._update()
        self._focus(refusal.field)

    # -- the state of the form ---------------------------------------------------------------

    def _current(self, field: FormField) -> Any:
        if field is FormField.GROUP:
            return self.group_id()
        if field is FormField.JOB:
            job = self.job_picker.current_job()
            return None if job is None else job.id
        if field is FormField.URI:
            return self.uri()
        if field is FormField.TASK:
            return self.task_picker.selection()
        return None

    def _clear_refusal(self, field: FormField) -> None:
        self._refusals.pop(field, None)

    def _update(self) -> None:
        # A refusal stands while its field still holds what was refused.
        for field in [f for f in self._refusals if f is not FormField.FORM]:
            if self._current(field) != self._sent.get(field):
                self._clear_refusal(field)
        problems = self.problems()
        self._show_notes(problems)
        busy = self.is_busy()
        self.register_button.setEnabled(not problems and not busy)
        self.cancel_button.setEnabled(not busy)
        if busy:
            self.missing_label.setText(CANNOT_CANCEL if self._cancel_asked else REGISTERING)
        elif problems:
            self.missing_label.setText("To register: " + "; ".join(self._short(f) for f in _ORDER if f in problems) + ".")
        else:
            self.missing_label.setText("Ready to register.")

    def _short(self, field: FormField) -> str:
        if field is FormField.JOB and field not in self._refusals:
            job, state = self.job_picker.current_job(), self.job_picker.run_info().state
            if job is None:
                return "choose a job"
            if state in (RunState.UNKNOWN, RunState.CHECKING):
                return f"wait while job {job.id}'s MLflow run is checked"
        if field is FormField.TASK and self.task_picker.is_loading() and field not in self._refusals:
            return "wait for the plugin's snapshots"
        if field is FormField.URI and field not in self._refusals:
            return "enter the artifact's URI" if not self.uri() else "correct the URI"
        return _SHORT[field]

    def _show_notes(self, problems: dict[FormField, str]) -> None:
        for field, note in ((FormField.GROUP, self.group_note), (FormField.JOB, self.job_note), (FormField.TASK, self.task_note)):
            refusal = self._refusals.get(field)
            if refusal is not None:
                note.show_problem(refusal.message, refusal.details)
            elif field is FormField.GROUP and self.group_note.is_error and self.group_id() is None:
                pass  # a load failure stays until the groups arrive
            elif field is FormField.TASK and problems.get(field) and not self.task_picker.is_loading():
                note.show_problem(problems[field])
            else:
                note.clear()
        uri_refusal = self._refusals.get(FormField.URI)
        if uri_refusal is not None:
            self.uri_note.show_problem(uri_refusal.message, uri_refusal.details)
        elif not self.uri_edit.text().strip():
            run_id = self.job_picker.run_id()
            self.uri_note.show_hint(URI_HINT.replace("<run id>", run_id) if run_id else URI_HINT)
        elif FormField.URI in problems:
            self.uri_note.show_problem(problems[FormField.URI])
        else:
            self.uri_note.clear()
        form_refusal = self._refusals.get(FormField.FORM)
        if form_refusal is not None:
            self.form_note.show_problem(form_refusal.message, form_refusal.details)
        else:
            self.form_note.clear()

    def _focus(self, field: FormField) -> None:
        widget = {
            FormField.GROUP: self.group_combo,
            FormField.JOB: self.job_picker.view,
            FormField.URI: self.uri_edit,
            FormField.TASK: self.task_picker.task_combo,
        }.get(field)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)


# What the status line says is missing, per field, in the order of the form.
_ORDER = (FormField.GROUP, FormField.JOB, FormField.URI, FormField.TASK)
_SHORT = {
    FormField.GROUP: "choose a group",
    FormField.JOB: "choose a job with an MLflow run",
    FormField.URI: "choose another URI",
    FormField.TASK: "choose the plugin snapshot and artifact task together, or neither",
}


def _stack(field: QWidget, note: FieldNote) -> QWidget:
    """A field with its note underneath, as one form row."""
    box = QWidget(field.parentWidget())
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(field)
    layout.addWidget(note)
    return box


def _set_buddies(form: QFormLayout) -> None:
    """Alt+<letter> on a label focuses its field (the first focusable widget of the row)."""
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is None or field is None or not isinstance(label.widget(), QLabel):
            continue
        target = field.widget()
        if isinstance(target, QWidget) and not isinstance(target, (QLineEdit, QComboBox, QPlainTextEdit)):
            focusable = [w for w in target.findChildren(QWidget) if w.focusPolicy() & Qt.FocusPolicy.TabFocus]
            target = focusable[0] if focusable else target
        label.widget().setBuddy(target)
