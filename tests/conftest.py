"""Fixtures shared by every test folder: the real local Dioptra server and a signed-in session."""

from __future__ import annotations

import os

# Before anything imports Qt: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import logging  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402

from artifact_browser.api import DioptraClient, connect  # noqa: E402
from artifact_browser.api.session import Session  # noqa: E402
from artifact_browser.devserver import DevServer, SeedManifest, start_seeded_server  # noqa: E402
from background import let_background_requests_finish  # noqa: E402

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Dioptra:
    """The running, seeded server of this test session.

    Attributes:
        url: Its root URL (``http://127.0.0.1:<port>``).
        manifest: What the seeder created (users, groups, jobs, artifacts, spares).
        server: The server object (work folder, logs, pids).
    """

    url: str
    manifest: SeedManifest
    server: DevServer


@pytest.fixture(scope="session")
def dioptra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dioptra]:
    """A real Dioptra 1.2.2 server with demo data, started once per test session.

    If it cannot start, every test that needs it FAILS (never skips): a broken
    server must not turn a CI run green.
    """
    workdir = tmp_path_factory.mktemp("dioptra")
    started = time.monotonic()
    try:
        server, manifest = start_seeded_server(workdir)
    except Exception as exc:  # noqa: BLE001 - any failure is a failed run, with its reason
        pytest.fail(f"The local Dioptra server could not be started and seeded: {exc}", pytrace=False)
    log.info("Dioptra dev server ready at %s in %.1f s", server.url, time.monotonic() - started)
    try:
        yield Dioptra(url=server.url, manifest=manifest, server=server)
    finally:
        server.stop()


class SparePool:
    """Logged-but-unregistered files and folders of the seed; each is handed out once.

    Tests that register or modify artifacts work on these, so the seeded
    artifacts stay as the manifest describes them for every other test.
    """

    def __init__(self, spares) -> None:
        self._left = list(spares)

    def take(self, is_dir: bool):
        spare = next((s for s in self._left if s.is_dir == is_dir), None)
        assert spare is not None, "the seed has too few spare files for the tests"
        self._left.remove(spare)
        return spare


@pytest.fixture(scope="session")
def spares(dioptra) -> SparePool:
    return SparePool(dioptra.manifest.spares)


@pytest.fixture
def session(dioptra: Dioptra) -> Iterator[Session]:
    """A :class:`Session` signed in as the demo user (alice)."""
    demo = dioptra.manifest.demo
    signed_in = Session(dioptra.url)
    try:
        signed_in.login(demo.username, demo.password)
        yield signed_in
    finally:
        signed_in.close()


@pytest.fixture
def client(dioptra: Dioptra) -> Iterator[DioptraClient]:
    """A :class:`DioptraClient` signed in as the demo user (alice)."""
    demo = dioptra.manifest.demo
    with connect(dioptra.url) as signed_in:
        signed_in.auth.login(demo.username, demo.password)
        yield signed_in
        let_background_requests_finish()



@pytest.fixture(autouse=True)
def isolated_desktop_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's settings and files, and make modal error dialogs fail tests.

    QSettings caches its folders at first use, so the path is set before each test.
    """
    from PySide6.QtCore import QSettings

    from artifact_browser.qt import error_dialog

    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    # Profiles (config) and the transfer history (data) go through platformdirs.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "data"))
    monkeypatch.setattr(error_dialog, "MODAL_DIALOGS_ENABLED", False)
