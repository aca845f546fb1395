"""The transfer engine against the real server: every download path, the queue, faults, history."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from fault_proxy import FaultProxy

from artifact_browser.api import connect
from artifact_browser.core.filenames import ConflictPolicy, resolve_conflict, safe_file_name
from artifact_browser.core.transfers import (
    DestinationBusyError,
    INTERRUPTED,
    Transfer,
    TransferHistory,
    TransferKind,
    TransferManager,
    TransferRequest,
    TransferState,
)

FINAL = (TransferState.DONE, TransferState.FAILED, TransferState.CANCELLED)
WAIT = 120  # seconds; generous for a loaded CI machine, only reached when something hangs
MIB = 1 << 20


class Recorder:
    """Everything a manager reports, with a way to wait for a condition on it (no sleeps)."""

    def __init__(self, manager: TransferManager) -> None:
        self.events: list[Transfer] = []
        self._condition = threading.Condition()
        self.unsubscribe = manager.subscribe(self._record)

    def _record(self, transfer: Transfer) -> None:
        with self._condition:
            self.events.append(transfer)
            self._condition.notify_all()

    def wait_until(self, predicate: Callable[[list[Transfer]], bool], what: str) -> None:
        with self._condition:
            assert self._condition.wait_for(lambda: predicate(self.events), timeout=WAIT), f"timed out waiting for {what}"

    def wait_final(self, *ids: int) -> dict[int, Transfer]:
        """Wait until each id reports a final state; return those final snapshots."""
        def finals(events: list[Transfer]) -> dict[int, Transfer]:
            return {e.id: e for e in events if e.id in ids and e.state in FINAL}

        self.wait_until(lambda events: len(finals(events)) == len(ids), f"transfers {ids} to finish")
        with self._condition:
            return finals(self.events)

    def states_of(self, transfer_id: int) -> list[TransferState]:
        states: list[TransferState] = []
        for event in self.events:
            if event.id == transfer_id and (not states or states[-1] is not event.state):
                states.append(event.state)
        return states


@pytest.fixture
def manager(client) -> Iterator[TransferManager]:
    manager = TransferManager(client, max_parallel=2)
    yield manager
    manager.shutdown()


def big_file(manifest):
    return next(a for a in manifest.artifacts if not a.is_dir and (a.size or 0) >= 5 * MIB)


def nested_directory(manifest):
    """A directory artifact with a file at least two folders deep (checkpoints, evaluation)."""
    return next(a for a in manifest.artifacts if a.is_dir and any(f.relative_path.count("/") >= 2 for f in a.files))


def many_files_directory(manifest):
    return max((a for a in manifest.artifacts if a.is_dir), key=lambda a: len(a.files))


def file_request(info, destination: Path, **overrides) -> TransferRequest:
    return TransferRequest(
        artifact_id=info.id, name=info.name, kind=TransferKind.FILE, destination=destination, expected_size=info.size, **overrides
    )


def folder_request(info, kind: TransferKind, destination: Path, sub: str | None = None) -> TransferRequest:
    """A request for a whole directory, or for the folder ``sub`` inside it, with its listing."""
    prefix = f"{sub}/" if sub else ""
    files = tuple((f.relative_path.removeprefix(prefix), f.size) for f in info.files if f.relative_path.startswith(prefix))
    return TransferRequest(
        artifact_id=info.id,
        name=PurePosixPath(sub).name if sub else info.name,
        kind=kind,
        destination=destination,
        artifact_path=sub,
        expected_size=sum(size for _, size in files),
        expected_files=files,
    )


def sizes_under(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".part" in p.name)


# -- each download path -----------------------------------------------------------------------


def test_a_file_artifact_lands_under_its_name_with_progress(manager, dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    recorder = Recorder(manager)
    destination = tmp_path / safe_file_name(info.name)
    transfer_id = manager.submit(file_request(info, destination))
    done = recorder.wait_final(transfer_id)[transfer_id]

    assert done.state is TransferState.DONE, done.error
    assert done.result == destination and destination.stat().st_size == info.size
    assert done.bytes_done == done.total == info.size and done.finished_at >= done.created_at
    assert recorder.states_of(transfer_id) == [TransferState.QUEUED, TransferState.RUNNING, TransferState.DONE]
    running = [e for e in recorder.events if e.id == transfer_id and e.state is TransferState.RUNNING]
    assert all(e.total == info.size for e in running)
    assert [e.bytes_done for e in running] == sorted(e.bytes_done for e in running)
    assert sorted(p.name for p in tmp_path.iterdir()) == [destination.name]
    assert manager.get(transfer_id) == done


@pytest.mark.parametrize("folder", [False, True])
def test_a_part_file_the_program_did_not_write_is_left_alone(manager, dioptra, tmp_path, folder):
    info = big_file(dioptra.manifest)
    recorder = Recorder(manager)
    destination = tmp_path / safe_file_name(info.name)
    theirs = destination.with_name(destination.name + ".part")
    if folder:
        theirs.mkdir()
        (theirs / "notes.txt").write_text("someone's work", encoding="utf-8")
    else:
        theirs.write_text("someone's work", encoding="utf-8")

    transfer_id = manager.submit(file_request(info, destination))
    failed = recorder.wait_final(transfer_id)[transfer_id]
    assert failed.state is TransferState.FAILED
    assert theirs.name in failed.error and "Move or delete it" in failed.error
    kept = theirs / "notes.txt" if folder else theirs
    assert kept.read_text(encoding="utf-8") == "someone's work" and not destination.exists()

    # A retry does not remove it either; once the user moved it, the download goes through.
    recorder.events.clear()
    manager.retry(transfer_id)
    assert recorder.wait_final(transfer_id)[transfer_id].state is TransferState.FAILED
    assert kept.read_text(encoding="utf-8") == "someone's work"
    theirs.rename(tmp_path / "moved away")
    recorder.events.clear()
    manager.retry(transfer_id)
    assert recorder.wait_final(transfer_id)[transfer_id].state is TransferState.DONE
    assert destination.stat().st_size == info.size


@pytest.mark.parametrize("kind", [TransferKind.TAR_GZ, TransferKind.ZIP])
def test_a_whole_directory_as_an_archive(manager, dioptra, tmp_path, kind):
    info = nested_directory(dioptra.manifest)
    recorder = Recorder(manager)
    suffix = ".tar.gz" if kind is TransferKind.TAR_GZ else ".zip"
    destination = tmp_path / (info.name + suffix)
    transfer_id = manager.submit(folder_request(info, kind, destination))
    done = recorder.wait_final(transfer_id)[transfer_id]

    assert done.state is TransferState.DONE, done.error
    assert done.bytes_done == done.total == destination.stat().st_size
    expected = {f"{info.name}/{f.relative_path}": f.size for f in info.files}
    if kind is TransferKind.TAR_GZ:
        with tarfile.open(destination) as archive:
            members = {m.name: m.size for m in archive.getmembers() if m.isfile()}
    else:
        with zipfile.ZipFile(destination) as archive:
            members = {i.filename: i.file_size for i in archive.infolist() if not i.is_dir()}
    assert members == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [destination.name]


def test_a_whole_directory_extracted_matches_the_listing(manager, dioptra, tmp_path):
    info = many_files_directory(dioptra.manifest)
    recorder = Recorder(manager)
    destination = tmp_path / info.name
    transfer_id = manager.submit(folder_request(info, TransferKind.EXTRACT, destination))
    done = recorder.wait_final(transfer_id)[transfer_id]

    assert done.state is TransferState.DONE, done.error
    assert done.result == destination and len(info.files) >= 200
    assert sizes_under(destination) == {f.relative_path: f.size for f in info.files}
    # No archive, no staging folder: only the folder the user asked for.
    assert [p.name for p in tmp_path.iterdir()] == [info.name]


def test_a_file_inside_a_directory(manager, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    inner = max(info.files, key=lambda f: (f.relative_path.count("/"), f.size))
    recorder = Recorder(manager)
    destination = tmp_path / safe_file_name(PurePosixPath(inner.relative_path).name)
    request = TransferRequest(
        artifact_id=info.id,
        name=inner.relative_path,
        kind=TransferKind.FILE,
        destination=destination,
        artifact_path=inner.relative_path,
        expected_size=inner.size,
    )
    transfer_id = manager.submit(request)
    done = recorder.wait_final(transfer_id)[transfer_id]
    assert done.state is TransferState.DONE, done.error
    assert destination.stat().st_size == inner.size
    assert [p.name for p in tmp_path.iterdir()] == [destination.name]


def sub_folder_of(info) -> str:
    """A folder inside ``info`` that holds a file one level further down."""
    deep = next(f.relative_path for f in info.files if f.relative_path.count("/") >= 2)
    return deep.split("/", 1)[0]


def test_a_sub_folder_as_tar_gz(manager, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    sub = sub_folder_of(info)
    recorder = Recorder(manager)
    destination = tmp_path / f"{sub}.tar.gz"
    transfer_id = manager.submit(folder_request(info, TransferKind.TAR_GZ, destination, sub))
    done = recorder.wait_final(transfer_id)[transfer_id]
    assert done.state is TransferState.DONE, done.error
    with tarfile.open(destination) as archive:
        members = {m.name: m.size for m in archive.getmembers() if m.isfile()}
    assert members == {f"{sub}/{f.relative_path.removeprefix(sub + '/')}": f.size for f in info.files if f.relative_path.startswith(sub + "/")}
    assert [p.name for p in tmp_path.iterdir()] == [destination.name]


def test_a_sub_folder_extracted(manager, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    sub = sub_folder_of(info)
    recorder = Recorder(manager)
    request = folder_request(info, TransferKind.EXTRACT, tmp_path / sub, sub)
    transfer_id = manager.submit(request)
    done = recorder.wait_final(transfer_id)[transfer_id]
    assert done.state is TransferState.DONE, done.error
    assert sizes_under(tmp_path / sub) == dict(request.expected_files)
    assert [p.name for p in tmp_path.iterdir()] == [sub]


def test_an_older_snapshot_of_a_file(manager, client, dioptra, tmp_path):
    info = next(a for a in dioptra.manifest.artifacts if not a.is_dir and a.snapshot_count > 1)
    first = client.artifacts.snapshots.get(info.id).items[0]
    recorder = Recorder(manager)
    destination = tmp_path / info.name
    transfer_id = manager.submit(file_request(info, destination, snapshot_id=first.snapshot_id))
    done = recorder.wait_final(transfer_id)[transfer_id]
    assert done.state is TransferState.DONE, done.error
    assert destination.stat().st_size == info.size


def test_a_sub_path_of_the_wrong_kind_is_explained(manager, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    a_file = info.files[0].relative_path
    recorder = Recorder(manager)
    request = TransferRequest(info.id, a_file, TransferKind.TAR_GZ, tmp_path / "x.tar.gz", artifact_path=a_file)
    transfer_id = manager.submit(request)
    failed = recorder.wait_final(transfer_id)[transfer_id]
    assert failed.state is TransferState.FAILED
    assert "single file" in failed.error and "download it as a file" in failed.error
    assert list(tmp_path.iterdir()) == []


# -- verification and conflicts -------------------------------------------------------------


def test_an_extracted_folder_that_misses_listed_files_is_not_kept(manager, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    good = folder_request(info, TransferKind.EXTRACT, tmp_path / info.name)
    listed_more = replace(good, expected_files=(*good.expected_files, ("never/logged.bin", 10)))
    recorder = Recorder(manager)
    transfer_id = manager.submit(listed_more)
    failed = recorder.wait_final(transfer_id)[transfer_id]
    assert failed.state is TransferState.FAILED
    assert "missing: never/logged.bin" in failed.error and "retry" in failed.error.lower()
    assert list(tmp_path.iterdir()) == []


def test_conflict_policies_with_real_downloads(manager, dioptra, tmp_path):
    info = next(a for a in dioptra.manifest.artifacts if not a.is_dir and a.name.endswith(".json"))
    target = tmp_path / info.name
    target.write_text("the user's own file")
    recorder = Recorder(manager)

    assert resolve_conflict(target, ConflictPolicy.SKIP) is None
    both = resolve_conflict(target, ConflictPolicy.KEEP_BOTH)
    assert both == tmp_path / f"{PurePosixPath(info.name).stem} (2).json"
    first = manager.submit(file_request(info, both))
    over = resolve_conflict(target, ConflictPolicy.OVERWRITE)
    second = manager.submit(file_request(info, over))
    finals = recorder.wait_final(first, second)
    assert all(t.state is TransferState.DONE for t in finals.values()), [t.error for t in finals.values()]
    assert target.stat().st_size == info.size and both.stat().st_size == info.size
    assert "the user's own file" not in target.read_text()


def test_extract_over_an_existing_folder_replaces_it_when_asked(manager, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    destination = tmp_path / info.name
    (destination / "old").mkdir(parents=True)
    (destination / "old" / "stale.txt").write_text("from last week")
    assert resolve_conflict(destination, ConflictPolicy.KEEP_BOTH) == tmp_path / f"{info.name} (2)"
    recorder = Recorder(manager)
    transfer_id = manager.submit(folder_request(info, TransferKind.EXTRACT, resolve_conflict(destination, ConflictPolicy.OVERWRITE)))
    done = recorder.wait_final(transfer_id)[transfer_id]
    assert done.state is TransferState.DONE, done.error
    assert sizes_under(destination) == {f.relative_path: f.size for f in info.files}
    assert [p.name for p in tmp_path.iterdir()] == [info.name]


# -- the queue ---------------------------------------------------------------------------


def test_several_at_once_never_more_than_max_parallel(client, dioptra, tmp_path):
    manager = TransferManager(client, max_parallel=2)
    recorder = Recorder(manager)
    running_now: set[int] = set()
    peak = [0]
    started: list[int] = []
    lock = threading.Lock()

    def watch(transfer: Transfer) -> None:
        with lock:
            if transfer.state is TransferState.RUNNING:
                if transfer.id not in running_now:
                    started.append(transfer.id)
                running_now.add(transfer.id)
            else:
                running_now.discard(transfer.id)
            peak[0] = max(peak[0], len(running_now))

    manager.subscribe(watch)
    try:
        big = big_file(dioptra.manifest)
        folder = nested_directory(dioptra.manifest)
        requests = [file_request(big, tmp_path / f"copy {i}.bin") for i in range(4)]
        requests.append(folder_request(folder, TransferKind.EXTRACT, tmp_path / folder.name))
        requests.append(folder_request(folder, TransferKind.ZIP, tmp_path / f"{folder.name}.zip"))
        ids = [manager.submit(r) for r in requests]
        queued_at_once = [t.state for t in manager.transfers()]
        finals = recorder.wait_final(*ids)
    finally:
        manager.shutdown()

    assert queued_at_once.count(TransferState.RUNNING) <= 2
    assert all(t.state is TransferState.DONE for t in finals.values()), [t.error for t in finals.values()]
    assert peak[0] == 2, "two transfers should run side by side, never more"
    assert started == ids, "the queue starts transfers in submission order"
    assert [t.id for t in manager.transfers()] == ids
    assert all((tmp_path / f"copy {i}.bin").stat().st_size == big.size for i in range(4))


def test_max_parallel_can_change_while_transfers_wait(client, dioptra, tmp_path):
    with FaultProxy(dioptra.url, hold_after=MIB) as proxy:
        with connect(proxy.url) as slow:
            slow.auth.login(dioptra.manifest.demo.username, dioptra.manifest.demo.password)
            manager = TransferManager(slow, max_parallel=1)
            recorder = Recorder(manager)
            info = big_file(dioptra.manifest)
            first = manager.submit(file_request(info, tmp_path / "a.bin"))
            second = manager.submit(file_request(info, tmp_path / "b.bin"))
            assert proxy.holding.wait(WAIT)
            assert manager.get(second).state is TransferState.QUEUED
            manager.max_parallel = 2
            assert manager.max_parallel == 2
            recorder.wait_until(lambda _: manager.get(second).state is not TransferState.QUEUED, "the second to start")
            proxy.release()
            finals = recorder.wait_final(first, second)
            manager.shutdown()
    assert all(t.state is TransferState.DONE for t in finals.values()), [t.error for t in finals.values()]
    with pytest.raises(ValueError):
        manager.max_parallel = 0


def test_remove_and_clear_finished(manager, dioptra, tmp_path):
    info = next(a for a in dioptra.manifest.artifacts if not a.is_dir and a.size == 0)
    recorder = Recorder(manager)
    ids = [manager.submit(file_request(info, tmp_path / f"{i}.txt")) for i in range(3)]
    recorder.wait_final(*ids)
    manager.remove(ids[0])
    assert [t.id for t in manager.transfers()] == ids[1:]
    with pytest.raises(KeyError):
        manager.get(ids[0])
    manager.clear_finished()
    assert manager.transfers() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.txt", "1.txt", "2.txt"]  # files stay


# -- cancel, faults, retry ----------------------------------------------------------------


@contextmanager
def through_proxy(dioptra, **faults) -> Iterator[tuple[FaultProxy, TransferManager, Recorder]]:
    """A manager whose client talks to the server through a :class:`FaultProxy`."""
    with FaultProxy(dioptra.url, **faults) as proxy, connect(proxy.url) as client:
        client.auth.login(dioptra.manifest.demo.username, dioptra.manifest.demo.password)
        manager = TransferManager(client, max_parallel=2)
        try:
            yield proxy, manager, Recorder(manager)
        finally:
            proxy.release()
            manager.shutdown()


def test_cancel_mid_way_leaves_nothing(dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    destination = tmp_path / info.name
    # The api reports progress per MiB it has written, so hold after a few of them.
    with through_proxy(dioptra, hold_after=3 * MIB) as (proxy, manager, recorder):
        transfer_id = manager.submit(file_request(info, destination))
        recorder.wait_until(
            lambda events: any(e.id == transfer_id and e.bytes_done > 0 for e in events), "bytes to arrive"
        )
        assert proxy.holding.wait(WAIT)
        assert manager.get(transfer_id).state is TransferState.RUNNING
        manager.cancel(transfer_id)
        cancelled = recorder.wait_final(transfer_id)[transfer_id]
        assert cancelled.state is TransferState.CANCELLED and cancelled.error is None
        assert list(tmp_path.iterdir()) == []
        manager.cancel(transfer_id)  # a finished transfer stays as it is
        assert manager.get(transfer_id).state is TransferState.CANCELLED


def test_cancelling_a_folder_download_leaves_no_folder(dioptra, tmp_path):
    info = many_files_directory(dioptra.manifest)
    # Inside the archive (tens of KiB): the server has answered, the body is on its way.
    with through_proxy(dioptra, hold_after=4096) as (proxy, manager, recorder):
        transfer_id = manager.submit(folder_request(info, TransferKind.EXTRACT, tmp_path / info.name))
        assert proxy.holding.wait(WAIT)
        manager.cancel(transfer_id)
        assert recorder.wait_final(transfer_id)[transfer_id].state is TransferState.CANCELLED
        assert list(tmp_path.iterdir()) == []


def test_a_queued_transfer_is_cancelled_at_once(dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    with through_proxy(dioptra, hold_after=MIB) as (proxy, manager, recorder):
        manager.max_parallel = 1
        first = manager.submit(file_request(info, tmp_path / "first.bin"))
        waiting = manager.submit(file_request(info, tmp_path / "waiting.bin"))
        manager.cancel(waiting)
        assert manager.get(waiting).state is TransferState.CANCELLED
        assert recorder.states_of(waiting) == [TransferState.QUEUED, TransferState.CANCELLED]
        proxy.release()
        assert recorder.wait_final(first)[first].state is TransferState.DONE
    assert [p.name for p in tmp_path.iterdir()] == ["first.bin"]


def test_a_dropped_connection_fails_with_a_retry_hint_and_no_partial_file(dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    destination = tmp_path / info.name
    with through_proxy(dioptra, drop_after=2 * MIB) as (proxy, manager, recorder):
        transfer_id = manager.submit(file_request(info, destination))
        failed = recorder.wait_final(transfer_id)[transfer_id]
        assert proxy.dropped.is_set()
    assert failed.state is TransferState.FAILED
    assert "connection" in failed.error.lower() and "Retry" in failed.error
    assert 0 < failed.bytes_done < info.size
    assert list(tmp_path.iterdir()) == []


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` refuse new files, for real, also when the tests run as root.

    root ignores permission bits, so there the folder is made immutable (``chattr +i``).
    """
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True, capture_output=True)
    else:
        folder.chmod(0o555)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.fail(f"{folder} could not be made read-only on this machine")
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True, capture_output=True)
        else:
            folder.chmod(0o755)


