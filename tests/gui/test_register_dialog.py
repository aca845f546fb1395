"""The "Register artifact" form against the real local Dioptra server.

Registrations use the seed's spares (logged but unregistered files and folders),
one per test, so no seeded artifact changes. Refusals the form prevents on its own
(a job without a run, a URI outside the run) are checked where the user meets
them; refusals only the server can give are provoked for real and must land on
their field with the server's text behind "Details".
"""

from __future__ import annotations

import dataclasses
import logging

import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox, QDialog

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.registration import FormField
from artifact_browser.qt.job_picker import NO_RUN_MESSAGE, RunState
from artifact_browser.qt.register_dialog import CANNOT_CANCEL, REGISTERING, URI_HINT, RegisterDialog
from artifact_browser.qt.task_picker import PROBLEM_NO_TASK
from gui_support import save_screenshot

TIMEOUT_MS = 15_000


# -- helpers -------------------------------------------------------------------------------


def until_idle(qtbot, widgets: list) -> None:
    """Delete ``widgets`` and wait until no request of theirs is on its way.

    The signed-in client closes when the test ends; a request still running then
    would fail, or worse, read from a socket number the next test's client reuses.
    """

    def done() -> bool:
        alive = [w for w in widgets if shiboken6.isValid(w)]
        for widget in alive:
            widget.close()
            widget.deleteLater()
        return not alive and QThreadPool.globalInstance().activeThreadCount() == 0

    qtbot.waitUntil(done, timeout=60_000)


@pytest.fixture
def open_dialog(qtbot):
    """Open a :class:`RegisterDialog` and wait for the user's groups; all are idle again after the test.

    List this fixture after ``client``/``slow_client``, so that it ends first.
    """
    opened: list[RegisterDialog] = []

    def open_(client: DioptraClient, **preset) -> RegisterDialog:
        dialog = RegisterDialog(client, **preset)
        opened.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: dialog.group_id() is not None, timeout=TIMEOUT_MS)
        return dialog

    yield open_
    until_idle(qtbot, opened)


def choose_job(qtbot, dialog: RegisterDialog, job_id: int) -> None:
    dialog.job_picker.select_job(job_id)
    qtbot.waitUntil(
        lambda: dialog.job_picker.current_job() is not None
        and dialog.job_picker.current_job().id == job_id
        and dialog.job_picker.run_info().state not in (RunState.UNKNOWN, RunState.CHECKING),
        timeout=TIMEOUT_MS,
    )


def choose(combo: QComboBox, data: int | None) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data} is not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def choose_task(qtbot, dialog: RegisterDialog, plugin_id: int, task_id: int) -> None:
    picker = dialog.task_picker
    qtbot.waitUntil(lambda: picker.plugin_combo.findData(plugin_id) >= 0, timeout=TIMEOUT_MS)
    choose(picker.plugin_combo, plugin_id)
    qtbot.waitUntil(lambda: not picker.is_loading() and picker.task_combo.findData(task_id) >= 0, timeout=TIMEOUT_MS)
    choose(picker.task_combo, task_id)


def type_uri(qtbot, dialog: RegisterDialog, uri: str) -> None:
    dialog.uri_edit.clear()
    qtbot.keyClicks(dialog.uri_edit, uri)


def register(qtbot, dialog: RegisterDialog) -> Artifact:
    assert dialog.register_button.isEnabled(), dialog.missing_label.text()
    with qtbot.waitSignal(dialog.registered, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    return done.args[0]


def refused(qtbot, dialog: RegisterDialog, field: FormField) -> str:
    """Click Register and wait for the refusal to land on ``field``; returns its message."""
    assert dialog.register_button.isEnabled(), dialog.missing_label.text()
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_busy() and bool(dialog.field_message(field)), timeout=TIMEOUT_MS)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    return dialog.field_message(field)


def note_details(dialog: RegisterDialog, field: FormField) -> str:
    note = {FormField.URI: dialog.uri_note, FormField.JOB: dialog.job_note, FormField.TASK: dialog.task_note}[field]
    assert note.details_button.isVisibleTo(dialog), "the server's text must be one click away"
    note.details_button.click()
    assert note.details_view.isVisibleTo(dialog)
    return note.details_text()


