"""Streaming a response body to disk without ever leaving a half file under its final name.

The body goes to ``<name>.part`` in large writes, is fsynced, checked, and only
then renamed. Any failure or cancel removes the ``.part``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.api.errors import IntegrityError, ServerUnreachableError
from artifact_browser.api.rawstream import RawResponse

ProgressCallback = Callable[[int, "int | None"], None]
"""Called as ``progress(bytes_so_far, total_or_None)`` while a download runs."""

PART_SUFFIX = ".part"
# Reads and writes of up to 1 MiB keep syscalls and progress calls rare.
_WRITE_BATCH = 1 << 20
_COMPOUND_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst")
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9_+-]{1,16}$")


def filename_from_disposition(header: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header offers (``filename*`` first), if any.

    Only the name is returned, never a path: anything before the last ``/`` or
    ``\\`` is dropped, because the header comes from the server.
    """
    if not header:
        return None
    extended = re.search(r"filename\*\s*=\s*([^;]+)", header, re.IGNORECASE)
    plain = re.search(r'filename\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', header, re.IGNORECASE)
    name = None
    if extended:
        value = extended.group(1).strip().strip('"')
        charset, _, rest = value.partition("'")
        _, _, encoded = rest.partition("'")
        name = unquote(encoded or value, encoding=charset or "utf-8", errors="replace")
    elif plain:
        value = plain.group(1).strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        name = value
    if not name:
        return None
    name = re.split(r"[/\\]", name)[-1].strip()
    return name if name not in ("", ".", "..") else None


def file_suffix(name: str) -> str:
    """The extension a downloaded file should keep (``.tar.gz`` counts as one), or ``""``.

    The name may come from a server, so odd suffixes are dropped rather than trusted.
    """
    lower = name.lower()
    for compound in _COMPOUND_SUFFIXES:
        if lower.endswith(compound) and len(name) > len(compound):
            return name[-len(compound) :]
    suffix = Path(name).suffix
    return suffix if _SAFE_SUFFIX.match(suffix) else ""


def save_stream(
    body: RawResponse,
    destination: Path,
    *,
    expected_size: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Write a response body to ``destination`` atomically.

    Args:
        body: An open response whose status was already checked.
        destination: The final path; ``destination + ".part"`` is written first.
        expected_size: The byte count the server promised (``fileSize``); a
            different count is an :class:`IntegrityError` and nothing is kept.
        progress: Called with ``(bytes_so_far, expected_size)`` after each write.
        cancel: When set, the connection is broken (waking a read that waits for
            data), :class:`DownloadCancelled` is raised and nothing is kept.

    Returns:
        ``destination``.
    """
    part = destination.with_name(destination.name + PART_SUFFIX)
    received = 0
    buffer = bytearray(_WRITE_BATCH)
    view = memoryview(buffer)
    if cancel is not None:
        cancel.on_cancel(body.abort)
    try:
        # O_TRUNC: a left-over .part from an earlier attempt is simply overwritten,
        # since the server cannot resume (it ignores Range).
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644)
        try:
            try:
                while count := body.readinto(buffer):
                    if cancel is not None and cancel.cancelled:
                        break
                    write_all(fd, view[:count])
                    received += count
                    if progress is not None:
                        progress(received, expected_size)
            except ServerUnreachableError:
                if cancel is None or not cancel.cancelled:
                    raise
            if cancel is not None and cancel.cancelled:
                raise DownloadCancelled(f"Download of {destination.name} cancelled.")
            os.fsync(fd)
        finally:
            os.close(fd)
        if expected_size is not None and received != expected_size:
            raise IntegrityError(
                f"{destination.name}: received {received:,} bytes but the server lists "
                f"{expected_size:,}. The file was not kept; try again."
            )
        os.replace(part, destination)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        if cancel is not None:
            cancel.discard(body.abort)
    return destination


def write_all(fd: int, data: memoryview) -> None:
    """Write all of ``data``: os.write may take less than it is given."""
    while data:
        written = os.write(fd, data)
        data = data[written:]
