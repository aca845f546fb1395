"""Groups (``/groups/``). Groups filter what is shown; they are not private (see dioptra-api.md §6.8)."""

from __future__ import annotations

from artifact_browser.api.models import Group, GroupRef, Page
from artifact_browser.api.paging import list_params
from artifact_browser.api.session import Session


class GroupsClient:
    def __init__(self, session: Session) -> None:
        self._session = session

    def mine(self) -> tuple[GroupRef, ...]:
        """The groups the signed-in user belongs to."""
        return tuple(GroupRef.from_json(g) for g in self._session.get("/users/current").get("groups") or ())

    def get(self, index: int = 0, page_length: int = 10, search: str | None = None) -> Page[Group]:
        """Every group on the server, member or not, one page at a time (the server cannot sort groups)."""
        params = list_params(index=index, page_length=page_length, search=search)
        return Page.from_json(self._session.get("/groups/", params), Group.from_json, page_length)

    def get_by_id(self, group_id: int) -> Group:
        return Group.from_json(self._session.get(f"/groups/{int(group_id)}"))
