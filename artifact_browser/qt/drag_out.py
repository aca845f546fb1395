"""Drag artifacts, and files or folders of a directory artifact, out of the window.

A file manager (or the desktop) can only take ``file://`` URLs of files that
exist, so the data has to be on disk before the drop lands. A drag here goes
like this:

1. It starts when the pointer, pressed on a selected row, moves far enough.
   Every dragged item that is not on disk yet from this session is submitted
   to the :class:`~artifact_browser.core.transfers.TransferManager` at once,
   into a private staging folder, so the transfer panel shows its progress.
   Items already downloaded in this session (by the download dialog or by an
   earlier drag) are used where they are: they drag instantly.
2. The drag advertises ``text/uri-list`` but produces the list only when the
   drop target asks for it. With XDND (X11) the target asks at the drop (some
   file managers ask when the pointer first enters them); the source then
   waits, a little less than targets wait for an answer, for the downloads
   still running, and hands over the URLs of the complete files and folders
   only: never a ``.part``, never a failed or cancelled download.
3. What was not complete by then stays in the transfer panel and is left out
   of the drop; the status line says so, and the next drag of it is instant.

Folders (a directory artifact or a folder in one) are downloaded as tar.gz,
unpacked and checked against the listing (``TransferKind.EXTRACT``), so a drop
gives a real folder. Only the copy action is offered: a file manager must copy
a staged file, never move one out of our cache, nor a file the user downloaded.

Use one :class:`DragOut` per window and :meth:`DragOut.enable` each view.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QEventLoop,
    QMetaType,
    QMimeData,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QDrag, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QStyle, QWidget

from artifact_browser.api import ApiError, Artifact, DioptraClient
from artifact_browser.core.file_tree import ROOT, FileTree, files_below
from artifact_browser.core.filenames import safe_file_name
from artifact_browser.core.transfers import (
    APP_NAME,
    DestinationBusyError,
    Transfer,
    TransferKind,
    TransferManager,
    TransferRequest,
    TransferState,
)
from artifact_browser.qt.download_dialog import download_link, fetch_listings
from artifact_browser.qt.file_tree_model import Role
from artifact_browser.qt.file_tree_view import FileTreeView
from artifact_browser.qt.workers import TaskRunner

log = logging.getLogger(__name__)

URI_LIST = "text/uri-list"

DROP_WAIT_MS = 4_000
"""How long the answer to a drop target's request for the URL list may wait for downloads.

A Qt drop target gives up on the source's answer after 5 s (its X11 selection
timeout) and GTK targets after a similar few seconds; answering a little
earlier with the files that are complete beats answering too late with none.
"""

STAGING_FOLDER = "drag-out"


def default_staging_root() -> Path:
    """``drag-out/`` in the platform's cache folder: staged files may be thrown away at any time."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / STAGING_FOLDER


# -- what a drag carries -------------------------------------------------------------------


@dataclass(frozen=True)
class DragItem:
    """One dragged thing: a whole artifact, or a file or folder inside a directory artifact.

    Attributes:
        artifact: The artifact (the snapshot shown).
        artifact_path: A file or folder inside a directory artifact; None for the whole artifact.
        is_folder: Whether it arrives as a folder (a directory artifact or a folder in one).
        name: The file or folder name it gets on disk (already safe on every system).
        label: What the transfer panel calls it.
        size: A file's size or a folder's total, when known.
        files: For a folder, ``(path relative to the folder, size)`` of every file
            in it, to check the unpacked folder against; None while the listing
            has yet to be fetched (a directory artifact dragged from the table);
            ``()`` for a file.
    """

    artifact: Artifact
    artifact_path: str | None
    is_folder: bool
    name: str
    label: str
    size: int | None = None
    files: tuple[tuple[str, int], ...] | None = ()

    @property
    def snapshot_id(self) -> int | None:
        """The snapshot a transfer asks for: None for the latest, as the download dialog does."""
        return None if self.artifact.latest_snapshot else self.artifact.snapshot_id

    @property
    def kind(self) -> TransferKind:
        """Folders are unpacked into real folders; files come as they are."""
        return TransferKind.EXTRACT if self.is_folder else TransferKind.FILE

    @property
    def key(self) -> tuple[int, int | None, str, bool]:
        """What makes two items the same download."""
        return (self.artifact.id, self.snapshot_id, self.artifact_path or "", self.is_folder)


