"""The details pane: every attribute of the selected artifact, in words a user reads.

Showing an artifact is instant and cannot fail on the network: the attributes
come from the :class:`~artifact_browser.api.Artifact` the pane is handed.
Everything the server sent is shown as plain text (a description containing
``<b>`` is shown as typed, never rendered).

Given a client (:meth:`DetailsPane.set_client`), the pane also lists the
artifact's snapshots (loaded in the background), shows an older snapshot
read-only when one is chosen, and offers "Edit…" (the
:class:`~artifact_browser.qt.artifact_editor.ArtifactEditor` dialog).
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QTextDocumentFragment
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.units import format_size
from artifact_browser.qt.artifact_editor import ArtifactEditor
from artifact_browser.qt.artifact_table_model import format_datetime
from artifact_browser.qt.snapshot_history import SnapshotHistory

EMPTY_TEXT = "Select an artifact"
NONE_TEXT = "none"
NO_DESCRIPTION = "(no description)"
_JOB_LINK_SCHEME = "job:"


class Field(StrEnum):
    """The attributes the pane shows, in display order; the value is the row's label."""

    ID = "ID"
    SNAPSHOT = "Snapshot"
    LATEST_SNAPSHOT = "Latest snapshot"
    GROUP = "Group"
    JOB = "Job"
    TASK = "Task"
    PLUGIN = "Plugin"
    PLUGIN_FILE = "Plugin file"
    OUTPUT_PARAMS = "Output parameters"
    TYPE = "Type"
    SIZE = "Size"
    URI = "URI"
    FILE_URL = "File URL"
    CREATED = "Created"
    LAST_MODIFIED = "Last modified"
    SNAPSHOT_CREATED = "Snapshot created"
    LAST_EDITOR = "Last editor"
    DESCRIPTION = "Description"


# Rows that only mean something when the artifact has a task.
_TASK_ROWS = (Field.PLUGIN, Field.PLUGIN_FILE, Field.OUTPUT_PARAMS)
# Rows whose value is long and unbreakable (URLs): a line edit scrolls instead of widening the pane.
_LINE_ROWS = (Field.URI, Field.FILE_URL)


def full_file_url(server_address: str, file_url: str) -> str:
    """The absolute URL of an artifact's contents (the server sends a path such as ``/api/v1/...``)."""
    if not file_url or "://" in file_url or not server_address:
        return file_url
    return server_address.rstrip("/") + "/" + file_url.lstrip("/")


def describe_size(artifact: Artifact, locale: QLocale | None = None) -> str:
    """``"1.2 KiB (1,234 bytes)"``; directories have no size on the server, and say so."""
    size = artifact.file_size
    if size is None:
        return "Not reported for directories (see the file tree)" if artifact.is_dir else "Unknown"
    exact = (locale or QLocale()).toString(size)
    noun = "byte" if size == 1 else "bytes"
    if size < 1024:
        return f"{exact} {noun}"  # "512 B (512 bytes)" would say the same thing twice
    return f"{format_size(size)} ({exact} {noun})"


def snapshot_file_url(artifact: Artifact) -> str:
    """Where this snapshot's own contents are served.

    The server's ``fileUrl`` of every snapshot targets the LATEST contents; an
    older snapshot's bytes live under ``/snapshots/{sid}/contents``.
    """
    if artifact.latest_snapshot:
        return artifact.file_url
    return f"/api/v1/artifacts/{artifact.id}/snapshots/{artifact.snapshot_id}/contents"


