"""Deciding how to preview a file, and keeping fetched bytes for the session.

Pure Python: the GUI fetches bytes (through a worker), hands them to
:func:`make_preview` (on the worker thread too, since pretty-printing a large
JSON file takes a while) and shows the :class:`Preview` it gets back.

What users asked for (mlflow#3384, #1077, #7508): a preview must never hang the
program, a large file is only read on request, a CSV shows its head as a
table, and bytes fetched once are not fetched again.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Final

from artifact_browser.core.units import format_size

PREVIEW_CAP: Final = 10 * 1024 * 1024
"""Files larger than this are previewed only when the user asks ("Load anyway")."""

HARD_CAP: Final = 256 * 1024 * 1024
"""Not even "Load anyway" reads more than this into memory: download such files instead."""

MAX_TEXT_CHARS: Final = 500_000
"""Text beyond this is cut: a text widget takes about 40 ms per 500,000 characters on the GUI thread."""

MAX_CSV_ROWS: Final = 1_000
"""A CSV preview shows this many rows after the header."""

_SNIFF_BYTES = 64 * 1024
_CSV_SUFFIXES = frozenset({".csv", ".tsv", ".tab"})
_JSON_SUFFIXES = frozenset({".json", ".geojson", ".ipynb"})
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"})
# Formats known to be binary even when their first bytes look like text.
_BINARY_SUFFIXES = frozenset(
    {".bin", ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".npy", ".npz", ".pkl", ".pickle", ".onnx", ".pb", ".zip", ".gz",
     ".tgz", ".bz2", ".xz", ".zst", ".tar", ".7z", ".pdf", ".parquet", ".safetensors", ".tflite", ".joblib"}
)


class PreviewKind(enum.Enum):
    """How a file is shown."""

    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    IMAGE = "image"
    NONE = "none"


@dataclass(frozen=True)
class Preview:
    """What to show for one file.

    Attributes:
        kind: Which page of the preview pane shows it.
        name: The file name.
        size: The number of bytes the preview was made from.
        text: For TEXT and JSON: the text to show (JSON pretty-printed).
        header: For CSV: the column names (the first row, or ``Column 1``... when
            the file seems to have no header row).
        rows: For CSV: the first rows after the header.
        data: For IMAGE: the file's bytes.
        image_format: For IMAGE: ``png``, ``jpeg``, ``gif``, ``bmp`` or ``webp``.
        reason: For NONE: why there is no preview, in words for the user.
        note: A remark to show beside the preview (text cut short, JSON that
            did not parse), or ``""``.
    """

    kind: PreviewKind
    name: str
    size: int
    text: str = ""
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    data: bytes = field(default=b"", repr=False)
    image_format: str | None = None
    reason: str = ""
    note: str = ""


def too_large_reason(size: int, cap: int = PREVIEW_CAP) -> str | None:
    """The message for a file over the preview cap, or None when it is within it."""
    if size <= cap:
        return None
    if size > HARD_CAP:
        return f"Too large to preview: {format_size(size)}. Download it to open it."
    return f"Too large to preview: {format_size(size)}, previews are capped at {format_size(cap)}."


def image_format(data: bytes) -> str | None:
    """The image format named by the first bytes (magic numbers), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def looks_binary(data: bytes) -> bool:
    """Whether the start of ``data`` is binary rather than text in some 8-bit or UTF encoding."""
    head = data[:_SNIFF_BYTES]
    if not head:
        return False
    if b"\x00" in head:
        # UTF-16/32 text has NULs too, but only with a byte order mark.
        return not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) // 100


