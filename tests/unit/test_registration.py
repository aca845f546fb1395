"""The registration form's own checks, and what each server refusal means for it.

The refusal bodies are the ones a real Dioptra 1.2.2 server sent (see
dioptra-api.md §6.5), passed through the same error mapping the client uses.
"""

from __future__ import annotations

import json

import httpx
import pytest

from artifact_browser.api.errors import ApiError, ServerUnreachableError, error_from_response
from artifact_browser.core.registration import (
    FormField,
    check_inside_run,
    check_uri,
    explain_refusal,
    server_text,
    uri_from_drop,
)

RUN = "a5fbdbd47ef94ea9862cd63999fcf503"
ROOT = f"file:///srv/dioptra/mlartifacts/{RUN}/artifacts"
HINT = (
    " You have requested this URI [/api/v1/artifacts/] but did you mean /api/v1/artifacts/<int:id>/snapshots/<int:snapshotId>"
    " or /api/v1/artifacts/<int:id>/files ?"
)


def _refusal(status: int, body: dict) -> ApiError:
    return error_from_response(httpx.Response(status, content=json.dumps(body).encode()))


# -- check_uri -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        f"{ROOT}/outputs/model.bin",
        f"{ROOT}/spare/spare notes.txt",  # spaces are fine: MLflow keeps names as they are
        f"  {ROOT}/x.txt  ",  # surrounding whitespace is stripped before sending
        "mlflow-artifacts:/1/abc/artifacts/x",
        "s3://bucket/1/abc/artifacts/x",
        "https://example.org/runs/abc/artifacts/x",
        "sftp://host/a",
        "ftps://host/a",
    ],
)
def test_usable_uris_pass(uri: str) -> None:
    assert check_uri(uri) is None


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("", "Enter the URI"),
        ("   ", "Enter the URI"),
        ("/srv/dioptra/x.txt", "file:///srv/dioptra/x.txt"),
        ("runs:/abc/model", "runs:/"),
        ("foo:///x", "“foo:” is not a scheme"),
        ("hello", "needs a scheme"),
        ("s3:///bucket/x", "needs a host"),
        ("https:/x", "needs a host"),
        ("file://", "no path"),
        ("file:relative/x", "must be absolute"),
        ("file:///a//b", "doubled"),
        ("file:///a/b/", "at the end"),
        ("file:///a/./b", "normalised"),
        ("file:///a/../b", "normalised"),
        ("file:///a/.../b", "only of dots"),
        ("file:///a\\b", "forward slashes"),
        (f"{ROOT}/a#b.txt", "“#” or “?”"),
        (f"{ROOT}/a?b.txt", "“#” or “?”"),
        ("http://[::1/x", "cannot be read"),
    ],
)
def test_unusable_uris_say_why(uri: str, words: str) -> None:
    problem = check_uri(uri)
    assert problem is not None and words in problem


# -- check_inside_run ------------------------------------------------------------------


def test_a_uri_inside_the_run_passes() -> None:
    assert check_inside_run(f"{ROOT}/outputs/model.bin", RUN) is None
    assert check_inside_run(f"{ROOT}/dir", RUN) is None


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("file:///srv/dioptra/mlartifacts/0123456789abcdef0123456789abcdef/artifacts/x", "not inside this job's MLflow run"),
        (f"file:///srv/{RUN}/stuff/x", "continue after the run id with /artifacts/"),
        (f"file:///srv/{RUN}", "continue after the run id"),
        (ROOT, "not the artifacts folder itself"),
        (f"file:///srv/{RUN}x/artifacts/a", "not inside"),  # the id must be a whole path part
    ],
)
def test_a_uri_outside_the_run_says_what_form_it_needs(uri: str, words: str) -> None:
    problem = check_inside_run(uri, RUN)
    assert problem is not None and words in problem
    assert f"{RUN}/artifacts/<path>" in problem


