"""Fixtures for tests against the real local Dioptra server (started once per session)."""

from __future__ import annotations

import pytest

from artifact_browser.api import DioptraClient, connect


@pytest.fixture
def client(dioptra) -> DioptraClient:
    """A client signed in as the demo user (alice)."""
    demo = dioptra.manifest.demo
    with connect(dioptra.url) as signed_in:
        signed_in.auth.login(demo.username, demo.password)
        yield signed_in


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
