"""The transfer panel with the real TransferManager and the real local Dioptra server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from slow_proxy import SlowProxy

from artifact_browser.api import Artifact, DioptraClient
from artifact_browser.core.transfers import (
    TransferHistory,
    TransferKind,
    TransferManager,
    TransferRequest,
    TransferState,
)
from artifact_browser.qt.settings import Settings
from artifact_browser.qt.transfer_model import Column
from artifact_browser.qt.transfer_panel import TransferPanel
from gui_support import save_screenshot, seeded

WAIT_MS = 30_000
# Long enough to look at a running transfer, short enough to wait out: the engine's first
# request (the artifact's metadata) cannot be interrupted, so a cancel lands after it.
SLOW_S = 4.0
ACTION_NAMES = ("open", "show_in_folder", "cancel", "retry", "remove", "copy_link")


def file_request(client: DioptraClient, artifact: Artifact, folder: Path, name: str | None = None) -> TransferRequest:
    return TransferRequest(
        artifact_id=artifact.id,
        name=artifact.name,
        kind=TransferKind.FILE,
        destination=folder / (name or artifact.name),
        expected_size=artifact.file_size,
        link=f"{client.session.api_url}/artifacts/{artifact.id}/contents",
    )


class Opener:
    def __init__(self) -> None:
        self.urls: list[QUrl] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url)
        return True


@pytest.fixture
def get(client: DioptraClient, dioptra) -> Callable[[str], Artifact]:
    return lambda name: client.artifacts.get_by_id(seeded(dioptra.manifest, name).id)


@pytest.fixture
def opener() -> Opener:
    return Opener()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def make_panel(qtbot, opener: Opener, settings: Settings) -> Iterator[Callable[[TransferManager], TransferPanel]]:
    managers: list[TransferManager] = []

    def make(manager: TransferManager) -> TransferPanel:
        managers.append(manager)
        panel = TransferPanel(manager, settings=settings, opener=opener)
        qtbot.addWidget(panel)
        panel.resize(900, 260)
        panel.show()
        return panel

    yield make
    for manager in managers:
        manager.shutdown()


def enabled(panel: TransferPanel) -> set[str]:
    return {name for name in ACTION_NAMES if getattr(panel, f"{name}_action").isEnabled()}


def menu_texts(panel: TransferPanel) -> list[str]:
    menu = panel.menu_for(panel.selected_transfers())
    try:
        return [a.text() for a in menu.actions() if not a.isSeparator()]
    finally:
        menu.deleteLater()


def wait_state(qtbot, panel: TransferPanel, transfer_id: int, state: TransferState) -> None:
    """Until the panel's model (not only the manager) shows ``state`` for the transfer."""

    def shown() -> bool:
        row = panel.model.row_of(transfer_id)
        return row is not None and panel.model.transfer_at(row).state == state

    qtbot.waitUntil(shown, timeout=WAIT_MS)


def test_a_done_transfer_opens_shows_its_folder_copies_its_link_and_goes(
    qtbot, client: DioptraClient, make_panel, get, opener: Opener, tmp_path: Path
) -> None:
    manager = TransferManager(client)
    panel = make_panel(manager)
    assert panel.summary_label.text() == "No downloads yet." and not panel.clear_button.isEnabled()
    request = file_request(client, get("roc curve.png"), tmp_path)
    tid = manager.submit(request)
    wait_state(qtbot, panel, tid, TransferState.DONE)
    assert (tmp_path / "roc curve.png").stat().st_size == 6326
    row = panel.model.row_of(tid)
    assert panel.model.index(row, Column.PROGRESS).data() == "100%"

    panel.select_ids([tid])
    assert enabled(panel) == {"open", "show_in_folder", "remove", "copy_link"}
    assert menu_texts(panel) == ["Open", "Show in folder", "Remove from list", "Copy link"]

    panel.open_action.trigger()
    panel.show_in_folder_action.trigger()
    assert opener.urls == [QUrl.fromLocalFile(str(tmp_path / "roc curve.png")), QUrl.fromLocalFile(str(tmp_path))]

    panel.copy_link_action.trigger()
    assert QGuiApplication.clipboard().text() == request.link

    panel.remove_action.trigger()
    assert panel.model.rowCount() == 0 and manager.transfers() == []
    assert (tmp_path / "roc curve.png").exists()  # removing from the list keeps the file


def test_opening_a_file_that_was_deleted_says_so_inline(qtbot, client: DioptraClient, make_panel, get, opener: Opener, tmp_path: Path) -> None:
    manager = TransferManager(client)
    panel = make_panel(manager)
    tid = manager.submit(file_request(client, get("tiny.txt"), tmp_path))
    wait_state(qtbot, panel, tid, TransferState.DONE)
    (tmp_path / "tiny.txt").unlink()
    panel.select_ids([tid])
    panel.open_action.trigger()
    assert opener.urls == []
    assert "no longer exists" in panel.message_label.text() and panel.message_label.isVisible()


