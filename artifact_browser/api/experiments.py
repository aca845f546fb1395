"""Experiments (``/experiments/``), as far as the browser needs them."""

from __future__ import annotations

from typing import Final

from artifact_browser.api.models import Experiment, Job, Page
from artifact_browser.api.paging import get_page
from artifact_browser.api.session import Session


# Experiments cannot be sorted by id (the server refuses it); name is the natural order.
SORT_KEYS: Final = ("name", "createdOn", "lastModifiedOn", "description")


class ExperimentsClient:
    """``client.experiments``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(
        self,
        group_id: int | None = None,
        index: int = 0,
        page_length: int = 10,
        sort_by: str | None = None,
        descending: bool | None = None,
        search: str | None = None,
    ) -> Page[Experiment]:
        """One page of experiments; ``sort_by`` defaults to ``name`` so paging is stable."""
        return get_page(
            self._session, "/experiments/", Experiment.from_json, default_sort="name", index=index,
            page_length=page_length, sort_by=sort_by, descending=descending, search=search, group_id=group_id,
        )

    def get_by_id(self, experiment_id: int) -> Experiment:
        return Experiment.from_json(self._session.get(f"/experiments/{int(experiment_id)}"))

    def get_jobs(
        self,
        experiment_id: int,
        index: int = 0,
        page_length: int = 10,
        sort_by: str | None = None,
        descending: bool | None = None,
        search: str | None = None,
    ) -> Page[Job]:
        """One page of an experiment's jobs (this route has no group filter)."""
        return get_page(
            self._session, f"/experiments/{int(experiment_id)}/jobs", Job.from_json, default_sort="id", index=index,
            page_length=page_length, sort_by=sort_by, descending=descending, search=search,
        )
