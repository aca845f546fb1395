"""Safe file names and target conflicts: what a user would see land on their disk."""

from __future__ import annotations

import pytest

from artifact_browser.core.filenames import (
    MAX_NAME_BYTES,
    ConflictPolicy,
    numbered_path,
    resolve_conflict,
    safe_file_name,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("model.bin", "model.bin"),
        ("roc curve.png", "roc curve.png"),
        ("résumé notes.txt", "résumé notes.txt"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path/data.csv", "data.csv"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("bell\x07and\x00nul\n.txt", "bellandnul.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("trailing dots...", "trailing dots"),
        ("trailing spaces.txt   ", "trailing spaces.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Lpt9.tar.gz", "_Lpt9.tar.gz"),
        ("COM1 .log", "_COM1 .log"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("COM10", "COM10"),
    ],
)
def test_names_are_made_safe(given, expected):
    assert safe_file_name(given) == expected


@pytest.mark.parametrize("given", ["", ".", "..", "dir/", "a/..", "...", "   ", "\x01\x02"])
def test_nothing_usable_gives_the_fallback(given):
    assert safe_file_name(given) == "download"
    assert safe_file_name(given, fallback="artifact 7") == "artifact 7"


def test_an_unsafe_fallback_is_made_safe_too():
    assert safe_file_name("..", fallback="a/b:c") == "b_c"
    assert safe_file_name("", fallback="") == "download"


def test_long_names_are_capped_in_utf8_bytes_keeping_the_extension():
    name = "é" * 300 + ".tar.gz"
    safe = safe_file_name(name)
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe.endswith(".tar.gz") and safe.startswith("é")
    safe.encode("utf-8").decode("utf-8")  # no character cut in half

    plain = safe_file_name("x" * 500)
    assert plain == "x" * MAX_NAME_BYTES


def test_numbered_path_for_files_keeps_compound_extensions(tmp_path):
    (tmp_path / "data.tar.gz").write_bytes(b"")
    assert numbered_path(tmp_path / "data.tar.gz") == tmp_path / "data (2).tar.gz"
    (tmp_path / "data (2).tar.gz").write_bytes(b"")
    assert numbered_path(tmp_path / "data.tar.gz") == tmp_path / "data (3).tar.gz"
    assert numbered_path(tmp_path / "data (2).tar.gz") == tmp_path / "data (3).tar.gz"
    assert numbered_path(tmp_path / "README") == tmp_path / "README (2)"


def test_numbered_path_for_folders_has_no_extension(tmp_path):
    (tmp_path / "v1.0").mkdir()
    assert numbered_path(tmp_path / "v1.0") == tmp_path / "v1.0 (2)"


def test_a_name_being_downloaded_counts_as_taken(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"old")
    (tmp_path / "model (2).bin.part").write_bytes(b"half")
    assert numbered_path(tmp_path / "model.bin") == tmp_path / "model (3).bin"


def test_resolve_conflict_per_policy(tmp_path):
    free = tmp_path / "free.txt"
    taken = tmp_path / "taken.txt"
    taken.write_text("x")
    for policy in (ConflictPolicy.OVERWRITE, ConflictPolicy.KEEP_BOTH, ConflictPolicy.SKIP):
        assert resolve_conflict(free, policy) == free
    assert resolve_conflict(taken, ConflictPolicy.OVERWRITE) == taken
    assert resolve_conflict(taken, ConflictPolicy.KEEP_BOTH) == tmp_path / "taken (2).txt"
    assert resolve_conflict(taken, ConflictPolicy.SKIP) is None
    assert resolve_conflict(taken, "keep_both") == tmp_path / "taken (2).txt"
    with pytest.raises(ValueError):
        resolve_conflict(taken, ConflictPolicy.ASK)


def test_a_broken_link_counts_as_existing(tmp_path):
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere")
    assert resolve_conflict(link, ConflictPolicy.SKIP) is None
    assert resolve_conflict(link, ConflictPolicy.KEEP_BOTH) == tmp_path / "gone (2).txt"


def test_policy_values_are_stable_words():
    # They are stored in settings ("remember the last choice").
    assert [p.value for p in ConflictPolicy] == ["ask", "overwrite", "keep_both", "skip"]
    assert isinstance(ConflictPolicy.SKIP, str)
