"""The dev server: it holds what its manifest says, and stopping it leaves nothing behind."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from artifact_browser.api.errors import ValidationError
from artifact_browser.api.session import Session
from artifact_browser.devserver import DevServer, DevServerError, SeedManifest, ServerState
from artifact_browser.devserver.server import process_alive, process_group_members

JOB_STATUSES = {"queued", "started", "deferred", "finished", "failed"}


def all_artifacts(session: Session) -> dict[int, dict]:
    page = session.get("/artifacts/", params={"index": 0, "pageLength": 1000, "sortBy": "id"})
    return {row["id"]: row for row in page["data"]}


def test_manifest_promises_the_demo_data_set(dioptra):
    manifest = dioptra.manifest
    assert len(manifest.artifacts) >= 40
    assert len(manifest.jobs) >= 8
    assert {job.status for job in manifest.jobs} == JOB_STATUSES
    assert {g.name for g in manifest.groups} == {"public", "vision-lab"}
    for group in manifest.groups:
        assert manifest.artifacts_in_group(group.id), f"no artifacts in {group.name}"
    assert manifest.demo.username == "alice" and len(manifest.demo.group_ids) == 2
    assert any(len(u.group_ids) == 1 for u in manifest.users), "a user outside vision-lab"
    sizes = [a.size for a in manifest.artifacts if not a.is_dir]
    assert 0 in sizes and max(sizes) >= 5 * 1024 * 1024
    assert any(" " in a.name for a in manifest.artifacts) and any(not a.name.isascii() for a in manifest.artifacts)
    assert any(a.description is None for a in manifest.artifacts)
    assert sum(a.has_task for a in manifest.artifacts) >= 3
    assert any(a.snapshot_count >= 2 for a in manifest.artifacts)
    assert len([s for s in manifest.spares if not s.is_dir]) >= 6 and len([s for s in manifest.spares if s.is_dir]) >= 2


def test_manifest_survives_its_json_file(dioptra):
    assert SeedManifest.load(dioptra.server.workdir) == dioptra.manifest
    assert oct((dioptra.server.workdir / "seed.json").stat().st_mode & 0o777) == "0o600"


def test_every_artifact_is_on_the_server_as_described(dioptra, session):
    listed = all_artifacts(session)
    for info in dioptra.manifest.artifacts:
        row = listed[info.id]
        assert row["artifactUri"] == info.uri
        assert row["isDir"] == info.is_dir
        assert row["fileSize"] == info.size
        assert row["description"] == info.description
        assert row["job"] == info.job_id
        assert row["group"]["id"] == info.group_id
        assert bool(row["task"]) == info.has_task


def test_jobs_have_their_status_group_and_run(dioptra, session):
    for job in dioptra.manifest.jobs:
        row = session.get(f"/jobs/{job.id}")
        assert (row["status"], row["group"]["id"], row["experiment"]["name"]) == (job.status, job.group_id, job.experiment_name)
        assert session.get(f"/jobs/{job.id}/mlflowRun")["mlflowRunId"] == job.run_id
        registered = {ref["id"] for ref in row["artifacts"]}
        assert registered == {a.id for a in dioptra.manifest.artifacts_of_job(job.id)} or job.id == dioptra.manifest.spare_job_id
    statuses_by_group = {g.id: {j.status for j in dioptra.manifest.jobs if j.group_id == g.id} for g in dioptra.manifest.groups}
    assert all(len(s) >= 3 for s in statuses_by_group.values())


def test_groups_and_memberships(dioptra, session):
    lab = dioptra.manifest.group("vision-lab")
    assert {g["name"] for g in session.get("/users/current")["groups"]} == {"public", "vision-lab"}
    members = {m["user"]["username"]: m["permissions"] for m in session.get(f"/groups/{lab.id}")["members"]}
    assert set(members) == set(lab.members)
    assert members["alice"]["owner"] and members["alice"]["admin"]
    outsider = next(u for u in dioptra.manifest.users if lab.id not in u.group_ids)
    with Session(dioptra.url) as other:
        other.login(outsider.username, outsider.password)
        assert [g["name"] for g in other.get("/users/current")["groups"]] == ["public"]


def test_directory_artifacts_list_their_nested_files(dioptra, session):
    folders = [a for a in dioptra.manifest.artifacts if a.is_dir]
    assert max(len(a.files) for a in folders) >= 200
    assert any(max(f.relative_path.count("/") for f in a.files) >= 3 for a in folders)
    for info in folders:
        entries = session.get(f"/artifacts/{info.id}/files")
        files = sorted((e["relativePath"], e["fileSize"]) for e in entries if not e["isDir"])
        assert files == [(f.relative_path, f.size) for f in info.files]
        assert sorted(e["relativePath"] for e in entries if e["isDir"]) == list(info.empty_dirs)
    assert any(a.empty_dirs for a in folders)


def test_edited_artifacts_have_snapshots(dioptra, session):
    for info in dioptra.manifest.artifacts:
        if info.snapshot_count > 1:
            page = session.get(f"/artifacts/{info.id}/snapshots", params={"index": 0, "pageLength": 100})
            assert page["totalNumResults"] == info.snapshot_count


def test_spares_are_logged_but_not_registered(dioptra, session):
    manifest = dioptra.manifest
    # Other tests register spares; only what existed when seeding ended counts here.
    last_seeded = max(a.id for a in manifest.artifacts)
    registered = {row["artifactUri"] for artifact_id, row in all_artifacts(session).items() if artifact_id <= last_seeded}
    job = manifest.job(manifest.spare_job_id)
    for spare in manifest.spares:
        assert spare.job_id == job.id and spare.uri.startswith(job.run_artifact_uri + "/")
        assert spare.uri not in registered
        # MLflow holds it: the file store is the work folder's mlartifacts.
        local = Path(spare.uri.removeprefix("file://"))
        assert local.is_dir() == spare.is_dir and local.exists()
    runless = manifest.job(manifest.runless_job_id)
    with pytest.raises(ValidationError):
        session.post("/artifacts/", json={"group": runless.group_id, "job": runless.id, "artifactUri": manifest.spares[0].uri})


def test_stop_leaves_no_process_and_no_state(tmp_path):
    server = DevServer(tmp_path / "server").start()
    state = json.loads((server.workdir / "server.json").read_text())
    assert state["url"] == server.url
    groups = dict(server.pids)
    members = {pid for pgid in groups.values() for pid in process_group_members(pgid)}
    assert len(members) >= 3, "redis, the gunicorn master and its worker"
    # Stopping through the state file, as the CLI's ``stop`` does.
    attached = DevServer.attach(server.workdir)
    assert attached is not None and attached.pids == groups and attached.is_healthy()
    attached.stop()
    server.stop()  # also reaps our children
    assert not [pid for pid in members if process_alive(pid)]
    assert not [pid for pgid in groups.values() for pid in process_group_members(pgid)]
    assert not (server.workdir / "server.json").exists()
    assert DevServer.attach(server.workdir) is None


def test_stop_never_kills_a_process_that_is_not_ours(tmp_path):
    # A stale state file whose pids now belong to someone else (here: this test run).
    ServerState(
        url="http://127.0.0.1:9", port=9, redis_port=9, api_pid=os.getpid(), redis_pid=os.getppid(), venv=str(tmp_path), started_at=0.0
    ).save(tmp_path)
    attached = DevServer.attach(tmp_path)
    assert attached is not None and attached.pids == {}
    attached.stop()
    assert process_alive(os.getpid())


class _ApiThatDies(DevServer):
    """A server whose REST API process exits at once, as a broken install would."""

    def _start_api(self) -> None:
        self._spawn("api", [sys.executable, "-c", "import sys; print('boom: cannot import the app'); sys.exit(3)"])


def test_a_server_that_dies_while_starting_raises_with_its_log_and_cleans_up(tmp_path):
    server = _ApiThatDies(tmp_path / "server")
    with pytest.raises(DevServerError, match="exited with code 3") as failure:
        server.start()
    assert "boom: cannot import the app" in str(failure.value)
    assert server.pids == {}
    assert not (server.workdir / "server.json").exists()
    redis_log = (server.log_dir / "redis.log").read_text()
    assert "Ready to accept connections" in redis_log and "ready to exit" in redis_log.lower()


def test_a_taken_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = DevServer(tmp_path / "server", port=taken.getsockname()[1])
        with pytest.raises(DevServerError, match="already in use"):
            server.start()
    assert server.pids == {}