def artifact_items(artifacts: Iterable[Artifact]) -> list[DragItem]:
    """The drag items of whole artifacts (rows of the artifact table).

    A directory artifact's listing is fetched when its drag starts.
    """
    return [
        DragItem(
            artifact=artifact,
            artifact_path=None,
            is_folder=artifact.is_dir,
            name=safe_file_name(artifact.name, fallback=f"artifact-{artifact.id}"),
            label=artifact.name,
            size=None if artifact.is_dir else artifact.file_size,
            files=None if artifact.is_dir else (),
        )
        for artifact in artifacts
    ]


def tree_items(artifact: Artifact, tree: FileTree, paths: Iterable[str]) -> list[DragItem]:
    """The drag items of files and folders inside a directory artifact.

    A folder brings everything in it, so a path inside another chosen folder is
    left out (it would come twice). The whole tree is used, not a filtered one:
    a dragged folder arrives complete.

    Args:
        artifact: The directory artifact.
        tree: Its whole file tree.
        paths: Relative paths of the chosen entries; unknown paths and the root are ignored.
    """
    nodes = {node for path in paths if (node := tree.find(path)) is not None and node != ROOT}

    def inside_another(node: int) -> bool:
        parent = tree.parent(node)
        while parent > ROOT:
            if parent in nodes:
                return True
            parent = tree.parent(parent)
        return False

    items = []
    for node in sorted(nodes, key=lambda n: tree.path(n).casefold()):
        if inside_another(node):
            continue
        path = tree.path(node)
        is_folder = tree.is_dir(node)
        items.append(
            DragItem(
                artifact=artifact,
                artifact_path=path,
                is_folder=is_folder,
                name=safe_file_name(tree.name(node)),
                label=f"{artifact.name}/{path}",
                size=tree.size(node),
                files=files_below(tree, node) if is_folder else (),
            )
        )
    return items


def file_tree_items(view: FileTreeView) -> list[DragItem]:
    """The drag items of the rows selected in a :class:`FileTreeView` (none while it loads)."""
    artifact, loaded = view.artifact, view.loader.result
    if artifact is None or loaded is None:
        return []
    paths = [index.data(Role.PATH) for index in view.tree.selectionModel().selectedRows(0)]
    return tree_items(artifact, loaded.full, paths)


# -- one drag's downloads ------------------------------------------------------------------


@dataclass
class _Entry:
    """Where one item of a drag stands: on disk, downloading, waiting for its listing, or failed."""

    item: DragItem
    path: Path | None = None
    transfer_id: int | None = None
    listing: bool = False
    error: str | None = None

    @property
    def pending(self) -> bool:
        return self.path is None and self.error is None


@dataclass(frozen=True)
class LeftOut:
    """An item that a drop did not get, and why.

    Attributes:
        item: The item.
        reason: ``"downloading"`` (still running: it stays in the transfer panel)
            or ``"failed"``.
        message: For a failure, what happened.
    """

    item: DragItem
    reason: str
    message: str = ""


