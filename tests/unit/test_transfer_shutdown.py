"""The transfer manager's history is written off the caller's thread, and closing never waits forever."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

from artifact_browser.api.errors import NotFoundError
from artifact_browser.core.transfers import (
    INTERRUPTED,
    TransferHistory,
    TransferKind,
    TransferManager,
    TransferRequest,
    TransferState,
)

WAIT = 30  # seconds; only reached when something hangs


class RecordingHistory(TransferHistory):
    """A history that notes which thread saved it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.saved_in: list[str] = []

    def save(self, transfers) -> None:
        self.saved_in.append(threading.current_thread().name)
        super().save(transfers)


def stub_client(get_by_id) -> SimpleNamespace:
    """The one call a FILE transfer makes before its download: the artifact's metadata."""
    return SimpleNamespace(artifacts=SimpleNamespace(get_by_id=get_by_id))


def request(tmp_path: Path) -> TransferRequest:
    return TransferRequest(artifact_id=3, name="model.bin", kind=TransferKind.FILE, destination=tmp_path / "model.bin")


def test_the_history_is_saved_in_its_own_thread_and_is_final_after_shutdown(tmp_path):
    def missing(artifact_id):
        raise NotFoundError("Artifact 3 does not exist.", 404)

    history = RecordingHistory(tmp_path / "transfers.json")
    manager = TransferManager(stub_client(missing), history=history)
    transfer_id = manager.submit(request(tmp_path))
    manager.shutdown()
    assert manager.get(transfer_id).state is TransferState.FAILED
    # A GUI thread calling submit() must never wait for an fsync.
    assert history.saved_in and threading.current_thread().name not in history.saved_in
    [saved] = TransferHistory(history.path).load()
    assert (saved.id, saved.state) == (transfer_id, TransferState.FAILED)


def test_shutdown_with_a_timeout_returns_although_a_request_is_stuck(tmp_path):
    started, release = threading.Event(), threading.Event()

    def stuck(artifact_id):
        started.set()
        release.wait(WAIT)  # a silent server: cancel cannot interrupt this request
        raise NotFoundError("gone", 404)

    history = TransferHistory(tmp_path / "transfers.json")
    manager = TransferManager(stub_client(stuck), history=history)
    try:
        manager.submit(request(tmp_path))
        assert started.wait(WAIT)
        before = time.monotonic()
        manager.shutdown(wait=True, timeout=0.2)
        assert time.monotonic() - before < WAIT / 2
        assert not release.is_set()
        # What is on disk is what a killed program leaves: the next run offers a retry.
        [saved] = TransferHistory(history.path).load()
        assert (saved.state, saved.error) == (TransferState.FAILED, INTERRUPTED)
    finally:
        release.set()