class DetailsPane(QWidget):
    """Every attribute of one artifact, or "Select an artifact" when there is none.

    Args:
        server_address: The server's root URL (``DioptraClient.address``), to show
            the full file URL; may be set later with :meth:`set_server_address`.
        parent: The parent widget.
        client: A signed-in client for the snapshot history and editing; None
            (the default) shows the attributes only. May be set later with
            :meth:`set_client`.

    Signals:
        job_activated(int): The user clicked (or pressed Enter on) the job link;
            carries the job id.
        artifact_changed(object): An edit was saved; carries the server's answer
            (the artifact's new latest snapshot), for the table to update its row.
        download_requested(object): The user asked to download the contents of a
            snapshot; carries that snapshot's :class:`Artifact` (``latest_snapshot``
            False for an older one), ready for ``DownloadDialog``.
    """

    job_activated = Signal(int)
    artifact_changed = Signal(object)
    download_requested = Signal(object)

    def __init__(self, server_address: str = "", parent: QWidget | None = None, *, client: DioptraClient | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self._server_address = server_address
        self._client = client
        self._artifact: Artifact | None = None  # the artifact as it is now (its latest snapshot)
        self._shown: Artifact | None = None  # what the fields show: the artifact, or an older snapshot of it
        self.editor: ArtifactEditor | None = None  # the open edit dialog, if any
        self._values: dict[Field, QLabel | QLineEdit] = {}
        self._rows: dict[Field, QWidget] = {}  # what the form holds: the value, or the value with its Copy button

        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setObjectName("detailsEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)  # the disabled palette greys it out, as a placeholder

        self.title_label = QLabel(self)
        self.title_label.setObjectName("detailsTitle")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title_label.setWordWrap(True)
        title_font = QFont(self.title_label.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.title_label.setFont(title_font)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setObjectName("editArtifact")
        self.edit_button.setToolTip("Edit the description and the task (saving makes a new snapshot)")
        self.edit_button.clicked.connect(self.edit)
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(self.title_label, 1)
        title_row.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)

        # Says loudly that the fields are an older version, with the way back.
        self.snapshot_banner = QFrame(self)
        self.snapshot_banner.setObjectName("olderSnapshotBanner")
        self.snapshot_banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.snapshot_banner.setStyleSheet(
            "#olderSnapshotBanner { background: #fff4ce; border: 1px solid #e0b040; border-radius: 3px; }"
            " #olderSnapshotBanner QLabel { color: #3d3000; }"
        )
        self.snapshot_banner_label = QLabel(self.snapshot_banner)
        self.snapshot_banner_label.setObjectName("olderSnapshotText")
        self.snapshot_banner_label.setWordWrap(True)
        self.snapshot_banner_label.setTextFormat(Qt.TextFormat.PlainText)
        self.back_to_latest_button = QPushButton("Back to the latest", self.snapshot_banner)
        self.back_to_latest_button.setObjectName("backToLatest")
        self.back_to_latest_button.clicked.connect(self.show_latest)
        banner = QHBoxLayout(self.snapshot_banner)
        banner.setContentsMargins(8, 4, 4, 4)
        banner.addWidget(self.snapshot_banner_label, 1)
        banner.addWidget(self.back_to_latest_button)
        self.snapshot_banner.hide()

        form_widget = QWidget(self)
        self._form = QFormLayout(form_widget)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for field in Field:
            self._rows[field] = self._make_value(field)
            self._form.addRow(f"{field.value}:", self._rows[field])

        body = QWidget(self)
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(title_row)
        body_layout.addWidget(self.snapshot_banner)
        body_layout.addWidget(form_widget)
        body_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("detailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        self.history = SnapshotHistory(client, self)
        self.history.layout().setContentsMargins(9, 6, 9, 9)  # line up with the fields above
        self.history.snapshot_chosen.connect(self.show_snapshot)
        self.history.download_requested.connect(self.download_requested)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("detailsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.history)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self._update_client_parts()
        self.show_artifact(None)

    # -- what the rest of the program uses -------------------------------------------

    @property
    def artifact(self) -> Artifact | None:
        """The artifact the pane is about (as it is now), or None in the empty state."""
        return self._artifact

    @property
    def shown_artifact(self) -> Artifact | None:
        """What the fields show: :attr:`artifact`, or an older snapshot of it."""
        return self._shown

    def is_showing_older_snapshot(self) -> bool:
        """True while the fields show an older snapshot (read-only) instead of the latest."""
        return self._shown is not None and self._artifact is not None and self._shown.snapshot_id != self._artifact.snapshot_id

    @property
    def client(self) -> DioptraClient | None:
        return self._client

    def set_client(self, client: DioptraClient | None) -> None:
        """Use ``client`` for the snapshot history and for editing; None switches both off."""
        self._client = client
        self._update_client_parts()
        self.history.set_client(client)

    @property
    def server_address(self) -> str:
        return self._server_address

    def set_server_address(self, address: str) -> None:
        """Use ``address`` (``DioptraClient.address``) to build full file URLs."""
        self._server_address = address
        self.show_artifact(self._artifact)

    def show_artifact(self, artifact: Artifact | None) -> None:
        """Show every attribute of ``artifact`` (its latest snapshot); None shows "Select an artifact".

        With a client, its snapshot history is (re)loaded when the artifact or
        its snapshot differs from the one shown before.
        """
        previous = self._artifact
        self._artifact = artifact
        self._shown = artifact
        self.snapshot_banner.hide()
        if previous is None or artifact is None or (previous.id, previous.snapshot_id) != (artifact.id, artifact.snapshot_id):
            self.history.set_artifact(artifact)
        else:
            self.history.mark_shown(artifact.snapshot_id)
        self._update_client_parts()
        if artifact is None:
            self._stack.setCurrentIndex(0)
            return
        self._fill(artifact)
        self._stack.setCurrentIndex(1)

    def show_snapshot(self, snapshot: Artifact) -> None:
        """Show an older snapshot of the current artifact read-only (the latest one: back to normal)."""
        if self._artifact is None or snapshot.id != self._artifact.id:
            return
        if snapshot.snapshot_id == self._artifact.snapshot_id or snapshot.latest_snapshot:
            self.show_latest()
            return
        self._shown = snapshot
        self._fill(snapshot)
        when = format_datetime(snapshot.snapshot_created_on) or "an unknown time"
        self.snapshot_banner_label.setText(
            f"Showing snapshot {snapshot.snapshot_id} of {when}, an older version (read-only). "
            f"The artifact is now at snapshot {self._artifact.snapshot_id}."
        )
        self.snapshot_banner.show()
        self.history.mark_shown(snapshot.snapshot_id)
        self._update_client_parts()

    def show_latest(self) -> None:
        """Leave an older snapshot: show the artifact as it is now."""
        if self._artifact is None:
            return
        self._shown = self._artifact
        self._fill(self._artifact)
        self.snapshot_banner.hide()
        self.history.mark_shown(self._artifact.snapshot_id)
        self._update_client_parts()

    def edit(self) -> ArtifactEditor | None:
        """Open the edit dialog for the artifact as it is now (needs a client).

        Returns:
            The dialog (also kept in :attr:`editor` while it is open), or None.
        """
        if self._client is None or self._artifact is None:
            return None
        if self.editor is not None:
            self.editor.raise_()
            self.editor.activateWindow()
            return self.editor
        editor = ArtifactEditor(self._client, self._artifact, self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.artifact_changed.connect(self._on_edited)
        editor.finished.connect(self._on_editor_closed)
        self.editor = editor
        editor.open()
        return editor

    def is_empty(self) -> bool:
        """True while the pane shows "Select an artifact"."""
        return self._stack.currentIndex() == 0

    def text(self, field: Field) -> str:
        """What the pane shows for ``field`` as plain text ("" in the empty state)."""
        if self._shown is None:
            return ""
        widget = self._values[field]
        if isinstance(widget, QLabel) and widget.textFormat() == Qt.TextFormat.RichText:
            return QTextDocumentFragment.fromHtml(widget.text()).toPlainText()
        return widget.text()

    def value_widget(self, field: Field) -> QLabel | QLineEdit:
        """The widget that shows ``field`` (for tests and for focus handling)."""
        return self._values[field]

    def is_shown(self, field: Field) -> bool:
        """False for rows hidden because they do not apply (the plugin rows of an artifact without task)."""
        return self._form.isRowVisible(self._rows[field])

    def copy_uri(self) -> None:
        """Put the artifact's URI on the clipboard."""
        if self._shown is not None:
            QGuiApplication.clipboard().setText(self._shown.artifact_uri)

    def copy_file_url(self) -> None:
        """Put the full file URL of what is shown (the artifact, or an older snapshot) on the clipboard."""
        if self._shown is not None:
            QGuiApplication.clipboard().setText(full_file_url(self._server_address, snapshot_file_url(self._shown)))

    # -- editing ------------------------------------------------------------------------

    def _on_edited(self, artifact: Artifact) -> None:
        self.show_artifact(artifact)
        self.artifact_changed.emit(artifact)

    def _on_editor_closed(self, _result: int) -> None:
        self.editor = None

    def _update_client_parts(self) -> None:
        has_client = self._client is not None
        self.history.setVisible(has_client)
        self.edit_button.setVisible(has_client)
        older = self.is_showing_older_snapshot()
        self.edit_button.setEnabled(has_client and self._artifact is not None and not older)
        self.edit_button.setToolTip(
            "Go back to the latest snapshot to edit the artifact"
            if older
            else "Edit the description and the task (saving makes a new snapshot)"
        )

    # -- building -----------------------------------------------------------------------

    def _make_value(self, field: Field) -> QWidget:
        if field in _LINE_ROWS:
            line = QLineEdit(self)
            line.setObjectName(f"details_{field.name.lower()}")
            line.setReadOnly(True)  # selectable and scrollable, never editable
            line.setFrame(False)
            self._values[field] = line
            copy = QToolButton(self)
            copy.setObjectName(f"copy_{field.name.lower()}")
            copy.setText("Copy")
            copy.setToolTip(f"Copy the {field.value} to the clipboard")
            copy.clicked.connect(self.copy_uri if field == Field.URI else self.copy_file_url)
            row = QWidget(self)
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(line, 1)
            box.addWidget(copy)
            return row
        label = QLabel(self)
        label.setObjectName(f"details_{field.name.lower()}")
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.setWordWrap(True)
        if field == Field.JOB:
            # The one rich-text label: its only content is an int the pane formats itself.
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
            label.setToolTip("Show this job in the tree")
            label.linkActivated.connect(self._on_link)
        else:
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._values[field] = label
        return label

    def _fill(self, artifact: Artifact) -> None:
        locale = QLocale()
        long_format = QLocale.FormatType.LongFormat
        task = artifact.task
        self.title_label.setText(artifact.name or artifact.artifact_uri)
        values: dict[Field, str] = {
            Field.ID: str(artifact.id),
            Field.SNAPSHOT: str(artifact.snapshot_id),
            Field.LATEST_SNAPSHOT: "Yes" if artifact.latest_snapshot else "No",
            Field.GROUP: f"{artifact.group.name} (id {artifact.group.id})",
            Field.TASK: f"{task.name} (id {task.id})" if task else NONE_TEXT,
            Field.PLUGIN: _id_and_snapshot(task.plugin_id, task.plugin_snapshot_id) if task else "",
            Field.PLUGIN_FILE: _id_and_snapshot(task.plugin_file_id, task.plugin_file_snapshot_id) if task else "",
            Field.OUTPUT_PARAMS: _output_params(artifact) if task else "",
            Field.TYPE: "Directory" if artifact.is_dir else "File",
            Field.SIZE: describe_size(artifact, locale),
            Field.URI: artifact.artifact_uri,
            Field.FILE_URL: full_file_url(self._server_address, snapshot_file_url(artifact)),
            Field.CREATED: format_datetime(artifact.created_on, long_format) or "Unknown",
            Field.LAST_MODIFIED: format_datetime(artifact.last_modified_on, long_format) or "Unknown",
            Field.SNAPSHOT_CREATED: format_datetime(artifact.snapshot_created_on, long_format) or "Unknown",
            Field.LAST_EDITOR: f"{artifact.user.username} (id {artifact.user.id})" if artifact.user else "Unknown",
            Field.DESCRIPTION: artifact.description or NO_DESCRIPTION,
        }
        for field, text in values.items():
            widget = self._values[field]
            widget.setText(text)
            if isinstance(widget, QLineEdit):
                widget.setCursorPosition(0)  # show the start of a long URI, not its end
                widget.setToolTip(text)
        # A missing description is shown in the placeholder's grey, so it does not read as text.
        self._values[Field.DESCRIPTION].setEnabled(bool(artifact.description))
        job = self._values[Field.JOB]
        if artifact.job_id is None:
            job.setText(NONE_TEXT)
        else:
            job.setText(f'<a href="{_JOB_LINK_SCHEME}{int(artifact.job_id)}">Job {int(artifact.job_id)}</a>')
        for field in _TASK_ROWS:
            self._form.setRowVisible(self._rows[field], task is not None)

    def _on_link(self, href: str) -> None:
        if href.startswith(_JOB_LINK_SCHEME):
            self.job_activated.emit(int(href.removeprefix(_JOB_LINK_SCHEME)))


def _id_and_snapshot(resource_id: int | None, snapshot_id: int | None) -> str:
    if resource_id is None:
        return "Unknown"
    return f"id {resource_id}" + ("" if snapshot_id is None else f", snapshot {snapshot_id}")


def _output_params(artifact: Artifact) -> str:
    params = artifact.task.output_params if artifact.task else ()
    if not params:
        return NONE_TEXT
    return "\n".join(f"{p.name}: {p.parameter_type}" if p.parameter_type else p.name for p in params)