# -- uri_from_drop ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dropped", "uri"),
    [
        ("file:///srv/runs/a%20b.txt", "file:///srv/runs/a b.txt"),
        ("file://localhost/srv/x.txt", "file:///srv/x.txt"),
        ("file:///srv/x.txt\r\nfile:///srv/y.txt\r\n", "file:///srv/x.txt"),
        ("# a comment\nfile:///srv/x.txt", "file:///srv/x.txt"),
        ("/srv/runs/x.txt", "file:///srv/runs/x.txt"),
        ("  s3://bucket/x  ", "s3://bucket/x"),
        ("some words", "some words"),
        ("file://otherhost/share/x", "file://otherhost/share/x"),
    ],
)
def test_a_drop_becomes_a_uri(dropped: str, uri: str) -> None:
    assert uri_from_drop(dropped) == uri


def test_an_empty_drop_gives_nothing() -> None:
    assert uri_from_drop("") is None
    assert uri_from_drop("\n# only a comment\n") is None


# -- explain_refusal: bodies observed on a real 1.2.2 server ----------------------------


@pytest.mark.parametrize(
    ("server_says", "words"),
    [
        ("Not a valid scheme", "does not accept this kind of URI"),
        ("Location is required", "needs a host"),
        ("URL is not absolute", "absolute, normalised path"),
    ],
)
def test_a_schema_error_on_the_uri_lands_on_the_uri(server_says: str, words: str) -> None:
    exc = _refusal(400, {"errors": {"artifactUri": [server_says]}})
    field, message, details = explain_refusal(exc)
    assert field is FormField.URI
    assert words in message
    assert server_says in details and "HTTP 400" in details


def test_an_unknown_body_field_is_a_form_level_message() -> None:
    exc = _refusal(400, {"errors": {"bogus": ["Unknown field."]}})
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.FORM
    assert "bogus" in refusal.message and "Unknown field." in refusal.details


def test_a_job_without_a_run_lands_on_the_job() -> None:
    exc = _refusal(
        400,
        {
            "error": "JobMlflowRunNotSetError",
            "message": "Bad Request - The requested job does not have an mlflow run id set for an operation thatrequires an mlflow run id.",
            "detail": {},
            "originating_path": "/api/v1/artifacts/?",
        },
    )
    refusal = explain_refusal(exc, job_id=16)
    assert refusal.field is FormField.JOB
    assert refusal.message.startswith("Job 16 has no MLflow run attached")
    assert "JobMlflowRunNotSetError" in refusal.details and "does not have an mlflow run id" in refusal.details


def test_an_already_registered_uri_names_the_existing_artifact() -> None:
    exc = _refusal(
        409,
        {
            "error": "EntityExistsError",
            "message": f"Conflict - The Artifact with uri having value ({ROOT}/outputs/metrics.json) already exists.",
            "detail": {"entity_type": "artifact", "existing_id": 35, "entity_attributes": {"uri": f"{ROOT}/outputs/metrics.json"}},
            "originating_path": "/api/v1/artifacts/?",
        },
    )
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.URI
    assert "already registered for this job as artifact 35" in refusal.message
    assert '"existing_id": 35' in refusal.details


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        (f"{ROOT}/never/logged.txt", "never logged by this run"),
        ("file:///srv/dioptra/mlartifacts/8cf4e385919d4e6686de6b3d58c39ee5/artifacts/x.txt", "never logged by this run"),
    ],
)
def test_a_uri_the_run_never_logged_lands_on_the_uri(uri: str, words: str) -> None:
    exc = _refusal(
        500,
        {
            "error": "JobStoreError",
            "message": f"Internal Server Error - The specified artifact uri {uri} is not part of MLFlow run id: {RUN}",
            "detail": {},
            "originating_path": "/api/v1/artifacts/?",
        },
    )
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.URI and words in refusal.message
    assert "HTTP 500 JobStoreError" in refusal.details and uri in refusal.details


