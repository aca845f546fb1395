"""The entry point: ``connect(address)`` gives a client with one sub-client per collection."""

from __future__ import annotations

from artifact_browser.api.artifacts import ArtifactsClient
from artifact_browser.api.auth import AuthClient
from artifact_browser.api.experiments import ExperimentsClient
from artifact_browser.api.groups import GroupsClient
from artifact_browser.api.jobs import JobsClient
from artifact_browser.api.plugins import PluginsClient
from artifact_browser.api.session import Session
from artifact_browser.api.users import UsersClient


class DioptraClient:
    """A connection to one Dioptra server, shaped like ``dioptra.client``'s client."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.auth = AuthClient(session)
        self.users = UsersClient(session)
        self.groups = GroupsClient(session)
        self.jobs = JobsClient(session)
        self.experiments = ExperimentsClient(session)
        self.artifacts = ArtifactsClient(session)
        self.plugins = PluginsClient(session)

    @property
    def address(self) -> str:
        """The server's normalised root URL."""
        return self.session.address

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> DioptraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(address: str, *, verify: bool | str = True, **session_options) -> DioptraClient:
    """Prepare a client for the server at ``address`` (nothing is sent yet).

    Args:
        address: ``host:port`` or a URL, with or without ``/api/v1``.
        verify: TLS verification (on by default), or the path of a CA bundle.
        **session_options: Passed to :class:`Session` (``timeout``, ``transport``).

    Raises:
        ValueError: the address is not a usable http(s) URL.
    """
    return DioptraClient(Session(address, verify=verify, **session_options))