def test_a_failed_transfer_can_be_retried(qtbot, client: DioptraClient, make_panel, get, tmp_path: Path) -> None:
    manager = TransferManager(client)
    panel = make_panel(manager)
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the download folder should be")
    tid = manager.submit(file_request(client, get("metrics.json"), blocker))
    wait_state(qtbot, panel, tid, TransferState.FAILED)
    row = panel.model.row_of(tid)
    error = manager.get(tid).error
    assert error and panel.model.index(row, Column.PROGRESS).data() == error

    panel.select_ids([tid])
    assert enabled(panel) == {"retry", "remove", "copy_link"}
    assert menu_texts(panel) == ["Retry", "Remove from list", "Copy link"]

    blocker.unlink()  # the user fixed the problem
    panel.retry_action.trigger()
    wait_state(qtbot, panel, tid, TransferState.DONE)
    assert (blocker / "metrics.json").stat().st_size == get("metrics.json").file_size
    assert panel.model.rowCount() == 1  # same row, same id


def test_queued_and_running_transfers_can_be_cancelled_then_retried_or_removed(
    qtbot, slow_client: DioptraClient, proxy: SlowProxy, make_panel, get, settings: Settings, tmp_path: Path
) -> None:
    manager = TransferManager(slow_client, max_parallel=2)
    panel = make_panel(manager)
    panel.parallel_spin.setValue(1)
    assert manager.max_parallel == 1 and settings.max_parallel_transfers() == 1

    artifacts = [get("model.bin"), get("labels.bin")]
    proxy.delay = SLOW_S  # every download now waits for its first byte
    first, second = (manager.submit(file_request(slow_client, a, tmp_path)) for a in artifacts)
    wait_state(qtbot, panel, first, TransferState.RUNNING)
    wait_state(qtbot, panel, second, TransferState.QUEUED)
    assert panel.summary_label.text() == "1 running · 1 queued"
    assert panel.model.index(panel.model.row_of(first), Column.STATE).data() == "Running"

    for tid in (first, second):
        panel.select_ids([tid])
        assert enabled(panel) == {"cancel", "copy_link"}
        assert menu_texts(panel) == ["Cancel", "Copy link"]
    panel.select_ids([first, second])
    assert not panel.clear_button.isEnabled()
    panel.cancel_action.trigger()
    wait_state(qtbot, panel, first, TransferState.CANCELLED)
    wait_state(qtbot, panel, second, TransferState.CANCELLED)
    assert not (tmp_path / "model.bin").exists() and not (tmp_path / "labels.bin").exists()

    panel.select_ids([first])
    assert enabled(panel) == {"retry", "remove", "copy_link"}
    assert menu_texts(panel) == ["Retry", "Remove from list", "Copy link"]
    panel.remove_action.trigger()
    assert [t.id for t in panel.model.transfers()] == [second]

    proxy.delay = 0.0
    panel.select_ids([second])
    panel.retry_action.trigger()
    wait_state(qtbot, panel, second, TransferState.DONE)
    assert (tmp_path / "labels.bin").stat().st_size == 4096


def test_clear_finished_keeps_what_still_runs(
    qtbot, slow_client: DioptraClient, proxy: SlowProxy, make_panel, get, tmp_path: Path
) -> None:
    manager = TransferManager(slow_client, max_parallel=2)
    panel = make_panel(manager)
    done = manager.submit(file_request(slow_client, get("tiny.txt"), tmp_path))
    wait_state(qtbot, panel, done, TransferState.DONE)
    failed = manager.submit(file_request(slow_client, get("tiny.txt"), tmp_path / "tiny.txt", "inside a file.txt"))
    wait_state(qtbot, panel, failed, TransferState.FAILED)
    proxy.delay = SLOW_S
    running = manager.submit(file_request(slow_client, get("config.yaml"), tmp_path))
    wait_state(qtbot, panel, running, TransferState.RUNNING)
    assert panel.clear_button.isEnabled()

    panel.clear_button.click()
    assert [t.id for t in panel.model.transfers()] == [running]
    assert not panel.clear_button.isEnabled()
    manager.cancel(running)
    wait_state(qtbot, panel, running, TransferState.CANCELLED)