class _Drop(QObject):
    """The state of one drag: its entries, the listings it waits for, and the waiting itself.

    It outlives the drag's QMimeData when need be (Qt deletes that with the
    QDrag): the owner keeps it until every entry is settled, so a listing that
    arrives after a cancelled drag still starts its download.
    """

    settled = Signal()

    def __init__(self, owner: DragOut, entries: list[_Entry]) -> None:
        super().__init__()
        self._owner = owner
        self.entries = entries
        self._runner: TaskRunner | None = None
        self._last_message = ""
        # One deadline for every answer to drop targets (time.monotonic()), set by the first
        # request: a target that asks again must not get a fresh full wait each time.
        self._answer_deadline: float | None = None
        self._answering = False

    # -- state ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Bring every entry up to date with the manager."""
        for entry in self.entries:
            if entry.transfer_id is None or not entry.pending:
                continue
            try:
                transfer = self._owner.manager.get(entry.transfer_id)
            except KeyError:
                entry.error = "It was removed from the transfer list before it finished."
                continue
            if transfer.state is TransferState.DONE:
                if transfer.result is not None and _complete(transfer.result, entry.item):
                    entry.path = transfer.result
                else:
                    entry.error = "The downloaded file is no longer there."
            elif transfer.state is TransferState.FAILED:
                entry.error = transfer.error or "The download failed."
            elif transfer.state is TransferState.CANCELLED:
                entry.error = "The download was cancelled."

    @property
    def is_settled(self) -> bool:
        return not any(entry.pending for entry in self.entries)

    def check(self) -> None:
        self.refresh()
        if self.is_settled:
            self.settled.emit()

    def local_files(self) -> list[Path]:
        """The complete files and folders, in drag order."""
        self.refresh()
        return [entry.path for entry in self.entries if entry.path is not None and entry.path.exists()]

    def left_out(self) -> list[LeftOut]:
        self.refresh()
        return [
            LeftOut(entry.item, "failed", entry.error) if entry.error is not None else LeftOut(entry.item, "downloading")
            for entry in self.entries
            if entry.path is None
        ]

    def wait(self, timeout_ms: int) -> bool:
        """Run a local event loop until every entry is settled or ``timeout_ms`` passed.

        Returns:
            Whether everything is settled.
        """
        self.refresh()
        if self.is_settled:
            return True
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        self.settled.connect(loop.quit)
        timer.start(max(0, timeout_ms))
        try:
            loop.exec()
        finally:
            timer.stop()
            self.settled.disconnect(loop.quit)
        return self.is_settled

    def wait_for_answer(self, wait_ms: int) -> None:
        """Wait for the downloads before answering a drop target's request for the URL list.

        The first request starts one deadline of ``wait_ms`` for the whole drag;
        later ones wait only for what is left of it. A request that arrives while
        another is waiting (the nested event loop lets the target's next
        request in) answers at once: waiting inside the first wait would push
        the first answer past the target's own timeout.
        """
        if self._answering:
            return
        now = time.monotonic()
        if self._answer_deadline is None:
            self._answer_deadline = now + max(0, wait_ms) / 1000
        left_ms = int((self._answer_deadline - now) * 1000)
        if left_ms <= 0:
            self.refresh()
            return
        self._answering = True
        try:
            self.wait(left_ms)
        finally:
            self._answering = False

    # -- listings of directory artifacts -------------------------------------------------

    def fetch_listings(self, client: DioptraClient) -> None:
        """Fetch the listings the folder entries wait for, off the GUI thread."""
        waiting = [entry.item.artifact for entry in self.entries if entry.listing]
        if not waiting:
            return
        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._on_listings)
        self._runner.failed.connect(self._on_listing_failed)
        self._runner.start(lambda token: fetch_listings(client, waiting, token))

    def _on_listings(self, trees: dict[int, FileTree]) -> None:
        submitted = 0
        for entry in self.entries:
            if not entry.listing:
                continue
            entry.listing = False
            tree = trees.get(entry.item.artifact.id)
            if tree is None:
                entry.error = "Its files could not be listed."
                continue
            entry.item = replace(entry.item, files=files_below(tree), size=tree.total_size)
            submitted += self._owner._start(entry)
        self._owner._queued(submitted)
        self.check()

    def _on_listing_failed(self, exc: object) -> None:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        if not isinstance(exc, ApiError):
            log.error("Listing files for a drag failed unexpectedly", exc_info=exc if isinstance(exc, BaseException) else None)
        for entry in self.entries:
            if entry.listing:
                entry.listing = False
                entry.error = f"Its files could not be listed: {message}"
        self.check()

    # -- what the user is told -------------------------------------------------------------

    def announce(self) -> None:
        """Tell the user what a drop got (once per change: a target may ask several times)."""
        message = self._report()
        if message != self._last_message:
            self._last_message = message
            self._owner._say(message)

    def _report(self) -> str:
        given = self.local_files()
        left = self.left_out()
        total = len(self.entries)
        if not total:
            return ""
        if not left:
            message = f"Dropped {_count(total)}." if total > 1 else f"Dropped {self.entries[0].item.label}."
        else:
            message = f"Dropped {len(given)} of {_count(total)}."
            running = [x for x in left if x.reason == "downloading"]
            failed = [x for x in left if x.reason == "failed"]
            if running:
                message += (
                    f" {_count(len(running))} {'was' if len(running) == 1 else 'were'} still downloading: "
                    "see Transfers, and drag again once done."
                )
            if failed:
                first = failed[0]
                more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
                message += f" {first.item.label} could not be downloaded{more}: {first.message}"
        return message


