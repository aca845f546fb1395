"""Registering and modifying artifacts, snapshots, and the error paths (400, 401, 404, 409)."""

from __future__ import annotations

import tarfile

import pytest

from artifact_browser.api import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ServerUnreachableError,
    ValidationError,
    connect,
)


def register(client, spare, with_task=None, description=None):
    """Register a spare file, optionally with the seed's plugin task pair."""
    pair = {"plugin_snapshot_id": with_task.snapshot_id, "task_id": with_task.artifact_task_id} if with_task else {}
    return client.artifacts.create(spare.group_id, spare.job_id, spare.uri, description=description, **pair)


def test_create_without_the_plugin_pair(client, dioptra, spares):
    spare = spares.take(is_dir=False)
    created = client.artifacts.create(spare.group_id, spare.job_id, spare.uri, description="registered by a test")
    assert (created.artifact_uri, created.job_id, created.group.id) == (spare.uri, spare.job_id, spare.group_id)
    assert created.task is None and created.description == "registered by a test"
    assert created.file_size == spare.size and not created.is_dir
    assert client.artifacts.get_by_id(created.id) == created
    assert created.id in {ref.id for ref in client.jobs.get_by_id(spare.job_id).artifacts}


def test_create_a_directory_with_the_plugin_pair(client, dioptra, spares):
    spare = spares.take(is_dir=True)
    plugin = dioptra.manifest.plugin
    created = client.artifacts.create(
        spare.group_id, spare.job_id, spare.uri, plugin_snapshot_id=plugin.snapshot_id, task_id=plugin.artifact_task_id
    )
    assert created.is_dir and created.description is None
    assert created.task is not None
    assert (created.task.id, created.task.plugin_snapshot_id) == (plugin.artifact_task_id, plugin.snapshot_id)


def test_half_a_plugin_pair_is_refused_before_sending(client, dioptra):
    spare = dioptra.manifest.spares[0]
    with pytest.raises(ValueError, match="both or neither"):
        client.artifacts.create(spare.group_id, spare.job_id, spare.uri, plugin_snapshot_id=dioptra.manifest.plugin.snapshot_id)
    with pytest.raises(ValueError, match="both or neither"):
        client.artifacts.create(spare.group_id, spare.job_id, spare.uri, task_id=dioptra.manifest.plugin.artifact_task_id)


def test_create_refusals(client, dioptra):
    spare = dioptra.manifest.spares[0]
    with pytest.raises(ValidationError) as bad_scheme:
        client.artifacts.create(spare.group_id, spare.job_id, "runs:/abc/model.bin")
    assert "artifactUri" in bad_scheme.value.fields

    with pytest.raises(ValidationError) as no_run:
        client.artifacts.create(spare.group_id, dioptra.manifest.runless_job_id, spare.uri)
    assert no_run.value.error_type == "JobMlflowRunNotSetError"

    with pytest.raises(NotFoundError):
        client.artifacts.create(spare.group_id, 999_999, spare.uri)

    registered = dioptra.manifest.artifacts[0]
    with pytest.raises(ConflictError) as duplicate:
        client.artifacts.create(registered.group_id, registered.job_id, registered.uri)
    assert duplicate.value.detail.get("existing_id") == registered.id


def test_modify_description_keeps_the_task(client, dioptra, spares):
    before = register(client, spares.take(is_dir=False), with_task=dioptra.manifest.plugin, description="first")
    info = before
    snapshots_before = client.artifacts.snapshots.get(info.id, page_length=100).total
    assert snapshots_before == 1
    after = client.artifacts.modify(info.id, description="edited by a test")
    assert after.description == "edited by a test"
    assert after.task is not None and after.task.id == before.task.id
    assert after.snapshot_id != before.snapshot_id
    history = client.artifacts.snapshots.get(info.id, page_length=100)
    assert history.total == snapshots_before + 1
    assert history.items[-1].snapshot_id == after.snapshot_id and history.items[-1].latest_snapshot


def test_modify_task_keeps_the_description(client, dioptra, spares):
    info = register(client, spares.take(is_dir=False), description="keep me")
    plugin = dioptra.manifest.plugin
    after = client.artifacts.modify(info.id, plugin_snapshot_id=plugin.snapshot_id, task_id=plugin.artifact_task_id)
    assert after.description == info.description
    assert after.task is not None and after.task.id == plugin.artifact_task_id
    detached = client.artifacts.modify(info.id, plugin_snapshot_id=None, task_id=None)
    assert detached.task is None and detached.description == info.description


def test_modify_refuses_half_a_pair(client, dioptra):
    info = next(a for a in dioptra.manifest.artifacts if not a.has_task)
    with pytest.raises(ValueError):
        client.artifacts.modify(info.id, task_id=dioptra.manifest.plugin.artifact_task_id)


def test_modify_unknown_artifact(client):
    with pytest.raises(NotFoundError):
        client.artifacts.modify(999_999, description="x")


def test_an_older_snapshot_can_be_read_and_downloaded(client, dioptra, tmp_path):
    info = next(a for a in dioptra.manifest.artifacts if a.snapshot_count > 1)
    history = client.artifacts.snapshots.get(info.id, page_length=100).items
    oldest, newest = history[0], history[-1]
    assert oldest.snapshot_id < newest.snapshot_id and not oldest.latest_snapshot
    assert client.artifacts.snapshots.get_by_id(info.id, oldest.snapshot_id) == oldest
    path = client.artifacts.snapshots.get_contents(info.id, oldest.snapshot_id, output_dir=tmp_path, file_stem="old")
    if info.is_dir:
        assert tarfile.is_tarfile(path)
    else:
        assert path.stat().st_size == info.size


def test_anonymous_requests_are_refused(dioptra):
    with connect(dioptra.url) as anonymous:
        with pytest.raises(AuthenticationError) as raised:
            anonymous.artifacts.get()
    assert raised.value.status == 401


def test_wrong_password(dioptra):
    with connect(dioptra.url) as client:
        with pytest.raises(AuthenticationError) as raised:
            client.auth.login(dioptra.manifest.demo_user, "not-the-password")
    assert "not-the-password" not in repr(raised.value) + str(raised.value)


def test_an_expired_session_is_renewed_transparently(dioptra):
    bob = dioptra.manifest.user("bob")
    with connect(dioptra.url) as first, connect(dioptra.url) as second:
        first.auth.login(bob.username, bob.password)
        second.auth.login(bob.username, bob.password)
        # Logging out everywhere makes the server forget the first client's session too.
        second.auth.logout(everywhere=True)
        assert first.users.current().username == bob.username
        assert first.artifacts.get(page_length=1).total > 0


def test_logout_forgets_the_credentials(dioptra):
    carol = dioptra.manifest.user("carol")
    with connect(dioptra.url) as client:
        client.auth.login(carol.username, carol.password)
        client.auth.logout()
        with pytest.raises(AuthenticationError):
            client.users.current()


def test_unreachable_server(dioptra):
    with connect("http://127.0.0.1:9") as client:
        with pytest.raises(ServerUnreachableError) as raised:
            client.auth.login("alice", "secret-password")
    assert raised.value.status is None
    assert "secret-password" not in str(raised.value)
