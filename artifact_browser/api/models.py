"""Typed, immutable records parsed from Dioptra's JSON.

Parsing is tolerant: unknown keys are ignored and optional keys may be absent,
so a newer server does not break the program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")

JOB_STATUSES = ("queued", "started", "deferred", "finished", "failed")


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value))
    # Dioptra sends UTC offsets; a naive value would be ambiguous, so read it as UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A reference to a group, as embedded in other resources."""

    id: int
    name: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupRef:
        return cls(id=int(data["id"]), name=str(data.get("name", "")))


@dataclass(frozen=True, slots=True)
class UserRef:
    """A reference to a user, as embedded in other resources."""

    id: int
    username: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UserRef:
        return cls(id=int(data["id"]), username=str(data.get("username", "")))


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """A reference to a named resource (queue, experiment, entrypoint)."""

    id: int
    name: str
    snapshot_id: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ResourceRef | None:
        if not data:
            return None
        return cls(id=int(data["id"]), name=str(data.get("name", "")), snapshot_id=_opt_int(data.get("snapshotId")))


@dataclass(frozen=True, slots=True)
class OutputParam:
    """A named output of an artifact task and its parameter type."""

    name: str
    parameter_type: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutputParam:
        ptype = data.get("parameterType")
        if isinstance(ptype, dict):  # some servers embed the type as a reference
            ptype = ptype.get("name")
        return cls(name=str(data.get("name", "")), parameter_type=None if ptype is None else str(ptype))


@dataclass(frozen=True, slots=True)
class ArtifactTask:
    """The plugin task that (de)serialises an artifact."""

    id: int
    name: str
    plugin_id: int | None
    plugin_snapshot_id: int | None
    plugin_file_id: int | None
    plugin_file_snapshot_id: int | None
    output_params: tuple[OutputParam, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ArtifactTask | None:
        if not data or data.get("id") is None:  # the server sends {} for "no task"
            return None
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            plugin_id=_opt_int(data.get("pluginResourceId")),
            plugin_snapshot_id=_opt_int(data.get("pluginResourceSnapshotId")),
            plugin_file_id=_opt_int(data.get("pluginFileResourceId")),
            plugin_file_snapshot_id=_opt_int(data.get("pluginFileResourceSnapshotId")),
            output_params=tuple(OutputParam.from_json(p) for p in data.get("outputParams") or ()),
        )


@dataclass(frozen=True, slots=True)
class Artifact:
    """One artifact (or one snapshot of it) as the server describes it."""

    id: int
    snapshot_id: int
    group: GroupRef
    user: UserRef | None
    job_id: int | None
    task: ArtifactTask | None
    artifact_uri: str
    description: str | None
    created_on: datetime | None
    last_modified_on: datetime | None
    snapshot_created_on: datetime | None
    file_size: int | None
    is_dir: bool
    file_url: str
    latest_snapshot: bool = True

    @property
    def name(self) -> str:
        """The last part of the URI: what the artifact is called on disk."""
        return self.artifact_uri.rstrip("/").rsplit("/", 1)[-1]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        return cls(
            id=int(data["id"]),
            snapshot_id=int(data.get("snapshot", data["id"])),
            group=GroupRef.from_json(data["group"]),
            user=UserRef.from_json(data["user"]) if data.get("user") else None,
            job_id=_opt_int(data.get("job")),
            task=ArtifactTask.from_json(data.get("task")),
            artifact_uri=str(data.get("artifactUri", "")),
            description=data.get("description"),
            created_on=_time(data.get("createdOn")),
            last_modified_on=_time(data.get("lastModifiedOn")),
            snapshot_created_on=_time(data.get("snapshotCreatedOn")),
            file_size=_opt_int(data.get("fileSize")),
            is_dir=bool(data.get("isDir", False)),
            file_url=str(data.get("fileUrl", "")),
            latest_snapshot=bool(data.get("latestSnapshot", True)),
        )


@dataclass(frozen=True, slots=True)
class ArtifactFile:
    """One entry of a directory artifact's file listing."""

    relative_path: str
    is_dir: bool
    file_size: int | None
    file_url: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactFile:
        return cls(
            relative_path=str(data.get("relativePath", "")),
            is_dir=bool(data.get("isDir", False)),
            file_size=_opt_int(data.get("fileSize")),
            file_url=str(data.get("fileUrl", "")),
        )


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """A job's reference to one of its output artifacts."""

    id: int
    group_id: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactRef:
        group = data.get("group")
        return cls(id=int(data["id"]), group_id=_opt_int(group.get("id")) if isinstance(group, dict) else None)


