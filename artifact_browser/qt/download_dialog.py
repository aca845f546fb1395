"""The download dialog: what to download, in which form, and where to.

One dialog serves every case: a single file artifact (folder and file name), a
directory artifact (the whole of it or a file or folder picked from its tree,
as tar.gz, zip or extracted into a folder), and several artifacts at once (one
folder and one format for all). Listings are fetched off the GUI thread; the
dialog shows how many files and bytes will come before anything starts.

When a target already exists the user is asked (overwrite, keep both, skip,
optionally for all of them). Tests answer that question through the
``conflict_resolver`` callable instead of a modal dialog.

The dialog only *plans*: after it is accepted, :meth:`DownloadDialog.requests`
gives the ``TransferRequest`` s for the transfer manager.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from PySide6.QtCore import QLocale, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from artifact_browser.api import ApiError, Artifact, DioptraClient
from artifact_browser.core.file_tree import FileTree, build_tree, files_below
from artifact_browser.core.filenames import ConflictPolicy, numbered_path, safe_file_name
from artifact_browser.core.transfers import TransferKind, TransferRequest
from artifact_browser.core.units import format_size
from artifact_browser.qt.file_tree_model import LoadedTree
from artifact_browser.qt.file_tree_view import FileTreeView
from artifact_browser.qt.settings import DOWNLOAD_FORMATS, Settings
from artifact_browser.qt.workers import CancelToken, TaskRunner

log = logging.getLogger(__name__)

ConflictResolver = Callable[[Path, int], "tuple[ConflictPolicy, bool] | None"]
"""Asked when a target exists: ``resolver(path, other_conflicts)`` → ``(policy, apply_to_all)``, or None to go back.

``other_conflicts`` is how many further targets of this download also exist
(0 for the last or only one). The policy is OVERWRITE, KEEP_BOTH or SKIP.
"""

FORMAT_LABELS = {"tar_gz": "&tar.gz archive", "zip": "&zip archive", "extract": "&Extract into a folder"}
FORMAT_SUFFIXES = {"tar_gz": ".tar.gz", "zip": ".zip", "extract": ""}


@dataclass(frozen=True)
class _Plan:
    """One thing to download, before a folder and a conflict policy are applied."""

    artifact: Artifact
    artifact_path: str | None  # a file or folder inside a directory artifact
    is_folder: bool  # a directory artifact or a folder inside one: it needs a format
    label: str  # what the user sees in the queue
    base_name: str  # the safe name without a format suffix
    size: int | None
    file_count: int
    files: tuple[tuple[str, int], ...]  # relative to the downloaded folder's root


class ConflictDialog(QDialog):
    """Asks what to do about one target that already exists.

    Args:
        path: The existing file or folder.
        others: How many other targets of the same download also exist; when
            more than 0, an "apply to all" box is offered.
        parent: The parent widget.
    """

    def __init__(self, path: Path, others: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("File already exists")
        self.setObjectName("conflictDialog")
        self._choice: ConflictPolicy | None = None
        self._others = others
        kind = "A folder" if path.is_dir() else "A file"
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, self)
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion, None, self).pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message_label = QLabel(f"{kind} named “{path.name}” already exists in\n{path.parent}", self)
        self.message_label.setObjectName("conflictMessage")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        self.message_label.setMinimumWidth(360)
        question = QLabel("Replace it, keep both (the new one gets a numbered name), or skip this download?", self)
        question.setWordWrap(True)
        self.apply_to_all = QCheckBox(f"Do the same for the other {others} existing {'target' if others == 1 else 'targets'}", self)
        self.apply_to_all.setObjectName("applyToAll")
        self.apply_to_all.setVisible(others > 0)

        buttons = QDialogButtonBox(self)
        self.overwrite_button = buttons.addButton("&Overwrite", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.keep_both_button = buttons.addButton("&Keep both", QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = buttons.addButton("&Skip", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.keep_both_button.setDefault(True)  # the choice that loses nothing
        self.overwrite_button.clicked.connect(lambda: self._choose(ConflictPolicy.OVERWRITE))
        self.keep_both_button.clicked.connect(lambda: self._choose(ConflictPolicy.KEEP_BOTH))
        self.skip_button.clicked.connect(lambda: self._choose(ConflictPolicy.SKIP))
        self.cancel_button.clicked.connect(self.reject)

        text = QVBoxLayout()
        text.addWidget(self.message_label)
        text.addWidget(question)
        text.addWidget(self.apply_to_all)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)

    def choice(self) -> tuple[ConflictPolicy, bool] | None:
        """The answer: ``(policy, apply_to_all)``, or None when the user cancelled."""
        if self._choice is None:
            return None
        return self._choice, self._others > 0 and self.apply_to_all.isChecked()

    def _choose(self, policy: ConflictPolicy) -> None:
        self._choice = policy
        self.accept()


def ask_about_conflict(parent: QWidget | None) -> ConflictResolver:
    """The default resolver: a modal :class:`ConflictDialog` over ``parent``."""

    def resolve(path: Path, others: int) -> tuple[ConflictPolicy, bool] | None:
        dialog = ConflictDialog(path, others, parent)
        try:
            dialog.exec()
            return dialog.choice()
        finally:
            dialog.deleteLater()

    return resolve


def default_download_folder(settings: Settings) -> Path:
    """The remembered folder if it still exists, else the user's Downloads folder (else home)."""
    remembered = settings.last_download_folder()
    if remembered and Path(remembered).is_dir():
        return Path(remembered)
    downloads = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(downloads) if downloads else Path.home()