def job_with_run(manifest, group_id: int):
    return next(j for j in manifest.jobs if j.group_id == group_id and j.has_run)


# -- the empty form, presets -----------------------------------------------------------------


def test_the_empty_form_says_what_is_missing_and_cannot_register(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    dialog = open_dialog(client)
    first_group = manifest.demo.group_ids[0]
    assert dialog.group_id() == first_group
    assert [dialog.group_combo.itemText(i) for i in range(dialog.group_combo.count())] == [
        manifest.groups[[g.id for g in manifest.groups].index(gid)].name for gid in manifest.demo.group_ids
    ]
    qtbot.waitUntil(lambda: dialog.job_picker.model.rowCount() > 0, timeout=TIMEOUT_MS)
    assert not dialog.register_button.isEnabled()
    assert dialog.missing_label.text() == "To register: choose a job; enter the artifact's URI."
    assert dialog.field_message(FormField.URI) == URI_HINT
    assert not dialog.uri_note.is_error
    save_screenshot(dialog, "register_empty")


def test_opening_from_a_job_fills_in_group_and_job(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    lab = manifest.group("vision-lab").id
    job = job_with_run(manifest, lab)
    dialog = open_dialog(client, group_id=lab, job_id=job.id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() == job.run_id, timeout=TIMEOUT_MS)
    assert dialog.group_id() == lab and dialog.group_combo.currentText() == "vision-lab"
    assert dialog.job_picker.current_job().id == job.id
    assert dialog.job_picker.view.currentIndex().row() == dialog.job_picker.model.row_of(job.id)
    # The hint under the URI now names the run the URI must lie in.
    assert f"…/{job.run_id}/artifacts/<path>" in dialog.field_message(FormField.URI)


def test_a_job_alone_finds_its_group(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    lab = manifest.group("vision-lab").id
    job = job_with_run(manifest, lab)
    assert manifest.demo.group_ids[0] != lab  # the group must really change
    dialog = open_dialog(client, job_id=job.id)
    qtbot.waitUntil(lambda: dialog.group_id() == lab and dialog.job_picker.run_id() == job.run_id, timeout=TIMEOUT_MS)
    assert dialog.job_picker.current_job().id == job.id


# -- successful registrations ----------------------------------------------------------------


@pytest.mark.parametrize(("is_dir", "with_task"), [(False, False), (True, True), (False, True), (True, False)])
def test_register_a_spare(qtbot, client, dioptra, spares, is_dir: bool, with_task: bool, open_dialog) -> None:
    manifest = dioptra.manifest
    spare = spares.take(is_dir=is_dir)
    plugin = manifest.plugin
    assert plugin.group_id == spare.group_id
    dialog = open_dialog(client, group_id=spare.group_id, job_id=spare.job_id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, spare.uri)
    qtbot.keyClicks(dialog.description_edit, f"registered from the form ({'dir' if is_dir else 'file'})")
    task_name = "save_table" if is_dir else "save_model"
    if with_task:
        choose_task(qtbot, dialog, plugin.id, plugin.artifact_tasks[task_name])
    qtbot.waitUntil(dialog.register_button.isEnabled, timeout=TIMEOUT_MS)
    assert dialog.missing_label.text() == "Ready to register."
    chosen = dialog.task_picker.selection()
    assert (chosen is not None) == with_task

    artifact = register(qtbot, dialog)

    assert dialog.result() == QDialog.DialogCode.Accepted
    stored = client.artifacts.get_by_id(artifact.id)
    assert stored.artifact_uri == spare.uri and stored.job_id == spare.job_id and stored.group.id == spare.group_id
    assert stored.is_dir is is_dir
    assert stored.description == f"registered from the form ({'dir' if is_dir else 'file'})"
    if with_task:
        assert stored.task is not None
        assert (stored.task.plugin_snapshot_id, stored.task.id) == chosen
        assert stored.task.name == task_name
    else:
        assert stored.task is None


# -- what the form refuses before sending ------------------------------------------------------


def test_a_job_without_a_run_is_listed_but_cannot_be_registered_for(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    runless = manifest.job(manifest.runless_job_id)
    dialog = open_dialog(client, group_id=runless.group_id)
    choose_job(qtbot, dialog, runless.id)
    type_uri(qtbot, dialog, manifest.spares[0].uri)
    assert dialog.job_picker.run_label.text() == NO_RUN_MESSAGE.format(job=runless.id)
    assert not dialog.register_button.isEnabled()
    assert "choose a job with an MLflow run" in dialog.missing_label.text()


def test_a_uri_outside_the_jobs_run_is_refused_by_the_form(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    job = manifest.job(manifest.spare_job_id)
    other = next(j for j in manifest.jobs if j.has_run and j.id != job.id)
    dialog = open_dialog(client, group_id=job.group_id, job_id=job.id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() == job.run_id, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, f"{other.run_artifact_uri}/outputs/model.bin")
    assert dialog.field_message(FormField.URI).startswith("The URI is not inside this job's MLflow run")
    assert dialog.uri_note.is_error and not dialog.register_button.isEnabled()
    # Typing the run's own root makes it usable again.
    type_uri(qtbot, dialog, f"{job.run_artifact_uri}/outputs/anything.bin")
    assert dialog.field_message(FormField.URI) == "" and dialog.register_button.isEnabled()


@pytest.mark.parametrize(
    ("text", "words"),
    [("ftp:/x", "needs a host"), ("/srv/x.txt", "A bare path is not a URI"), ("file:///a/../b", "normalised")],
)
def test_an_unusable_uri_is_explained_as_it_is_typed(qtbot, client, dioptra, text: str, words: str, open_dialog) -> None:
    dialog = open_dialog(client)
    type_uri(qtbot, dialog, text)
    assert words in dialog.field_message(FormField.URI) and dialog.uri_note.is_error
    assert "correct the URI" in dialog.missing_label.text()


def test_a_plugin_without_its_task_is_refused_by_the_form(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    job = manifest.job(manifest.spare_job_id)
    dialog = open_dialog(client, group_id=job.group_id, job_id=job.id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() == job.run_id, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, f"{job.run_artifact_uri}/spare/x//y.txt")  # a bad URI too, for the screenshot
    picker = dialog.task_picker
    qtbot.waitUntil(lambda: picker.plugin_combo.findData(manifest.plugin.id) >= 0, timeout=TIMEOUT_MS)
    choose(picker.plugin_combo, manifest.plugin.id)
    qtbot.waitUntil(lambda: not picker.is_loading() and picker.snapshot_combo.currentData() is not None, timeout=TIMEOUT_MS)
    assert picker.selection() is None
    assert dialog.field_message(FormField.TASK) == PROBLEM_NO_TASK
    assert "choose the plugin snapshot and artifact task together, or neither" in dialog.missing_label.text()
    assert not dialog.register_button.isEnabled()
    save_screenshot(dialog, "register_invalid")

    # Neither is fine again.
    type_uri(qtbot, dialog, f"{job.run_artifact_uri}/spare/y.txt")
    choose(picker.plugin_combo, None)
    qtbot.waitUntil(lambda: dialog.field_message(FormField.TASK) == "", timeout=TIMEOUT_MS)
    assert dialog.register_button.isEnabled()


# -- what only the server can refuse ----------------------------------------------------------


def test_a_uri_the_run_never_logged_lands_on_the_uri_and_nothing_is_lost(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    job = manifest.job(manifest.spare_job_id)
    dialog = open_dialog(client, group_id=job.group_id, job_id=job.id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() == job.run_id, timeout=TIMEOUT_MS)
    uri = f"{job.run_artifact_uri}/never/logged.txt"
    type_uri(qtbot, dialog, uri)
    qtbot.keyClicks(dialog.description_edit, "kept after a refusal")

    message = refused(qtbot, dialog, FormField.URI)

    assert message.startswith("The job's MLflow run has no file or folder at this URI")
    details = note_details(dialog, FormField.URI)
    assert "HTTP 500 JobStoreError" in details and "is not part of MLFlow run id" in details
    save_screenshot(dialog, "register_error")
    # Everything typed is still there, and the same request is not offered again.
    assert dialog.uri() == uri and dialog.description() == "kept after a refusal"
    assert dialog.job_picker.current_job().id == job.id
    assert not dialog.register_button.isEnabled()
    # Changing the URI clears the refusal.
    qtbot.keyClick(dialog.uri_edit, Qt.Key.Key_Backspace)
    assert dialog.field_message(FormField.URI) == "" and dialog.register_button.isEnabled()


def test_an_already_registered_uri_names_the_existing_artifact(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    existing = next(a for a in manifest.artifacts if manifest.job(a.job_id).has_run)
    dialog = open_dialog(client, group_id=existing.group_id, job_id=existing.job_id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, existing.uri)

    message = refused(qtbot, dialog, FormField.URI)

    assert f"already registered for this job as artifact {existing.id}" in message
    assert '"existing_id": ' + str(existing.id) in note_details(dialog, FormField.URI)


def test_a_run_detached_since_the_list_was_loaded_lands_on_the_job(qtbot, client, dioptra, monkeypatch, open_dialog) -> None:
    manifest = dioptra.manifest
    runless = manifest.job(manifest.runless_job_id)
    fake_run = "0123456789abcdef0123456789abcdef"
    answers = iter([fake_run])
    real = client.jobs.get_mlflow_run_id
    # The list's first look-up sees a run; the server, when registering, sees none.
    monkeypatch.setattr(client.jobs, "get_mlflow_run_id", lambda job_id: next(answers, None) if job_id == runless.id else real(job_id))
    dialog = open_dialog(client, group_id=runless.group_id)
    choose_job(qtbot, dialog, runless.id)
    assert dialog.job_picker.run_id() == fake_run
    type_uri(qtbot, dialog, f"file:///srv/mlartifacts/{fake_run}/artifacts/x.txt")

    message = refused(qtbot, dialog, FormField.JOB)

    assert message.startswith(f"Job {runless.id} has no MLflow run attached")
    assert "JobMlflowRunNotSetError" in note_details(dialog, FormField.JOB)
    # The form asked again: the list now says the job has no run.
    qtbot.waitUntil(lambda: dialog.job_picker.run_info().state is RunState.NONE, timeout=TIMEOUT_MS)
    assert not dialog.register_button.isEnabled()


@pytest.mark.parametrize("case", ["unknown", "mismatched"])
def test_a_stale_task_lands_on_the_task(qtbot, client, dioptra, spares, monkeypatch, case: str, open_dialog) -> None:
    manifest = dioptra.manifest
    spare = spares.take(is_dir=False)
    public, lab = manifest.plugins
    assert public.group_id == spare.group_id
    dialog = open_dialog(client, group_id=spare.group_id, job_id=spare.job_id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, spare.uri)
    choose_task(qtbot, dialog, public.id, public.artifact_task_id)
    # The picker only offers pairs that exist; a pair goes stale when the plugin
    # changes on the server while the form is open. Stand in for that here.
    stale = (public.snapshot_id, 99_999_999 if case == "unknown" else lab.artifact_task_id)
    monkeypatch.setattr(dialog.task_picker, "selection", lambda: stale)

    message = refused(qtbot, dialog, FormField.TASK)

    if case == "unknown":
        assert message.startswith("The chosen artifact task does not exist on the server")
        assert "PluginTaskDoesNotExistError" in note_details(dialog, FormField.TASK)
    else:
        assert message.startswith("The chosen artifact task does not belong to the chosen plugin snapshot")
        assert "EntityRelationshipDoesNotExistError" in note_details(dialog, FormField.TASK)
    assert not dialog.register_button.isEnabled()
    assert dialog.uri() == spare.uri  # nothing typed is lost


def test_the_form_stays_responsive_and_frozen_while_registering(qtbot, dioptra, slow_client, proxy, open_dialog) -> None:
    manifest = dioptra.manifest
    existing = next(a for a in manifest.artifacts if manifest.job(a.job_id).has_run)
    dialog = open_dialog(slow_client, group_id=existing.group_id, job_id=existing.job_id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not dialog.task_picker.is_loading(), timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, existing.uri)
    proxy.delay = 1.5
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.busy_bar.isVisible, timeout=TIMEOUT_MS)
    assert dialog.is_busy() and not dialog.register_button.isEnabled()
    assert not dialog.uri_edit.isEnabled() and dialog.uri() == existing.uri
    assert dialog.missing_label.text().startswith("Registering…")
    save_screenshot(dialog, "register_busy")
    QApplication.processEvents()  # the event loop runs: the dialog answers while it waits
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=TIMEOUT_MS)
    assert dialog.busy_bar.isHidden() and dialog.uri_edit.isEnabled()
    assert "already registered" in dialog.field_message(FormField.URI)


def test_cancel_and_esc_wait_for_a_registration_on_its_way(qtbot, dioptra, spares, slow_client, proxy, open_dialog) -> None:
    spare = spares.take(is_dir=False)
    dialog = open_dialog(slow_client, group_id=spare.group_id, job_id=spare.job_id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, spare.uri)
    qtbot.waitUntil(dialog.register_button.isEnabled, timeout=TIMEOUT_MS)
    proxy.delay = 1.5
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    assert dialog.is_busy() and dialog.missing_label.text() == REGISTERING
    assert not dialog.cancel_button.isEnabled()

    # The server registers the artifact whatever the dialog does now: closing would only hide that.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.is_busy()
    assert dialog.missing_label.text() == CANNOT_CANCEL
    dialog.close()  # the window's close button
    assert dialog.isVisible()

    with qtbot.waitSignal(dialog.registered, timeout=TIMEOUT_MS) as registered:
        pass
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert slow_client.artifacts.get_by_id(registered.args[0].id).artifact_uri == spare.uri


def test_the_log_names_the_new_artifact_without_a_password_in_its_uri(
    qtbot, client, dioptra, monkeypatch, caplog, open_dialog
) -> None:
    manifest = dioptra.manifest
    existing = next(a for a in manifest.artifacts if manifest.job(a.job_id).has_run)
    dialog = open_dialog(client, group_id=existing.group_id, job_id=existing.job_id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not dialog.task_picker.is_loading(), timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, existing.uri)
    # A server whose artifacts live behind sftp answers with the URI as registered, password and all.
    stored = client.artifacts.get_by_id(existing.id)
    answer = dataclasses.replace(stored, artifact_uri="sftp://alice:s3cret-pw@files.example:2222/runs/x/artifacts/model.pt")
    monkeypatch.setattr(client.artifacts, "create", lambda *args, **kwargs: answer)

    with caplog.at_level(logging.INFO, logger="artifact_browser.qt.register_dialog"):
        register(qtbot, dialog)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "s3cret-pw" not in logged and "alice:" not in logged
    assert f"Registered artifact {answer.id} (sftp://files.example:2222/runs/x/artifacts/model.pt)" in logged


# -- drops onto the URI ------------------------------------------------------------------------


def _drop(widget, mime: QMimeData) -> bool:
    """Drag ``mime`` onto ``widget`` and drop it there, as a drag from a file manager does.

    Returns:
        Whether the widget accepted the drag (Qt delivers the drop only then).
    """
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def test_dropping_a_file_url_fills_in_the_uri(qtbot, client, dioptra, open_dialog) -> None:
    manifest = dioptra.manifest
    job = manifest.job(manifest.spare_job_id)
    dialog = open_dialog(client, group_id=job.group_id, job_id=job.id)
    qtbot.waitUntil(lambda: dialog.job_picker.run_id() == job.run_id, timeout=TIMEOUT_MS)
    type_uri(qtbot, dialog, "typed first")
    local = f"{job.run_artifact_uri.removeprefix('file://')}/spare/spare notes.txt"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(local)])  # a file manager percent-encodes the space
    assert "%20" in mime.urls()[0].toString(QUrl.ComponentFormattingOption.FullyEncoded)

    assert _drop(dialog.uri_edit, mime)

    assert dialog.uri() == f"file://{local}"
    assert dialog.field_message(FormField.URI) == ""
    dialog.uri_edit.undo()  # what was typed before is one undo away
    assert dialog.uri() == "typed first"


def test_dropping_text_fills_in_the_uri(qtbot, client, dioptra, open_dialog) -> None:
    dialog = open_dialog(client)
    mime = QMimeData()
    mime.setText("  s3://bucket/some/key\n")
    assert _drop(dialog.uri_edit, mime)
    assert dialog.uri() == "s3://bucket/some/key"


def test_a_drop_of_something_else_is_ignored(qtbot, client, dioptra, open_dialog) -> None:
    dialog = open_dialog(client)
    type_uri(qtbot, dialog, "kept")
    mime = QMimeData()
    mime.setData("application/octet-stream", b"\x00\x01")
    assert not _drop(dialog.uri_edit, mime)
    assert dialog.uri() == "kept"


