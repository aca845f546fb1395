"""The transfer queue's engine: downloads run in threads, at most N at once, with a history on disk.

Pure Python (no Qt): the GUI's queue panel subscribes to a :class:`TransferManager`
and shows what it reports. Every download goes through the api's
``get_contents``, which streams to ``<name>.part``, fsyncs, checks the byte
count against ``fileSize`` and only then renames, so a cancel, a failure or a
killed program never leaves a file under the final name.

Names on disk, per kind of request (``D`` is ``request.destination``):

* TAR_GZ / ZIP of a whole directory, under a name ending in that suffix: the
  api writes ``D.part`` and renames it to ``D``.
* Any FILE, TAR_GZ / ZIP of a sub-folder, and any other name: the server
  decides at answer time what it sends (a file's Content-Disposition may name
  another extension than its URI; a sub-path comes back raw or archived), so
  the download lands in a private folder ``D.part/`` first, is checked, and is
  moved to ``D``. No neighbour of ``D`` is ever touched.
* EXTRACT: the tar.gz lands in ``D.part/``, is unpacked there
  (:func:`extract_safely`), checked against the listing
  (:func:`verify_against_listing`), and the folder is renamed to ``D``; the
  archive goes away with ``D.part/``.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import platformdirs

from artifact_browser.api.artifacts import FileTypes
from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.api.download import PART_SUFFIX, file_suffix
from artifact_browser.api.errors import (
    ApiError,
    AuthenticationError,
    IntegrityError,
    NotFoundError,
    ServerError,
    ServerUnreachableError,
    TLSVerificationError,
)
from artifact_browser.core.archive import UnsafeArchiveError, extract_safely, verify_against_listing
from artifact_browser.core.filenames import numbered_path
from artifact_browser.core.json_files import free_name_beside, write_json_atomically

if TYPE_CHECKING:
    from artifact_browser.api.client import DioptraClient
    from artifact_browser.api.models import Artifact

log = logging.getLogger(__name__)

APP_NAME = "artifact-browser"
HISTORY_FILE = "transfers.json"
HISTORY_VERSION = 1
INTERRUPTED = "Interrupted when the program closed. Retry to download it again."
# Speed is averaged over this many seconds, so one slow chunk does not make the ETA jump.
SPEED_WINDOW = 3.0
# Progress reaches subscribers at most this often per transfer (a GUI repaints no faster).
PROGRESS_INTERVAL = 0.1
# How many problems an integrity message names before it summarises the rest.
_PROBLEMS_SHOWN = 5


class TransferState(StrEnum):
    """Where a transfer is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_STATES = frozenset({TransferState.DONE, TransferState.FAILED, TransferState.CANCELLED})


class TransferKind(StrEnum):
    """What a transfer writes.

    FILE: a single-file artifact, or a file inside a directory, saved as is.
    TAR_GZ / ZIP: a directory (or a folder inside it) as one archive.
    EXTRACT: a directory (or a folder inside it) as a folder: the tar.gz is
    unpacked safely, checked against the listing, and removed.
    """

    FILE = "file"
    TAR_GZ = "tar_gz"
    ZIP = "zip"
    EXTRACT = "extract"


@dataclass(frozen=True)
class TransferRequest:
    """What to download and where, already decided (conflicts resolved) by the caller.

    Attributes:
        artifact_id: The artifact.
        name: What the user sees in the queue.
        kind: How it is written (see :class:`TransferKind`).
        destination: The final file, or the final folder for EXTRACT.
        artifact_path: A file or folder inside a directory artifact, as ``/files`` lists it.
        snapshot_id: A snapshot of the artifact other than the latest, if any.
        expected_size: ``fileSize`` of a file, or the listing's total for a folder
            (an estimate of an archive's size: compression changes it).
        expected_files: ``(relative path, size)`` of each file, relative to the
            downloaded folder's root; EXTRACT checks the unpacked folder against it.
        link: The full download URL, for "Copy link".
    """

    artifact_id: int
    name: str
    kind: TransferKind
    destination: Path
    artifact_path: str | None = None
    snapshot_id: int | None = None
    expected_size: int | None = None
    expected_files: tuple[tuple[str, int], ...] = ()
    link: str = ""


