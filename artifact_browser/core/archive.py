"""Unpacking a downloaded tar.gz or zip without ever writing outside the chosen folder.

Archives come from a server, so every member is checked before a byte is
written: no absolute paths, no ``..``, no links, devices or fifos, and no path
that resolves (through a link already on disk, say) outside the target folder.
Members larger than 1 MiB are streamed to disk in 1 MiB pieces, so a large file
never sits in memory; smaller ones are read whole and written by a few threads
(creating many small files is what takes the time).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.api.download import write_all

_COPY_BUFFER = 1 << 20
# Members up to this size are read whole and written by a pool of threads.
_SMALL_FILE = 1 << 20
_MAX_PENDING = 16
_WRITERS = 4
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeArchiveError(Exception):
    """An archive member would write outside the target folder, or is not a plain file or folder.

    Attributes:
        member: The member's name as the archive gives it.
    """

    def __init__(self, member: str, reason: str) -> None:
        super().__init__(f"The archive member {member!r} was refused: {reason}.")
        self.member = member
        self.reason = reason


def extract_safely(archive: Path, into: Path, *, cancel: CancelToken | None = None) -> list[Path]:
    """Unpack a tar.gz (or plain tar) or zip archive into ``into``, refusing anything unsafe.

    The format is taken from the file's first bytes, not its name. Only regular
    files and folders are written; file modes from the archive are ignored (no
    set-uid bits), modification times are kept. If anything fails, the files
    and folders this call created are removed again.

    Args:
        archive: The downloaded archive.
        into: The folder to unpack into (created if missing).
        cancel: Checked between members and pieces; setting it stops the work.

    Returns:
        The files written, in archive order.

    Raises:
        UnsafeArchiveError: a member with an absolute path, ``..``, a link, a
            device or fifo, or a path that resolves outside ``into``.
        ValueError: the file is neither a tar.gz/tar nor a zip archive.
        DownloadCancelled: ``cancel`` was set.
        OSError: writing failed (full disk, permissions).
    """
    archive = Path(archive)
    with archive.open("rb") as probe:
        head = probe.read(512)
    if head.startswith(_GZIP_MAGIC) or head[257:262] == b"ustar":
        members: Callable[[], Iterator[_Member]] = lambda: _tar_members(archive)  # noqa: E731
    elif head.startswith(_ZIP_MAGICS):
        members = lambda: _zip_members(archive)  # noqa: E731
    else:
        raise ValueError(f"{archive.name} is neither a tar.gz nor a zip archive.")

    created_root = not into.exists()
    into.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.realpath(into))
    writer = _Writer(root, cancel)
    try:
        for member in members():
            writer.add(member)
        writer.finish()
    except BaseException:
        writer.roll_back()
        if created_root:
            shutil.rmtree(into, ignore_errors=True)
        raise
    return writer.files


def verify_against_listing(folder: Path, expected: Sequence[tuple[str, int]]) -> list[str]:
    """Compare an unpacked folder with the server's listing of the same folder.

    Args:
        folder: The folder that should hold the files.
        expected: ``(relative path, size in bytes)`` of each file, paths with
            ``/`` as the server lists them, relative to ``folder``.

    Returns:
        One readable line per problem (a missing file, a size that differs),
        in listing order; ``[]`` when every file is there with its size.
        Files not in the listing are not problems.
    """
    problems = []
    for relative, size in expected:
        # One stat per file: thousands of files make every system call count.
        try:
            info = os.stat(folder.joinpath(*relative.split("/")))
        except (OSError, ValueError):
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            problems.append(f"missing: {relative}")
            continue
        actual = info.st_size
        if actual != size:
            problems.append(f"{relative}: {actual:,} bytes instead of {size:,}")
    return problems


# -- internals ------------------------------------------------------------------------


class _Member:
    """One archive entry, whatever the format: its name, what it is, its size, and how to read it."""

    __slots__ = ("kind", "mtime", "name", "open", "size")

    def __init__(
        self, name: str, kind: str, size: int, mtime: float | None, open: Callable[[], IO[bytes]] | None
    ) -> None:
        self.name = name
        self.kind = kind  # "file", "dir", or a word for what is refused ("symbolic link", ...)
        self.size = size
        self.mtime = mtime
        self.open = open


def _tar_members(archive: Path) -> Iterator[_Member]:
    # Stream mode ("r|*"): one forward pass over the decompressed data, no seeking back.
    with tarfile.open(archive, mode="r|*") as tar:
        for info in tar:
            if info.isreg():
                kind = "file"
            elif info.isdir():
                kind = "dir"
            elif info.issym():
                kind = "symbolic link"
            elif info.islnk():
                kind = "hard link"
            elif info.ischr() or info.isblk():
                kind = "device"
            elif info.isfifo():
                kind = "fifo"
            else:
                kind = "special entry"
            opener = (lambda info=info: tar.extractfile(info)) if kind == "file" else None
            yield _Member(info.name, kind, info.size, float(info.mtime), opener)


def _zip_members(archive: Path) -> Iterator[_Member]:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            # The upper 16 bits hold the Unix mode when the archive was made on Unix.
            mode = info.external_attr >> 16
            file_type = stat.S_IFMT(mode)
            if info.is_dir() or file_type == stat.S_IFDIR:
                kind = "dir"
            elif file_type in (0, stat.S_IFREG):
                kind = "file"
            elif file_type == stat.S_IFLNK:
                kind = "symbolic link"
            elif file_type in (stat.S_IFCHR, stat.S_IFBLK):
                kind = "device"
            elif file_type == stat.S_IFIFO:
                kind = "fifo"
            else:
                kind = "special entry"
            try:
                mtime: float | None = time.mktime((*info.date_time, 0, 0, -1))
            except (OverflowError, ValueError):
                mtime = None
            opener = (lambda info=info: zf.open(info)) if kind == "file" else None
            yield _Member(info.filename, kind, info.file_size, mtime, opener)


class _Writer:
    """Writes checked members under ``root`` and remembers what it created, to undo it on failure.

    Creating a file is the slow part of unpacking many small ones (a file
    system round trip each, the data being tiny), and it releases the GIL, so
    small files are written by a few threads while the archive is read on.
    Only members up to :data:`_SMALL_FILE` bytes are held in memory, and at
    most :data:`_MAX_PENDING` of them at once; larger ones are streamed.
    """

    def __init__(self, root: Path, cancel: CancelToken | None) -> None:
        self.root = root
        self.cancel = cancel
        self.files: list[Path] = []
        self._created_dirs: list[Path] = []
        self._created_files: list[Path] = []
        # Folders known to be real folders inside the root: checked (or made) once, not per file.
        self._safe_dirs: set[Path] = {root}
        self._buffer: memoryview | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Path, Future[bool]]] = deque()

    def add(self, member: _Member) -> None:
        self._check_cancel()
        parts = self._checked_parts(member)
        if not parts:
            return
        target = self.root.joinpath(*parts)
        if member.kind == "dir":
            self._ensure_dir(target, member.name)
            return
        self._ensure_dir(target.parent, member.name)
        if member.size <= _SMALL_FILE:
            self._write_later(member, target)
        else:
            self._settle(0)  # keep files in archive order on disk as well as in the list
            if _write_file(target, member, self._copy_buffer(), self._check_cancel):
                self._created_files.append(target)
        self.files.append(target)

    def finish(self) -> None:
        """Wait for the files still being written; raises the first failure."""
        try:
            self._settle(0)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)

    def roll_back(self) -> None:
        # Let writes in flight end first, so nothing appears after the clean-up.
        while self._pending:
            target, future = self._pending.popleft()
            try:
                if future.result():
                    self._created_files.append(target)
            except Exception:  # noqa: BLE001 - already failing; the first error is the one raised
                pass
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for path in reversed(self._created_files):
            path.unlink(missing_ok=True)
        for folder in reversed(self._created_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty: something that was there before lives in it

    def _checked_parts(self, member: _Member) -> list[str]:
        """The member's path parts under the root ([] for the root itself), or UnsafeArchiveError."""
        name = member.name
        if member.kind not in ("file", "dir"):
            raise UnsafeArchiveError(name, f"it is a {member.kind}; only files and folders are unpacked")
        if not name or name.startswith(("/", "\\")) or _DRIVE.match(name):
            raise UnsafeArchiveError(name, "it has an absolute path")
        if "\x00" in name:
            raise UnsafeArchiveError(name, "its name holds a NUL character")
        # A backslash is a separator on Windows, so "..\\x" must be refused there too.
        parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".")]
        if ".." in parts:
            raise UnsafeArchiveError(name, "its path climbs out of the folder with '..'")
        return parts

    def _ensure_dir(self, folder: Path, member: str) -> None:
        """Make ``folder`` (and its parents) a real folder inside the root, or refuse the member."""
        if folder in self._safe_dirs:
            return
        # Resolving catches a link already on disk (inside the folder) that points elsewhere.
        resolved = os.path.realpath(folder)
        if os.path.commonpath([resolved, str(self.root)]) != str(self.root):
            raise UnsafeArchiveError(member, "it would be written outside the target folder")
        missing = []
        current = folder
        while current not in self._safe_dirs and not current.is_dir():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            path.mkdir()  # raises if a file is in the way: the archive is inconsistent
            self._created_dirs.append(path)
        while folder not in self._safe_dirs:
            self._safe_dirs.add(folder)
            folder = folder.parent

    def _write_later(self, member: _Member, target: Path) -> None:
        assert member.open is not None
        with member.open() as source:
            data = source.read(member.size + 1)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=_WRITERS, thread_name_prefix="unpack")
        self._settle(_MAX_PENDING - 1)
        self._pending.append((target, self._pool.submit(_write_bytes, target, data, member.mtime)))

    def _settle(self, keep: int) -> None:
        """Wait until at most ``keep`` writes are in flight, oldest first."""
        while len(self._pending) > keep:
            target, future = self._pending.popleft()
            if future.result():
                self._created_files.append(target)

    def _copy_buffer(self) -> memoryview:
        if self._buffer is None:
            self._buffer = memoryview(bytearray(_COPY_BUFFER))
        return self._buffer

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise DownloadCancelled("Unpacking cancelled.")


