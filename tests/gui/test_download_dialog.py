"""The download dialog against the real local Dioptra server: every path a user can take through it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QStandardPaths

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.filenames import ConflictPolicy
from artifact_browser.core.transfers import TransferKind, TransferManager, TransferRequest, TransferState
from artifact_browser.qt.download_dialog import ConflictDialog, DownloadDialog
from artifact_browser.qt.settings import Settings
from gui_support import save_screenshot, seeded

WAIT_MS = 15_000

Answer = tuple[ConflictPolicy, bool] | None


class Resolver:
    """A conflict resolver that answers from a script and records what it was asked."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[Path, int]] = []

    def __call__(self, path: Path, others: int) -> Answer:
        self.asked.append((path, others))
        return self.answers.pop(0)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def get(client: DioptraClient, dioptra) -> Callable[[str], Artifact]:
    return lambda name: client.artifacts.get_by_id(seeded(dioptra.manifest, name).id)


@pytest.fixture
def open_dialog(qtbot, client: DioptraClient, settings: Settings) -> Callable[..., DownloadDialog]:
    def open_(artifacts: list[Artifact], *, wait: bool = True, **kwargs) -> DownloadDialog:
        dialog = DownloadDialog(client, artifacts, settings, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        if wait:
            qtbot.waitUntil(lambda: dialog.is_ready, timeout=WAIT_MS)
        return dialog

    return open_


def accept(dialog: DownloadDialog) -> list[TransferRequest]:
    dialog.download_button.click()
    assert dialog.result() == DownloadDialog.DialogCode.Accepted, dialog.message_label.text()
    return dialog.requests()


def test_a_file_gets_its_own_name_in_the_downloads_folder(open_dialog, get, client: DioptraClient, tmp_path: Path) -> None:
    dialog = open_dialog([get("roc curve.png")])
    downloads = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    assert dialog.folder_edit.text() == downloads
    assert dialog.name_edit.text() == "roc curve.png"
    assert not dialog.format_box.isVisible() and dialog.tree_view is None
    assert f"1 file, 6.2 KiB ({QLocale().toString(6326)} bytes)" in dialog.summary_label.text()
    save_screenshot(dialog, "download-dialog-file")

    dialog.folder_edit.setText(str(tmp_path))
    (request,) = accept(dialog)
    artifact = get("roc curve.png")
    assert request.kind == TransferKind.FILE
    assert request.destination == tmp_path / "roc curve.png"
    assert request.artifact_id == artifact.id and request.artifact_path is None and request.snapshot_id is None
    assert request.expected_size == 6326
    assert request.link == f"{client.session.api_url}/artifacts/{artifact.id}/contents"


def test_an_unsafe_typed_name_is_made_safe_before_anything_starts(open_dialog, get, tmp_path: Path) -> None:
    dialog = open_dialog([get("tiny.txt")])
    dialog.folder_edit.setText(str(tmp_path))
    dialog.name_edit.setText('re:port|"1"?.txt')
    dialog.download_button.click()
    assert dialog.result() != DownloadDialog.DialogCode.Accepted
    assert dialog.name_edit.text() == "re_port__1__.txt"
    assert "valid on every system" in dialog.message_label.text()
    (request,) = accept(dialog)  # the second press takes the safe name
    assert request.destination == tmp_path / "re_port__1__.txt"


def test_a_relative_or_file_folder_is_refused_inline(open_dialog, get, tmp_path: Path) -> None:
    dialog = open_dialog([get("tiny.txt")])
    dialog.folder_edit.setText("downloads/here")
    dialog.download_button.click()
    assert "not a full path" in dialog.message_label.text() and dialog.result() != DownloadDialog.DialogCode.Accepted
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    dialog.folder_edit.setText(str(blocker))
    dialog.download_button.click()
    assert "is a file, not a folder" in dialog.message_label.text() and dialog.requests() == []


@pytest.mark.parametrize(
    ("fmt", "name", "kind", "label"),
    [
        ("tar_gz", "evaluation.tar.gz", TransferKind.TAR_GZ, "File name:"),
        ("zip", "evaluation.zip", TransferKind.ZIP, "File name:"),
        ("extract", "evaluation", TransferKind.EXTRACT, "Folder name:"),
    ],
)
def test_a_whole_directory_in_each_format(
    open_dialog, get, dioptra, client: DioptraClient, tmp_path: Path, fmt: str, name: str, kind: TransferKind, label: str
) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    dialog = open_dialog([get("evaluation")])
    assert dialog.whole_radio.isChecked() and dialog.format_box.isEnabled()
    dialog.set_format(fmt)
    assert dialog.name_edit.text() == name
    assert dialog.name_label.text().replace("&", "") == label
    dialog.folder_edit.setText(str(tmp_path))
    (request,) = accept(dialog)
    assert request.kind == kind and request.artifact_path is None
    assert request.destination == tmp_path / name
    assert request.expected_size == info.total_size
    expected_query = "zip" if fmt == "zip" else "tar_gz"
    assert request.link == f"{client.session.api_url}/artifacts/{info.id}/contents?fileType={expected_query}"
    if kind == TransferKind.EXTRACT:
        # Paths relative to the extracted folder, as the engine verifies them.
        assert sorted(request.expected_files) == sorted((f.relative_path, f.size) for f in info.files)
    else:
        assert request.expected_files == ()


def test_the_summary_counts_files_and_bytes_of_the_listing(open_dialog, get, dioptra) -> None:
    info = seeded(dioptra.manifest, "predictions")
    dialog = open_dialog([get("predictions")])
    locale = QLocale()
    summary = dialog.summary_label.text()
    assert f"{locale.toString(len(info.files))} files" in summary
    assert f"({locale.toString(info.total_size)} bytes)" in summary
    assert "tar.gz" in summary or "zip" in summary or "unpacked" in summary


def test_a_sub_file_picked_by_preselected_path(open_dialog, get, dioptra, client: DioptraClient, tmp_path: Path) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    wanted = next(f for f in info.files if f.relative_path.endswith("roc curve.png"))
    dialog = open_dialog([get("evaluation")], preselected_path=wanted.relative_path)
    assert dialog.part_radio.isChecked()
    assert dialog.tree_view.current_file().relative_path == wanted.relative_path
    assert dialog.name_edit.text() == "roc curve.png"
    assert not dialog.format_box.isEnabled()  # a single file comes as it is
    assert dialog.summary_label.text().startswith("1 file, ")
    dialog.folder_edit.setText(str(tmp_path))
    (request,) = accept(dialog)
    assert request.kind == TransferKind.FILE
    assert request.artifact_path == wanted.relative_path
    assert request.destination == tmp_path / "roc curve.png"
    assert request.expected_size == wanted.size
    assert request.name == f"evaluation/{wanted.relative_path}"
    assert "path=plots%2Froc%2Froc+curve.png" in request.link and "fileType" not in request.link


def test_a_sub_folder_picked_by_preselected_path_extracts_with_its_own_listing(open_dialog, get, dioptra, tmp_path: Path) -> None:
    info = seeded(dioptra.manifest, "evaluation")
    dialog = open_dialog([get("evaluation")], preselected_path="plots")
    save_screenshot(dialog, "download-dialog-directory")
    assert dialog.part_radio.isChecked() and dialog.format_box.isEnabled()
    below = [(f.relative_path[len("plots/"):], f.size) for f in info.files if f.relative_path.startswith("plots/")]
    assert f"{len(below)} files" in dialog.summary_label.text()
    dialog.set_format("extract")
    assert dialog.name_edit.text() == "plots"
    dialog.folder_edit.setText(str(tmp_path))
    (request,) = accept(dialog)
    assert request.kind == TransferKind.EXTRACT and request.artifact_path == "plots"
    assert sorted(request.expected_files) == sorted(below)
    assert request.expected_size == sum(size for _p, size in below)
    assert request.destination == tmp_path / "plots"


def test_choosing_the_whole_artifact_again_and_a_missing_preselection(open_dialog, get) -> None:
    dialog = open_dialog([get("evaluation")], preselected_path="no/such/file.txt")
    assert dialog.whole_radio.isChecked()
    assert "not in this artifact's file list" in dialog.message_label.text()
    dialog.part_radio.setChecked(True)  # nothing picked in the tree yet
    assert not dialog.download_button.isEnabled()
    assert "Pick a file or folder" in dialog.summary_label.text()
    assert dialog.tree_view.select_path("notes.txt")
    assert dialog.download_button.isEnabled() and dialog.name_edit.text() == "notes.txt"
    dialog.whole_radio.setChecked(True)
    assert dialog.name_edit.text().startswith("evaluation")


def test_the_download_button_waits_for_the_listing(qtbot, open_dialog, get) -> None:
    dialog = open_dialog([get("tiny.txt"), get("checkpoints")], wait=False)
    assert not dialog.download_button.isEnabled() and "listing" in dialog.summary_label.text().lower()
    qtbot.waitUntil(lambda: dialog.is_ready, timeout=WAIT_MS)
    assert dialog.download_button.isEnabled()


def test_several_artifacts_share_one_folder_and_one_format(open_dialog, get, dioptra, tmp_path: Path) -> None:
    names = ["tiny.txt", "checkpoints", "logs", "déjà vu.txt"]
    dialog = open_dialog([get(n) for n in names])
    assert dialog.windowTitle() == "Download 4 artifacts"
    assert not dialog.name_edit.isVisible()
    infos = [seeded(dioptra.manifest, n) for n in names]
    files = sum(len(i.files) if i.is_dir else 1 for i in infos)
    assert dialog.summary_label.text().startswith(f"4 downloads: {files} files")
    dialog.set_format("zip")
    dialog.folder_edit.setText(str(tmp_path))
    requests = accept(dialog)
    assert [(r.name, r.kind, r.destination.name) for r in requests] == [
        ("tiny.txt", TransferKind.FILE, "tiny.txt"),
        ("checkpoints", TransferKind.ZIP, "checkpoints.zip"),
        ("logs", TransferKind.ZIP, "logs.zip"),
        ("déjà vu.txt", TransferKind.FILE, "déjà vu.txt"),
    ]
    assert {r.destination.parent for r in requests} == {tmp_path}


def test_several_artifacts_really_arrive(qtbot, open_dialog, get, client: DioptraClient, dioptra, tmp_path: Path) -> None:
    dialog = open_dialog([get("tiny.txt"), get("logs"), get("checkpoint")])
    dialog.set_format("extract")
    dialog.folder_edit.setText(str(tmp_path))
    requests = accept(dialog)
    manager = TransferManager(client, max_parallel=2)
    try:
        ids = [manager.submit(r) for r in requests]
        qtbot.waitUntil(lambda: all(manager.get(i).finished for i in ids), timeout=60_000)
        assert [manager.get(i).state for i in ids] == [TransferState.DONE] * 3, [manager.get(i).error for i in ids]
    finally:
        manager.shutdown()
    assert (tmp_path / "tiny.txt").stat().st_size == seeded(dioptra.manifest, "tiny.txt").size
    for name in ("logs", "checkpoint"):
        info = seeded(dioptra.manifest, name)
        got = sorted(str(p.relative_to(tmp_path / name)) for p in (tmp_path / name).rglob("*") if p.is_file())
        assert got == sorted(f.relative_path for f in info.files)


def test_existing_targets_keep_both_for_all(open_dialog, get, tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_text("mine")
    (tmp_path / "metrics.json").write_text("{}")
    resolver = Resolver((ConflictPolicy.KEEP_BOTH, True))
    dialog = open_dialog([get("tiny.txt"), get("history.csv"), get("metrics.json")], conflict_resolver=resolver)
    dialog.folder_edit.setText(str(tmp_path))
    requests = accept(dialog)
    # Asked once, about the first, told one more exists; the answer covered it.
    assert resolver.asked == [(tmp_path / "tiny.txt", 1)]
    assert [r.destination.name for r in requests] == ["tiny (2).txt", "history.csv", "metrics (2).json"]
    assert (tmp_path / "tiny.txt").read_text() == "mine"


def test_existing_targets_answered_one_by_one(open_dialog, get, tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_text("mine")
    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / "logs.tar.gz").write_bytes(b"old")
    resolver = Resolver((ConflictPolicy.SKIP, False), (ConflictPolicy.OVERWRITE, False), (ConflictPolicy.KEEP_BOTH, False))
    dialog = open_dialog([get("tiny.txt"), get("metrics.json"), get("logs")], conflict_resolver=resolver)
    dialog.set_format("tar_gz")
    dialog.folder_edit.setText(str(tmp_path))
    requests = accept(dialog)
    assert [others for _p, others in resolver.asked] == [2, 1, 0]
    assert [r.destination.name for r in requests] == ["metrics.json", "logs (2).tar.gz"]


def test_skip_for_all_and_cancelling_the_question(open_dialog, get, tmp_path: Path) -> None:
    for name in ("tiny.txt", "metrics.json"):
        (tmp_path / name).write_text("mine")
    resolver = Resolver(None)
    dialog = open_dialog([get("tiny.txt"), get("metrics.json")], conflict_resolver=resolver)
    dialog.folder_edit.setText(str(tmp_path))
    dialog.download_button.click()
    assert dialog.result() != DownloadDialog.DialogCode.Accepted and dialog.isVisible()  # back in the dialog
    resolver.answers = [(ConflictPolicy.SKIP, True)]
    assert accept(dialog) == []


def test_two_artifacts_with_one_name_never_share_a_target(open_dialog, get, client: DioptraClient, tmp_path: Path) -> None:
    artifact = get("tiny.txt")
    resolver = Resolver((ConflictPolicy.OVERWRITE, False))
    dialog = open_dialog([artifact, artifact], conflict_resolver=resolver)
    dialog.folder_edit.setText(str(tmp_path))
    requests = accept(dialog)
    assert [r.destination.name for r in requests] == ["tiny.txt", "tiny (2).txt"]


def test_the_conflict_question_can_be_answered(qtbot, tmp_path: Path) -> None:
    target = tmp_path / "evaluation.tar.gz"
    target.write_bytes(b"x")
    question = ConflictDialog(target, 3)
    qtbot.addWidget(question)
    question.show()
    assert "“evaluation.tar.gz” already exists" in question.message_label.text()
    assert question.apply_to_all.isVisible() and "other 3 existing targets" in question.apply_to_all.text()
    save_screenshot(question, "download-conflict-question")
    question.apply_to_all.setChecked(True)
    question.keep_both_button.click()
    assert question.choice() == (ConflictPolicy.KEEP_BOTH, True)

    alone = ConflictDialog(target, 0)
    qtbot.addWidget(alone)
    alone.show()
    assert not alone.apply_to_all.isVisible()
    alone.cancel_button.click()
    assert alone.choice() is None


def test_the_folder_and_format_are_remembered(open_dialog, get, settings: Settings, tmp_path: Path) -> None:
    dialog = open_dialog([get("checkpoints")])
    dialog.set_format("zip")
    dialog.folder_edit.setText(str(tmp_path))
    accept(dialog)
    assert settings.last_download_folder() == str(tmp_path) and settings.last_download_format() == "zip"

    again = open_dialog([get("patched images")])
    assert again.folder_edit.text() == str(tmp_path)
    assert again.selected_format() == "zip" and again.name_edit.text() == "patched images.zip"
    # A file download keeps the remembered format for folders.
    single = open_dialog([get("tiny.txt")])
    single.folder_edit.setText(str(tmp_path / "elsewhere"))
    accept(single)
    assert settings.last_download_format() == "zip" and settings.last_download_folder() == str(tmp_path / "elsewhere")


def test_the_folder_chooser_fills_the_folder(open_dialog, get, tmp_path: Path) -> None:
    asked: list[str] = []
    dialog = open_dialog([get("tiny.txt")], folder_chooser=lambda current: asked.append(current) or str(tmp_path))
    before = dialog.folder_edit.text()
    dialog.folder_button.click()
    assert asked == [before] and dialog.folder_edit.text() == str(tmp_path)
