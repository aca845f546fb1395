"""Query parameters shared by every paged listing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from artifact_browser.api.models import Page

if TYPE_CHECKING:
    from artifact_browser.api.session import Session

T = TypeVar("T")

MAX_PAGE_LENGTH = 1000  # the server's DIOPTRA_MAX_PAGE_SIZE


def list_params(
    *,
    index: int,
    page_length: int,
    sort_by: str | None = None,
    descending: bool | None = None,
    search: str | None = None,
    group_id: int | None = None,
) -> dict[str, Any]:
    """Map snake_case arguments to the server's camelCase keys, omitting unset ones.

    Raises:
        ValueError: ``index`` is negative or ``page_length`` is outside 1..1000,
            which the server would refuse anyway.
    """
    if index < 0:
        raise ValueError(f"index must be 0 or more, not {index}")
    if not 1 <= page_length <= MAX_PAGE_LENGTH:
        raise ValueError(f"page_length must be between 1 and {MAX_PAGE_LENGTH}, not {page_length}")
    params: dict[str, Any] = {"index": index, "pageLength": page_length}
    if sort_by is not None:
        params["sortBy"] = sort_by
    if descending is not None:
        params["descending"] = "true" if descending else "false"
    if search:
        params["search"] = search
    if group_id is not None:
        params["groupId"] = int(group_id)
    return params


def get_page(
    session: Session,
    path: str,
    parse: Callable[[dict[str, Any]], T],
    *,
    default_sort: str,
    index: int,
    page_length: int,
    sort_by: str | None = None,
    descending: bool | None = None,
    search: str | None = None,
    group_id: int | None = None,
) -> Page[T]:
    """GET one page of a listing, sorted by ``default_sort`` unless told otherwise.

    Without a sort key the server's order is unspecified, and paging would show
    rows twice or never, so one is always sent.
    """
    params = list_params(
        index=index,
        page_length=page_length,
        sort_by=sort_by or default_sort,
        descending=descending,
        search=search,
        group_id=group_id,
    )
    return Page.from_json(session.get(path, params), parse, page_length)


def get_all(fetch: Callable[[int, int], Page[T]]) -> list[T]:
    """Every row of a listing, from ``fetch(index, page_length)`` called with the largest pages."""
    rows: list[T] = []
    while True:
        page = fetch(len(rows), MAX_PAGE_LENGTH)
        rows.extend(page.items)
        if page.is_complete or not page.items:
            return rows
