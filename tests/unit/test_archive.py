"""Unpacking archives from a server: nothing may land outside the chosen folder."""

from __future__ import annotations

import io
import random
import stat
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.core.archive import UnsafeArchiveError, extract_safely, verify_against_listing

GOOD_FILES = {
    "run/README.txt": b"hello\n",
    "run/plots/roc curve.png": b"\x89PNG fake",
    "run/deep/er/still/data.bin": bytes(range(256)) * 40,
    "run/empty.txt": b"",
    "run/données.json": b'{"ok": true}',
}


def make_tar(path: Path, entries: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = 1_700_000_000
                tar.addfile(info, io.BytesIO(data))
    return path


def tar_special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def make_zip(path: Path, entries: list[tuple[str, bytes] | zipfile.ZipInfo]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                zf.writestr(entry, b"target")
            else:
                zf.writestr(*entry)
    return path


def zip_with_mode(name: str, file_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode in external_attr counts
    info.external_attr = (file_type | 0o777) << 16
    return info


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def everything_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# -- good archives ---------------------------------------------------------------------


@pytest.mark.parametrize("maker", ["tar.gz", "tar", "zip"])
def test_a_good_archive_is_unpacked_with_its_folders(tmp_path, maker):
    source = tmp_path / f"good.{maker}"
    if maker == "zip":
        make_zip(source, list(GOOD_FILES.items()))
    else:
        make_tar(source, [tar_special("run", tarfile.DIRTYPE), *GOOD_FILES.items()], "w:gz" if maker == "tar.gz" else "w")
    into = tmp_path / "out"
    written = extract_safely(source, into)
    assert tree(into) == GOOD_FILES
    assert sorted(p.relative_to(into).as_posix() for p in written) == sorted(GOOD_FILES)
    assert all(p.is_file() for p in written)


def test_the_format_comes_from_the_bytes_not_the_name(tmp_path):
    disguised = make_zip(tmp_path / "really-a-zip.tar.gz", [("a/b.txt", b"b")])
    extract_safely(disguised, tmp_path / "out")
    assert tree(tmp_path / "out") == {"a/b.txt": b"b"}
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"<html>502 Bad Gateway</html>")
    with pytest.raises(ValueError, match="neither a tar.gz nor a zip"):
        extract_safely(junk, tmp_path / "out2")


def test_tar_modes_and_times_are_handled_safely(tmp_path):
    info = tarfile.TarInfo("run/tool")
    data = b"#!/bin/sh\n"
    info.size = len(data)
    info.mode = 0o4777  # set-uid: never applied
    info.mtime = 1_600_000_000
    source = tmp_path / "modes.tar.gz"
    with tarfile.open(source, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(data))
    extract_safely(source, tmp_path / "out")
    written = tmp_path / "out" / "run" / "tool"
    assert not written.stat().st_mode & stat.S_ISUID
    assert int(written.stat().st_mtime) == 1_600_000_000


def test_a_big_member_is_streamed_not_read_into_memory(tmp_path):
    size = 48 << 20
    source = tmp_path / "big.tar.gz"
    with tarfile.open(source, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("big/weights.bin")
        info.size = size
        tar.addfile(info, _Noise(size))
    tracemalloc.start()
    try:
        extract_safely(source, tmp_path / "out")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out" / "big" / "weights.bin").stat().st_size == size
    assert peak < 8 << 20, f"peak Python memory {peak / 1e6:.1f} MB while unpacking a 48 MiB member"


class _Noise(io.RawIOBase):
    """``size`` bytes that barely compress (like model weights), never in memory whole."""

    _BLOCK = bytes(random.Random(5).randbytes(1 << 20))

    def __init__(self, size: int) -> None:
        self.left = size
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - io protocol
        count = min(len(buffer), self.left, len(self._BLOCK) - self.offset)
        buffer[:count] = self._BLOCK[self.offset : self.offset + count]
        self.offset = (self.offset + count) % len(self._BLOCK)
        self.left -= count
        return count


# -- malicious archives ----------------------------------------------------------------


MALICIOUS_TARS = {
    "absolute path": [("/tmp/artifact-browser-evil.txt", b"x")],
    "dot-dot": [("../evil.txt", b"x")],
    "dot-dot in the middle": [("run/../../evil.txt", b"x")],
    "backslash dot-dot": [("..\\evil.txt", b"x")],
    "windows drive": [("C:/evil.txt", b"x")],
    "symlink": [tar_special("run/link", tarfile.SYMTYPE, "/etc/passwd")],
    "relative symlink": [tar_special("run/link", tarfile.SYMTYPE, "../../..")],
    "hardlink": [tar_special("run/hard", tarfile.LNKTYPE, "/etc/passwd")],
    "character device": [tar_special("run/tty", tarfile.CHRTYPE)],
    "block device": [tar_special("run/disk", tarfile.BLKTYPE)],
    "fifo": [tar_special("run/pipe", tarfile.FIFOTYPE)],
}


@pytest.mark.parametrize("case", sorted(MALICIOUS_TARS))
def test_malicious_tar_members_are_refused(tmp_path, case):
    source = make_tar(tmp_path / "evil.tar.gz", [("run/ok.txt", b"fine"), *MALICIOUS_TARS[case]])
    into = tmp_path / "box" / "out"
    with pytest.raises(UnsafeArchiveError) as caught:
        extract_safely(source, into)
    assert repr(caught.value.member) in str(caught.value)
    # Nothing from this archive stays, inside the folder or beside it.
    assert not into.exists()
    assert everything_under(tmp_path) == {"evil.tar.gz", "box"}
    assert not Path("/tmp/artifact-browser-evil.txt").exists()


MALICIOUS_ZIPS = {
    "absolute path": [("/tmp/artifact-browser-evil.txt", b"x")],
    "dot-dot": [("../evil.txt", b"x")],
    "backslash dot-dot": [("run\\..\\..\\evil.txt", b"x")],
    "symlink": [zip_with_mode("run/link", stat.S_IFLNK)],
    "device": [zip_with_mode("run/tty", stat.S_IFCHR)],
    "fifo": [zip_with_mode("run/pipe", stat.S_IFIFO)],
}


@pytest.mark.parametrize("case", sorted(MALICIOUS_ZIPS))
def test_malicious_zip_members_are_refused(tmp_path, case):
    source = make_zip(tmp_path / "evil.zip", [("run/ok.txt", b"fine"), *MALICIOUS_ZIPS[case]])
    into = tmp_path / "box" / "out"
    with pytest.raises(UnsafeArchiveError):
        extract_safely(source, into)
    assert not into.exists()
    assert everything_under(tmp_path) == {"evil.zip", "box"}


def test_a_link_already_in_the_folder_cannot_be_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    into = tmp_path / "into"
    into.mkdir()
    (into / "run").symlink_to(outside, target_is_directory=True)
    source = make_tar(tmp_path / "through-link.tar.gz", [("run/evil.txt", b"x")])
    with pytest.raises(UnsafeArchiveError, match="outside the target folder"):
        extract_safely(source, into)
    assert list(outside.iterdir()) == []


def test_a_failure_removes_only_what_this_call_wrote(tmp_path):
    into = tmp_path / "into"
    (into / "mine").mkdir(parents=True)
    (into / "mine" / "keep.txt").write_text("the user's")
    source = make_tar(
        tmp_path / "half.tar.gz",
        [("run/a.txt", b"a"), ("mine/new.txt", b"n"), ("run/sub/b.txt", b"b"), ("../escape.txt", b"x")],
    )
    with pytest.raises(UnsafeArchiveError):
        extract_safely(source, into)
    assert everything_under(into) == {"mine", "mine/keep.txt"}


def test_a_cancel_stops_unpacking_and_cleans_up(tmp_path):
    source = make_tar(tmp_path / "ok.tar.gz", list(GOOD_FILES.items()))
    token = CancelToken()
    token.cancel()
    with pytest.raises(DownloadCancelled):
        extract_safely(source, tmp_path / "out", cancel=token)
    assert not (tmp_path / "out").exists()


# -- verification against the server's listing ---------------------------------------------


def test_verification_passes_when_every_file_is_there(tmp_path):
    make_tar(tmp_path / "ok.tar.gz", list(GOOD_FILES.items()))
    extract_safely(tmp_path / "ok.tar.gz", tmp_path / "out")
    listing = [(name.removeprefix("run/"), len(data)) for name, data in GOOD_FILES.items()]
    assert verify_against_listing(tmp_path / "out" / "run", listing) == []


def test_verification_names_missing_files_and_size_mismatches(tmp_path):
    folder = tmp_path / "run"
    (folder / "plots").mkdir(parents=True)
    (folder / "plots" / "a.png").write_bytes(b"12345")
    (folder / "extra.txt").write_bytes(b"not in the listing")
    (folder / "a folder.txt").mkdir()  # a folder where a file should be
    problems = verify_against_listing(
        folder,
        [("plots/a.png", 5), ("plots/b.png", 9), ("big.bin", 1000), ("a folder.txt", 0)],
    )
    assert problems == ["missing: plots/b.png", "missing: big.bin", "missing: a folder.txt"]
    problems = verify_against_listing(folder, [("plots/a.png", 4096)])
    assert problems == ["plots/a.png: 5 bytes instead of 4,096"]