def decode_text(data: bytes) -> str:
    """Bytes as text: UTF-8 (with or without BOM) or UTF-16 with BOM; undecodable bytes become U+FFFD."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def make_preview(
    name: str,
    data: bytes,
    *,
    max_text_chars: int = MAX_TEXT_CHARS,
    max_csv_rows: int = MAX_CSV_ROWS,
) -> Preview:
    """Decide how to show a file and prepare what to show.

    The file name's suffix chooses JSON and CSV; images are recognised by their
    magic bytes whatever the name; other files are text unless their bytes
    look binary.

    Args:
        name: The file name (only its suffix is used).
        data: The file's bytes.
        max_text_chars: Text is cut after this many characters (with a note).
        max_csv_rows: A CSV preview holds at most this many rows after the header.
    """
    suffix = PurePosixPath(name).suffix.lower()
    size = len(data)
    fmt = image_format(data)
    if fmt is not None:
        return Preview(PreviewKind.IMAGE, name, size, data=data, image_format=fmt)
    if suffix in _IMAGE_SUFFIXES:
        return Preview(PreviewKind.NONE, name, size, reason=f"This {suffix} file is not an image this program can read.")
    if size == 0:
        return Preview(PreviewKind.TEXT, name, 0, note="The file is empty.")
    if suffix in _BINARY_SUFFIXES or looks_binary(data):
        return Preview(PreviewKind.NONE, name, size, reason=f"No preview: {name} is a binary file ({format_size(size)}).")
    text = decode_text(data)
    if suffix in _JSON_SUFFIXES:
        return _json_preview(name, size, text, max_text_chars)
    if suffix in _CSV_SUFFIXES:
        return _csv_preview(name, size, text, suffix, max_csv_rows)
    shown, note = _cut(text, max_text_chars)
    return Preview(PreviewKind.TEXT, name, size, text=shown, note=note)


def _cut(text: str, limit: int) -> tuple[str, str]:
    if len(text) <= limit:
        return text, ""
    return text[:limit], f"Showing the first {limit:,} of {len(text):,} characters."


def _json_preview(name: str, size: int, text: str, limit: int) -> Preview:
    try:
        value = json.loads(text)
    except ValueError as exc:
        shown, cut = _cut(text, limit)
        note = f"Not valid JSON ({exc}); shown as text." + (f" {cut}" if cut else "")
        return Preview(PreviewKind.TEXT, name, size, text=shown, note=note)
    shown, note = _cut(json.dumps(value, indent=2, ensure_ascii=False), limit)
    return Preview(PreviewKind.JSON, name, size, text=shown, note=note)


def _csv_preview(name: str, size: int, text: str, suffix: str, max_rows: int) -> Preview:
    sample = text[:_SNIFF_BYTES]
    sniffer = csv.Sniffer()
    try:
        dialect: type[csv.Dialect] | csv.Dialect = sniffer.sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if suffix in (".tsv", ".tab") else csv.excel
    try:
        has_header = sniffer.has_header(sample)
    except csv.Error:
        has_header = True
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[tuple[str, ...]] = []
    try:
        for row in reader:
            rows.append(tuple(row))
            if len(rows) > max_rows + 1:  # a header, max_rows rows, and proof that more follow
                break
    except csv.Error as exc:
        return Preview(PreviewKind.TEXT, name, size, text=_cut(text, MAX_TEXT_CHARS)[0], note=f"Not a readable CSV ({exc}); shown as text.")
    width = max((len(r) for r in rows), default=0)
    if has_header and rows:
        header, body = rows[0], rows[1:]
    else:
        header, body = (), rows
    header = tuple(header) + tuple(f"Column {i + 1}" for i in range(len(header), width))
    note = f"Showing the first {max_rows:,} rows." if len(body) > max_rows else ""
    body = body[:max_rows]
    return Preview(PreviewKind.CSV, name, size, header=header, rows=tuple(body), note=note)


CacheKey = tuple[int, int, str]
"""``(artifact id, snapshot id, relative path)``; the path is ``""`` for a single-file artifact."""


def cache_key(artifact_id: int, snapshot_id: int, relative_path: str | None = None) -> CacheKey:
    """The key of one file's bytes in a :class:`PreviewCache`."""
    return (int(artifact_id), int(snapshot_id), relative_path or "")


class PreviewCache:
    """Bytes fetched for previews in this session, so no file is fetched twice.

    A snapshot's contents never change, so entries never go stale. The total is
    bounded: past ``max_bytes``, the least recently used entries are dropped.
    Safe to use from several threads.

    Args:
        max_bytes: The most bytes to keep.
    """

    def __init__(self, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> bytes | None:
        """The bytes kept under ``key``, or None."""
        with self._lock:
            data = self._entries.get(key)
            if data is not None:
                self._entries.move_to_end(key)
            return data

    def put(self, key: CacheKey, data: bytes) -> None:
        """Keep ``data`` under ``key`` (not kept at all when larger than the whole cache)."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._total -= len(old)
            self._entries[key] = data
            self._total += len(data)
            while self._total > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._total -= len(dropped)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._total