@dataclass(frozen=True)
class Transfer:
    """A snapshot of one transfer, as subscribers and the queue panel see it.

    Attributes:
        id: Stable for the transfer's life, also across a retry and a restart.
        request: What was asked for.
        state: Where it is.
        bytes_done: Bytes received so far (of the archive, for folders).
        total: Bytes expected, or None when unknown. For an archive it is the
            listing's total until the download passes it, then None (an
            estimate is never shown above 100 %); a finished transfer has
            ``total == bytes_done``.
        speed: Bytes per second over the last ~3 s, while running.
        eta: Seconds left, when the total and the speed are known.
        error: For FAILED: what happened and what the user can do.
        result: For DONE: the file or folder written.
        created_at: When it was submitted (``time.time()``).
        finished_at: When it reached DONE, FAILED or CANCELLED.
    """

    id: int
    request: TransferRequest
    state: TransferState
    bytes_done: int = 0
    total: int | None = None
    speed: float | None = None
    eta: float | None = None
    error: str | None = None
    result: Path | None = None
    # A default, because a dataclass field without one cannot follow fields with one.
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


# -- history ------------------------------------------------------------------------------


def default_history_path() -> Path:
    """``transfers.json`` in the platform's data folder for this program."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / HISTORY_FILE


class TransferHistory:
    """The list of transfers, kept in a JSON file across restarts.

    Args:
        path: The file; :func:`default_history_path` when None.

    Attributes:
        warning: After :meth:`load`, a message for the user when the file
            could not be used (it was set aside), else None.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self.warning: str | None = None
        self.crashed_while_running: set[int] = set()

    def load(self) -> list[Transfer]:
        """The transfers of the previous run, in submission order.

        Transfers that were QUEUED or RUNNING when that run ended come back as
        FAILED with :data:`INTERRUPTED`; the ids of the RUNNING ones (which may
        have left a partial file) are in :attr:`crashed_while_running`. A file
        that cannot be parsed is renamed
        to ``<name>.damaged-<timestamp>`` and ``[]`` is returned, with
        :attr:`warning` set; it never raises for a bad file.
        """
        self.warning = None
        self.crashed_while_running = set()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                return self._set_aside(exc)
            self.warning = f"The transfer history {self.path} could not be read ({exc}); the list starts empty."
            log.warning("%s", self.warning)
            return []
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
                raise ValueError(f"unknown history format (version {data.get('version') if isinstance(data, dict) else None!r})")
            rows = data["transfers"]
            if not isinstance(rows, list):
                raise ValueError("'transfers' is not a list")
            transfers = [_transfer_from_json(row) for row in rows]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return self._set_aside(exc)
        now = time.time()
        self.crashed_while_running = {t.id for t in transfers if t.state is TransferState.RUNNING}
        return [
            replace(t, state=TransferState.FAILED, error=INTERRUPTED, bytes_done=0, finished_at=now)
            if t.state in (TransferState.QUEUED, TransferState.RUNNING)
            else t
            for t in transfers
        ]

    def save(self, transfers: Iterable[Transfer]) -> None:
        """Write the list atomically (a temporary file, fsynced, then renamed over the old one).

        Raises:
            OSError: the file could not be written.
        """
        data = {"version": HISTORY_VERSION, "transfers": [_transfer_to_json(t) for t in transfers]}
        write_json_atomically(self.path, data)

    def _set_aside(self, reason: Exception) -> list[Transfer]:
        damaged = free_name_beside(self.path, "damaged-" + time.strftime("%Y%m%d-%H%M%S"))
        try:
            os.replace(self.path, damaged)
        except OSError as exc:
            self.warning = f"The transfer history {self.path} is damaged ({reason}) and could not be set aside ({exc}); the list starts empty."
        else:
            self.warning = (
                f"The transfer history was damaged ({reason}). It was kept as {damaged.name} "
                "beside the new one, and the list starts empty."
            )
        log.warning("%s", self.warning)
        return []


