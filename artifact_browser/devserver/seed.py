"""Fill a fresh dev server with demo data, the way real Dioptra users and workers would.

Everything goes through the REST API (:class:`~artifact_browser.api.session.Session`)
except the two things only the server side can do, which the seed tool does in
the server's venv: creating a second group (no REST route) and being the
worker that logs files into MLflow runs. The slow parts (two Python start-ups
in the server venv) run in parallel with the REST calls.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from artifact_browser.api.session import Session
from artifact_browser.devserver import content
from artifact_browser.devserver.content import LAB, MODEL_TASK, PUBLIC, TABLE_TASK, PlannedDir, PlannedFile, PlannedJob
from artifact_browser.devserver.manifest import (
    ArtifactInfo,
    FileEntry,
    GroupInfo,
    JobInfo,
    PluginInfo,
    SeedManifest,
    SpareInfo,
    UserInfo,
)
from artifact_browser.devserver.server import DevServer

log = logging.getLogger(__name__)

SEEDTOOL = Path(__file__).with_name("seedtool.py")
MLFLOW_EXPERIMENT = "artifact-browser-demo"

# Throwaway demo accounts on a loopback-only server. Dioptra accepts weak passwords.
DEMO_USER = "alice"
USERS: tuple[tuple[str, str], ...] = (
    ("alice", "alice-password"),  # the demo login; member of public and vision-lab
    ("bob", "bob-password"),  # member of public and vision-lab
    ("carol", "carol-password"),  # member of public only
)
LAB_MEMBERS = ("bob",)  # besides alice, who creates (owns) the lab group
REGISTER_THREADS = 4
SEEDTOOL_TIMEOUT = 300.0

T = TypeVar("T")


class SeedError(RuntimeError):
    """Seeding failed (a seed tool failure ends with the tail of its output)."""


# -- the seed tool (runs in the server venv) ---------------------------------------------


class SeedTool:
    """``seedtool.py <command>`` running in the server venv with the server's environment.

    The tool imports its heavy libraries before reading its request, so start it
    as early as possible and :meth:`finish` it when the request is ready.

    Args:
        server: A started (or attached) server.
        command: ``create-group`` or ``log-runs``.
    """

    def __init__(self, server: DevServer, command: str) -> None:
        if server.venv is None:
            raise SeedError("The server has no venv; start it first.")
        self.command = command
        self._started = time.monotonic()
        server.log_dir.mkdir(parents=True, exist_ok=True)
        # stderr goes to a file, not a pipe: the tool logs while nobody reads it
        # yet, and a full pipe would stall it.
        self._log_path = server.log_dir / f"seedtool-{command}.log"
        with open(self._log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                [str(server.venv.python), str(SEEDTOOL), command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                env=server.environment(),
                cwd=server.workdir,
            )

    def finish(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send the request and wait for the answer.

        Raises:
            SeedError: the tool failed; the message ends with its log's tail.
        """
        try:
            out, _ = self._process.communicate(json.dumps(request).encode("utf-8"), timeout=SEEDTOOL_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise SeedError(f"seedtool {self.command} did not finish in {SEEDTOOL_TIMEOUT:.0f} s.\n{self._tail()}") from None
        if self._process.returncode != 0:
            raise SeedError(f"seedtool {self.command} failed (exit code {self._process.returncode}).\n{self._tail()}")
        log.info("seedtool %s took %.1f s", self.command, time.monotonic() - self._started)
        try:
            return json.loads(out)
        except ValueError as exc:
            raise SeedError(f"seedtool {self.command} printed no JSON answer: {out[-500:]!r}") from exc

    def cancel(self) -> None:
        """Stop the tool if it is still running (after a failure elsewhere)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()

    def _tail(self) -> str:
        lines = self._log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        return f"--- last lines of {self._log_path} ---\n" + "\n".join(lines)


def run_seedtool(server: DevServer, command: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run one seed tool command to completion (see :class:`SeedTool`)."""
    return SeedTool(server, command).finish(request)


# -- REST helpers ------------------------------------------------------------------------


def _signed_in(url: str, username: str, password: str) -> Session:
    session = Session(url)
    session.login(username, password)
    return session


@dataclass
class _GroupKit:
    """The resources every job of one group needs."""

    id: int
    name: str
    queue_id: int
    entrypoint_id: int
    plugin: PluginInfo
    experiments: dict[str, int]


def _make_group_kit(session: Session, group_id: int, group_name: str, *, prefix: str) -> _GroupKit:
    """Create a queue, a plugin with artifact tasks and an entrypoint in one group."""
    queue = session.post("/queues/", json={"name": f"{prefix}-queue", "group": group_id, "description": f"demo queue of {group_name}"})
    types = session.get("/pluginParameterTypes/", params={"groupId": group_id, "pageLength": 100, "index": 0})
    type_ids = {t["name"]: t["id"] for t in types["data"]}
    plugin_name = f"{prefix.replace('-', '_')}_tasks"
    plugin = session.post("/plugins/", json={"name": plugin_name, "group": group_id, "description": "demo plugin with artifact tasks"})
    plugin_file = session.post(
        f"/plugins/{plugin['id']}/files",
        json={
            "filename": "demo_tasks.py",
            "contents": content.PLUGIN_SOURCE,
            "description": "train task and artifact tasks for models and tables",
            "tasks": {
                "functions": [{"name": "train", "inputParams": [], "outputParams": []}],
                # Artifact tasks need typed output parameters to be usable as outputs.
                "artifacts": [
                    {"name": MODEL_TASK, "outputParams": [{"name": "model", "parameterType": type_ids["any"]}]},
                    {"name": TABLE_TASK, "outputParams": [{"name": "table", "parameterType": type_ids["string"]}]},
                ],
            },
        },
    )
    # Adding a file makes a new plugin snapshot; artifacts must name that one.
    snapshot_id = session.get(f"/plugins/{plugin['id']}")["snapshot"]
    tasks = {task["name"]: task["id"] for task in plugin_file["tasks"]["artifacts"]}
    entrypoint = session.post(
        "/entrypoints/",
        json={
            "name": f"{prefix}-train",
            "group": group_id,
            "description": "runs the demo train task",
            "taskGraph": "train_step:\n  task: train\n",
            "parameters": [],
            "queues": [queue["id"]],
            "plugins": [plugin["id"]],
        },
    )
    return _GroupKit(
        id=group_id,
        name=group_name,
        queue_id=queue["id"],
        entrypoint_id=entrypoint["id"],
        plugin=PluginInfo(
            id=plugin["id"],
            snapshot_id=snapshot_id,
            group_id=group_id,
            name=plugin_name,
            artifact_task_id=tasks[MODEL_TASK],
            artifact_task_name=MODEL_TASK,
            artifact_tasks=tasks,
        ),
        experiments={},
    )


def _experiment(session: Session, kit: _GroupKit, name: str) -> int:
    if name not in kit.experiments:
        created = session.post(
            "/experiments/",
            json={"name": name, "group": kit.id, "description": f"demo experiment {name}", "entrypoints": [kit.entrypoint_id]},
        )
        kit.experiments[name] = created["id"]
    return kit.experiments[name]


def _set_status(session: Session, experiment_id: int, job_id: int, status: str) -> None:
    session.put(f"/experiments/{experiment_id}/jobs/{job_id}/status", json={"status": status})


def _parallel(pool: ThreadPoolExecutor, func: Callable[..., T], items: Iterable[Any]) -> list[T]:
    futures = [pool.submit(func, item) for item in items]
    return [f.result() for f in futures]


# -- the seeding ---------------------------------------------------------------------------


def seed(server: DevServer) -> SeedManifest:
    """Create the demo data set on a fresh server and write ``<workdir>/seed.json``.

    Args:
        server: A started server with an empty database.

    Returns:
        The manifest of everything created.

    Raises:
        SeedError: the seed tool failed.
        artifact_browser.api.errors.ApiError: the server refused a request
            (e.g. the server was already seeded: users exist).
    """
    started = time.monotonic()
    # Both tools start first; their imports overlap with the REST calls.
    tools = [SeedTool(server, "log-runs")]
    try:
        tools.append(SeedTool(server, "create-group"))
        with (
            tempfile.TemporaryDirectory(dir=server.workdir, prefix="seed-stage-") as stage,
            ThreadPoolExecutor(max_workers=REGISTER_THREADS) as pool,
            _Seeder(server.url, server.artifact_root.as_uri(), pool) as seeder,
        ):
            seeder.run(runs_tool=tools[0], lab_tool=tools[1], stage=Path(stage))
            manifest = seeder.manifest(seconds=time.monotonic() - started)
    finally:
        for tool in tools:
            tool.cancel()
    manifest.save(server.workdir)
    log.info("Seeded %d jobs and %d artifacts in %.1f s", len(manifest.jobs), len(manifest.artifacts), manifest.seconds)
    return manifest


class _Seeder:
    """The REST side of seeding; collects the ids the server hands out."""

    def __init__(self, url: str, artifact_location: str, pool: ThreadPoolExecutor) -> None:
        self.url = url
        self.artifact_location = artifact_location
        self.pool = pool
        self.plan = content.demo_plan()
        self.passwords = dict(USERS)
        self.sessions: list[Session] = []
        self._local = threading.local()
        self.users: dict[str, dict[str, Any]] = {}
        self.kits: dict[str, _GroupKit] = {}
        self.job_ids: dict[str, int] = {}
        self.experiment_ids: dict[str, int] = {}
        self.run_of: dict[str, dict[str, Any]] = {}
        self.artifact_ids: dict[tuple[str, str], int] = {}
        self.edit_counts: dict[tuple[str, str], int] = {}
        self.descriptions: dict[tuple[str, str], str | None] = {}

    def __enter__(self) -> _Seeder:
        return self

    def __exit__(self, *exc: object) -> None:
        for session in self.sessions:
            session.close()

    @property
    def run_jobs(self) -> list[PlannedJob]:
        return [job for job in self.plan if job.has_run]

    def session(self, username: str = DEMO_USER) -> Session:
        """A signed-in session for this thread (sessions are not shared across threads)."""
        cache = self._local.__dict__.setdefault("sessions", {})
        if username not in cache:
            cache[username] = _signed_in(self.url, username, self.passwords[username])
            self.sessions.append(cache[username])
        return cache[username]

    def run(self, *, runs_tool: SeedTool, lab_tool: SeedTool, stage: Path) -> None:
        # 1. The worker's MLflow part needs nothing from the REST API.
        runs_request: dict[str, Any] = {"experiment": MLFLOW_EXPERIMENT, "artifact_location": self.artifact_location, "runs": []}
        for job in self.run_jobs:
            files, dirs = content.write_run_sources(job, stage)
            runs_request["runs"].append({"name": job.key, "files": files, "dirs": dirs})
        runs_future = self.pool.submit(runs_tool.finish, runs_request)

        # 2. Users; the first one registered creates (and owns) ``public``.
        with Session(self.url) as anonymous:
            for username, password in USERS:
                self.users[username] = anonymous.post(
                    "/users/",
                    json={"username": username, "email": f"{username}@example.org", "password": password, "confirmPassword": password},
                )
        lab_future = self.pool.submit(lab_tool.finish, {"name": LAB, "creator": DEMO_USER, "members": list(LAB_MEMBERS)})

        # 3. Group resources and jobs, as far as a worker takes them before logging.
        alice = self.session()
        public_id = next(g["id"] for g in alice.get("/users/current")["groups"] if g["name"] == PUBLIC)
        self.kits[PUBLIC] = _make_group_kit(alice, public_id, PUBLIC, prefix="public")
        self._create_jobs(PUBLIC)
        lab = lab_future.result()
        self.kits[LAB] = _make_group_kit(alice, lab["id"], LAB, prefix="lab")
        self._create_jobs(LAB)

        # 4. Link the runs and register their files, as the worker does.
        runs = runs_future.result()["runs"]
        self.run_of = {job.key: run for job, run in zip(self.run_jobs, runs, strict=True)}
        for job in self.run_jobs:
            alice.post(f"/jobs/{self.job_ids[job.key]}/mlflowRun", json={"mlflowRunId": self.run_of[job.key]["run_id"]})
        entries = [(job, item) for job in self.run_jobs for item in [*job.files, *job.dirs] if item.register]
        answers = _parallel(self.pool, self._register, entries)
        self.artifact_ids = {(job.key, item.rel): answer["id"] for (job, item), answer in zip(entries, answers, strict=True)}

        # 5. Edits (each PUT is a snapshot), then the final statuses.
        self._edit()
        for job in self.plan:
            if job.status in ("finished", "failed"):
                _set_status(alice, self.experiment_ids[job.key], self.job_ids[job.key], job.status)

    def _create_jobs(self, group: str) -> None:
        alice = self.session()
        kit = self.kits[group]
        for job in self.plan:
            if job.group != group:
                continue
            experiment_id = _experiment(alice, kit, job.experiment)
            created = alice.post(
                f"/experiments/{experiment_id}/jobs",
                json={"queue": kit.queue_id, "entrypoint": kit.entrypoint_id, "description": job.description, "values": {}},
            )
            self.job_ids[job.key] = created["id"]
            self.experiment_ids[job.key] = experiment_id
            if job.has_run:
                _set_status(alice, experiment_id, created["id"], "started")
            elif job.status == "deferred":
                _set_status(alice, experiment_id, created["id"], "deferred")

    def _register(self, entry: tuple[PlannedJob, PlannedFile | PlannedDir]) -> dict[str, Any]:
        job, item = entry
        kit = self.kits[job.group]
        # Exactly <run artifact_uri>/<rel>: the server only accepts the run's own root.
        body: dict[str, Any] = {
            "group": kit.id,
            "job": self.job_ids[job.key],
            "artifactUri": f"{self.run_of[job.key]['artifact_uri']}/{item.rel}",
        }
        if item.description is not None:
            body["description"] = item.description
        if item.task is not None:
            body["pluginSnapshotId"] = kit.plugin.snapshot_id
            body["taskId"] = kit.plugin.artifact_tasks[item.task]
        return self.session().post("/artifacts/", json=body)

    def _edit(self) -> None:
        for job in self.run_jobs:
            kit = self.kits[job.group]
            for rel, description in job.edits:
                key = (job.key, rel)
                item = _planned(job, rel)
                body: dict[str, Any] = {"description": description}
                if item.task is not None:
                    # PUT replaces the task pair too: resend it to keep it.
                    body |= {"pluginSnapshotId": kit.plugin.snapshot_id, "taskId": kit.plugin.artifact_tasks[item.task]}
                # Bob makes every later edit, so ``user`` (the last editor) differs from the creator.
                editor = self.session("bob" if self.edit_counts.get(key, 0) else DEMO_USER)
                editor.put(f"/artifacts/{self.artifact_ids[key]}", json=body)
                self.edit_counts[key] = self.edit_counts.get(key, 0) + 1
                self.descriptions[key] = description

    def manifest(self, seconds: float) -> SeedManifest:
        return _manifest(
            url=self.url,
            plan=self.plan,
            users=self.users,
            kits=self.kits,
            job_ids=self.job_ids,
            experiment_ids=self.experiment_ids,
            run_of=self.run_of,
            artifact_ids=self.artifact_ids,
            edit_counts=self.edit_counts,
            descriptions=self.descriptions,
            seconds=seconds,
        )


def _planned(job: PlannedJob, rel: str) -> PlannedFile | PlannedDir:
    return next(item for item in [*job.files, *job.dirs] if item.rel == rel)


def _dir_entries(planned: PlannedDir) -> tuple[FileEntry, ...]:
    return tuple(FileEntry(rel, len(data)) for rel, data in sorted(planned.files.items()))


def _manifest(
    *,
    url: str,
    plan: list[PlannedJob],
    users: dict[str, dict[str, Any]],
    kits: dict[str, _GroupKit],
    job_ids: dict[str, int],
    experiment_ids: dict[str, int],
    run_of: dict[str, dict[str, Any]],
    artifact_ids: dict[tuple[str, str], int],
    edit_counts: dict[tuple[str, str], int],
    descriptions: dict[tuple[str, str], str | None],
    seconds: float,
) -> SeedManifest:
    passwords = dict(USERS)
    lab_users = {DEMO_USER, *LAB_MEMBERS}
    user_infos = tuple(
        UserInfo(
            id=answer["id"],
            username=name,
            password=passwords[name],
            email=answer["email"],
            group_ids=(kits[PUBLIC].id, kits[LAB].id) if name in lab_users else (kits[PUBLIC].id,),
        )
        for name, answer in users.items()
    )
    groups = (
        GroupInfo(kits[PUBLIC].id, PUBLIC, tuple(users)),
        GroupInfo(kits[LAB].id, LAB, tuple(name for name in users if name in lab_users)),
    )
    jobs: list[JobInfo] = []
    artifacts: list[ArtifactInfo] = []
    spares: list[SpareInfo] = []
    for job in plan:
        kit = kits[job.group]
        run = run_of.get(job.key)
        jobs.append(
            JobInfo(
                id=job_ids[job.key],
                group_id=kit.id,
                status=job.status,
                description=job.description,
                experiment_id=experiment_ids[job.key],
                experiment_name=job.experiment,
                queue_id=kit.queue_id,
                entrypoint_id=kit.entrypoint_id,
                run_id=run["run_id"] if run else None,
                run_artifact_uri=run["artifact_uri"] if run else None,
            )
        )
        if run is None:
            continue
        for item in [*job.files, *job.dirs]:
            uri = f"{run['artifact_uri']}/{item.rel}"
            is_dir = isinstance(item, PlannedDir)
            size = None if isinstance(item, PlannedDir) else len(item.data)
            files = _dir_entries(item) if isinstance(item, PlannedDir) else ()
            if not item.register:
                spares.append(SpareInfo(job_ids[job.key], kit.id, uri, is_dir, size, files))
                continue
            key = (job.key, item.rel)
            artifacts.append(
                ArtifactInfo(
                    id=artifact_ids[key],
                    job_id=job_ids[job.key],
                    group_id=kit.id,
                    uri=uri,
                    is_dir=is_dir,
                    size=size,
                    description=descriptions.get(key, item.description),
                    has_task=item.task is not None,
                    snapshot_count=1 + edit_counts.get(key, 0),
                    files=files,
                    empty_dirs=tuple(sorted(item.empty_dirs)) if isinstance(item, PlannedDir) else (),
                )
            )
    artifacts.sort(key=lambda a: a.id)
    return SeedManifest(
        url=url,
        demo_user=DEMO_USER,
        users=user_infos,
        groups=groups,
        plugin=kits[PUBLIC].plugin,
        plugins=(kits[PUBLIC].plugin, kits[LAB].plugin),
        jobs=tuple(jobs),
        artifacts=tuple(artifacts),
        spares=tuple(spares),
        runless_job_id=next(job_ids[j.key] for j in plan if not j.has_run),
        spare_job_id=next(job_ids[j.key] for j in plan if j.spare),
        seconds=round(seconds, 2),
    )


def add_file_artifact(server: DevServer, local_path: Path | str, description: str | None) -> int:
    """Register one more file artifact (e.g. a big file for a benchmark).

    Creates a new job in ``public`` (a job takes only one MLflow run), logs the
    file into a new run under ``bench/``, links the run and registers the file,
    as a worker would. The seed manifest is not updated.

    Args:
        server: A seeded server (its ``seed.json`` names the demo user and experiment).
        local_path: The file to upload.
        description: The artifact's description, or None.

    Returns:
        The new artifact's id.
    """
    manifest = SeedManifest.load(server.workdir)
    if manifest is None:
        raise SeedError(f"{server.workdir} has no seed manifest; seed the server first.")
    local_path = Path(local_path).resolve()
    template = next(j for j in manifest.jobs if j.group_id == manifest.plugin.group_id and j.has_run)
    run = run_seedtool(
        server,
        "log-runs",
        {
            "experiment": MLFLOW_EXPERIMENT,
            "artifact_location": server.artifact_root.as_uri(),
            "runs": [{"name": f"bench-{local_path.name}", "files": [[str(local_path), "bench"]], "dirs": []}],
        },
    )["runs"][0]
    demo = manifest.demo
    with _signed_in(server.url, demo.username, demo.password) as session:
        job = session.post(
            f"/experiments/{template.experiment_id}/jobs",
            json={
                "queue": template.queue_id,
                "entrypoint": template.entrypoint_id,
                "description": f"upload of {local_path.name}",
                "values": {},
            },
        )
        _set_status(session, template.experiment_id, job["id"], "started")
        session.post(f"/jobs/{job['id']}/mlflowRun", json={"mlflowRunId": run["run_id"]})
        body: dict[str, Any] = {
            "group": template.group_id,
            "job": job["id"],
            "artifactUri": f"{run['artifact_uri']}/bench/{local_path.name}",
        }
        if description is not None:
            body["description"] = description
        artifact = session.post("/artifacts/", json=body)
        _set_status(session, template.experiment_id, job["id"], "finished")
    return int(artifact["id"])
