"""What the seeder put on the dev server, for tests, benchmarks and the demo command.

The manifest is a frozen dataclass tree written to ``<workdir>/seed.json``. It
holds the throwaway demo passwords, so the file is created readable by its
owner only.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

MANIFEST_FILE = "seed.json"


@dataclass(frozen=True)
class UserInfo:
    """A seeded user account (demo credentials, safe to print)."""

    id: int
    username: str
    password: str
    email: str
    group_ids: tuple[int, ...]


@dataclass(frozen=True)
class GroupInfo:
    """A group and the usernames of its members."""

    id: int
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class PluginInfo:
    """A plugin with an artifact task, at the snapshot artifacts refer to."""

    id: int
    snapshot_id: int
    group_id: int
    name: str
    artifact_task_id: int
    artifact_task_name: str
    # Every artifact task of the plugin file: name -> task id.
    artifact_tasks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FileEntry:
    """One file inside a directory artifact (``relative_path`` as ``/files`` gives it)."""

    relative_path: str
    size: int


@dataclass(frozen=True)
class JobInfo:
    """A seeded job.

    Attributes:
        run_id: The linked MLflow run, or None for a job without one.
        run_artifact_uri: The run's artifact root (``file:///.../<run>/artifacts``).
    """

    id: int
    group_id: int
    status: str
    description: str
    experiment_id: int
    experiment_name: str
    queue_id: int
    entrypoint_id: int
    run_id: str | None
    run_artifact_uri: str | None

    @property
    def has_run(self) -> bool:
        return self.run_id is not None


@dataclass(frozen=True)
class ArtifactInfo:
    """A registered artifact.

    Attributes:
        size: The file's size in bytes; None for a directory (as the server says).
        files: For a directory, its files sorted by relative path.
        empty_dirs: For a directory, the relative paths of its empty folders.
        snapshot_count: How many snapshots the artifact has (1 + number of edits).
    """

    id: int
    job_id: int
    group_id: int
    uri: str
    is_dir: bool
    size: int | None
    description: str | None
    has_task: bool
    snapshot_count: int = 1
    files: tuple[FileEntry, ...] = ()
    empty_dirs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The last part of the URI (the file or folder name)."""
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def total_size(self) -> int:
        """Bytes of the file, or of all files of the directory."""
        return self.size if self.size is not None else sum(f.size for f in self.files)


@dataclass(frozen=True)
class SpareInfo:
    """A file or folder logged to a job's run but NOT registered: free for tests to register."""

    job_id: int
    group_id: int
    uri: str
    is_dir: bool
    size: int | None
    files: tuple[FileEntry, ...] = ()


@dataclass(frozen=True)
class SeedManifest:
    """Everything the seeder created, with the ids the server gave it.

    Attributes:
        url: The server's root URL.
        demo_user: The username to sign in with for the demo (its password is in ``users``).
        plugin: The primary plugin (group ``public``) whose artifact task some artifacts use.
        runless_job_id: A job without an MLflow run (registration must fail with 400).
        spare_job_id: A job whose run has logged-but-unregistered files (``spares``).
        seconds: How long seeding took.
    """

    url: str
    demo_user: str
    users: tuple[UserInfo, ...]
    groups: tuple[GroupInfo, ...]
    plugin: PluginInfo
    plugins: tuple[PluginInfo, ...]
    jobs: tuple[JobInfo, ...]
    artifacts: tuple[ArtifactInfo, ...]
    spares: tuple[SpareInfo, ...]
    runless_job_id: int
    spare_job_id: int
    seconds: float = 0.0

    # -- look-ups -------------------------------------------------------------------

    def user(self, username: str) -> UserInfo:
        return next(u for u in self.users if u.username == username)

    @property
    def demo(self) -> UserInfo:
        """The demo user's account (``alice``)."""
        return self.user(self.demo_user)

    def group(self, name: str) -> GroupInfo:
        return next(g for g in self.groups if g.name == name)

    def job(self, job_id: int) -> JobInfo:
        return next(j for j in self.jobs if j.id == job_id)

    def artifact(self, artifact_id: int) -> ArtifactInfo:
        return next(a for a in self.artifacts if a.id == artifact_id)

    def artifacts_of_job(self, job_id: int) -> tuple[ArtifactInfo, ...]:
        return tuple(a for a in self.artifacts if a.job_id == job_id)

    def artifacts_in_group(self, group_id: int) -> tuple[ArtifactInfo, ...]:
        return tuple(a for a in self.artifacts if a.group_id == group_id)

    # -- persistence ----------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SeedManifest:
        return _build(cls, json.loads(text))

    def save(self, workdir: Path) -> Path:
        """Write ``<workdir>/seed.json`` (owner-only: it holds the demo passwords)."""
        path = Path(workdir) / MANIFEST_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.to_json())
        return path

    @classmethod
    def load(cls, workdir: Path) -> SeedManifest | None:
        """Read ``<workdir>/seed.json``, or None if there is none."""
        path = Path(workdir) / MANIFEST_FILE
        if not path.exists():
            return None
        return cls.from_json(path.read_text(encoding="utf-8"))


T = TypeVar("T")


def _build(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass tree from ``asdict`` output (tuples and nested classes included)."""
    hints = get_type_hints(cls)
    kwargs = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin is tuple:
        (item, *_rest) = get_args(hint)
        return tuple(_convert(item, v) for v in value)
    if origin is not None and type(None) in get_args(hint):  # X | None
        inner = next(a for a in get_args(hint) if a is not type(None))
        return _convert(inner, value)
    if isinstance(hint, type) and is_dataclass(hint):
        return _build(hint, value)
    return value