class _HistoryWriter:
    """Saves the history in its own thread, so no caller (a GUI thread) waits for an fsync.

    Only the newest list is written: changes that arrive while a save runs are
    folded into the next one.
    """

    def __init__(self, history: TransferHistory) -> None:
        self._history = history
        self._condition = threading.Condition()
        self._latest: list[Transfer] | None = None
        self._saving = False
        self._thread: threading.Thread | None = None

    def save_later(self, transfers: list[Transfer]) -> None:
        with self._condition:
            self._latest = transfers
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="transfer-history", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the newest list handed over is on disk; False if ``timeout`` passed first."""
        with self._condition:
            return self._condition.wait_for(lambda: self._latest is None and not self._saving, timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._latest is not None)
                transfers, self._latest = self._latest, None
                self._saving = True
            try:
                self._history.save(transfers)
            except OSError as exc:
                log.warning("The transfer history could not be saved to %s: %s", self._history.path, exc)
            except Exception:  # noqa: BLE001 - the writer must outlive any bad row, or closing would wait forever
                log.exception("The transfer history could not be saved to %s", self._history.path)
            finally:
                with self._condition:
                    self._saving = False
                    self._condition.notify_all()


def _transfer_to_json(t: Transfer) -> dict[str, Any]:
    r = t.request
    return {
        "id": t.id,
        "state": t.state.value,
        "bytes_done": t.bytes_done,
        "total": t.total,
        "error": t.error,
        "result": str(t.result) if t.result is not None else None,
        "created_at": t.created_at,
        "finished_at": t.finished_at,
        "request": {
            "artifact_id": r.artifact_id,
            "name": r.name,
            "kind": r.kind.value,
            "destination": str(r.destination),
            "artifact_path": r.artifact_path,
            "snapshot_id": r.snapshot_id,
            "expected_size": r.expected_size,
            "expected_files": [[path, size] for path, size in r.expected_files],
            "link": r.link,
        },
    }


def _transfer_from_json(row: dict[str, Any]) -> Transfer:
    """One transfer from the file; any wrong type raises, and the whole file counts as damaged."""
    r = row["request"]
    request = TransferRequest(
        artifact_id=_int(r["artifact_id"]),
        name=_str(r["name"]),
        kind=TransferKind(r["kind"]),
        destination=Path(_str(r["destination"])),
        artifact_path=_opt(_str, r.get("artifact_path")),
        snapshot_id=_opt(_int, r.get("snapshot_id")),
        expected_size=_opt(_int, r.get("expected_size")),
        expected_files=tuple((_str(path), _int(size)) for path, size in r.get("expected_files", [])),
        link=_str(r.get("link", "")),
    )
    return Transfer(
        id=_int(row["id"]),
        request=request,
        state=TransferState(row["state"]),
        bytes_done=_int(row.get("bytes_done", 0)),
        total=_opt(_int, row.get("total")),
        error=_opt(_str, row.get("error")),
        result=_opt(lambda v: Path(_str(v)), row.get("result")),
        created_at=_float(row["created_at"]),
        finished_at=_opt(_float, row.get("finished_at")),
    )


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, found {value!r}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, found {value!r}")
    return float(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {value!r}")
    return value


def _opt(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


# -- the manager ---------------------------------------------------------------------------


@dataclass
class _Job:
    """The manager's bookkeeping for one transfer (the public part is ``transfer``)."""

    transfer: Transfer
    # Whether the user chose to replace something already there when they asked.
    replaces_existing: bool = False
    token: CancelToken | None = None
    thread: threading.Thread | None = None
    # Bumped each time the transfer starts, so a worker of an earlier attempt cannot report.
    generation: int = 0
    samples: deque[tuple[float, int]] = field(default_factory=deque)
    last_report: float = 0.0


class DestinationBusyError(ValueError):
    """Another queued or running transfer writes to the same place."""


