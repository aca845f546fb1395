"""Choosing and preparing previews, and the session's cache of fetched bytes."""

from __future__ import annotations

import json
import threading

import pytest

from artifact_browser.core.preview import (
    HARD_CAP,
    PREVIEW_CAP,
    PreviewCache,
    PreviewKind,
    cache_key,
    decode_text,
    image_format,
    looks_binary,
    make_preview,
    too_large_reason,
)
from artifact_browser.devserver.content import png

# -- kinds ------------------------------------------------------------------------------


def test_json_is_pretty_printed_with_unicode_kept() -> None:
    preview = make_preview("metrics.json", b'{"accuracy":0.99,"name":"r\xc3\xa9sum\xc3\xa9","classes":[1,2]}')
    assert preview.kind is PreviewKind.JSON
    assert preview.text == json.dumps({"accuracy": 0.99, "name": "résumé", "classes": [1, 2]}, indent=2, ensure_ascii=False)
    assert "\n  " in preview.text


def test_invalid_json_is_shown_as_text_with_a_note() -> None:
    preview = make_preview("broken.json", b'{"a": 1,')
    assert preview.kind is PreviewKind.TEXT
    assert preview.text == '{"a": 1,'
    assert "Not valid JSON" in preview.note


def test_csv_with_a_header_becomes_header_and_rows() -> None:
    preview = make_preview("history.csv", b"epoch,loss,accuracy\n1,2.1,0.12\n2,1.9,0.25\n")
    assert preview.kind is PreviewKind.CSV
    assert preview.header == ("epoch", "loss", "accuracy")
    assert preview.rows == (("1", "2.1", "0.12"), ("2", "1.9", "0.25"))
    assert preview.note == ""


def test_csv_without_a_header_gets_numbered_columns_and_only_its_head_is_kept() -> None:
    data = "".join(f"{i},{i % 10},{(i * 7) % 10}\n" for i in range(5000)).encode()
    preview = make_preview("predictions.csv", data, max_csv_rows=100)
    assert preview.header == ("Column 1", "Column 2", "Column 3")
    assert len(preview.rows) == 100
    assert preview.rows[0] == ("0", "0", "0")
    assert preview.note == "Showing the first 100 rows."


def test_semicolon_csv_is_sniffed_and_quoted_fields_parse() -> None:
    preview = make_preview("eu.csv", b'name;value\n"a;b";1,5\nc;2,0\n')
    assert preview.header == ("name", "value")
    assert preview.rows == (("a;b", "1,5"), ("c", "2,0"))


def test_a_csv_exactly_at_the_row_limit_has_no_note() -> None:
    data = b"h\n" + b"".join(b"%d\n" % i for i in range(10))
    preview = make_preview("t.csv", data, max_csv_rows=10)
    assert len(preview.rows) == 10
    assert preview.note == ""


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (png(4, 3), "png"),
        (b"\xff\xd8\xff\xe0" + bytes(20), "jpeg"),
        (b"GIF89a" + bytes(20), "gif"),
        (b"BM" + bytes(40), "bmp"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(10), "webp"),
    ],
)
def test_images_are_recognised_by_their_bytes_whatever_the_name(data: bytes, fmt: str) -> None:
    assert image_format(data) == fmt
    preview = make_preview("no-extension", data)
    assert (preview.kind, preview.image_format, preview.data) == (PreviewKind.IMAGE, fmt, data)


def test_a_png_name_without_png_bytes_says_so() -> None:
    preview = make_preview("fake.png", b"not an image")
    assert preview.kind is PreviewKind.NONE
    assert "not an image" in preview.reason


def test_binary_files_get_a_reason_instead_of_garbage() -> None:
    preview = make_preview("weights", bytes(range(256)) * 4)
    assert preview.kind is PreviewKind.NONE
    assert preview.reason == "No preview: weights is a binary file (1.0 KiB)."
    # A known binary suffix is not shown as text even if its bytes happen to be printable.
    assert make_preview("model.bin", b"printable bytes").kind is PreviewKind.NONE


def test_text_is_decoded_as_utf8_with_replacement_and_cut_when_long() -> None:
    preview = make_preview("notes.txt", "Déjà vu\n".encode() + b"\xff tail")
    assert preview.kind is PreviewKind.TEXT
    assert preview.text == "Déjà vu\n\ufffd tail"
    long = make_preview("log.txt", b"x" * 50, max_text_chars=10)
    assert long.text == "x" * 10
    assert long.note == "Showing the first 10 of 50 characters."


def test_empty_file_is_an_empty_text_with_a_note() -> None:
    preview = make_preview("empty.txt", b"")
    assert (preview.kind, preview.text, preview.note) == (PreviewKind.TEXT, "", "The file is empty.")


def test_text_detection() -> None:
    assert not looks_binary(b"plain text\twith tabs\r\n")
    assert not looks_binary("ünïcödé".encode())
    assert looks_binary(b"abc\x00def")
    assert not looks_binary("utf-16".encode("utf-16"))
    assert decode_text("utf-16 text".encode("utf-16")) == "utf-16 text"
    assert decode_text(b"\xef\xbb\xbfbom") == "bom"


# -- the cap ------------------------------------------------------------------------------


def test_too_large_reason_names_the_size_and_the_cap() -> None:
    assert too_large_reason(PREVIEW_CAP) is None
    assert too_large_reason(12_900_000) == "Too large to preview: 12.3 MiB, previews are capped at 10.0 MiB."
    assert too_large_reason(150, cap=100) == "Too large to preview: 150 B, previews are capped at 100 B."
    assert "Download it" in too_large_reason(HARD_CAP + 1)


# -- the cache ----------------------------------------------------------------------------


def test_cache_keys_tell_snapshots_and_paths_apart() -> None:
    cache = PreviewCache()
    cache.put(cache_key(1, 10, "a.txt"), b"old")
    cache.put(cache_key(1, 11, "a.txt"), b"new")
    assert cache.get(cache_key(1, 10, "a.txt")) == b"old"
    assert cache.get(cache_key(1, 11, "a.txt")) == b"new"
    assert cache.get(cache_key(1, 11, "b.txt")) is None
    assert cache_key(1, 10) == cache_key(1, 10, None) == (1, 10, "")


def test_cache_drops_least_recently_used_beyond_its_bound() -> None:
    cache = PreviewCache(max_bytes=10)
    cache.put(("a",), b"1234")  # type: ignore[arg-type]
    cache.put(("b",), b"1234")  # type: ignore[arg-type]
    assert cache.get(("a",)) == b"1234"  # type: ignore[arg-type] - now b is the oldest
    cache.put(("c",), b"1234")  # type: ignore[arg-type]
    assert ("b",) not in cache and ("a",) in cache and ("c",) in cache
    assert cache.total_bytes == 8
    cache.put(("huge",), b"x" * 11)  # type: ignore[arg-type]
    assert ("huge",) not in cache and len(cache) == 2


def test_cache_replacing_a_key_keeps_the_total_right() -> None:
    cache = PreviewCache()
    cache.put(cache_key(1, 1), b"12345")
    cache.put(cache_key(1, 1), b"12")
    assert (cache.total_bytes, len(cache)) == (2, 1)


def test_cache_is_safe_across_threads() -> None:
    cache = PreviewCache(max_bytes=1000)

    def fill(offset: int) -> None:
        for i in range(500):
            cache.put(cache_key(offset, i), b"x" * 7)
            cache.get(cache_key(offset, i // 2))

    threads = [threading.Thread(target=fill, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.total_bytes == 7 * len(cache) <= 1000