def fetch_listings(client: DioptraClient, artifacts: Sequence[Artifact], token: CancelToken) -> dict[int, FileTree]:
    """The file tree of every directory artifact, by artifact id (run it on a pool thread: it asks the server)."""
    trees: dict[int, FileTree] = {}
    for artifact in artifacts:
        if token.cancelled:
            break
        if artifact.is_dir and artifact.id not in trees:
            trees[artifact.id] = build_tree(client.artifacts.get_files(artifact.id))
    return trees


def download_link(api_url: str, artifact: Artifact, artifact_path: str | None = None, file_type: str | None = None) -> str:
    """The full URL that downloads an artifact, or a file or folder inside it, for "Copy link".

    Args:
        api_url: The session's API root.
        artifact: The artifact (a snapshot other than the latest gets its snapshot's URL).
        artifact_path: A file or folder inside a directory artifact.
        file_type: ``"tar_gz"`` or ``"zip"`` for a folder; None for a file.
    """
    path = (
        f"/artifacts/{artifact.id}/contents"
        if artifact.latest_snapshot
        else f"/artifacts/{artifact.id}/snapshots/{artifact.snapshot_id}/contents"
    )
    params: dict[str, str] = {}
    if file_type:
        params["fileType"] = file_type
    if artifact_path:
        params["path"] = artifact_path
    return api_url + path + (f"?{urlencode(params)}" if params else "")


