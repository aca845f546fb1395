"""File names that are safe on every desktop platform, and what to do when a target already exists.

Names shown by a Dioptra server (``Content-Disposition``, a URI's last part, a
listing's relative path) are not trusted: they may carry path parts, control
characters or names Windows refuses. Everything that ends up on the user's disk
goes through :func:`safe_file_name` first.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from pathlib import Path

from artifact_browser.api.download import PART_SUFFIX, file_suffix

# Windows refuses these anywhere in a name; the others reject nothing but "/" (and macOS ":"
# in Finder), so replacing them everywhere keeps one name valid on all three.
_RESERVED_CHARACTERS = re.compile(r'[<>:"/\\|?*]')
# Device names Windows reserves with or without an extension ("con.txt" is CON too).
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)
# Right-to-left overrides can make "gpj.exe" read as "exe.jpg": never part of an honest name.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_NAME_BYTES = 200
# "name (3)" as numbered_path writes it, so "a (2).txt" is followed by "a (3).txt", not "a (2) (2).txt".
_NUMBERED = re.compile(r"^(?P<base>.*) \((?P<number>\d+)\)$")


def safe_file_name(name: str, fallback: str = "download") -> str:
    """A file name that Windows, macOS and Linux all accept, kept as close to ``name`` as possible.

    Only the last path part is kept (split on ``/`` and ``\\``); control
    characters are dropped; ``<>:"/\\|?*`` become ``_``; trailing dots and spaces
    are dropped; Windows device names (``CON``, ``com1.txt``...) get a leading
    ``_``; the name is capped at 200 bytes of UTF-8, keeping its extension
    (``.tar.gz`` counts as one).

    Args:
        name: A name from the server or the user.
        fallback: Used when nothing usable is left (``""``, ``"."``, ``".."``);
            made safe the same way.

    Returns:
        A non-empty name without any path separator.
    """
    last = re.split(r"[/\\]", name)[-1]
    cleaned = "".join(ch for ch in last if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    cleaned = _RESERVED_CHARACTERS.sub("_", cleaned).rstrip(". ")
    if cleaned in ("", ".", ".."):
        return safe_file_name(fallback, "download") if fallback != name else "download"
    if cleaned.split(".", 1)[0].rstrip(" ").upper() in _RESERVED_NAMES:
        cleaned = "_" + cleaned
    return _capped(cleaned)


def _capped(name: str) -> str:
    """``name`` cut to :data:`MAX_NAME_BYTES` of UTF-8 without splitting a character or losing the extension."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = file_suffix(name)
    stem = name[: len(name) - len(suffix)] if suffix else name
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    # errors="ignore" drops a multi-byte character cut in half rather than leaving a broken byte.
    stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return (stem or "download") + suffix


def _split_suffix(path: Path) -> tuple[str, str]:
    """``(stem, suffix)`` of a file name, ``.tar.gz`` kept whole; a folder has no suffix."""
    name = path.name
    if path.is_dir():
        return name, ""
    suffix = file_suffix(name)
    return (name[: len(name) - len(suffix)], suffix) if suffix else (name, "")


def _taken(path: Path) -> bool:
    # A name whose .part exists belongs to a download still running (or about to be retried).
    part = path.with_name(path.name + PART_SUFFIX)
    return path.exists() or path.is_symlink() or part.exists()


def numbered_path(path: Path) -> Path:
    """The first free ``name (2).ext``, ``name (3).ext``... beside ``path``.

    ``.tar.gz`` stays whole (``data (2).tar.gz``); a folder gets ``name (2)``. A
    name that is already numbered continues its count (``a (2).txt`` gives
    ``a (3).txt``). A candidate counts as taken while its ``.part`` exists.

    Args:
        path: The wanted path (usually one that exists).

    Returns:
        A path in the same folder that does not exist yet.
    """
    stem, suffix = _split_suffix(path)
    number = 2
    match = _NUMBERED.match(stem)
    if match:
        stem, number = match.group("base"), int(match.group("number")) + 1
    while True:
        candidate = path.with_name(f"{stem} ({number}){suffix}")
        if not _taken(candidate):
            return candidate
        number += 1


class ConflictPolicy(StrEnum):
    """What to do when a download's target already exists."""

    ASK = "ask"
    OVERWRITE = "overwrite"
    KEEP_BOTH = "keep_both"
    SKIP = "skip"


def resolve_conflict(path: Path, policy: ConflictPolicy) -> Path | None:
    """Where a download should go under ``policy``, or None to skip it.

    Args:
        path: The wanted target (a file, or a folder for an extracted download).
        policy: OVERWRITE keeps ``path``; KEEP_BOTH picks :func:`numbered_path`
            when ``path`` exists; SKIP gives None when it exists. A free
            ``path`` is returned as is under every policy but ASK.

    Raises:
        ValueError: ``policy`` is ASK: asking the user is the caller's job.
    """
    policy = ConflictPolicy(policy)
    if policy is ConflictPolicy.ASK:
        raise ValueError("ConflictPolicy.ASK must be answered by the user before resolving the target.")
    exists = path.exists() or path.is_symlink()
    if policy is ConflictPolicy.OVERWRITE or not exists:
        return path
    if policy is ConflictPolicy.KEEP_BOTH:
        return numbered_path(path)
    return None
