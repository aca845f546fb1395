"""Downloading artifact contents from the real server: files, archives, sub-paths, snapshots."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import PurePosixPath

import pytest

from artifact_browser.api import FileTypes, ServerError


def file_artifact(manifest, predicate=lambda a: True):
    return next(a for a in manifest.artifacts if not a.is_dir and predicate(a))


def nested_directory(manifest):
    """A directory artifact with a file at least two folders deep."""
    return next(a for a in manifest.artifacts if a.is_dir and any(f.relative_path.count("/") >= 2 for f in a.files))


def test_file_contents_land_with_the_files_own_suffix(client, dioptra, tmp_path):
    info = file_artifact(dioptra.manifest, lambda a: (a.size or 0) > 1 << 20)
    progress = []
    path = client.artifacts.get_contents(info.id, output_dir=tmp_path, progress=lambda n, total: progress.append((n, total)))
    assert path == tmp_path / ("contents" + PurePosixPath(info.name).suffix)
    assert path.stat().st_size == info.size
    assert progress[-1] == (info.size, info.size)
    assert [n for n, _ in progress] == sorted(n for n, _ in progress)
    assert list(tmp_path.iterdir()) == [path]


def test_empty_file_and_file_stem(client, dioptra, tmp_path):
    info = file_artifact(dioptra.manifest, lambda a: a.size == 0)
    path = client.artifacts.get_contents(info.id, output_dir=tmp_path, file_stem="empty one")
    assert path.name.startswith("empty one") and path.stat().st_size == 0


def test_default_output_dir_is_the_current_directory(client, dioptra, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    info = file_artifact(dioptra.manifest, lambda a: a.name.endswith(".json"))
    path = client.artifacts.get_contents(info.id)
    assert path.parent.resolve() == tmp_path.resolve() and path.suffix == ".json"


def test_output_dir_is_created(client, dioptra, tmp_path):
    info = file_artifact(dioptra.manifest)
    path = client.artifacts.get_contents(info.id, output_dir=tmp_path / "new" / "folder")
    assert path.parent == tmp_path / "new" / "folder" and path.exists()


def members_of(info, root: str) -> set[str]:
    return {f"{root}/{f.relative_path}" for f in info.files}


def test_directory_as_tar_gz_by_default(client, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    path = client.artifacts.get_contents(info.id, output_dir=tmp_path)
    assert path.name == "contents.tar.gz"
    with tarfile.open(path) as archive:
        files = {m.name: m.size for m in archive.getmembers() if m.isfile()}
    assert files == {f"{info.name}/{f.relative_path}": f.size for f in info.files}


@pytest.mark.parametrize("file_type", [FileTypes.ZIP, "zip"])
def test_directory_as_zip(client, dioptra, tmp_path, file_type):
    info = nested_directory(dioptra.manifest)
    path = client.artifacts.get_contents(info.id, file_type=file_type, output_dir=tmp_path, file_stem="bundle")
    assert path.name == "bundle.zip"
    with zipfile.ZipFile(path) as archive:
        assert {n for n in archive.namelist() if not n.endswith("/")} == members_of(info, info.name)


def test_directory_as_tar_gz_by_name(client, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    path = client.artifacts.get_contents(info.id, file_type="tar_gz", output_dir=tmp_path)
    assert tarfile.is_tarfile(path) and path.name.endswith(".tar.gz")


def test_sub_file_of_a_directory_comes_back_raw(client, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    inner = next(f for f in info.files if f.relative_path.count("/") >= 2)
    path = client.artifacts.get_contents(info.id, artifact_path=inner.relative_path, output_dir=tmp_path, file_stem="inner")
    assert path.name == "inner" + PurePosixPath(inner.relative_path).suffix
    assert path.stat().st_size == inner.size


@pytest.mark.parametrize("file_type, suffix", [(None, ".tar.gz"), (FileTypes.ZIP, ".zip")])
def test_sub_folder_comes_back_as_an_archive(client, dioptra, tmp_path, file_type, suffix):
    info = nested_directory(dioptra.manifest)
    folder = next(f for f in info.files if f.relative_path.count("/") >= 2).relative_path.split("/")[0]
    expected = {f.relative_path for f in info.files if f.relative_path.startswith(folder + "/")}
    path = client.artifacts.get_contents(info.id, file_type=file_type, artifact_path=folder, output_dir=tmp_path, file_stem="part")
    assert path.name == "part" + suffix
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = {n for n in archive.namelist() if not n.endswith("/")}
    else:
        with tarfile.open(path) as archive:
            names = {m.name for m in archive.getmembers() if m.isfile()}
    assert names == expected


def test_missing_sub_path_is_a_clear_server_error_and_leaves_nothing(client, dioptra, tmp_path):
    info = nested_directory(dioptra.manifest)
    with pytest.raises(ServerError) as raised:
        client.artifacts.get_contents(info.id, artifact_path="no/such/file.txt", output_dir=tmp_path)
    assert "no/such/file.txt" in raised.value.message
    assert list(tmp_path.iterdir()) == []


def test_archive_options_are_refused_for_a_file_artifact(client, dioptra, tmp_path):
    info = file_artifact(dioptra.manifest)
    artifact = client.artifacts.get_by_id(info.id)
    for kwargs in ({"file_type": "zip"}, {"artifact_path": "x.txt"}):
        with pytest.raises(ValueError, match="single file"):
            client.artifacts.get_contents(artifact, output_dir=tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []
