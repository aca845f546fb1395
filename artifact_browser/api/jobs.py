"""Jobs (``/jobs/``) and the artifacts they produced."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Final

from artifact_browser.api.models import Artifact, Job, Page
from artifact_browser.api.paging import get_page
from artifact_browser.api.session import Session

# As for artifacts, ``createdOn`` sorts by the latest snapshot's creation time.
SORT_KEYS: Final = ("id", "description", "createdOn", "lastModifiedOn", "status", "experiment", "entrypoint", "queue")
# A job's artifacts are fetched one request each; a few at a time keeps the
# server responsive for everyone else.
_PARALLEL_ARTIFACT_REQUESTS = 4


class JobsClient:
    """``client.jobs``."""

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
    ) -> Page[Job]:
        """One page of jobs; ``sort_by`` defaults to ``id`` so paging is stable."""
        return get_page(
            self._session, "/jobs/", Job.from_json, default_sort="id", index=index,
            page_length=page_length, sort_by=sort_by, descending=descending, search=search, group_id=group_id,
        )

    def get_by_id(self, job_id: int) -> Job:
        """One job; its ``artifacts`` refs are already de-duplicated."""
        return Job.from_json(self._session.get(f"/jobs/{int(job_id)}"))

    def get_status(self, job_id: int) -> str:
        return str(self._session.get(f"/jobs/{int(job_id)}/status")["status"])

    def get_mlflow_run_id(self, job_id: int) -> str | None:
        """The job's MLflow run id, or None when no run is attached (then no artifact can be registered)."""
        return self._session.get(f"/jobs/{int(job_id)}/mlflowRun").get("mlflowRunId")

    def get_artifacts(self, job: int | Job) -> list[Artifact]:
        """The job's output artifacts, each once, in id order.

        There is no ``/jobs/{id}/artifacts``: the job lists references, which are
        read a few at a time.
        """
        if not isinstance(job, Job):
            job = self.get_by_id(job)
        ids = sorted(ref.id for ref in job.artifacts)
        if not ids:
            return []
        with ThreadPoolExecutor(max_workers=min(_PARALLEL_ARTIFACT_REQUESTS, len(ids))) as pool:
            rows = list(pool.map(lambda i: self._session.get(f"/artifacts/{i}"), ids))
        return [Artifact.from_json(row) for row in rows]