def test_a_uri_without_artifacts_after_the_run_id_says_so() -> None:
    exc = _refusal(
        500,
        {"error": "JobStoreError", "message": f"Internal Server Error - The specified artifact uri file:///m/{RUN}/stuff/x is formatted unexpectedly.", "detail": {}},
    )
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.URI and "…/<run id>/artifacts/<path>" in refusal.message


def test_a_missing_mlflow_run_lands_on_the_job() -> None:
    # Body built by dioptra.restapi.errors.MlflowRunNotFoundError (no job in the seed has a fake run).
    exc = _refusal(
        404,
        {
            "error": "MlflowRunNotFoundError",
            "message": f"Not Found - Failed to locate mlflow run with run_id having value ({RUN}) in the mlflow database.{HINT}",
            "detail": {},
        },
    )
    refusal = explain_refusal(exc, job_id=12)
    assert refusal.field is FormField.JOB and "Job 12 names an MLflow run that the server cannot find" in refusal.message
    assert RUN in refusal.details and "did you mean" not in refusal.details


def test_an_unknown_task_lands_on_the_task() -> None:
    exc = _refusal(
        404,
        {
            "error": "PluginTaskDoesNotExistError",
            "message": f"Not Found - The plugin task with task_id having value (99999) does not exist.{HINT}",
            "detail": {},
        },
    )
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.TASK and "does not exist" in refusal.message
    assert "task_id having value (99999)" in refusal.details


def test_a_task_of_another_snapshot_lands_on_the_task() -> None:
    exc = _refusal(
        404,
        {
            "error": "EntityRelationshipDoesNotExistError",
            "message": "Not Found - Failed to locate relationship between ['Plugin', 'Plugin File']  with plugin_snapshot_id having value (9) , "
            f"and plugin_file_snapshot_id having value (34) .{HINT}",
            "detail": {"entity_types": ["plugin", "plugin_file"], "plugin_snapshot_id": 9, "plugin_file_snapshot_id": 34},
        },
    )
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.TASK and "does not belong to the chosen plugin snapshot" in refusal.message
    assert '"plugin_snapshot_id": 9' in refusal.details


@pytest.mark.parametrize("missing", ["plugin_snapshot_id must be provided if task_id is provided", "task_id must be provided if plugin_snapshot_id is provided"])
def test_half_a_task_pair_lands_on_the_task(missing: str) -> None:
    exc = _refusal(400, {"error": "DioptraError", "message": f"Bad Request - {missing}", "detail": {}})
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.TASK and "both or neither" in refusal.message


@pytest.mark.parametrize(("entity", "field"), [("job", FormField.JOB), ("group", FormField.GROUP)])
def test_a_missing_job_or_group_lands_on_its_field(entity: str, field: FormField) -> None:
    exc = _refusal(
        404,
        {
            "error": "EntityDoesNotExistError",
            "message": f"Not Found - Failed to locate {entity.title()}  with {entity}_id having value (99999) .{HINT}",
            "detail": {"entity_type": entity, f"{entity}_id": 99999},
        },
    )
    refusal = explain_refusal(exc, job_id=99999)
    assert refusal.field is field and "does not exist" in refusal.message
    assert f"{entity}_id having value (99999)" in refusal.details


def test_anything_else_is_a_form_level_message_with_the_servers_words() -> None:
    exc = error_from_response(httpx.Response(500, content=b"<html><title>Internal Server Error</title></html>"))
    refusal = explain_refusal(exc)
    assert refusal.field is FormField.FORM and "The server failed" in refusal.message
    assert "HTTP 500" in refusal.details


def test_no_connection_is_a_form_level_message() -> None:
    refusal = explain_refusal(ServerUnreachableError("Connection refused."))
    assert refusal.field is FormField.FORM and "could not be reached" in refusal.message
    assert server_text(ServerUnreachableError("Connection refused.")).startswith("No response")
