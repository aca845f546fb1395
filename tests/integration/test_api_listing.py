"""Listing, paging, sorting, searching and filtering artifacts, jobs and groups on the real server."""

from __future__ import annotations

from datetime import datetime

import pytest

from artifact_browser.api import Artifact, NotFoundError, SearchSyntaxError, ValidationError
from artifact_browser.api.artifacts import SORT_KEYS as ARTIFACT_SORT_KEYS
from artifact_browser.api.jobs import SORT_KEYS as JOB_SORT_KEYS


def all_artifacts(client, **kwargs) -> list[Artifact]:
    return list(client.artifacts.get(page_length=1000, **kwargs).items)


def test_first_page_reports_total_and_completeness(client, dioptra):
    page = client.artifacts.get(page_length=10)
    assert len(page.items) == 10
    assert page.total >= len(dioptra.manifest.artifacts) >= 40
    assert page.index == 0 and not page.is_complete
    assert page.page_count == -(-page.total // 10)


def test_paging_across_pages_visits_every_artifact_once(client):
    expected = [a.id for a in all_artifacts(client, sort_by="id")]
    seen, index = [], 0
    while True:
        page = client.artifacts.get(index=index, page_length=7, sort_by="id")
        seen.extend(a.id for a in page.items)
        if page.is_complete:
            break
        index += 7
    assert seen == expected
    assert page.page_number == page.page_count - 1


ARTIFACT_KEY = {
    "id": lambda a: a.id,
    "uri": lambda a: a.artifact_uri,
    # The server sorts "createdOn" by the latest snapshot's creation, not the artifact's.
    "createdOn": lambda a: a.snapshot_created_on,
    "lastModifiedOn": lambda a: a.last_modified_on,
    "description": lambda a: a.description,
    "job": lambda a: a.job_id,
}


def assert_sorted(values: list, descending: bool) -> None:
    """Non-null values in order; SQLite puts nulls first ascending and last descending."""
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=descending)
    nulls = [i for i, v in enumerate(values) if v is None]
    if nulls:
        expected = list(range(len(values) - len(nulls), len(values))) if descending else list(range(len(nulls)))
        assert nulls == expected


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort_by", ARTIFACT_SORT_KEYS)
def test_every_artifact_sort_key_both_ways(client, sort_by, descending):
    rows = all_artifacts(client, sort_by=sort_by, descending=descending)
    assert_sorted([ARTIFACT_KEY[sort_by](a) for a in rows], descending)
    # The sort key must actually reorder something, or the test proves nothing.
    assert len({ARTIFACT_KEY[sort_by](a) for a in rows}) > 1


def test_unknown_sort_key_is_a_validation_error(client):
    with pytest.raises(ValidationError) as raised:
        client.artifacts.get(sort_by="artifactUri")
    assert raised.value.status == 400
    assert "sort" in raised.value.message.lower()


def test_paging_parameters_are_checked_before_sending(client):
    for kwargs in ({"index": -1}, {"page_length": 0}, {"page_length": 1001}):
        with pytest.raises(ValueError):
            client.artifacts.get(**kwargs)


def test_group_filter(client, dioptra):
    lab = dioptra.manifest.group("vision-lab")
    rows = all_artifacts(client, group_id=lab.id)
    assert rows and all(a.group.id == lab.id and a.group.name == "vision-lab" for a in rows)
    assert {a.id for a in dioptra.manifest.artifacts_in_group(lab.id)} <= {a.id for a in rows}
    assert len(rows) < len(all_artifacts(client))
    assert client.artifacts.get(group_id=999_999).items == ()


def test_fielded_search_is_an_exact_like(client):
    everything = all_artifacts(client)
    with_roc = [a.id for a in everything if a.description and "roc" in a.description.lower()]
    assert with_roc, "the seed should describe some artifacts as ROC curves"
    found = all_artifacts(client, search="description:*roc*", sort_by="id")
    assert [a.id for a in found] == sorted(with_roc)
    # Without wildcards the match is exact, so a fragment finds nothing.
    assert all_artifacts(client, search="description:roc") == []


def test_free_text_search_matches_description_or_uri(client):
    everything = all_artifacts(client)
    found = all_artifacts(client, search="csv")
    assert found
    assert all("csv" in (a.description or "").lower() or "csv" in a.artifact_uri.lower() for a in found)
    assert len(found) < len(everything)


def test_search_on_uri_with_quotes(client):
    # ASCII only: the server's search parser refuses every non-ASCII character (a 422).
    target = next(a for a in all_artifacts(client) if not a.is_dir and " " in a.name and a.name.isascii())
    found = all_artifacts(client, search=f'artifactUri:"*{target.name}"')
    assert target.id in {a.id for a in found}


def test_invalid_search_gives_the_servers_reason(client):
    with pytest.raises(SearchSyntaxError) as raised:
        client.artifacts.get(search="bogusfield:abc")
    assert raised.value.status == 422
    assert "bogusfield" in raised.value.reason
    assert raised.value.query == "bogusfield:abc"