class DownloadDialog(QDialog):
    """Plans the download of one or several artifacts.

    Args:
        client: The signed-in client (listings are fetched in the background).
        artifacts: What to download (at least one).
        settings: Where the last folder and format are remembered.
        parent: The parent widget.
        preselected_path: For one directory artifact, a file or folder in it to
            download instead of the whole artifact (picked in its tree).
        conflict_resolver: Answers "the target exists" (see :data:`ConflictResolver`);
            a modal :class:`ConflictDialog` by default.
        folder_chooser: Asks for a folder, given the current one; returns "" when
            the user cancels (``QFileDialog.getExistingDirectory`` by default).

    Signals:
        listing_ready(): The listings needed for the summary arrived (or failed).
    """

    listing_ready = Signal()

    def __init__(
        self,
        client: DioptraClient,
        artifacts: list[Artifact],
        settings: Settings,
        parent: QWidget | None = None,
        *,
        preselected_path: str | None = None,
        conflict_resolver: ConflictResolver | None = None,
        folder_chooser: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        if not artifacts:
            raise ValueError("DownloadDialog needs at least one artifact.")
        self.setObjectName("downloadDialog")
        self._client = client
        self._artifacts = list(artifacts)
        self._settings = settings
        self._preselected = preselected_path.strip("/") if preselected_path else None
        self._resolver = conflict_resolver or ask_about_conflict(self)
        self._folder_chooser = folder_chooser or self._choose_folder_with_dialog
        self._requests: list[TransferRequest] = []
        self._trees: dict[int, FileTree] = {}
        self._listing_error: str | None = None
        self._listing_done = not any(a.is_dir for a in self._artifacts)
        self._name_edited = False
        self._locale = QLocale()

        single = len(self._artifacts) == 1
        self._single_dir = self._artifacts[0] if single and self._artifacts[0].is_dir else None
        has_dirs = any(a.is_dir for a in self._artifacts)
        self.setWindowTitle(f"Download {self._artifacts[0].name}" if single else f"Download {len(self._artifacts)} artifacts")

        self.heading = QLabel(self)
        self.heading.setObjectName("downloadHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setText(self._heading_text())

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)

        # -- what (one directory artifact only) --
        self.what_box: QGroupBox | None = None
        self.tree_view: FileTreeView | None = None
        self.whole_radio = QRadioButton("The &whole artifact", self)
        self.whole_radio.setObjectName("wholeArtifact")
        self.part_radio = QRadioButton("Only the file or folder &selected below", self)
        self.part_radio.setObjectName("selectedPart")
        self.whole_radio.setChecked(True)
        self._what_group = QButtonGroup(self)
        self._what_group.addButton(self.whole_radio)
        self._what_group.addButton(self.part_radio)
        if self._single_dir is not None:
            self.what_box = QGroupBox("What", self)
            what = QVBoxLayout(self.what_box)
            what.addWidget(self.whole_radio)
            what.addWidget(self.part_radio)
            self.tree_view = FileTreeView(client, self.what_box)
            self.tree_view.setMinimumHeight(220)
            what.addWidget(self.tree_view, 1)
            layout.addWidget(self.what_box, 1)
        else:
            self.whole_radio.hide()
            self.part_radio.hide()

        # -- how (when a folder is involved) --
        self.format_box = QGroupBox("How" if single else "How folders are saved", self)
        self.format_box.setObjectName("formatBox")
        how = QHBoxLayout(self.format_box)
        self._format_group = QButtonGroup(self)
        self.format_buttons: dict[str, QRadioButton] = {}
        for fmt in DOWNLOAD_FORMATS:
            button = QRadioButton(FORMAT_LABELS[fmt], self.format_box)
            button.setObjectName(f"format_{fmt}")
            self._format_group.addButton(button)
            self.format_buttons[fmt] = button
            how.addWidget(button)
        how.addStretch(1)
        self.format_buttons["extract"].setToolTip(
            "Downloads a tar.gz archive, unpacks it safely into a folder, checks every file "
            "against the server's list, then removes the archive."
        )
        self.format_buttons[settings.last_download_format()].setChecked(True)
        self.format_box.setVisible(has_dirs)
        layout.addWidget(self.format_box)

        # -- where --
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.folder_edit = QLineEdit(str(default_download_folder(settings)), self)
        self.folder_edit.setObjectName("downloadFolder")
        self.folder_button = QPushButton("&Choose…", self)
        self.folder_button.setObjectName("chooseFolder")
        self.folder_button.setAutoDefault(False)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.folder_button)
        folder_label = QLabel("Save &in folder:", self)
        folder_label.setBuddy(self.folder_edit)
        form.addRow(folder_label, folder_row)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("downloadName")
        self.name_label = QLabel("File &name:", self)
        self.name_label.setBuddy(self.name_edit)
        form.addRow(self.name_label, self.name_edit)
        if not single:
            self.name_label.hide()
            self.name_edit.hide()
        layout.addLayout(form)

        # -- summary and messages --
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("downloadSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("downloadMessage")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #b00020;")
        self.message_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.message_label.hide()
        layout.addWidget(self.summary_label)
        layout.addWidget(self.message_label)

        self.buttons = QDialogButtonBox(self)
        self.download_button = self.buttons.addButton("&Download", QDialogButtonBox.ButtonRole.AcceptRole)
        self.download_button.setObjectName("startDownload")
        self.download_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.start_download)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        # -- wiring --
        self.folder_button.clicked.connect(self.choose_folder)
        self.folder_edit.textChanged.connect(lambda _t: self._clear_message())
        self.name_edit.textEdited.connect(self._on_name_edited)
        self._format_group.buttonToggled.connect(lambda _b, checked: checked and self._update())
        self._what_group.buttonToggled.connect(lambda _b, checked: checked and self._update())

        self._runner = TaskRunner(self)
        if self.tree_view is not None:
            self.tree_view.loader.loaded.connect(self._on_tree_loaded)
            self.tree_view.loader.failed.connect(self._on_listing_failed)
            self.tree_view.file_selected.connect(self._on_tree_pick)
            self.tree_view.folder_selected.connect(self._on_tree_pick)
            self.tree_view.show_artifact(self._single_dir)
        elif not self._listing_done:
            self._runner.finished.connect(self._on_listings)
            self._runner.failed.connect(self._on_listing_failed)
            dirs = [a for a in self._artifacts if a.is_dir]
            self._runner.start(lambda token: fetch_listings(client, dirs, token))

        self.resize(640, 600 if self._single_dir is not None else 0)
        self._update()

    # -- public -----------------------------------------------------------------------

    @property
    def artifacts(self) -> list[Artifact]:
        return list(self._artifacts)

    @property
    def is_ready(self) -> bool:
        """Whether the listings the summary needs have arrived (or failed)."""
        return self._listing_done

    def requests(self) -> list[TransferRequest]:
        """The planned transfers, after the dialog was accepted (empty before, or if all were skipped)."""
        return list(self._requests)

    def selected_format(self) -> str:
        """The chosen folder format: one of ``DOWNLOAD_FORMATS``."""
        for fmt, button in self.format_buttons.items():
            if button.isChecked():
                return fmt
        return DOWNLOAD_FORMATS[0]

    def set_format(self, fmt: str) -> None:
        self.format_buttons[fmt].setChecked(True)

    def choose_folder(self) -> None:
        """Ask for the destination folder."""
        chosen = self._folder_chooser(self.folder_edit.text())
        if chosen:
            self.folder_edit.setText(chosen)

    def start_download(self) -> None:
        """Check the choices, ask about existing targets, and accept with the planned requests."""
        self._clear_message()
        plans = self._plans()
        if isinstance(plans, str):
            self._say(plans)
            return
        folder = self._checked_folder()
        if folder is None:
            return
        fmt = self.selected_format()
        targets: list[tuple[_Plan, Path]] = []
        if len(plans) == 1 and self.name_edit.isVisible():
            typed = self.name_edit.text().strip()
            safe = safe_file_name(typed, fallback=self._default_name(plans[0], fmt))
            if safe != typed:
                self.name_edit.setText(safe)
                self._say(f"The name was changed to “{safe}” so that it is valid on every system. Press Download again to use it.")
                return
            targets.append((plans[0], folder / safe))
        else:
            targets = [(plan, folder / self._default_name(plan, fmt)) for plan in plans]

        resolved = self._resolve_conflicts(targets)
        if resolved is None:
            return  # the user went back to the dialog
        self._requests = [self._request(plan, path, fmt) for plan, path in resolved]
        self._settings.set_last_download_folder(str(folder))
        if any(plan.is_folder for plan, _path in targets):
            self._settings.set_last_download_format(fmt)
        self.accept()

    # -- planning -----------------------------------------------------------------------

    def _heading_text(self) -> str:
        if len(self._artifacts) > 1:
            dirs = sum(1 for a in self._artifacts if a.is_dir)
            files = len(self._artifacts) - dirs
            parts = [f"{files} {'file' if files == 1 else 'files'}" if files else "", f"{dirs} {'folder' if dirs == 1 else 'folders'}" if dirs else ""]
            return f"Download {len(self._artifacts)} artifacts ({' and '.join(p for p in parts if p)})"
        artifact = self._artifacts[0]
        if artifact.is_dir:
            return f"Download from the directory artifact “{artifact.name}” (id {artifact.id})"
        return f"Download “{artifact.name}” (id {artifact.id}, {format_size(artifact.file_size) or 'size unknown'})"

    def _plans(self) -> list[_Plan] | str:
        """What will be downloaded, or why nothing can be yet."""
        plans: list[_Plan] = []
        for artifact in self._artifacts:
            if not artifact.is_dir:
                name = safe_file_name(artifact.name)
                plans.append(_Plan(artifact, None, False, artifact.name, name, artifact.file_size, 1, ()))
                continue
            tree = self._trees.get(artifact.id)
            if tree is None:
                if not self._listing_done:
                    return "Still listing the files…"
                if self.selected_format() == "extract":
                    return "Without the list of files an extracted folder cannot be checked: choose tar.gz or zip, or try again later."
                name = safe_file_name(artifact.name)
                plans.append(_Plan(artifact, None, True, artifact.name, name, None, 0, ()))
                continue
            node = 0
            if artifact is self._single_dir and self.part_radio.isChecked():
                entry = self.tree_view.current_file() if self.tree_view is not None else None
                found = tree.find(entry.relative_path) if entry is not None else None
                if found is None or found == 0:
                    return "Pick a file or folder in the tree, or choose the whole artifact."
                node = found
            if node and not tree.is_dir(node):
                path = tree.path(node)
                plans.append(
                    _Plan(artifact, path, False, f"{artifact.name}/{path}", safe_file_name(tree.name(node)), tree.size(node), 1, ())
                )
                continue
            path = tree.path(node) if node else None
            label = f"{artifact.name}/{path}" if path else artifact.name
            base = safe_file_name(tree.name(node) if node else artifact.name)
            plans.append(
                _Plan(artifact, path, True, label, base, tree.size(node) or 0, tree.file_count_of(node), files_below(tree, node))
            )
        return plans

    def _default_name(self, plan: _Plan, fmt: str) -> str:
        if not plan.is_folder:
            return plan.base_name
        return safe_file_name(plan.base_name + FORMAT_SUFFIXES[fmt])

    def _request(self, plan: _Plan, destination: Path, fmt: str) -> TransferRequest:
        artifact = plan.artifact
        kind = TransferKind(fmt) if plan.is_folder else TransferKind.FILE
        return TransferRequest(
            artifact_id=artifact.id,
            name=plan.label,
            kind=kind,
            destination=destination,
            artifact_path=plan.artifact_path,
            snapshot_id=None if artifact.latest_snapshot else artifact.snapshot_id,
            expected_size=plan.size,
            expected_files=plan.files if kind == TransferKind.EXTRACT else (),
            link=self._link(plan, fmt),
        )

    def _link(self, plan: _Plan, fmt: str) -> str:
        file_type = ("zip" if fmt == "zip" else "tar_gz") if plan.is_folder else None
        return download_link(self._client.session.api_url, plan.artifact, plan.artifact_path, file_type)

    def _checked_folder(self) -> Path | None:
        text = self.folder_edit.text().strip()
        if not text:
            self._say("Choose a folder to save into.")
            return None
        folder = Path(os.path.expanduser(text))
        if not folder.is_absolute():
            self._say(f"“{text}” is not a full path: choose a folder with Choose….")
            return None
        if folder.exists() and not folder.is_dir():
            self._say(f"{folder} is a file, not a folder: choose another folder.")
            return None
        return folder

    def _resolve_conflicts(self, targets: list[tuple[_Plan, Path]]) -> list[tuple[_Plan, Path]] | None:
        """Targets after the user's answers (skipped ones left out); None when the user cancelled."""
        seen: set[Path] = set()
        clashes: list[bool] = []
        for _plan, path in targets:
            clashes.append(_exists(path) or path in seen)
            seen.add(path)
        remaining = sum(clashes)
        for_all: ConflictPolicy | None = None
        taken: set[Path] = set()
        resolved: list[tuple[_Plan, Path]] = []
        for (plan, path), clash in zip(targets, clashes):
            if clash:
                remaining -= 1
                policy = for_all
                if policy is None:
                    answer = self._resolver(path, remaining)
                    if answer is None:
                        return None
                    policy, apply_to_all = ConflictPolicy(answer[0]), answer[1]
                    if policy is ConflictPolicy.ASK:
                        raise ValueError("a conflict resolver must answer overwrite, keep both or skip, not ask")
                    if apply_to_all:
                        for_all = policy
                if policy is ConflictPolicy.SKIP:
                    continue
                if policy is ConflictPolicy.KEEP_BOTH:
                    path = numbered_path(path)
            # Two downloads of this batch never share a name: one would overwrite the other.
            while path in taken:
                path = numbered_path(path)
            taken.add(path)
            resolved.append((plan, path))
        return resolved

    # -- reactions ----------------------------------------------------------------------

    def _on_tree_loaded(self, result: LoadedTree) -> None:
        assert self._single_dir is not None
        self._trees[self._single_dir.id] = result.full
        self._listing_done = True
        if self._preselected and self.tree_view is not None:
            if self.tree_view.select_path(self._preselected):
                self.part_radio.setChecked(True)
            else:
                self._say(f"“{self._preselected}” is not in this artifact's file list; the whole artifact is selected.")
            self._preselected = None
        self._update()
        self.listing_ready.emit()

    def _on_listings(self, trees: dict[int, FileTree]) -> None:
        self._trees.update(trees)
        self._listing_done = True
        self._update()
        self.listing_ready.emit()

    def _on_listing_failed(self, exc: object) -> None:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        if not isinstance(exc, ApiError):
            log.error("Listing files for a download failed unexpectedly", exc_info=exc if isinstance(exc, BaseException) else None)
        self._listing_error = f"Could not list the files, so there is no count: {message}"
        self._listing_done = True
        self._update()
        self.listing_ready.emit()

    def _on_tree_pick(self, *_args: object) -> None:
        if self.tree_view is not None and self.tree_view.current_file() is not None:
            self.part_radio.setChecked(True)
        self._update()

    def _on_name_edited(self, _text: str) -> None:
        self._name_edited = True
        self._clear_message()

    def _update(self) -> None:
        """Bring the name, the summary and the Download button up to date with the choices."""
        fmt = self.selected_format()
        plans = self._plans()
        if isinstance(plans, str):
            self.summary_label.setText(plans)
            self.download_button.setEnabled(False)
            self.format_box.setEnabled(True)
            return
        self.download_button.setEnabled(True)
        self.format_box.setEnabled(any(p.is_folder for p in plans))
        if len(plans) == 1:
            self._update_name(plans[0], fmt)
        self.summary_label.setText(self._summary(plans, fmt))

    def _update_name(self, plan: _Plan, fmt: str) -> None:
        self.name_label.setText("Folder &name:" if plan.is_folder and fmt == "extract" else "File &name:")
        default = self._default_name(plan, fmt)
        current = self.name_edit.text()
        if not self._name_edited:
            self.name_edit.setText(default)
        else:
            # Keep the user's name but follow the format's suffix (a.tar.gz → a.zip).
            old_suffix = next((s for s in (".tar.gz", ".zip") if current.endswith(s) and s != FORMAT_SUFFIXES[fmt]), None)
            if old_suffix is not None and plan.is_folder:
                self.name_edit.setText(current[: -len(old_suffix)] + FORMAT_SUFFIXES[fmt])

    def _summary(self, plans: list[_Plan], fmt: str) -> str:
        if self._listing_error:
            return self._listing_error
        files = sum(p.file_count for p in plans)
        size = sum(p.size or 0 for p in plans)
        unknown = any(p.size is None for p in plans)
        count = f"{self._locale.toString(files)} {'file' if files == 1 else 'files'}"
        total = f"{format_size(size)} ({self._locale.toString(size)} bytes)" if size >= 1024 else format_size(size)
        text = f"{count}, {total}{' and some of unknown size' if unknown else ''}"
        folders = sum(1 for p in plans if p.is_folder)
        if folders == 1:
            text += {
                "tar_gz": "; the folder is saved as a tar.gz archive",
                "zip": "; the folder is saved as a zip archive",
                "extract": "; the folder is unpacked and checked file by file",
            }[fmt]
        elif folders:
            text += {
                "tar_gz": "; folders are saved as tar.gz archives",
                "zip": "; folders are saved as zip archives",
                "extract": "; folders are unpacked and checked file by file",
            }[fmt]
        if len(plans) > 1:
            text = f"{len(plans)} downloads: {text}"
        return f"{text}."

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _clear_message(self) -> None:
        self._say("")

    def _choose_folder_with_dialog(self, current: str) -> str:
        return QFileDialog.getExistingDirectory(self, "Save downloads in", current)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


__all__ = [
    "ConflictDialog",
    "ConflictResolver",
    "DownloadDialog",
    "ask_about_conflict",
    "default_download_folder",
    "download_link",
    "fetch_listings",
]
