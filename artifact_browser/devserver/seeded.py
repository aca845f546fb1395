"""One call for callers that just want a running server with demo data."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from artifact_browser.devserver.manifest import SeedManifest
from artifact_browser.devserver.provision import ensure_server_venv
from artifact_browser.devserver.seed import SeedError, seed
from artifact_browser.devserver.server import DIOPTRA_DB, HOST, DevServer

log = logging.getLogger(__name__)


def start_seeded_server(workdir: Path | str, *, port: int | None = None, detach: bool = False) -> tuple[DevServer, SeedManifest]:
    """Provision the venv, start a server in ``workdir`` and seed it if it is new.

    A work folder that already holds a seeded database keeps its data (its
    ``seed.json`` is reused, with the new URL).

    Args:
        workdir: The server's work folder (created if missing).
        port: A fixed REST API port, or None for a free one.
        detach: Keep it running after this process exits (see :class:`DevServer`).

    Returns:
        The running server (the caller stops it) and the seed manifest.
    """
    workdir = Path(workdir)
    existing = SeedManifest.load(workdir)
    if existing is None and (workdir / DIOPTRA_DB).exists():
        # Seeding a database that already has users would fail half way.
        raise SeedError(f"{workdir} holds a database but no seed.json (did an earlier seeding fail?); start afresh.")
    server = DevServer(workdir, ensure_server_venv(), port=port, detach=detach)
    server.start()
    try:
        if existing is None:
            manifest = seed(server)
        else:
            log.info("Reusing the seeded data in %s", workdir)
            manifest = _with_url(existing, server.url)
            manifest.save(workdir)
    except BaseException:
        server.stop()
        raise
    return server, manifest


def _with_url(manifest: SeedManifest, url: str) -> SeedManifest:
    return replace(manifest, url=url)


def default_workdir() -> Path:
    """``<user data dir>/artifact-browser/devserver``: where the demo server keeps its data."""
    return Path(platformdirs.user_data_dir("artifact-browser")) / "devserver"


def ensure_demo_server(workdir: Path | str | None = None, *, port: int | None = None) -> tuple[SeedManifest, bool]:
    """A seeded server running in the background in ``workdir``: the one already there, or a new one.

    The server outlives the caller (stop it with ``artifact-browser-devserver stop``).

    Returns:
        The seed manifest (its ``url`` is the running server's) and whether it was started now.
    """
    workdir = Path(workdir) if workdir is not None else default_workdir()
    running = DevServer.attach(workdir)
    manifest = SeedManifest.load(workdir)
    if running is not None and manifest is not None and running.is_running() and running.is_healthy():
        return _with_url(manifest, running.url), False
    _, manifest = start_seeded_server(workdir, port=port or previous_port(workdir), detach=True)
    return manifest, True


def previous_port(workdir: Path) -> int | None:
    """The port of the last run, so a saved connection keeps working, if it is free."""
    manifest = SeedManifest.load(workdir)
    if manifest is None:
        return None
    port = urlsplit(manifest.url).port
    if port is None:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As gunicorn does: connections of the last run may linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return None
    return port
