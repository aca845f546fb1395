"""Fixtures for tests that change data on the real local Dioptra server."""

from __future__ import annotations

import pytest



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
