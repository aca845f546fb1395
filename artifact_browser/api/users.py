"""The signed-in user (``/users/current``)."""

from __future__ import annotations

from artifact_browser.api.models import User
from artifact_browser.api.session import Session


class UsersClient:
    def __init__(self, session: Session) -> None:
        self._session = session

    def current(self) -> User:
        """The signed-in user, with the groups they belong to."""
        return User.from_json(self._session.get("/users/current"))
