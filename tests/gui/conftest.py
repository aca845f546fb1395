"""Fixtures for GUI tests that need a slow server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from background import let_background_requests_finish
from slow_proxy import SlowProxy

from artifact_browser.api import DioptraClient, connect


@pytest.fixture
def proxy(dioptra) -> Iterator[SlowProxy]:
    """A proxy in front of the real server; fast until a test sets its ``delay``."""
    with SlowProxy(dioptra.url, delay=0.0) as running:
        yield running


@pytest.fixture
def slow_client(dioptra, proxy: SlowProxy) -> Iterator[DioptraClient]:
    """Alice, signed in through the proxy while it is still fast."""
    demo = dioptra.manifest.demo
    with connect(proxy.url) as signed_in:
        signed_in.auth.login(demo.username, demo.password)
        yield signed_in
        let_background_requests_finish()