class TransferManager:
    """Runs downloads in worker threads, at most ``max_parallel`` at once, in submission order.

    Subscribers are called from worker threads (and from the thread that
    called a method such as :meth:`submit` or :meth:`cancel`) on every state
    change, and at most ~10 times a second per transfer for progress.
    Callbacks are delivered one at a time, in the order the changes happened;
    they must not block (a GUI re-emits them as queued signals).

    Args:
        client: A signed-in client; its session is shared by all downloads.
        max_parallel: How many transfers may run at once (at least 1).
        history: Where the list is kept across restarts; loaded now and saved
            in a background thread after every state change (never in the
            caller's thread). None keeps nothing.
    """

    def __init__(self, client: DioptraClient, *, max_parallel: int = 2, history: TransferHistory | None = None) -> None:
        self._client = client
        self._max_parallel = _checked_parallel(max_parallel)
        self._history_writer = _HistoryWriter(history) if history is not None else None
        self._lock = threading.Lock()
        # Delivery runs in whichever thread holds this; re-entrant so a callback may call the manager.
        self._delivering = threading.RLock()
        self._jobs: dict[int, _Job] = {}
        self._pending: deque[Transfer] = deque()
        self._dirty = False
        self._subscribers: list[Callable[[Transfer], None]] = []
        self._closed = False
        self._next_id = 1
        # Live worker threads, including ones past their final state that still deliver or save.
        self._workers: set[threading.Thread] = set()
        self._leftovers_removed: threading.Thread | None = None
        if history is not None:
            for transfer in history.load():
                self._jobs[transfer.id] = _Job(transfer)
            self._next_id = max(self._jobs, default=0) + 1
            # Only a transfer that was RUNNING when the program died wrote a .part (or a
            # staging folder); it is removed once, now, and a folder may take a while.
            # Later starts see the row as FAILED and leave that name alone: it may be
            # another program's by then.
            crashed = [self._jobs[i].transfer.request.destination for i in history.crashed_while_running]
            if self._jobs and self._history_writer is not None:
                # On disk at once as loaded (interrupted rows as FAILED), so the next start
                # does not take them for running ones again.
                self._history_writer.save_later([job.transfer for job in self._jobs.values()])
            if crashed:
                self._leftovers_removed = threading.Thread(
                    target=lambda: [_remove_leftovers(d) for d in crashed], name="transfer-leftovers", daemon=True
                )
                self._leftovers_removed.start()

    # -- the public interface --------------------------------------------------------

    def submit(self, request: TransferRequest) -> int:
        """Queue a download; it starts as soon as fewer than ``max_parallel`` run.

        Returns:
            The transfer's id.

        Raises:
            DestinationBusyError: another queued or running transfer writes there
                (two writers would replace each other's partial file).
            RuntimeError: the manager was shut down.
        """
        if not isinstance(request, TransferRequest):
            raise TypeError(f"submit() takes a TransferRequest, not {type(request).__name__}")
        with self._lock:
            if self._closed:
                raise RuntimeError("The transfer manager was shut down.")
            self._check_destination_free(request.destination)
            transfer_id = self._next_id
            self._next_id += 1
            transfer = Transfer(
                id=transfer_id, request=request, state=TransferState.QUEUED, total=request.expected_size, created_at=time.time()
            )
            self._jobs[transfer_id] = _Job(transfer, replaces_existing=request.destination.exists())
            self._changed(transfer)
            self._start_queued()
        self._deliver()
        return transfer_id

    def cancel(self, transfer_id: int) -> None:
        """Cancel a queued or running transfer (nothing is kept); finished ones are left alone.

        A running transfer reports CANCELLED once its partial file is removed.

        Raises:
            KeyError: no transfer has this id.
        """
        token = None
        with self._lock:
            job = self._job(transfer_id)
            state = job.transfer.state
            if state is TransferState.QUEUED:
                self._finish(job, TransferState.CANCELLED)
            elif state is TransferState.RUNNING:
                token = job.token
        if token is not None:
            # Outside the lock: cancelling aborts the socket through the token's callbacks.
            token.cancel()
        self._deliver()

    def retry(self, transfer_id: int) -> None:
        """Queue a FAILED or CANCELLED transfer again, same id, from byte 0.

        Failed and cancelled attempts removed their ``.part`` themselves, and a
        killed run's was removed when the manager started.
        If something appeared at the destination since the transfer was asked for
        (and the user had not chosen to replace what was there), the retry keeps
        both: it writes to a numbered name instead.

        Raises:
            KeyError: no transfer has this id.
            ValueError: the transfer is queued, running or done.
            DestinationBusyError: another queued or running transfer writes there.
            RuntimeError: the manager was shut down.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("The transfer manager was shut down.")
            job = self._job(transfer_id)
            if job.transfer.state not in (TransferState.FAILED, TransferState.CANCELLED):
                raise ValueError(f"Transfer {transfer_id} is {job.transfer.state.value}; only failed or cancelled ones can be retried.")
            request = job.transfer.request
            self._check_destination_free(request.destination, ignore=transfer_id)
            job.transfer = replace(
                job.transfer,
                request=request,
                state=TransferState.QUEUED,
                bytes_done=0,
                total=job.transfer.request.expected_size,
                speed=None,
                eta=None,
                error=None,
                result=None,
                finished_at=None,
            )
            self._changed(job.transfer)
            self._start_queued()
        self._deliver()

    def _check_destination_free(self, destination: Path, ignore: int | None = None) -> None:
        """Raise if another live transfer writes to ``destination`` (call with the lock held)."""
        for job in self._jobs.values():
            live = job.transfer.state in (TransferState.QUEUED, TransferState.RUNNING)
            if live and job.transfer.id != ignore and job.transfer.request.destination == destination:
                raise DestinationBusyError(
                    f"{destination} is already being downloaded; wait for that transfer or choose another name."
                )

    def remove(self, transfer_id: int) -> None:
        """Forget a transfer that is not running (its downloaded file stays on disk).

        Raises:
            KeyError: no transfer has this id.
            ValueError: it is running: cancel it first.
        """
        with self._lock:
            job = self._job(transfer_id)
            if job.transfer.state is TransferState.RUNNING:
                raise ValueError(f"Transfer {transfer_id} is running; cancel it before removing it.")
            del self._jobs[transfer_id]
            self._dirty = True
        self._deliver()

    def clear_finished(self) -> None:
        """Forget every DONE, FAILED and CANCELLED transfer (files on disk stay)."""
        with self._lock:
            for transfer_id in [i for i, job in self._jobs.items() if job.transfer.finished]:
                del self._jobs[transfer_id]
            self._dirty = True
        self._deliver()

    def transfers(self) -> list[Transfer]:
        """Every transfer, in submission order."""
        with self._lock:
            return [job.transfer for job in self._jobs.values()]

    def get(self, transfer_id: int) -> Transfer:
        """One transfer. Raises KeyError for an unknown id."""
        with self._lock:
            return self._job(transfer_id).transfer

    @property
    def max_parallel(self) -> int:
        """How many transfers may run at once. Lowering it lets running ones finish."""
        return self._max_parallel

    @max_parallel.setter
    def max_parallel(self, value: int) -> None:
        with self._lock:
            self._max_parallel = _checked_parallel(value)
            self._start_queued()
        self._deliver()

    def subscribe(self, callback: Callable[[Transfer], None]) -> Callable[[], None]:
        """Call ``callback(transfer)`` on every change; returns a function that stops the calls."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop: running transfers are cancelled and queued ones not started.

        Both end as FAILED with :data:`INTERRUPTED`, so the next run offers a
        retry. After this, :meth:`submit` and :meth:`retry` raise.

        Args:
            wait: Wait for the worker threads to finish their cleanup and for
                the history to be on disk.
            timeout: With ``wait``, give up waiting for workers after this many
                seconds (a request stuck on a silent server). What they leave
                is what a killed program leaves: the next run cleans it up.
        """
        with self._lock:
            self._closed = True
            tokens = []
            for job in self._jobs.values():
                if job.transfer.state is TransferState.QUEUED:
                    self._finish(job, TransferState.FAILED, error=INTERRUPTED)
                elif job.transfer.state is TransferState.RUNNING and job.token is not None:
                    tokens.append(job.token)
            threads = list(self._workers)
        for token in tokens:
            token.cancel()
        self._deliver()
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            # Wait for a delivery in flight in another thread, so the history on disk is final.
            with self._delivering:
                self._drain()
            if self._history_writer is not None and not self._history_writer.flush(
                None if deadline is None else max(0.0, deadline - time.monotonic())
            ):
                log.warning("The transfer history was still being saved when the program stopped waiting")

    # -- internals (self._lock held where noted) ---------------------------------------

    def _job(self, transfer_id: int) -> _Job:
        try:
            return self._jobs[transfer_id]
        except KeyError:
            raise KeyError(f"No transfer with id {transfer_id}.") from None

    def _changed(self, transfer: Transfer) -> None:
        """(lock held) Queue a state change for the subscribers and the history file."""
        self._pending.append(transfer)
        self._dirty = True

    def _finish(self, job: _Job, state: TransferState, *, error: str | None = None, result: Path | None = None) -> None:
        """(lock held) Move a job to a final state."""
        transfer = job.transfer
        total = transfer.bytes_done if state is TransferState.DONE else transfer.total
        job.transfer = replace(
            transfer, state=state, error=error, result=result, speed=None, eta=None, total=total, finished_at=time.time()
        )
        job.token = None
        job.thread = None
        self._changed(job.transfer)

    def _start_queued(self) -> None:
        """(lock held) Start queued transfers, oldest first, while there is room."""
        if self._closed:
            return
        running = sum(1 for job in self._jobs.values() if job.transfer.state is TransferState.RUNNING)
        for job in self._jobs.values():
            if running >= self._max_parallel:
                break
            if job.transfer.state is not TransferState.QUEUED:
                continue
            request = job.transfer.request
            if not job.replaces_existing and (request.destination.exists() or request.destination.is_symlink()):
                # Something appeared there while it waited (the user had not chosen to
                # replace anything): keep both, as a retry does.
                request = replace(request, destination=numbered_path(request.destination))
            job.generation += 1
            job.token = CancelToken()
            job.samples.clear()
            job.last_report = 0.0
            job.transfer = replace(
                job.transfer, request=request, state=TransferState.RUNNING, bytes_done=0, speed=None, eta=None, error=None
            )
            self._changed(job.transfer)
            job.thread = threading.Thread(
                target=self._work,
                args=(job.transfer.id, job.generation, job.token, job.transfer.request),
                name=f"transfer-{job.transfer.id}",
                daemon=True,
            )
            self._workers.add(job.thread)
            job.thread.start()
            running += 1

    def _work(self, transfer_id: int, generation: int, token: CancelToken, request: TransferRequest) -> None:
        """A worker thread: run one download and record how it ended."""
        state, error, result = TransferState.DONE, None, None
        if self._leftovers_removed is not None:
            self._leftovers_removed.join()  # a killed run's .part must be gone before a retry writes one
        try:
            result = _run(self._client, request, lambda done, total: self._progress(transfer_id, generation, done, total), token)
        except DownloadCancelled:
            state = TransferState.CANCELLED
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message on the transfer's row
            if token.cancelled:
                # The abort of the socket surfaces as whatever the read was doing.
                state = TransferState.CANCELLED
            else:
                state, error = TransferState.FAILED, describe_error(exc, request)
                log.warning("Transfer %d (%s) failed: %s", transfer_id, request.name, exc, exc_info=not isinstance(exc, ApiError | OSError))
        with self._lock:
            job = self._jobs.get(transfer_id)
            if job is not None and job.generation == generation:
                if state is TransferState.CANCELLED and self._closed:
                    state, error = TransferState.FAILED, INTERRUPTED
                self._finish(job, state, error=error, result=result)
                self._start_queued()
        try:
            self._deliver()
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())

    def _progress(self, transfer_id: int, generation: int, done: int, known_total: int | None = None) -> None:
        """Called by the api after each write: update the numbers, report now and then."""
        now = time.monotonic()
        with self._lock:
            job = self._jobs.get(transfer_id)
            if job is None or job.generation != generation or job.transfer.state is not TransferState.RUNNING:
                return
            samples = job.samples
            if not samples or now - samples[-1][0] >= 0.05:
                samples.append((now, done))
            while len(samples) > 2 and now - samples[1][0] >= SPEED_WINDOW:
                samples.popleft()
            speed = job.transfer.speed
            elapsed = now - samples[0][0]
            if elapsed >= 0.2:
                speed = (done - samples[0][1]) / elapsed
            # The request's size first; else the api's (a file's fileSize, which it knows).
            expected = job.transfer.request.expected_size
            if expected is None:
                expected = known_total
            total = expected if expected is not None and done <= expected else None
            eta = (total - done) / speed if total is not None and speed else None
            job.transfer = replace(job.transfer, bytes_done=done, total=total, speed=speed, eta=eta)
            if now - job.last_report < PROGRESS_INTERVAL:
                return
            job.last_report = now
            self._pending.append(job.transfer)
        self._deliver()

    def _deliver(self) -> None:
        """Hand queued changes to the subscribers in order, then save the history once.

        Never blocks on another thread's delivery: whoever holds the delivery lock
        drains the queue, and looks again after letting go, so nothing is stranded.
        """
        while True:
            if not self._delivering.acquire(blocking=False):
                return
            try:
                self._drain()
            finally:
                self._delivering.release()
            with self._lock:
                if not self._pending:
                    return

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    snapshot = [job.transfer for job in self._jobs.values()] if self._dirty else None
                    self._dirty = False
                    break
                transfer = self._pending.popleft()
                subscribers = list(self._subscribers)
            for callback in subscribers:
                try:
                    callback(transfer)
                except Exception:  # noqa: BLE001 - one broken subscriber must not stop the downloads
                    log.exception("A transfer subscriber failed")
        if snapshot is not None and self._history_writer is not None:
            self._history_writer.save_later(snapshot)


def _checked_parallel(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_parallel must be a whole number of at least 1, not {value!r}")
    return value


# -- one download --------------------------------------------------------------------------


class TransferError(Exception):
    """A failure whose message is already written for the user."""


def part_path(destination: Path) -> Path:
    """``<destination>.part``: the api's partial file, or this module's staging folder."""
    return destination.with_name(destination.name + PART_SUFFIX)


def _remove_leftovers(destination: Path) -> None:
    """Remove the ``<destination>.part`` (a file or a staging folder) a killed run of ours left.

    Only for a transfer the history says was running: the server cannot resume it.
    """
    part = part_path(destination)
    try:
        if part.is_dir() and not part.is_symlink():
            shutil.rmtree(part)
        elif part.exists() or part.is_symlink():
            part.unlink()
    except OSError as exc:
        log.warning("Could not remove the left-over %s: %s", part, exc)


def _run(client: DioptraClient, request: TransferRequest, progress: Callable[[int, int | None], None], cancel: CancelToken) -> Path:
    """Download ``request`` to its destination; return the destination."""
    destination = request.destination
    part = part_path(destination)
    if part.exists() or part.is_symlink():
        # Ours would have been removed when the attempt that wrote it ended (or at
        # the next start, after a kill): this one belongs to someone else.
        raise TransferError(
            f"{part.name} already exists in {destination.parent} and may be another program's unfinished file, "
            "so it was left alone. Move or delete it, or download under another name, then retry."
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    if request.kind is TransferKind.EXTRACT:
        return _run_extract(client, request, progress, cancel)
    known: Artifact | None = None
    if request.kind is TransferKind.FILE:
        if request.artifact_path is None:
            artifact = (
                client.artifacts.snapshots.get_by_id(request.artifact_id, request.snapshot_id)
                if request.snapshot_id is not None
                else client.artifacts.get_by_id(request.artifact_id)
            )
            suffix, file_type = file_suffix(artifact.name), None
            known = artifact
            if artifact.is_dir:
                raise TransferError(f"{request.name} is a folder: download it as tar.gz, zip or extracted.")
        else:
            suffix, file_type = file_suffix(PurePosixPath(request.artifact_path).name), None
    else:
        file_type = FileTypes.ZIP if request.kind is TransferKind.ZIP else FileTypes.TAR_GZ
        suffix = file_type.suffix
    stem = _stem_for(destination.name, suffix)
    if file_type is not None and request.artifact_path is None and stem is not None:
        # A whole directory as an archive: the api writes <destination>.part, checks, renames.
        return _get_contents(client, request, file_type, destination.parent, stem, progress, cancel)
    # A file's name on disk follows the server's answer (its Content-Disposition may
    # name another extension than the URI), so it lands in a private folder first
    # and no neighbour of the destination is ever written.
    return _run_staged(client, request, file_type, suffix, progress, cancel, known)


def _run_staged(
    client: DioptraClient,
    request: TransferRequest,
    file_type: FileTypes | None,
    suffix: str,
    progress: Callable[[int, int | None], None],
    cancel: CancelToken,
    known: Artifact | None = None,
) -> Path:
    """Download into ``<destination>.part/``, check what came back, then move it into place."""
    destination = request.destination
    staging = part_path(destination)
    staging.mkdir()
    try:
        got = _get_contents(client, request, file_type, staging, "download", progress, cancel, known)
        if request.artifact_path is not None and got.name != "download" + suffix:
            # A sub-path is answered raw for a file and archived for a folder.
            if request.kind is TransferKind.FILE:
                raise TransferError(f"{request.artifact_path} is a folder, not a file: download it as tar.gz, zip or extracted.")
            raise TransferError(f"{request.artifact_path} is a single file, not a folder: download it as a file.")
        if request.kind is TransferKind.FILE and request.expected_size is not None:
            received = got.stat().st_size
            if received != request.expected_size:
                raise IntegrityError(
                    f"{destination.name}: received {received:,} bytes but the server lists "
                    f"{request.expected_size:,}. The file was not kept; retry."
                )
        if cancel.cancelled:
            raise DownloadCancelled(f"Download of {destination.name} cancelled.")
        os.replace(got, destination)
        return destination
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _run_extract(
    client: DioptraClient, request: TransferRequest, progress: Callable[[int, int | None], None], cancel: CancelToken
) -> Path:
    """tar.gz into ``<destination>.part/``, unpack, verify, rename the folder into place."""
    destination = request.destination
    staging = part_path(destination)
    staging.mkdir()
    try:
        archive = _get_contents(client, request, FileTypes.TAR_GZ, staging, "archive", progress, cancel)
        if archive.name != "archive.tar.gz":
            raise TransferError(f"{request.artifact_path} is a single file, not a folder: download it as a file.")
        unpacked = staging / "contents"
        extract_safely(archive, unpacked, cancel=cancel)
        # Free the archive's space before the folder is moved (they may be large).
        archive.unlink()
        root = _archive_root(unpacked)
        problems = verify_against_listing(root, request.expected_files)
        if problems:
            raise TransferError(_integrity_message(request, problems))
        if cancel.cancelled:
            raise DownloadCancelled(f"Download of {destination.name} cancelled.")
        _move_into_place(root, destination, staging)
        return destination
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _get_contents(
    client: DioptraClient,
    request: TransferRequest,
    file_type: FileTypes | None,
    output_dir: Path,
    file_stem: str,
    progress: Callable[[int, int | None], None],
    cancel: CancelToken,
    artifact: Artifact | None = None,
) -> Path:
    if request.snapshot_id is not None:
        return client.artifacts.snapshots.get_contents(
            request.artifact_id, request.snapshot_id, file_type, request.artifact_path, output_dir, file_stem,
            progress=progress, cancel=cancel,
        )
    # An Artifact already fetched saves the api a second look-up.
    return client.artifacts.get_contents(
        artifact or request.artifact_id, file_type, request.artifact_path, output_dir, file_stem, progress=progress, cancel=cancel
    )


def _stem_for(name: str, suffix: str) -> str | None:
    """The ``file_stem`` that makes the api write ``name``, or None if its suffix cannot."""
    if not suffix:
        return name
    if name.endswith(suffix) and len(name) > len(suffix):
        return name[: -len(suffix)]
    return None


def _archive_root(unpacked: Path) -> Path:
    """The folder the listing describes: the server puts everything under one folder of its name."""
    entries = list(unpacked.iterdir()) if unpacked.is_dir() else []
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return unpacked


def _move_into_place(root: Path, destination: Path, staging: Path) -> None:
    """Rename the unpacked folder to ``destination``, replacing what is there (the caller chose to)."""
    previous = None
    if destination.exists() or destination.is_symlink():
        # Kept in the staging folder until the new one is in place, removed with it afterwards.
        previous = staging / "previous"
        os.replace(destination, previous)
    try:
        os.replace(root, destination)
    except OSError:
        if previous is not None:
            os.replace(previous, destination)
        raise


def _integrity_message(request: TransferRequest, problems: list[str]) -> str:
    shown = "; ".join(problems[:_PROBLEMS_SHOWN])
    more = f"; and {len(problems) - _PROBLEMS_SHOWN} more" if len(problems) > _PROBLEMS_SHOWN else ""
    return (
        f"The unpacked folder does not match the server's listing of {request.name} "
        f"({len(problems)} problem{'s' if len(problems) != 1 else ''}: {shown}{more}). Nothing was kept; retry."
    )


def describe_error(exc: BaseException, request: TransferRequest) -> str:
    """What happened and what the user can do about it, for a transfer's row.

    Args:
        exc: The exception the download raised.
        request: The transfer's request (names the folder and the file).
    """
    folder = request.destination.parent
    name = request.destination.name
    if isinstance(exc, TransferError):
        return str(exc)
    if isinstance(exc, UnsafeArchiveError):
        return f"The archive from the server was refused: {exc.member!r} {exc.reason}. Nothing was kept."
    if isinstance(exc, OSError):
        code = exc.errno
        reason = exc.strerror or str(exc)
        if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return f"Not enough free space in {folder}. Free some space, then retry, or choose another folder."
        if code in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"Cannot write to {folder} ({reason}). Choose another folder, or make this one writable, then retry."
        if code == errno.ENAMETOOLONG:
            return f"The name {name!r} is too long for this file system. Choose a shorter name."
        if code in (errno.ENOENT, errno.ENOTDIR):
            return f"The folder {folder} is not available ({reason}). Choose another folder."
        if code in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
            return f"{request.destination} is in the way ({reason}). Choose another name or folder."
        return f"Could not write {name} in {folder} ({reason}). Retry, or choose another folder."
    if isinstance(exc, TLSVerificationError):
        return f"{exc.message} Check the server's certificate settings, then retry."
    if isinstance(exc, ServerUnreachableError):
        return f"The connection to the server was lost: {exc.message} Nothing was kept. Retry to download it again."
    if isinstance(exc, IntegrityError):
        return exc.message
    if isinstance(exc, AuthenticationError):
        return "The server no longer accepts this session. Sign in again, then retry."
    if isinstance(exc, NotFoundError):
        return f"Artifact {request.artifact_id} (or this snapshot of it) no longer exists on the server."
    if isinstance(exc, ServerError):
        return f"The server failed to send {request.name}: {exc}. Retry later; if it keeps failing, the server cannot serve it."
    if isinstance(exc, ApiError):
        return f"The server refused the download: {exc}."
    if isinstance(exc, ValueError):
        return f"The download could not start: {exc}"
    return f"Unexpected error: {type(exc).__name__}: {exc}. Retry; if it keeps happening, report it with the log."
