"""Plugins (``/plugins/``): where the artifact tasks an artifact can name come from."""

from __future__ import annotations

from typing import Final

from artifact_browser.api.models import Page, Plugin
from artifact_browser.api.paging import get_all, get_page, list_params
from artifact_browser.api.session import Session

# Plugins cannot be sorted by id (the server refuses it); name is the natural order.
SORT_KEYS: Final = ("name", "createdOn", "lastModifiedOn", "description")


class PluginsClient:
    """``client.plugins``: plugins and their snapshots, read-only."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.snapshots = PluginSnapshotsClient(session)

    def get(
        self,
        group_id: int | None = None,
        index: int = 0,
        page_length: int = 10,
        sort_by: str | None = None,
        descending: bool | None = None,
        search: str | None = None,
    ) -> Page[Plugin]:
        """One page of plugins (their latest snapshots); ``sort_by`` defaults to ``name``."""
        return get_page(
            self._session, "/plugins/", Plugin.from_json, default_sort="name", index=index,
            page_length=page_length, sort_by=sort_by, descending=descending, search=search, group_id=group_id,
        )

    def get_all(self, group_id: int | None = None) -> list[Plugin]:
        """Every plugin (of one group, when given), by name: a picker needs them all."""
        return get_all(lambda index, length: self.get(group_id, index=index, page_length=length))

    def get_by_id(self, plugin_id: int) -> Plugin:
        """The latest snapshot of one plugin. Raises NotFoundError for an unknown id."""
        return Plugin.from_json(self._session.get(f"/plugins/{int(plugin_id)}"))


class PluginSnapshotsClient:
    """``client.plugins.snapshots``: a plugin's history, oldest first, as the server keeps it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, plugin_id: int, index: int = 0, page_length: int = 10) -> Page[Plugin]:
        """One page of a plugin's snapshots (oldest first; the server cannot sort them)."""
        params = list_params(index=index, page_length=page_length)
        return Page.from_json(self._session.get(f"/plugins/{int(plugin_id)}/snapshots", params), Plugin.from_json, page_length)

    def get_all(self, plugin_id: int) -> list[Plugin]:
        """Every snapshot of a plugin, newest first."""
        return get_all(lambda index, length: self.get(plugin_id, index, length))[::-1]

    def get_by_id(self, plugin_id: int, snapshot_id: int) -> Plugin:
        """One snapshot of a plugin, with the artifact tasks it had then."""
        return Plugin.from_json(self._session.get(f"/plugins/{int(plugin_id)}/snapshots/{int(snapshot_id)}"))
