"""The "Edit artifact" dialog: an artifact's description and its plugin snapshot / artifact task.

Why a dialog and not editing in place in the details pane: every save makes a
new server-side snapshot that cannot be deleted, so a change needs a clear
moment of commitment (Save / Cancel) and a place to show the server's refusal
next to the field it concerns, while the pane keeps showing the saved values
(and older snapshots) read-only. That is what properties dialogs in serious
desktop tools do for versioned objects.

The server's PUT replaces description and task together, so only the fields
the user changed are named in :meth:`ArtifactsClient.modify`; the rest are
left ``UNCHANGED`` and resent as the server has them, never wiped.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import (
    UNCHANGED,
    ApiError,
    Artifact,
    AuthenticationError,
    DioptraClient,
    ServerUnreachableError,
)
from artifact_browser.core.registration import FormField, explain_refusal, server_text
from artifact_browser.qt.error_dialog import show_unexpected_error
from artifact_browser.qt.field_note import ERROR_STYLE, HINT_STYLE, FieldNote
from artifact_browser.qt.task_picker import TaskPicker
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

TITLE = "Edit artifact"
NOTHING_CHANGED = "Change the description or the task to save a new snapshot."
SAVING = "Saving… the server is being asked; this dialog closes with its answer."
# A save cannot be called back once sent: the server would make the snapshot anyway.
CANNOT_CANCEL = (
    "The server is already being asked to save and cannot be stopped; this dialog closes with its answer "
    "(or stays open to say why it was refused)."
)


class ArtifactEditor(QDialog):
    """Edit one artifact's description and task; Save makes a new snapshot.

    Args:
        client: A signed-in client (used on worker threads only).
        artifact: The artifact as the table or pane has it (its latest snapshot).
        parent: The parent window.

    Signals:
        artifact_changed(object): The save succeeded; carries the server's
            answer (the new latest snapshot, an :class:`Artifact`).
    """

    artifact_changed = Signal(object)

    def __init__(self, client: DioptraClient, artifact: Artifact, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("artifactEditor")
        self.setWindowTitle(f"{TITLE} {artifact.id}")
        self._client = client
        self._artifact = artifact
        task = artifact.task
        self._original_pair: tuple[int, int] | None = (
            (int(task.plugin_snapshot_id), int(task.id)) if task and task.plugin_snapshot_id is not None else None
        )

        heading = QLabel(artifact.name or artifact.artifact_uri, self)
        heading.setObjectName("editorHeading")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setWordWrap(True)
        font = QFont(heading.font())
        font.setBold(True)
        heading.setFont(font)
        note = QLabel(
            f"Artifact {artifact.id}, snapshot {artifact.snapshot_id}. Saving creates a new snapshot; "
            "the current one stays in the history.",
            self,
        )
        note.setObjectName("editorNote")
        note.setWordWrap(True)

        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("descriptionEdit")
        self.description_edit.setPlaceholderText("(no description)")
        self.description_edit.setPlainText(artifact.description or "")
        self.description_edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
        lines = self.description_edit.fontMetrics().lineSpacing()
        self.description_edit.setFixedHeight(lines * 4 + 12)
        self.description_error = FieldNote(self, name="descriptionError")

        self.task_picker = TaskPicker(client, self)
        self.task_problem = QLabel(self)
        self.task_problem.setObjectName("taskProblem")
        self.task_problem.setWordWrap(True)
        self.task_problem.setTextFormat(Qt.TextFormat.PlainText)
        self.task_problem.setStyleSheet(ERROR_STYLE)
        self.task_error = FieldNote(self, name="taskError")
        self.latest_offer = QWidget(self)
        self.latest_offer.setObjectName("latestOffer")
        self.latest_label = QLabel(self.latest_offer)
        self.latest_label.setObjectName("latestLabel")
        self.latest_button = QPushButton(self.latest_offer)
        self.latest_button.setObjectName("useLatestSnapshot")
        self.latest_button.clicked.connect(self.use_latest_snapshot)
        offer = QVBoxLayout(self.latest_offer)
        offer.setContentsMargins(0, 0, 0, 0)
        offer.setSpacing(2)
        offer.addWidget(self.latest_label)
        offer.addWidget(self.latest_button, 0, Qt.AlignmentFlag.AlignLeft)
        task_box = QWidget(self)
        task_layout = QVBoxLayout(task_box)
        task_layout.setContentsMargins(0, 0, 0, 0)
        task_layout.setSpacing(4)
        for widget in (self.task_picker, self.task_problem, self.latest_offer, self.task_error):
            task_layout.addWidget(widget)
        description_box = QWidget(self)
        description_layout = QVBoxLayout(description_box)
        description_layout.setContentsMargins(0, 0, 0, 0)
        description_layout.setSpacing(4)
        description_layout.addWidget(self.description_edit)
        description_layout.addWidget(self.description_error)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        description_label = QLabel("&Description:", self)
        description_label.setBuddy(self.description_edit)
        form.addRow(description_label, description_box)
        form.addRow(QLabel("Task:", self), task_box)

        self.form_error = FieldNote(self, name="formError")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("editorBusy")
        self.busy_bar.setRange(0, 0)  # indeterminate: the server says nothing about progress
        self.busy_bar.setMaximumHeight(6)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("editorHint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet(HINT_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Send the changes to the server (a new snapshot)")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self._cancel_asked = False  # Cancel/Esc was tried while the save was on its way
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        # Messages appear under fields after the dialog is shown: let it grow rather than squash them.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addStretch(1)
        layout.addWidget(self.busy_bar)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint_label, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._on_saved)
        self._runner.failed.connect(self._on_failed)
        self._runner.running_changed.connect(lambda _running: self._update())
        self.description_edit.textChanged.connect(self._on_description_edited)
        self.task_picker.changed.connect(self._on_task_changed)

        self.task_picker.set_group(artifact.group.id)
        if task is not None:
            self.task_picker.set_current(task.plugin_id, task.plugin_snapshot_id, task.id)
        self.resize(620, self.sizeHint().height())
        self._update()

    # -- what the dialog would send ------------------------------------------------------

    @property
    def artifact(self) -> Artifact:
        """The artifact being edited, as it was when the dialog opened."""
        return self._artifact

    def description(self) -> str | None:
        """The description as typed (None when empty: the artifact then has none)."""
        text = self.description_edit.toPlainText()
        return text if text.strip() else None

    def description_changed(self) -> bool:
        """True when the typed description differs from the artifact's."""
        return self.description() != (self._artifact.description or None)

    def task_changed(self) -> bool:
        """True when the picker holds a valid choice that differs from the artifact's task."""
        if self.task_picker.problem() is not None:
            return False
        return self.task_picker.selection() != self._original_pair

    def task_touched(self) -> bool:
        """True when the task part changed: the user changed the picker (even half-way or back), or it holds another task.

        Until then the task is sent unchanged, so a picker that is still loading
        it, or could not load it, does not stand in the way of other changes.
        """
        return self.task_picker.user_has_chosen() or self.task_changed()

    def changes(self) -> dict[str, Any]:
        """The keyword arguments :meth:`ArtifactsClient.modify` gets: only what the user changed."""
        changes: dict[str, Any] = {}
        if self.description_changed():
            changes["description"] = self.description()
        if self.task_changed():
            pair = self.task_picker.selection()
            changes["plugin_snapshot_id"], changes["task_id"] = pair if pair else (None, None)
        return changes

    def can_save(self) -> bool:
        """Whether Save is offered: something changed, and a task the user touched is complete and loaded."""
        return self._why_not() is None

    def is_saving(self) -> bool:
        """True while the change is on its way to the server."""
        return self._runner.is_running

    # -- actions ------------------------------------------------------------------------

    def use_latest_snapshot(self) -> None:
        """Switch the task to the latest snapshot of its plugin (the task of the same name there)."""
        self.task_picker.use_latest_snapshot()
        self._update()

    def save(self) -> None:
        """Send the changes in the background; the dialog closes when the server accepts them."""
        if not self.can_save():
            return
        changes = self.changes()
        self._clear_refusals()
        self._cancel_asked = False
        client, artifact_id = self._client, self._artifact.id
        log.info("Editing artifact %s: %s", artifact_id, ", ".join(changes))
        self._runner.start(lambda token: client.artifacts.modify(artifact_id, **_with_unchanged(changes)))
        self._update()

    def reject(self) -> None:
        """Cancel, Esc or the window's close button: closes the dialog, except while saving.

        A save on its way cannot be called back: the server makes the snapshot
        anyway. Closing then would drop its answer, leave the pane showing the old
        values, and let the user believe the change was cancelled.
        """
        if self.is_saving():
            self._cancel_asked = True
            self._update()
            return
        super().reject()

    # -- answers ------------------------------------------------------------------------

    def _on_saved(self, artifact: Artifact) -> None:
        log.info("Artifact %s saved as snapshot %s", artifact.id, artifact.snapshot_id)
        self._artifact = artifact
        self.artifact_changed.emit(artifact)
        self.accept()

    def _on_failed(self, exc: object) -> None:
        self._update()
        if not isinstance(exc, ApiError):
            show_unexpected_error("Could not save the artifact.", exc if isinstance(exc, BaseException) else str(exc), self)
            return
        log.warning("Editing artifact %s was refused: %s", self._artifact.id, exc)
        field, message, details = explain_edit_refusal(exc)
        target = {FormField.TASK: self.task_error, FormField.DESCRIPTION: self.description_error}.get(field, self.form_error)
        target.show_problem(message, details)
        # The user's typing stays where it is; Save stays available for another try.
        (self.task_picker if target is self.task_error else self.description_edit).setFocus()

    # -- state --------------------------------------------------------------------------

    def _on_description_edited(self) -> None:
        self.description_error.clear()
        self.form_error.clear()
        self._update()

    def _on_task_changed(self) -> None:
        self.task_error.clear()
        self._update()

    def _clear_refusals(self) -> None:
        for message in (self.description_error, self.task_error, self.form_error):
            message.clear()

    def _why_not(self) -> str | None:
        if self.is_saving():
            return CANNOT_CANCEL if self._cancel_asked else SAVING
        # The task is sent unchanged unless the user touched it: only then must the picker have a complete choice.
        if self.task_touched():
            problem = self.task_picker.problem()
            if problem is not None:
                return problem
            if self.task_picker.is_loading():
                return "Loading the plugins…"
        if not self.description_changed() and not self.task_changed():
            return NOTHING_CHANGED
        return None

    def _update(self) -> None:
        saving = self.is_saving()
        why = self._why_not()
        self.save_button.setEnabled(why is None)
        self.hint_label.setText("" if why is None or why == self.task_picker.problem() else why)
        # An untouched task is sent as the server has it: what the picker lacks is not the user's to fix
        # (the picker's own line says what could not be loaded).
        problem = self.task_picker.problem() if self.task_touched() else None
        self.task_problem.setText(problem or "")
        self.task_problem.setVisible(bool(problem) and not self.task_picker.is_loading())
        newer = None if saving else self.task_picker.newer_snapshot()
        self.latest_offer.setVisible(newer is not None)
        if newer is not None:
            chosen = self.task_picker.current_snapshot()
            # One short line: a wrapped label here would not get its height until the next layout pass.
            self.latest_label.setText(f"The plugin has changed since snapshot {chosen.snapshot_id if chosen else '?'}.")
            self.latest_button.setToolTip(
                f"Switch to snapshot {newer.snapshot_id} of {newer.name}; the task is found there again by name "
                "(task ids change with every edit of the plugin file)."
            )
            self.latest_button.setText(f"Use the latest snapshot of this plugin (snapshot {newer.snapshot_id})")
        self.busy_bar.setVisible(saving)
        self.cancel_button.setEnabled(not saving)
        for widget in (self.description_edit, self.task_picker, self.latest_button):
            widget.setEnabled(not saving)