def _count(n: int) -> str:
    return f"{n} item{'s' if n != 1 else ''}"


def _complete(path: Path, item: DragItem) -> bool:
    """Whether ``path`` still holds the item as it was downloaded (cheap checks only)."""
    try:
        if item.is_folder:
            return path.is_dir()
        if not path.is_file():
            return False
        return item.size is None or path.stat().st_size == item.size
    except OSError:
        return False


class DragOutMimeData(QMimeData):
    """A drag's data: ``text/uri-list``, produced when the drop target asks for it.

    ``formats()`` names the URL list from the start, so a target sees at once
    that files are coming; :meth:`retrieveData` waits (up to the owner's drop
    wait) for the downloads, then gives the URLs of the complete ones.
    """

    def __init__(self, drop: _Drop, wait_ms: int) -> None:
        super().__init__()
        self._drop = drop
        self._wait_ms = wait_ms

    # -- for the program and its tests ---------------------------------------------------

    @property
    def items(self) -> list[DragItem]:
        return [entry.item for entry in self._drop.entries]

    def transfer_ids(self) -> list[int]:
        """The transfers this drag waits or waited for (none for items already on disk)."""
        return [entry.transfer_id for entry in self._drop.entries if entry.transfer_id is not None]

    def local_files(self) -> list[Path]:
        """The files and folders complete now (no waiting)."""
        return self._drop.local_files()

    def left_out(self) -> list[LeftOut]:
        """The items a drop now would not get, and why."""
        return self._drop.left_out()

    def is_settled(self) -> bool:
        """Whether every item is either complete or failed."""
        self._drop.refresh()
        return self._drop.is_settled

    def wait(self, timeout_ms: int) -> bool:
        """Let the event loop run until every item is settled, at most ``timeout_ms``; whether all are."""
        return self._drop.wait(timeout_ms)

    def twin(self) -> DragOutMimeData:
        """Another QMimeData over the same drag: one for the QDrag, which deletes its own when done."""
        return DragOutMimeData(self._drop, self._wait_ms)

    # -- QMimeData ----------------------------------------------------------------------

    def formats(self) -> list[str]:
        return [URI_LIST]

    def hasFormat(self, mimetype: str) -> bool:  # noqa: N802 - Qt's name
        return mimetype == URI_LIST

    def retrieveData(self, mimetype: str, preferred_type: QMetaType) -> object:  # noqa: N802 - Qt's name
        if mimetype != URI_LIST:
            return None
        # The target is waiting for this answer (on X11, inside its selection request).
        self._drop.wait_for_answer(self._wait_ms)
        urls = [QUrl.fromLocalFile(str(path)) for path in self._drop.local_files()]
        self._drop.announce()
        if preferred_type.id() == QMetaType.Type.QByteArray.value:
            # What XDND sends: RFC 2483, one URL per line, CRLF.
            return QByteArray(b"".join(url.toEncoded().data() + b"\r\n" for url in urls))
        return urls


# -- the owner: one per window ---------------------------------------------------------------


class _Bridge(QObject):
    """Carries "a transfer changed" from the manager's threads to the GUI thread.

    Parentless and kept alive by the subscriber closure, so a worker thread can
    always emit on it, even while the owner is being destroyed.
    """

    changed = Signal()


