"""The details pane shows every attribute of real artifacts from the local Dioptra server."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QLocale, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QToolButton

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.units import format_size
from artifact_browser.qt.artifact_table_model import format_datetime
from artifact_browser.qt.details_pane import EMPTY_TEXT, NO_DESCRIPTION, NONE_TEXT, DetailsPane, Field
from gui_support import save_screenshot, shown

LONG = QLocale.FormatType.LongFormat


@pytest.fixture
def pane(qtbot, client: DioptraClient) -> DetailsPane:
    return shown(qtbot, DetailsPane(client.address), 560, 640)


@pytest.fixture
def file_with_task(dioptra, client: DioptraClient) -> Artifact:
    info = next(a for a in dioptra.manifest.artifacts if a.has_task and not a.is_dir and a.description)
    return client.artifacts.get_by_id(info.id)


@pytest.fixture
def directory(dioptra, client: DioptraClient) -> Artifact:
    info = max((a for a in dioptra.manifest.artifacts if a.is_dir), key=lambda a: len(a.files))
    return client.artifacts.get_by_id(info.id)


def test_the_pane_starts_empty_and_says_what_to_do(pane: DetailsPane) -> None:
    assert pane.is_empty()
    assert pane.empty_label.isVisible() and pane.empty_label.text() == EMPTY_TEXT
    assert all(pane.text(field) == "" for field in Field)


def test_every_attribute_of_a_file_with_a_task_is_shown(dioptra, pane: DetailsPane, file_with_task: Artifact) -> None:
    artifact = file_with_task
    task = artifact.task
    assert task is not None and artifact.job_id is not None and artifact.file_size is not None  # the seed's promise
    pane.show_artifact(artifact)

    assert not pane.is_empty() and not pane.empty_label.isVisible()
    assert pane.title_label.text() == artifact.name
    exact = QLocale().toString(artifact.file_size)
    expected = {
        Field.ID: str(artifact.id),
        Field.SNAPSHOT: str(artifact.snapshot_id),
        Field.LATEST_SNAPSHOT: "Yes",
        Field.GROUP: f"{artifact.group.name} (id {artifact.group.id})",
        Field.JOB: f"Job {artifact.job_id}",
        Field.TASK: f"{task.name} (id {task.id})",
        Field.PLUGIN: f"id {task.plugin_id}, snapshot {task.plugin_snapshot_id}",
        Field.PLUGIN_FILE: f"id {task.plugin_file_id}, snapshot {task.plugin_file_snapshot_id}",
        Field.TYPE: "File",
        Field.URI: artifact.artifact_uri,
        Field.FILE_URL: f"{dioptra.url}/api/v1/artifacts/{artifact.id}/contents",
        Field.CREATED: format_datetime(artifact.created_on, LONG),
        Field.LAST_MODIFIED: format_datetime(artifact.last_modified_on, LONG),
        Field.SNAPSHOT_CREATED: format_datetime(artifact.snapshot_created_on, LONG),
        Field.LAST_EDITOR: f"{artifact.user.username} (id {artifact.user.id})",
        Field.DESCRIPTION: artifact.description,
    }
    for field, text in expected.items():
        assert pane.text(field) == text, field
        assert pane.is_shown(field), field
    # The task is one the seeder registered, with its typed outputs listed one per line.
    assert task.id in dioptra.manifest.plugin.artifact_tasks.values() or any(
        task.id in p.artifact_tasks.values() for p in dioptra.manifest.plugins
    )
    assert pane.text(Field.OUTPUT_PARAMS).splitlines() == [f"{p.name}: {p.parameter_type}" for p in task.output_params]
    size = pane.text(Field.SIZE)
    assert exact in size and ("bytes" in size or "byte" in size)
    if artifact.file_size >= 1024:
        assert size.startswith(format_size(artifact.file_size))
    assert all(pane.text(f) for f in Field), "no attribute may be left blank"
    save_screenshot(pane, "details_pane_file")


def test_a_directory_shows_its_kind_and_why_there_is_no_size(dioptra, pane: DetailsPane, directory: Artifact) -> None:
    pane.show_artifact(directory)
    assert pane.text(Field.TYPE) == "Directory"
    assert pane.text(Field.ID) == str(directory.id)
    assert pane.text(Field.URI) == directory.artifact_uri
    assert "directories" in pane.text(Field.SIZE)  # the server reports no size for a directory
    assert pane.text(Field.FILE_URL) == f"{dioptra.url}/api/v1/artifacts/{directory.id}/contents"
    assert pane.text(Field.GROUP).startswith(f"{directory.group.name} (id ")
    save_screenshot(pane, "details_pane_directory")


def test_no_task_and_no_description_read_sensibly(pane: DetailsPane, file_with_task: Artifact) -> None:
    bare = dataclasses.replace(file_with_task, task=None, description=None, job_id=None, user=None)
    pane.show_artifact(bare)
    assert pane.text(Field.TASK) == NONE_TEXT
    assert pane.text(Field.JOB) == NONE_TEXT
    assert pane.text(Field.DESCRIPTION) == NO_DESCRIPTION
    assert not pane.value_widget(Field.DESCRIPTION).isEnabled()  # greyed: not the artifact's own words
    assert pane.text(Field.LAST_EDITOR) == "Unknown"
    for field in (Field.PLUGIN, Field.PLUGIN_FILE, Field.OUTPUT_PARAMS):
        assert not pane.is_shown(field), field

    # The next artifact with a task brings its rows back.
    pane.show_artifact(file_with_task)
    assert pane.is_shown(Field.PLUGIN) and pane.value_widget(Field.DESCRIPTION).isEnabled()


def test_clicking_the_job_link_emits_the_job_id(qtbot, pane: DetailsPane, file_with_task: Artifact) -> None:
    pane.show_artifact(file_with_task)
    link = pane.value_widget(Field.JOB)
    assert isinstance(link, QLabel) and link.isVisible()
    # Click on the link's text, as a user would (it starts at the label's left edge).
    target = QPoint(link.fontMetrics().horizontalAdvance("Jo"), link.height() // 2)
    with qtbot.waitSignal(pane.job_activated, timeout=2000) as emitted:
        qtbot.mouseClick(link, Qt.MouseButton.LeftButton, pos=target)
    assert emitted.args == [file_with_task.job_id]


def test_copy_puts_the_uri_and_the_file_url_on_the_clipboard(qtbot, dioptra, pane: DetailsPane, file_with_task: Artifact) -> None:
    pane.show_artifact(file_with_task)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("something else")
    qtbot.mouseClick(pane.findChild(QToolButton, "copy_uri"), Qt.MouseButton.LeftButton)
    assert clipboard.text() == file_with_task.artifact_uri
    qtbot.mouseClick(pane.findChild(QToolButton, "copy_file_url"), Qt.MouseButton.LeftButton)
    assert clipboard.text() == f"{dioptra.url}/api/v1/artifacts/{file_with_task.id}/contents"


def test_server_text_is_never_rendered_as_markup(pane: DetailsPane, file_with_task: Artifact) -> None:
    sneaky = "<b>bold</b> &amp; <a href='job:999'>click</a>"
    pane.show_artifact(dataclasses.replace(file_with_task, description=sneaky))
    label = pane.value_widget(Field.DESCRIPTION)
    assert label.text() == sneaky
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert pane.title_label.textFormat() == Qt.TextFormat.PlainText


def test_none_empties_the_pane_again(pane: DetailsPane, directory: Artifact) -> None:
    pane.show_artifact(directory)
    pane.show_artifact(None)
    assert pane.is_empty() and pane.artifact is None and pane.empty_label.isVisible()


def test_without_a_client_the_pane_only_shows_attributes(pane: DetailsPane, file_with_task: Artifact) -> None:
    pane.show_artifact(file_with_task)
    assert pane.client is None
    assert not pane.edit_button.isVisible() and not pane.history.isVisible()
    assert pane.edit() is None


def test_set_client_brings_the_history_and_editing(qtbot, pane: DetailsPane, client: DioptraClient, file_with_task: Artifact) -> None:
    pane.show_artifact(file_with_task)
    pane.set_client(client)
    assert pane.edit_button.isVisible() and pane.edit_button.isEnabled() and pane.history.isVisible()
    qtbot.waitUntil(lambda: not pane.history.is_loading() and pane.history.model.rowCount() > 0, timeout=10_000)
    assert pane.history.snapshots()[0].snapshot_id == file_with_task.snapshot_id
    assert pane.history.chosen().snapshot_id == file_with_task.snapshot_id

    editor = pane.edit()
    assert editor is not None and pane.editor is editor and editor.artifact == file_with_task
    assert pane.edit() is editor  # one editor per pane, brought forward
    editor.reject()  # nothing sent: this seeded artifact stays as the manifest says
    qtbot.waitUntil(lambda: pane.editor is None, timeout=10_000)
    assert client.artifacts.get_by_id(file_with_task.id).snapshot_id == file_with_task.snapshot_id


def test_the_history_is_not_reloaded_for_the_same_snapshot(qtbot, client: DioptraClient, file_with_task: Artifact) -> None:
    pane = DetailsPane(client.address, client=client)
    qtbot.addWidget(pane)
    pane.show_artifact(file_with_task)
    qtbot.waitUntil(lambda: not pane.history.is_loading(), timeout=10_000)
    pane.show_artifact(dataclasses.replace(file_with_task))  # the table re-selecting the same row
    assert not pane.history.is_loading()
    pane.show_artifact(None)
    assert pane.history.model.rowCount() == 0
