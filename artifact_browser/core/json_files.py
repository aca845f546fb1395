"""Small JSON files the program keeps (profiles, the transfer history): written atomically, set aside when damaged."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomically(path: Path, data: Any, *, indent: int = 1) -> None:
    """Replace ``path`` with ``data`` as JSON, all or nothing.

    The text goes to a temporary file in the same folder, is fsynced, and is
    renamed over ``path``: a crash or a full disk leaves the old file, never an
    empty or half-written one.

    Raises:
        OSError: the folder or the file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=indent)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def free_name_beside(path: Path, label: str) -> Path:
    """``<name>.<label>``, or ``<name>.<label>.2`` … : a name for a kept copy that overwrites no earlier one."""
    candidate = path.with_name(f"{path.name}.{label}")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{label}.{number}")
        number += 1
    return candidate