class DragOut(QObject):
    """Starts drags out of item views and stages their downloads; one per window.

    Args:
        manager: The transfer manager (its panel shows the drag's downloads).
        client: The signed-in client (folder listings, links for "Copy link").
        parent: The owner (the main window).
        staging_root: Where staged downloads go; :func:`default_staging_root` by
            default. This run uses ``<staging_root>/<pid>/``; folders of
            processes that no longer run are removed at start, in a background
            thread (:attr:`cleanup_done` is set when that is over).
        drop_wait_ms: How long a drop target's request may wait for downloads
            (:data:`DROP_WAIT_MS`).

    Signals:
        message(str): A line for the status bar about a drag and its drop.
        transfers_queued(int): A drag submitted this many downloads (show the transfer panel).
        drag_started(object): A drag began: a :class:`DragOutMimeData` over its
            data that stays valid after the drag (the QDrag's own copy goes with it).
        drag_finished(object): ``QDrag.exec`` returned the ``Qt.DropAction`` the
            target accepted (with X11 at the drop: the data is asked for after it).
    """

    message = Signal(str)
    transfers_queued = Signal(int)
    drag_started = Signal(object)
    drag_finished = Signal(object)

    def __init__(
        self,
        manager: TransferManager,
        client: DioptraClient,
        parent: QObject | None = None,
        *,
        staging_root: Path | None = None,
        drop_wait_ms: int = DROP_WAIT_MS,
    ) -> None:
        super().__init__(parent)
        self.manager = manager
        self._client = client
        self.drop_wait_ms = drop_wait_ms
        root = Path(staging_root) if staging_root is not None else default_staging_root()
        self.staging_folder = root / str(os.getpid())
        # Removing a crashed run's big extracted folder can take long: not on the GUI
        # thread. Daemon, as it touches only folders of processes that are gone, so
        # an exit halfway leaves the rest to the next start.
        self.cleanup_done = threading.Event()
        done = self.cleanup_done  # not self: the thread must not keep the QObject's wrapper alive

        def clean_up() -> None:
            try:
                _remove_stale_stagings(root)
            finally:
                done.set()

        threading.Thread(target=clean_up, name="drag-out-cleanup", daemon=True).start()
        # Downloads a drag asked for, and where finished ones are: they drag instantly
        # even after the user removed them from the transfer list.
        self._ours: dict[int, tuple[int, int | None, str, bool]] = {}
        # Every download a drag submitted, finished or not: close() forgets the finished ones.
        self._submitted: set[int] = set()
        self._staged: dict[tuple[int, int | None, str, bool], Path] = {}
        self._drops: list[_Drop] = []
        self.last_mime_data: DragOutMimeData | None = None

        bridge = _Bridge()
        bridge.changed.connect(self._on_transfers_changed, Qt.ConnectionType.QueuedConnection)

        def on_change(transfer: Transfer) -> None:  # runs on the manager's threads
            if transfer.finished:  # progress reports change nothing a drag waits for
                bridge.changed.emit()

        self._unsubscribe: Callable[[], None] | None = manager.subscribe(on_change)
        unsubscribe = self._unsubscribe
        # A plain function, no reference to self: it may run while the owner is being destroyed.
        self.destroyed.connect(lambda *_: unsubscribe())

    # -- wiring ----------------------------------------------------------------------------

    def enable(self, view: QAbstractItemView, items: Callable[[], Sequence[DragItem]]) -> None:
        """Let the user drag the selected rows of ``view`` out of the window.

        Args:
            view: A table or tree view; pressing on a selected row and moving
                the pointer starts the drag (an unselected row is selected by
                the press, as usual).
            items: Called when a drag starts: what the selection stands for
                (see :func:`artifact_items` and :func:`file_tree_items`).
        """
        view.viewport().installEventFilter(_DragStarter(view, self, items))

    def close(self) -> None:
        """Stop listening and forget the drags' finished downloads (call before the manager's shutdown).

        The staging folder stays: a file manager may still be copying a folder
        just dropped from it. The next start removes it once this process is
        gone. The finished downloads leave the transfer list now, so the saved
        history does not offer "Open" on files that will be deleted; running
        ones stay and end as interrupted with the manager's shutdown.
        """
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for transfer_id in sorted(self._submitted):
            try:
                if self.manager.get(transfer_id).finished:
                    self.manager.remove(transfer_id)
            except (KeyError, ValueError):
                pass  # the user removed it already, or it was retried and runs again
        self._submitted.clear()

    # -- a drag ----------------------------------------------------------------------------

    def mime_data(self, items: Sequence[DragItem]) -> DragOutMimeData:
        """Prepare a drag of ``items``: use what is on disk, start downloads for the rest.

        This is what a drag start does before ``QDrag.exec``.
        """
        entries = [_Entry(item) for item in items]
        submitted = 0
        for entry in entries:
            item = entry.item
            path = self._on_disk(item)
            if path is not None:
                entry.path = path
                continue
            live = self._find(item, (TransferState.QUEUED, TransferState.RUNNING))
            if live is not None:
                entry.transfer_id = live.id
            elif item.files is None:
                entry.listing = True
            else:
                submitted += self._start(entry)
        drop = _Drop(self, entries)
        drop.fetch_listings(self._client)
        if not drop.is_settled:
            self._drops.append(drop)
            drop.settled.connect(lambda: self._forget(drop))
            waiting = sum(1 for entry in entries if entry.pending)
            self._say(f"Downloading {_count(waiting)} for the drag; progress in Transfers.")
        self._queued(submitted)
        mime = DragOutMimeData(drop, self.drop_wait_ms)
        self.last_mime_data = mime
        return mime

    def start_drag(self, source: QWidget, items: Sequence[DragItem]) -> Qt.DropAction:
        """Drag ``items`` out of ``source``; returns the action the target accepted.

        ``QDrag.exec`` runs its own event loop until the drop (on a real display);
        offscreen it returns at once.
        """
        items = list(items)
        if not items:
            return Qt.DropAction.IgnoreAction
        mime = self.mime_data(items)
        drag = QDrag(source)
        # The QDrag owns and deletes its data (offscreen right after exec, with X11 once the
        # target is done); the twin it gets answers from the same state as ``mime``.
        drag.setMimeData(mime.twin())
        drag.setPixmap(_drag_pixmap(source, items))
        self.drag_started.emit(mime)
        action = drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)
        self.drag_finished.emit(action)
        if action == Qt.DropAction.IgnoreAction and not mime.is_settled():
            self._say("The drag ended without a drop; its downloads go on in Transfers, and the next drag of them is instant.")
        return action

    # -- internals -------------------------------------------------------------------------

    def _on_disk(self, item: DragItem) -> Path | None:
        """A complete copy from this session: an earlier drag's, or any finished download's."""
        staged = self._staged.get(item.key)
        if staged is not None and _complete(staged, item):
            return staged
        done = self._find(item, (TransferState.DONE,), usable=True)
        return done.result if done is not None else None

    def _find(self, item: DragItem, states: tuple[TransferState, ...], *, usable: bool = False) -> Transfer | None:
        """The newest transfer of the same thing, in the same form, in one of ``states``."""
        for transfer in reversed(self.manager.transfers()):
            request = transfer.request
            if (
                transfer.state in states
                and request.artifact_id == item.artifact.id
                and request.snapshot_id == item.snapshot_id
                and (request.artifact_path or "").strip("/") == (item.artifact_path or "")
                and request.kind is item.kind
                and (not usable or (transfer.result is not None and _complete(transfer.result, item)))
            ):
                return transfer
        return None

    def _start(self, entry: _Entry) -> int:
        """Submit the entry's download into a fresh staging folder; 1 if it was queued, else 0."""
        item = entry.item
        try:
            self.staging_folder.mkdir(parents=True, exist_ok=True)
            # A folder of its own per item: the dropped file keeps its real name.
            folder = Path(tempfile.mkdtemp(dir=self.staging_folder))
            file_type = "tar_gz" if item.is_folder else None
            request = TransferRequest(
                artifact_id=item.artifact.id,
                name=item.label,
                kind=item.kind,
                destination=folder / item.name,
                artifact_path=item.artifact_path,
                snapshot_id=item.snapshot_id,
                expected_size=item.size,
                expected_files=item.files or (),
                link=download_link(self._client.session.api_url, item.artifact, item.artifact_path, file_type),
            )
            entry.transfer_id = self.manager.submit(request)
        except (OSError, DestinationBusyError, RuntimeError) as exc:
            entry.error = f"The download could not start: {exc}"
            return 0
        self._ours[entry.transfer_id] = item.key
        self._submitted.add(entry.transfer_id)
        return 1

    def _queued(self, count: int) -> None:
        if count:
            self.transfers_queued.emit(count)

    def _say(self, text: str) -> None:
        if text:
            self.message.emit(text)

    def _forget(self, drop: _Drop) -> None:
        if drop in self._drops:
            self._drops.remove(drop)

    def _on_transfers_changed(self) -> None:
        for transfer_id, key in list(self._ours.items()):
            try:
                transfer = self.manager.get(transfer_id)
            except KeyError:
                del self._ours[transfer_id]
                continue
            if transfer.state is TransferState.DONE and transfer.result is not None:
                self._staged[key] = transfer.result
            if transfer.finished:
                del self._ours[transfer_id]
        for drop in list(self._drops):
            drop.check()