def _with_unchanged(changes: dict[str, Any]) -> dict[str, Any]:
    """Every field ``modify`` takes, ``UNCHANGED`` for those the user left alone."""
    return {key: changes.get(key, UNCHANGED) for key in ("description", "plugin_snapshot_id", "task_id")}


def explain_edit_refusal(exc: ApiError) -> tuple[FormField, str, str]:
    """The field a refused edit concerns, a sentence a user understands, and the server's text.

    Task and schema refusals read as they do in the registration form; the rest
    are worded for an edit (nothing was saved, the typing is kept).
    """
    details = server_text(exc)
    if exc.error_type == "EntityDoesNotExistError" and str(exc.detail.get("entity_type", "")).lower() == "artifact":
        return FormField.FORM, "This artifact no longer exists on the server, so it cannot be edited.", details
    refusal = explain_refusal(exc)
    if refusal.field in (FormField.TASK, FormField.DESCRIPTION):
        return refusal.field, refusal.message, details
    if isinstance(exc, AuthenticationError):
        return FormField.FORM, "You are no longer signed in. Sign in again, then save; your changes are still here.", details
    if isinstance(exc, ServerUnreachableError):
        return FormField.FORM, f"The server could not be reached ({exc.message}). Nothing was saved; try again.", details
    if exc.status is not None and exc.status >= 500:
        return FormField.FORM, f"The server failed while saving ({exc.message}). Nothing was saved; try again.", details
    return FormField.FORM, f"The server refused the change: {exc.message}", details