@dataclass(frozen=True, slots=True)
class Job:
    """A Dioptra job; ``artifacts`` holds its distinct output artifact refs."""

    id: int
    snapshot_id: int
    group: GroupRef
    user: UserRef | None
    description: str | None
    status: str
    timeout: str | None
    created_on: datetime | None
    last_modified_on: datetime | None
    snapshot_created_on: datetime | None
    queue: ResourceRef | None
    experiment: ResourceRef | None
    entrypoint: ResourceRef | None
    artifacts: tuple[ArtifactRef, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        refs: dict[int, ArtifactRef] = {}
        # The server repeats a ref once per edit of the artifact; keep the first of each id.
        for raw in data.get("artifacts") or ():
            ref = ArtifactRef.from_json(raw)
            refs.setdefault(ref.id, ref)
        return cls(
            id=int(data["id"]),
            snapshot_id=int(data.get("snapshot", data["id"])),
            group=GroupRef.from_json(data["group"]),
            user=UserRef.from_json(data["user"]) if data.get("user") else None,
            description=data.get("description"),
            status=str(data.get("status", "")),
            timeout=data.get("timeout"),
            created_on=_time(data.get("createdOn")),
            last_modified_on=_time(data.get("lastModifiedOn")),
            snapshot_created_on=_time(data.get("snapshotCreatedOn")),
            queue=ResourceRef.from_json(data.get("queue")),
            experiment=ResourceRef.from_json(data.get("experiment")),
            entrypoint=ResourceRef.from_json(data.get("entrypoint")),
            artifacts=tuple(refs.values()),
        )


@dataclass(frozen=True, slots=True)
class GroupMember:
    """A member of a group and what they may do there."""

    user: UserRef
    permissions: frozenset[str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupMember:
        perms = data.get("permissions") or {}
        return cls(user=UserRef.from_json(data["user"]), permissions=frozenset(k for k, v in perms.items() if v))


@dataclass(frozen=True, slots=True)
class Group:
    """A Dioptra group."""

    id: int
    name: str
    owner: UserRef | None = None
    members: tuple[GroupMember, ...] = ()
    created_on: datetime | None = None
    last_modified_on: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            owner=UserRef.from_json(data["user"]) if data.get("user") else None,
            members=tuple(GroupMember.from_json(m) for m in data.get("members") or ()),
            created_on=_time(data.get("createdOn")),
            last_modified_on=_time(data.get("lastModifiedOn")),
        )


@dataclass(frozen=True, slots=True)
class Experiment:
    """A Dioptra experiment (a named set of entrypoints that jobs run)."""

    id: int
    name: str
    group: GroupRef
    description: str | None = None
    created_on: datetime | None = None
    last_modified_on: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Experiment:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            group=GroupRef.from_json(data["group"]),
            description=data.get("description"),
            created_on=_time(data.get("createdOn")),
            last_modified_on=_time(data.get("lastModifiedOn")),
        )


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in user (or another user) with their groups."""

    id: int
    username: str
    email: str | None
    groups: tuple[GroupRef, ...]
    created_on: datetime | None = None
    last_login_on: datetime | None = None
    password_expires_on: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> User:
        return cls(
            id=int(data["id"]),
            username=str(data.get("username", "")),
            email=data.get("email"),
            groups=tuple(GroupRef.from_json(g) for g in data.get("groups") or ()),
            created_on=_time(data.get("createdOn")),
            last_login_on=_time(data.get("lastLoginOn")),
            password_expires_on=_time(data.get("passwordExpiresOn")),
        )


@dataclass(frozen=True, slots=True)
class PluginTask:
    """An artifact task offered by one snapshot of a plugin: what an artifact's task can be set to.

    Task ids belong to one version of the plugin file: editing the file gives
    its tasks new ids, so a task is found again in a newer snapshot by name.
    """

    id: int
    name: str
    file_id: int
    file_name: str
    output_params: tuple[OutputParam, ...] = ()


@dataclass(frozen=True, slots=True)
class Plugin:
    """One snapshot of a plugin, with the artifact tasks of its files at that snapshot."""

    id: int
    snapshot_id: int
    group: GroupRef
    name: str
    description: str | None
    latest_snapshot: bool
    created_on: datetime | None
    snapshot_created_on: datetime | None
    artifact_tasks: tuple[PluginTask, ...] = ()

    def task_named(self, name: str) -> PluginTask | None:
        """This snapshot's artifact task called ``name``, if it has one."""
        return next((task for task in self.artifact_tasks if task.name == name), None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plugin:
        tasks = []
        for plugin_file in data.get("files") or ():
            for task in (plugin_file.get("tasks") or {}).get("artifacts") or ():
                tasks.append(
                    PluginTask(
                        id=int(task["id"]),
                        name=str(task.get("name", "")),
                        file_id=int(plugin_file["id"]),
                        file_name=str(plugin_file.get("filename", "")),
                        output_params=tuple(OutputParam.from_json(p) for p in task.get("outputParams") or ()),
                    )
                )
        return cls(
            id=int(data["id"]),
            snapshot_id=int(data.get("snapshot", data["id"])),
            group=GroupRef.from_json(data["group"]),
            name=str(data.get("name", "")),
            description=data.get("description"),
            latest_snapshot=bool(data.get("latestSnapshot", True)),
            created_on=_time(data.get("createdOn")),
            snapshot_created_on=_time(data.get("snapshotCreatedOn")),
            artifact_tasks=tuple(sorted(tasks, key=lambda t: (t.name, t.file_name))),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paged listing.

    Attributes:
        items: The rows of this page.
        index: The row offset of the first item.
        total: The number of rows in the whole listing.
        is_complete: True when no rows follow this page.
    """

    items: tuple[T, ...]
    index: int
    total: int
    is_complete: bool
    page_length: int = field(default=10)

    @classmethod
    def from_json(cls, data: dict[str, Any], parse: Callable[[dict[str, Any]], T], page_length: int) -> Page[T]:
        items = tuple(parse(row) for row in data.get("data") or ())
        return cls(
            items=items,
            index=int(data.get("index", 0)),
            total=int(data.get("totalNumResults", len(items))),
            is_complete=bool(data.get("isComplete", True)),
            page_length=page_length,
        )

    @property
    def page_number(self) -> int:
        """The 0-based number of this page."""
        return self.index // self.page_length

    @property
    def page_count(self) -> int:
        """How many pages the whole listing has (at least 1)."""
        return max(1, -(-self.total // self.page_length))