def test_artifact_attributes_match_what_was_seeded(client, dioptra):
    for info in dioptra.manifest.artifacts[:10]:
        artifact = client.artifacts.get_by_id(info.id)
        assert (artifact.artifact_uri, artifact.is_dir, artifact.job_id, artifact.group.id) == (
            info.uri, info.is_dir, info.job_id, info.group_id,
        )
        assert artifact.file_size == info.size
        assert (artifact.task is not None) == info.has_task
        assert isinstance(artifact.created_on, datetime) and artifact.created_on.tzinfo is not None
        assert artifact.file_url.endswith(f"/artifacts/{info.id}/contents")


def test_artifact_task_is_parsed(client, dioptra):
    info = next(a for a in dioptra.manifest.artifacts if a.has_task)
    task = client.artifacts.get_by_id(info.id).task
    seeded = {(p.snapshot_id, task_id) for p in dioptra.manifest.plugins for task_id in p.artifact_tasks.values()}
    assert task is not None and task.name
    assert (task.plugin_snapshot_id, task.id) in seeded


def test_unknown_artifact_is_not_found(client):
    with pytest.raises(NotFoundError) as raised:
        client.artifacts.get_by_id(999_999)
    assert raised.value.status == 404
    assert "You have requested this URI" not in raised.value.message


def test_files_of_a_directory_are_sorted_and_complete(client, dioptra):
    info = max((a for a in dioptra.manifest.artifacts if a.is_dir), key=lambda a: len(a.files))
    files = client.artifacts.get_files(info.id)
    listed = [(f.relative_path, f.file_size) for f in files if not f.is_dir]
    assert listed == [(f.relative_path, f.size) for f in info.files]
    assert [f.relative_path for f in files] == sorted(f.relative_path for f in files)


def test_files_of_a_single_file_is_empty(client, dioptra):
    info = next(a for a in dioptra.manifest.artifacts if not a.is_dir)
    assert client.artifacts.get_files(info.id) == []


def test_groups_of_the_user_and_all_groups(client, dioptra):
    mine = {g.name for g in client.groups.mine()}
    assert mine == {g.name for g in dioptra.manifest.groups if dioptra.manifest.demo_user in g.members}
    everything = client.groups.get(page_length=100)
    assert {g.name for g in everything.items} >= mine
    lab = client.groups.get_by_id(dioptra.manifest.group("vision-lab").id)
    assert lab.name == "vision-lab" and lab.members


def test_current_user(client, dioptra):
    me = client.users.current()
    assert me.username == dioptra.manifest.demo_user
    assert {g.id for g in me.groups} == set(dioptra.manifest.demo.group_ids)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort_by", ["id", "createdOn", "status", "description"])
def test_jobs_by_group_paged_and_sorted(client, dioptra, sort_by, descending):
    group = dioptra.manifest.group("public")
    jobs = client.jobs.get(group_id=group.id, page_length=1000, sort_by=sort_by, descending=descending).items
    assert jobs and all(j.group.id == group.id for j in jobs)
    key = {"id": "id", "createdOn": "snapshot_created_on", "status": "status", "description": "description"}[sort_by]
    assert_sorted([getattr(j, key) for j in jobs], descending)
    first = client.jobs.get(group_id=group.id, page_length=2, sort_by=sort_by, descending=descending)
    assert [j.id for j in first.items] == [j.id for j in jobs[:2]]


def test_job_sort_keys_are_all_accepted(client):
    for key in JOB_SORT_KEYS:
        assert client.jobs.get(page_length=1, sort_by=key).total > 0


def test_every_job_status_is_seeded(client):
    statuses = {j.status for j in client.jobs.get(page_length=1000).items}
    assert statuses >= {"queued", "started", "deferred", "finished", "failed"}


def test_job_artifacts_are_distinct_and_complete(client, dioptra):
    edited = next(a for a in dioptra.manifest.artifacts if a.snapshot_count > 1)
    job = client.jobs.get_by_id(edited.job_id)
    ids = [ref.id for ref in job.artifacts]
    assert len(ids) == len(set(ids))
    artifacts = client.jobs.get_artifacts(job)
    assert [a.id for a in artifacts] == sorted(ids)
    assert {a.id for a in dioptra.manifest.artifacts_of_job(job.id)} <= set(ids)
    assert all(a.job_id == job.id for a in artifacts)
    assert job.experiment is not None and job.experiment.name


def test_job_mlflow_run(client, dioptra):
    with_run = next(j for j in dioptra.manifest.jobs if j.has_run)
    assert client.jobs.get_mlflow_run_id(with_run.id) == with_run.run_id
    assert client.jobs.get_mlflow_run_id(dioptra.manifest.runless_job_id) is None


def test_experiments_and_their_jobs(client, dioptra):
    experiments = client.experiments.get(page_length=100).items
    assert experiments
    job = dioptra.manifest.jobs[0]
    assert client.experiments.get_by_id(job.experiment_id).name == job.experiment_name
    jobs = client.experiments.get_jobs(job.experiment_id, page_length=100).items
    assert job.id in {j.id for j in jobs}