def test_retry_after_a_read_only_folder_becomes_writable(manager, dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    folder = tmp_path / "downloads"
    folder.mkdir()
    recorder = Recorder(manager)
    with read_only(folder):
        transfer_id = manager.submit(file_request(info, folder / info.name))
        failed = recorder.wait_final(transfer_id)[transfer_id]
    assert failed.state is TransferState.FAILED
    assert "Choose another folder" in failed.error and str(folder) in failed.error
    assert list(folder.iterdir()) == []

    manager.retry(transfer_id)
    recorder.wait_until(
        lambda events: sum(1 for e in events if e.id == transfer_id and e.state in FINAL) == 2, "the retry to finish"
    )
    done = manager.get(transfer_id)
    assert done.state is TransferState.DONE and done.error is None
    assert (folder / info.name).stat().st_size == info.size
    assert [t.id for t in manager.transfers()] == [transfer_id]
    with pytest.raises(ValueError, match="only failed or cancelled"):
        manager.retry(transfer_id)


def test_shutdown_interrupts_running_work_without_leftovers(dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    history = TransferHistory(tmp_path / "history" / "transfers.json")
    downloads = tmp_path / "downloads"
    with FaultProxy(dioptra.url, hold_after=MIB) as proxy, connect(proxy.url) as slow:
        slow.auth.login(dioptra.manifest.demo.username, dioptra.manifest.demo.password)
        manager = TransferManager(slow, max_parallel=1, history=history)
        running = manager.submit(file_request(info, downloads / "running.bin"))
        queued = manager.submit(file_request(info, downloads / "queued.bin"))
        assert proxy.holding.wait(WAIT)
        manager.shutdown()
        states = {t.id: (t.state, t.error) for t in manager.transfers()}
        with pytest.raises(RuntimeError):
            manager.submit(file_request(info, downloads / "late.bin"))
    assert states == {running: (TransferState.FAILED, INTERRUPTED), queued: (TransferState.FAILED, INTERRUPTED)}
    assert list(downloads.iterdir()) == []


# -- history across a restart ---------------------------------------------------------------


def test_history_survives_a_restart(client, dioptra, tmp_path):
    path = tmp_path / "data" / "transfers.json"
    info = next(a for a in dioptra.manifest.artifacts if not a.is_dir and a.name.endswith(".csv"))
    folder = nested_directory(dioptra.manifest)
    first = TransferManager(client, history=TransferHistory(path))
    recorder = Recorder(first)
    done_id = first.submit(file_request(info, tmp_path / info.name, link=f"{dioptra.url}/api/v1/artifacts/{info.id}/contents"))
    extract_id = first.submit(folder_request(folder, TransferKind.EXTRACT, tmp_path / folder.name))
    recorder.wait_final(done_id, extract_id)
    before = first.transfers()
    first.shutdown()

    second = TransferManager(client, history=TransferHistory(path))
    after = second.transfers()
    assert [(t.id, t.state, t.result, t.request, t.bytes_done, t.created_at) for t in after] == [
        (t.id, t.state, t.result, t.request, t.bytes_done, t.created_at) for t in before
    ]
    new_id = second.submit(file_request(info, tmp_path / "again.csv"))
    assert new_id > max(done_id, extract_id)
    second.shutdown()


def test_a_transfer_interrupted_by_a_kill_comes_back_failed_and_retries_cleanly(client, dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    path = tmp_path / "transfers.json"
    destination = tmp_path / "downloads" / info.name
    destination.parent.mkdir()
    # What a killed run leaves: a RUNNING entry in the history, and a half .part on disk.
    TransferHistory(path).save([Transfer(id=7, request=file_request(info, destination), state=TransferState.RUNNING, bytes_done=123)])
    part = destination.with_name(destination.name + ".part")
    part.write_bytes(b"half")

    manager = TransferManager(client, history=TransferHistory(path))
    try:
        [restored] = manager.transfers()
        assert (restored.id, restored.state, restored.error) == (7, TransferState.FAILED, INTERRUPTED)
        recorder = Recorder(manager)
        manager.retry(7)
        done = recorder.wait_final(7)[7]
        assert done.state is TransferState.DONE, done.error
        # The killed run's .part was removed (in the background, before the retry wrote anew).
        assert not part.exists()
        assert done.result == destination and destination.stat().st_size == info.size
    finally:
        manager.shutdown()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [row["state"] for row in saved["transfers"]] == ["done"]


def test_a_damaged_history_is_set_aside_with_a_warning(client, tmp_path):
    path = tmp_path / "transfers.json"
    path.write_text('{"version": 1, "transfers": [{"id": "seven"', encoding="utf-8")
    history = TransferHistory(path)
    manager = TransferManager(client, history=history)
    try:
        assert manager.transfers() == []
        assert history.warning and "damaged" in history.warning
        aside = [p for p in tmp_path.iterdir() if p.name.startswith("transfers.json.damaged-")]
        assert len(aside) == 1 and aside[0].read_text(encoding="utf-8").startswith('{"version": 1')
        assert not path.exists()
    finally:
        manager.shutdown()


# -- two writers, and a retry after the place was taken --------------------------------------


def test_a_second_live_transfer_to_the_same_place_is_refused(dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    destination = tmp_path / info.name
    with through_proxy(dioptra, hold_after=MIB) as (proxy, manager, recorder):
        first = manager.submit(file_request(info, destination))
        assert proxy.holding.wait(WAIT)
        # Two writers would replace each other's partial file under one final name.
        with pytest.raises(DestinationBusyError):
            manager.submit(file_request(info, destination))
        proxy.release()
        assert recorder.wait_final(first)[first].state is TransferState.DONE
    assert destination.stat().st_size == info.size


def test_a_retry_keeps_a_file_that_appeared_meanwhile(dioptra, tmp_path):
    info = big_file(dioptra.manifest)
    destination = tmp_path / info.name
    with through_proxy(dioptra, drop_after=MIB) as (proxy, manager, recorder):
        transfer_id = manager.submit(file_request(info, destination))
        assert recorder.wait_final(transfer_id)[transfer_id].state is TransferState.FAILED
        destination.write_bytes(b"another download took this name")
        proxy.drop_after = None
        retried = Recorder(manager)  # only the retry's events
        manager.retry(transfer_id)
        done = retried.wait_final(transfer_id)[transfer_id]
    assert done.state is TransferState.DONE, done.error
    assert destination.read_bytes() == b"another download took this name"
    assert done.result != destination and done.result.stat().st_size == info.size
