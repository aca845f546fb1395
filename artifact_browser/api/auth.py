"""Signing in and out (``/auth``)."""

from __future__ import annotations

from typing import Any

from artifact_browser.api.session import Session


class AuthClient:
    """Mirrors ``dioptra.client``'s ``client.auth``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Sign in; the session keeps the cookies and signs in again if they expire.

        Raises:
            AuthenticationError: wrong user name or password (or an expired password).
        """
        return self._session.login(username, password)

    def logout(self, everywhere: bool = False) -> dict[str, Any]:
        """Sign out; with ``everywhere`` every session of this user ends, in every program."""
        return self._session.logout(everywhere=everywhere)
