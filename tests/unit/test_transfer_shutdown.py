"""The transfer manager's history is written off the caller's thread, and closing never waits forever."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

from artifact_browser.api.errors import NotFoundError
from artifact_browser.core.transfers import (
    INTERRUPTED,
    Transfer,
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


def test_only_a_transfer_that_was_running_at_a_crash_has_its_part_removed_and_only_once(tmp_path):
    history_path = tmp_path / "transfers.json"
    running, queued = request(tmp_path), TransferRequest(
        artifact_id=4, name="other.bin", kind=TransferKind.FILE, destination=tmp_path / "other.bin"
    )
    TransferHistory(history_path).save(
        [Transfer(id=1, request=running, state=TransferState.RUNNING), Transfer(id=2, request=queued, state=TransferState.QUEUED)]
    )
    ours = tmp_path / "model.bin.part"
    ours.write_bytes(b"half")
    theirs = tmp_path / "other.bin.part"  # a queued transfer never wrote: this is another program's file
    theirs.write_bytes(b"a browser's download")

    def unused(artifact_id):
        raise AssertionError("nothing is downloaded here")

    first = TransferManager(stub_client(unused), history=TransferHistory(history_path))
    first._leftovers_removed.join(WAIT)
    first.shutdown()
    assert not ours.exists() and theirs.read_bytes() == b"a browser's download"

    # The next start sees both as failed: a .part under either name is not the program's any more.
    ours.write_bytes(b"someone else's")
    second = TransferManager(stub_client(unused), history=TransferHistory(history_path))
    assert second._leftovers_removed is None
    second.shutdown()
    assert ours.read_bytes() == b"someone else's" and theirs.exists()


def test_the_history_writer_survives_an_unexpected_error_and_closing_does_not_hang(tmp_path):
    failed_once = threading.Event()

    class BrokenOnce(TransferHistory):
        calls = 0

        def save(self, transfers) -> None:
            type(self).calls += 1
            if self.calls == 1:
                failed_once.set()
                raise UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed")
            super().save(transfers)

    def missing(artifact_id):
        raise NotFoundError("gone", 404)

    history = BrokenOnce(tmp_path / "transfers.json")
    manager = TransferManager(stub_client(missing), history=history)
    first = manager.submit(request(tmp_path))
    assert failed_once.wait(WAIT)
    second = manager.submit(TransferRequest(artifact_id=4, name="b", kind=TransferKind.FILE, destination=tmp_path / "b.bin"))
    before = time.monotonic()
    manager.shutdown(wait=True, timeout=WAIT)
    assert time.monotonic() - before < WAIT / 2
    assert BrokenOnce.calls >= 2  # the writer went on after the error
    saved = TransferHistory(history.path).load()
    assert [(t.id, t.state) for t in saved] == [(first, TransferState.FAILED), (second, TransferState.FAILED)]


def test_a_file_that_appeared_while_the_transfer_waited_is_kept(tmp_path):
    started = threading.Event()
    release = threading.Event()

    def first_blocks(artifact_id):
        started.set()
        release.wait(WAIT)
        raise NotFoundError("gone", 404)

    manager = TransferManager(stub_client(first_blocks), max_parallel=1)
    try:
        manager.submit(TransferRequest(artifact_id=9, name="a", kind=TransferKind.FILE, destination=tmp_path / "a.bin"))
        assert started.wait(WAIT)
        waiting = manager.submit(request(tmp_path))  # model.bin does not exist yet: nothing to replace
        (tmp_path / "model.bin").write_bytes(b"the user's own file")
        started_as: list[Path] = []
        running = threading.Event()

        def note(transfer) -> None:
            if transfer.id == waiting and transfer.state is TransferState.RUNNING:
                started_as.append(transfer.request.destination)
                running.set()

        manager.subscribe(note)
        release.set()
        assert running.wait(WAIT)
        assert started_as == [tmp_path / "model (2).bin"]
        assert (tmp_path / "model.bin").read_bytes() == b"the user's own file"
    finally:
        release.set()
        manager.shutdown()