class _DragStarter(QObject):
    """An event filter on a view's viewport: press on a selected row, move, and the drag starts.

    An event filter rather than ``setDragEnabled`` + ``startDrag``: the view's
    own drag needs item flags and MIME methods in every model, and the file
    tree's view is built inside :class:`FileTreeView`. Pressing on a selected
    row leaves a multi-row selection alone until the release, so several rows
    can be dragged together.
    """

    def __init__(self, view: QAbstractItemView, owner: DragOut, items: Callable[[], Sequence[DragItem]]) -> None:
        super().__init__(view)
        self._view = view
        self._owner = owner
        self._items = items
        self._press: QPoint | None = None
        self._pressed = QPersistentModelIndex()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if event.button() == Qt.MouseButton.LeftButton:
                position = event.position().toPoint()
                index = self._view.indexAt(position)
                self._press = position if index.isValid() else None
                self._pressed = QPersistentModelIndex(index)
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent) and self._press is not None:
            selection = self._view.selectionModel()
            if not event.buttons() & Qt.MouseButton.LeftButton:
                self._press = None
            elif not (self._pressed.isValid() and selection is not None and selection.isSelected(self._pressed)):
                self._press = None  # not a drag: the view handles it (a rubber-band selection, say)
            else:
                # Every move of a possible drag is ours, the short ones too: the view would
                # turn them into a new selection of the rows passed over, dropping the others.
                if (event.position().toPoint() - self._press).manhattanLength() >= QApplication.startDragDistance():
                    self._press = None
                    self._drag()
                return True
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        return False

    def _drag(self) -> None:
        try:
            items = list(self._items())
        except Exception:  # noqa: BLE001 - a broken item source must not kill the mouse handling
            log.exception("Could not tell what a drag carries")
            return
        self._owner.start_drag(self._view, items)
        # The drag ate the button release; the view would still think a selection drag goes on.
        self._view.setState(QAbstractItemView.State.NoState)


def _drag_pixmap(source: QWidget, items: Sequence[DragItem]) -> QPixmap:
    """A file or folder icon under the pointer, with the count when there are several."""
    style = source.style()
    icon = style.standardIcon(
        QStyle.StandardPixmap.SP_DirIcon if items[0].is_folder else QStyle.StandardPixmap.SP_FileIcon, None, source
    )
    pixmap = icon.pixmap(32, 32)
    if len(items) > 1:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor("#1565c0"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(14, 14, 18, 18)
        painter.setPen(QColor("white"))
        painter.drawText(14, 14, 18, 18, Qt.AlignmentFlag.AlignCenter, str(len(items)) if len(items) < 100 else "99+")
        painter.end()
    return pixmap


def _remove_stale_stagings(root: Path) -> None:
    """Remove staging folders of runs whose process is gone (a crash leaves them behind)."""
    try:
        children = list(root.iterdir())
    except OSError:
        return
    for child in children:
        if child.name.isdigit() and int(child.name) != os.getpid() and not _process_alive(int(child.name)):
            shutil.rmtree(child, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        # os.kill(pid, 0) sends CTRL_C_EVENT on Windows: there, keep the folder (the cache is the OS's to clean).
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


__all__ = [
    "DROP_WAIT_MS",
    "DragItem",
    "DragOut",
    "DragOutMimeData",
    "LeftOut",
    "URI_LIST",
    "artifact_items",
    "default_staging_root",
    "file_tree_items",
    "tree_items",
]