def _open_target(target: Path) -> tuple[int, bool]:
    """Open ``target`` for writing; returns the descriptor and whether the file is new.

    O_NOFOLLOW: never write through a link that appeared under the target's own
    name. O_EXCL first, so a roll-back removes only files this extraction created.
    """
    base = os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(target, base | os.O_CREAT | os.O_EXCL, 0o666), True
    except FileExistsError:
        return os.open(target, base | os.O_TRUNC), False


def _set_mtime(target: Path, mtime: float | None) -> None:
    if mtime is None:
        return
    try:
        os.utime(target, (mtime, mtime))
    except (OverflowError, OSError, ValueError):
        pass  # a timestamp the file system cannot hold: the file is still right


def _write_bytes(target: Path, data: bytes, mtime: float | None) -> bool:
    """A writer thread's job: one small file. Returns whether it was created."""
    fd, created = _open_target(target)
    try:
        write_all(fd, memoryview(data))
    finally:
        os.close(fd)
    _set_mtime(target, mtime)
    return created


def _write_file(target: Path, member: _Member, buffer: memoryview, check_cancel: Callable[[], None]) -> bool:
    """Stream one large member to disk in pieces. Returns whether it was created."""
    assert member.open is not None
    fd, created = _open_target(target)
    try:
        with member.open() as source:
            while count := source.readinto(buffer):
                check_cancel()
                write_all(fd, buffer[:count])
    except BaseException:
        os.close(fd)
        if created:
            target.unlink(missing_ok=True)
        raise
    os.close(fd)
    _set_mtime(target, member.mtime)
    return created