def test_the_panel_with_transfers_in_every_state(
    qtbot, slow_client: DioptraClient, proxy: SlowProxy, make_panel, get, tmp_path: Path
) -> None:
    manager = TransferManager(slow_client, max_parallel=2)
    panel = make_panel(manager)
    done = manager.submit(file_request(slow_client, get("predictions.csv"), tmp_path))
    wait_state(qtbot, panel, done, TransferState.DONE)
    failed = manager.submit(file_request(slow_client, get("history.csv"), tmp_path / "predictions.csv"))
    wait_state(qtbot, panel, failed, TransferState.FAILED)
    cancelled = manager.submit(file_request(slow_client, get("roc curve.png"), tmp_path))
    manager.cancel(cancelled)
    proxy.delay = SLOW_S
    checkpoints = get("checkpoints")
    running_dir = manager.submit(
        TransferRequest(
            artifact_id=checkpoints.id, name="checkpoints", kind=TransferKind.TAR_GZ,
            destination=tmp_path / "checkpoints.tar.gz", expected_size=None,
        )
    )
    running_file = manager.submit(file_request(slow_client, get("model.bin"), tmp_path))
    queued = manager.submit(file_request(slow_client, get("resnet50_weights.bin"), tmp_path))
    for tid, state in (
        (cancelled, TransferState.CANCELLED),
        (running_dir, TransferState.RUNNING),
        (running_file, TransferState.RUNNING),
        (queued, TransferState.QUEUED),
    ):
        wait_state(qtbot, panel, tid, state)
    assert panel.summary_label.text() == "2 running · 1 queued · 1 done · 1 failed · 1 cancelled"
    panel.select_ids([failed])
    save_screenshot(panel, "transfer-panel")
    for tid in (running_dir, running_file, queued):
        manager.cancel(tid)
    for tid in (running_dir, running_file, queued):
        wait_state(qtbot, panel, tid, TransferState.CANCELLED)


def test_a_damaged_history_is_shown_as_a_warning(qtbot, client: DioptraClient, make_panel, tmp_path: Path) -> None:
    history_file = tmp_path / "transfers.json"
    history_file.write_text("{ this is not json", encoding="utf-8")
    history = TransferHistory(history_file)
    manager = TransferManager(client, history=history)
    assert history.warning
    panel = make_panel(manager)
    panel.set_warning(history.warning)
    assert panel.warning_label.isVisible() and panel.warning_label.text() == history.warning
    panel.set_warning(None)
    assert not panel.warning_label.isVisible()


def test_the_parallel_limit_starts_from_the_manager(client: DioptraClient, make_panel) -> None:
    panel = make_panel(TransferManager(client, max_parallel=3))
    assert panel.parallel_spin.value() == 3


class StillManager:
    """A manager frozen mid-download, to look at how progress is drawn (numbers no server gives on cue)."""

    def __init__(self, transfers: list) -> None:
        self._transfers = transfers
        self.max_parallel = 2

    def transfers(self) -> list:
        return list(self._transfers)

    def subscribe(self, callback):  # noqa: ANN001, ANN201 - the manager's interface
        return lambda: None


def test_progress_is_drawn_as_bars_with_speed_and_time_left(qtbot, opener: Opener, tmp_path: Path) -> None:
    from artifact_browser.core.transfers import Transfer

    def request(name: str, kind: TransferKind = TransferKind.FILE, size: int | None = None) -> TransferRequest:
        return TransferRequest(artifact_id=1, name=name, kind=kind, destination=tmp_path / name, expected_size=size)

    mib = 1024 * 1024
    transfers = [
        Transfer(1, request("model.bin", size=512 * mib), TransferState.RUNNING, bytes_done=301 * mib, total=512 * mib,
                 speed=48.3 * mib, eta=4.4, created_at=0),
        Transfer(2, request("predictions.tar.gz", TransferKind.TAR_GZ), TransferState.RUNNING, bytes_done=37 * mib,
                 total=None, speed=12.0 * mib, created_at=0),
        Transfer(3, request("resnet50_weights.bin", size=mib), TransferState.QUEUED, total=mib, created_at=0),
        Transfer(4, request("metrics.json", size=58), TransferState.DONE, bytes_done=58, total=58, created_at=0,
                 result=tmp_path / "metrics (2).json"),
        Transfer(5, request("evaluation", TransferKind.EXTRACT), TransferState.FAILED, bytes_done=3142, created_at=0,
                 error="evaluation: 1 file is missing after unpacking: plots/roc/roc curve.png. Retry the download."),
    ]
    panel = TransferPanel(StillManager(transfers), opener=opener)  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.resize(1000, 240)
    panel.show()
    row = panel.model.row_of(1)
    assert panel.model.index(row, Column.PROGRESS).data() == "58%"
    assert panel.model.index(row, Column.SPEED).data() == "48.3 MiB/s"
    assert panel.model.index(row, Column.ETA).data() == "5 s"
    assert panel.model.index(panel.model.row_of(2), Column.PROGRESS).data() == "37.0 MiB"
    panel.select_ids([4])
    save_screenshot(panel, "transfer-panel-progress")
