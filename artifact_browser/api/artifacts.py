"""Artifacts (``/artifacts/``), with the names and meaning of ``dioptra.client``'s artifacts client."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Final

from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.api.download import (
    ProgressCallback,
    file_suffix,
    filename_from_disposition,
    save_stream,
)
from artifact_browser.api.errors import ApiError, ServerError
from artifact_browser.api.models import Artifact, ArtifactFile, Page
from artifact_browser.api.paging import get_all, get_page, list_params
from artifact_browser.api.session import Session

# The keys the server can sort artifacts by (note: ``uri``, not ``artifactUri``).
# ``createdOn`` sorts by the latest snapshot's creation (``snapshot_created_on``),
# so an edited artifact moves to the end, although its ``createdOn`` stays.
SORT_KEYS: Final = ("id", "uri", "createdOn", "lastModifiedOn", "description", "job")


# Reads of up to 1 MiB: few Python calls per file, and never much past a limit.
_READ_BATCH = 1 << 20


class ContentTooLargeError(ApiError):
    """:meth:`ArtifactsClient.read_contents` stopped: the file is longer than the caller's limit.

    Attributes:
        limit: The limit that was exceeded, in bytes.
        head: The first ``limit`` bytes, for a caller that can show a beginning.
    """

    def __init__(self, message: str, *, limit: int, head: bytes = b"") -> None:
        super().__init__(message)
        self.limit = limit
        self.head = head


class FileTypes(enum.Enum):
    """Archive formats for directory contents, as in ``dioptra.client.FileTypes``."""

    TAR_GZ = "tar_gz"
    ZIP = "zip"

    @property
    def suffix(self) -> str:
        return ".tar.gz" if self is FileTypes.TAR_GZ else ".zip"


class _Unchanged(enum.Enum):
    UNCHANGED = "UNCHANGED"


UNCHANGED: Final = _Unchanged.UNCHANGED
"""Default of :meth:`ArtifactsClient.modify`: keep the field as the server has it."""


class ArtifactsClient:
    """``client.artifacts``: list, read, download, register and modify artifacts."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.snapshots = ArtifactSnapshotsClient(session, self)

    def get(
        self,
        group_id: int | None = None,
        index: int = 0,
        page_length: int = 10,
        sort_by: str | None = None,
        descending: bool | None = None,
        search: str | None = None,
    ) -> Page[Artifact]:
        """One page of the latest snapshots of all artifacts.

        Args:
            group_id: Only artifacts of this group.
            index: Row offset of the first artifact (not a page number).
            page_length: Rows per page, 1..1000.
            sort_by: One of :data:`SORT_KEYS`. When None, ``id`` is sent, because
                without a sort key the server's order (and so paging) is unspecified.
            descending: Sort direction; None leaves the server's default.
            search: A query in Dioptra's search language.

        Raises:
            SearchSyntaxError: the server could not parse ``search``.
            ValidationError: a bad sort key or paging parameter.
        """
        return get_page(
            self._session, "/artifacts/", Artifact.from_json, default_sort="id", index=index,
            page_length=page_length, sort_by=sort_by, descending=descending, search=search, group_id=group_id,
        )

    def get_by_id(self, artifact_id: int) -> Artifact:
        """The latest snapshot of one artifact. Raises NotFoundError for an unknown id."""
        return Artifact.from_json(self._session.get(f"/artifacts/{int(artifact_id)}"))

    def get_files(self, artifact_id: int) -> list[ArtifactFile]:
        """The files of a directory artifact, sorted by path; ``[]`` for a single file.

        The server answers a single-file artifact with one pseudo-entry (a
        "directory" with an empty path); that entry is dropped here.
        """
        rows = self._session.get(f"/artifacts/{int(artifact_id)}/files") or []
        files = [ArtifactFile.from_json(row) for row in rows]
        files = [f for f in files if f.relative_path]
        return sorted(files, key=lambda f: f.relative_path)

    def get_contents(
        self,
        artifact_id: int | Artifact,
        file_type: FileTypes | str | None = None,
        artifact_path: str | None = None,
        output_dir: str | Path | None = None,
        file_stem: str = "contents",
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        """Download an artifact's contents to ``output_dir / (file_stem + suffix)``.

        Args:
            artifact_id: The artifact id, or an :class:`Artifact` already at hand
                (then no extra request is made to learn whether it is a directory).
            file_type: For directories: ``FileTypes.TAR_GZ`` (default) or ``.ZIP``,
                or the strings ``"tar_gz"`` / ``"zip"``. Must be None for a file.
            artifact_path: For directories: a file or folder inside it, as listed by
                :meth:`get_files`. Must be None for a file.
            output_dir: Where the file lands; the current directory by default.
            file_stem: The name without its suffix. The suffix is ``.tar.gz`` /
                ``.zip`` for archives, or the file's own suffix for a single file.
            progress: ``progress(bytes_so_far, total_or_None)``.
            cancel: A :class:`CancelToken`; setting it stops the download.

        Returns:
            The path of the downloaded file. Nothing is left under that name if
            the download fails or is cancelled.

        Raises:
            ValueError: ``file_type``/``artifact_path`` given for a file artifact,
                or an unknown file type, or an unsafe ``artifact_path``/``file_stem``.
            IntegrityError: the byte count differs from the artifact's ``fileSize``.
            DownloadCancelled: ``cancel`` was set.
        """
        artifact = artifact_id if isinstance(artifact_id, Artifact) else self.get_by_id(artifact_id)
        return download_contents(
            self._session,
            f"/artifacts/{artifact.id}/contents",
            artifact,
            file_type=file_type,
            artifact_path=artifact_path,
            output_dir=output_dir,
            file_stem=file_stem,
            progress=progress,
            cancel=cancel,
        )

    def read_contents(
        self,
        artifact: int | Artifact,
        artifact_path: str | None = None,
        *,
        limit: int | None = None,
        cancel: CancelToken | None = None,
    ) -> bytes:
        """Read one file into memory: a single-file artifact, or a file inside a directory artifact.

        Meant for previews, so it refuses anything that would come back as an
        archive, and stops as soon as more than ``limit`` bytes have arrived.
        For an artifact that is not the latest snapshot, the bytes of that
        snapshot are read.

        Args:
            artifact: The artifact id, or an :class:`Artifact` already at hand.
            artifact_path: For a directory artifact, the path of a file in it as
                listed by :meth:`get_files`; None for a single-file artifact.
            limit: The most bytes to accept; None reads the whole file.
            cancel: A :class:`CancelToken`; setting it breaks the connection.

        Returns:
            The file's bytes.

        Raises:
            ValueError: a path for a single-file artifact, no path for a
                directory, an unsafe path, or a path that names a folder.
            ContentTooLargeError: more than ``limit`` bytes arrived (nothing
                beyond ``limit + 1 MiB`` was read).
            DownloadCancelled: ``cancel`` was set.
        """
        artifact = artifact if isinstance(artifact, Artifact) else self.get_by_id(artifact)
        if artifact.is_dir and artifact_path is None:
            raise ValueError(f"Artifact {artifact.id} is a directory: name one of its files to read.")
        if not artifact.is_dir and artifact_path is not None:
            raise ValueError(f"Artifact {artifact.id} is a single file: artifact_path applies only to directories.")
        params = {"path": _checked_artifact_path(artifact_path)} if artifact_path is not None else {}
        url = (
            f"/artifacts/{artifact.id}/contents"
            if artifact.latest_snapshot
            else f"/artifacts/{artifact.id}/snapshots/{artifact.snapshot_id}/contents"
        )
        with _contents_stream(self._session, url, params, artifact_path, cancel) as response:
            if artifact_path is not None and not _is_raw_file(
                filename_from_disposition(response.headers.get("content-disposition")), artifact_path
            ):
                raise ValueError(f"{artifact_path!r} is a folder of artifact {artifact.id}, not a file.")
            return _read_body(response, artifact_path or artifact.name, limit, cancel)

    def create(
        self,
        group_id: int,
        job_id: int,
        artifact_uri: str,
        plugin_snapshot_id: int | None = None,
        task_id: int | None = None,
        description: str | None = None,
    ) -> Artifact:
        """Register an artifact logged by a job's MLflow run.

        Args:
            artifact_uri: ``<run artifact_uri>/<relative path>`` of a logged file or folder.
            plugin_snapshot_id: With ``task_id``: the plugin snapshot holding the
                artifact task that (de)serialises it. Both or neither.

        Raises:
            ValueError: only one of ``plugin_snapshot_id`` and ``task_id`` is given.
            ValidationError: the server refused a field (see ``.fields``) or the job has no MLflow run.
            ConflictError: the URI is already registered for this job.
        """
        body: dict[str, Any] = {"group": int(group_id), "job": int(job_id), "artifactUri": artifact_uri}
        body.update(_task_pair(plugin_snapshot_id, task_id))
        if description is not None:
            body["description"] = description
        return Artifact.from_json(self._session.post("/artifacts/", json=body))

    def modify(
        self,
        artifact_id: int,
        description: str | None | _Unchanged = UNCHANGED,
        plugin_snapshot_id: int | None | _Unchanged = UNCHANGED,
        task_id: int | None | _Unchanged = UNCHANGED,
    ) -> Artifact:
        """Change an artifact, keeping every field the caller did not name.

        The server's PUT replaces all three mutable fields, so the current values
        are read first and sent again for the fields left :data:`UNCHANGED`.
        Pass None to clear a field (both task fields together detach the task).
        Each modification creates a new snapshot.

        Raises:
            ValueError: the resulting task pair would be half set.
        """
        current = self.get_by_id(artifact_id)
        if description is UNCHANGED:
            description = current.description
        if plugin_snapshot_id is UNCHANGED:
            plugin_snapshot_id = current.task.plugin_snapshot_id if current.task else None
        if task_id is UNCHANGED:
            task_id = current.task.id if current.task else None
        body: dict[str, Any] = {"description": description}
        body.update(_task_pair(plugin_snapshot_id, task_id))
        return Artifact.from_json(self._session.put(f"/artifacts/{int(artifact_id)}", json=body))


class ArtifactSnapshotsClient:
    """``client.artifacts.snapshots``: an artifact's history, oldest first, as the server keeps it."""

    def __init__(self, session: Session, artifacts: ArtifactsClient) -> None:
        self._session = session
        self._artifacts = artifacts

    def get(self, artifact_id: int, index: int = 0, page_length: int = 10, search: str | None = None) -> Page[Artifact]:
        """One page of an artifact's snapshots (oldest first; the server cannot sort them)."""
        params = list_params(index=index, page_length=page_length, search=search)
        data = self._session.get(f"/artifacts/{int(artifact_id)}/snapshots", params)
        return Page.from_json(data, Artifact.from_json, page_length)

    def get_all(self, artifact_id: int) -> list[Artifact]:
        """Every snapshot of an artifact, newest first (the latest is the artifact as it is now)."""
        return get_all(lambda index, length: self.get(artifact_id, index, length))[::-1]

    def get_by_id(self, artifact_id: int, snapshot_id: int) -> Artifact:
        return Artifact.from_json(self._session.get(f"/artifacts/{int(artifact_id)}/snapshots/{int(snapshot_id)}"))

    def get_contents(
        self,
        artifact_id: int,
        snapshot_id: int,
        file_type: FileTypes | str | None = None,
        artifact_path: str | None = None,
        output_dir: str | Path | None = None,
        file_stem: str = "contents",
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        """Download one snapshot's contents; arguments as :meth:`ArtifactsClient.get_contents`."""
        snapshot = self.get_by_id(artifact_id, snapshot_id)
        return download_contents(
            self._session,
            f"/artifacts/{int(artifact_id)}/snapshots/{int(snapshot_id)}/contents",
            snapshot,
            file_type=file_type,
            artifact_path=artifact_path,
            output_dir=output_dir,
            file_stem=file_stem,
            progress=progress,
            cancel=cancel,
        )


def download_contents(
    session: Session,
    path: str,
    artifact: Artifact,
    *,
    file_type: FileTypes | str | None,
    artifact_path: str | None,
    output_dir: str | Path | None,
    file_stem: str,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> Path:
    """The download behind both ``get_contents`` methods (see there)."""
    kind = _file_type(file_type)
    if not artifact.is_dir and (kind is not None or artifact_path is not None):
        raise ValueError(
            f"Artifact {artifact.id} is a single file: file_type and artifact_path apply only to directories."
        )
    if not file_stem or PurePosixPath(file_stem).name != file_stem or "\\" in file_stem or file_stem in (".", ".."):
        raise ValueError(f"file_stem must be a plain file name, not {file_stem!r}.")
    params: dict[str, str] = {}
    if artifact.is_dir:
        kind = kind or FileTypes.TAR_GZ
        params["fileType"] = kind.value
    if artifact_path is not None:
        params["path"] = _checked_artifact_path(artifact_path)
    folder = Path(output_dir) if output_dir is not None else Path.cwd()
    folder.mkdir(parents=True, exist_ok=True)

    return _stream_to_folder(
        session, path, params, artifact, kind, artifact_path, folder / file_stem, progress=progress, cancel=cancel
    )


@contextmanager
def _contents_stream(
    session: Session, path: str, params: dict[str, str], artifact_path: str | None, cancel: CancelToken | None
) -> Iterator[Any]:
    """``session.stream`` for ``/contents``, with the server's bare 500 for a bad sub-path explained."""
    try:
        with session.stream(path, params=params, cancel=cancel) as response:
            yield response
    except ServerError as exc:
        if artifact_path is None:
            raise
        # Dioptra answers a path that is not in the artifact with a bare 500.
        raise ServerError(
            f"{exc.message}. The server could not serve {artifact_path!r}: check that it is in the artifact's file list.",
            exc.status,
        ) from exc


def _read_body(response: Any, name: str, limit: int | None, cancel: CancelToken | None) -> bytes:
    """The body of an open response, refusing to hold more than ``limit`` bytes (plus one read)."""
    data = bytearray()
    buffer = bytearray(_READ_BATCH if limit is None else max(1, min(_READ_BATCH, limit + 1)))
    view = memoryview(buffer)
    while count := response.readinto(buffer):
        if cancel is not None and cancel.cancelled:
            raise DownloadCancelled(f"Reading {name} cancelled.")
        data += view[:count]
        if limit is not None and len(data) > limit:
            raise ContentTooLargeError(
                f"{name} is larger than {limit:,} bytes; it was not read further.", limit=limit, head=bytes(data[:limit])
            )
    if cancel is not None and cancel.cancelled:
        raise DownloadCancelled(f"Reading {name} cancelled.")
    return bytes(data)


def _stream_to_folder(
    session: Session,
    path: str,
    params: dict[str, str],
    artifact: Artifact,
    kind: FileTypes | None,
    artifact_path: str | None,
    stem_path: Path,
    **callbacks: Any,
) -> Path:
    with _contents_stream(session, path, params, artifact_path, callbacks.get("cancel")) as response:
        offered = filename_from_disposition(response.headers.get("content-disposition"))
        if not artifact.is_dir:
            suffix = file_suffix(offered or artifact.name)
            expected = artifact.file_size
        elif artifact_path is not None and _is_raw_file(offered, artifact_path):
            suffix = file_suffix(PurePosixPath(artifact_path).name)
            expected = None
        else:
            suffix = kind.suffix
            expected = None
        return save_stream(response, stem_path.with_name(stem_path.name + suffix), expected_size=expected, **callbacks)


def _file_type(value: FileTypes | str | None) -> FileTypes | None:
    if value is None or isinstance(value, FileTypes):
        return value
    try:
        return FileTypes(str(value).lower())
    except ValueError:
        raise ValueError(f"file_type must be 'tar_gz' or 'zip', not {value!r}.") from None


def _checked_artifact_path(path: str) -> str:
    """Refuse paths the server would refuse (absolute, ``..``) before any request."""
    parts = PurePosixPath(path).parts
    if not path or path.startswith("/") or ".." in parts or "\\" in path:
        raise ValueError(f"artifact_path must be a relative path inside the artifact, not {path!r}.")
    return path.strip("/")


def _is_raw_file(offered: str | None, artifact_path: str) -> bool:
    """Whether a sub-path download came back as the file itself rather than an archive.

    The server sends a file under its own name and a folder as ``<folder>.tar.gz``
    or ``<folder>.zip``; without a name to go by, treat the path as a file.
    """
    return offered is None or offered == PurePosixPath(artifact_path).name


def _task_pair(plugin_snapshot_id: int | None, task_id: int | None) -> dict[str, int]:
    if (plugin_snapshot_id is None) != (task_id is None):
        raise ValueError("plugin_snapshot_id and task_id go together: give both or neither.")
    if plugin_snapshot_id is None:
        return {}
    return {"pluginSnapshotId": int(plugin_snapshot_id), "taskId": int(task_id)}
