"""error_from_response: every failure the server sends becomes one readable exception.

The bodies below are the ones dioptra-api.md §1, §3 and §7 record from a real
1.2.2 server (and the HTML page a DEBUG launcher may send instead).
"""

from __future__ import annotations

import json

import httpx
import pytest

from artifact_browser.api.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    SearchSyntaxError,
    ServerError,
    ValidationError,
    error_from_response,
)


def _response(status: int, body: object = None, *, raw: bytes | None = None, content_type: str | None = None) -> httpx.Response:
    request = httpx.Request("GET", "http://127.0.0.1:5000/api/v1/artifacts/")
    if raw is None:
        raw = b"" if body is None else json.dumps(body).encode()
        content_type = content_type or "application/json"
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.Response(status, content=raw, headers=headers, request=request)


# -- 400 -------------------------------------------------------------------------------


def test_400_schema_errors_become_validation_error_fields() -> None:
    error = error_from_response(_response(400, {"errors": {"index": ["Must be greater than or equal to 0."]}}))

    assert type(error) is ValidationError
    assert error.status == 400
    assert error.fields == {"index": ["Must be greater than or equal to 0."]}
    assert str(error) == "index: Must be greater than or equal to 0. (HTTP 400)"


def test_400_with_several_fields_names_each_one() -> None:
    body = {"errors": {"fileType": ["Must be one of: tar_gz, zip."], "artifactUri": ["Not a valid scheme", "Unknown field."]}}
    error = error_from_response(_response(400, body))

    assert isinstance(error, ValidationError)
    assert error.fields == {"fileType": ["Must be one of: tar_gz, zip."], "artifactUri": ["Not a valid scheme", "Unknown field."]}
    text = str(error)
    assert "fileType: Must be one of: tar_gz, zip." in text
    assert "artifactUri: Not a valid scheme Unknown field." in text
    assert text.endswith("(HTTP 400)")


def test_400_with_message_and_errors_keeps_both() -> None:
    body = {"errors": {"index": ["Must be greater than or equal to 0."]}, "message": "Input payload validation failed"}
    error = error_from_response(_response(400, body))

    assert isinstance(error, ValidationError)
    assert error.message == "Input payload validation failed"
    assert error.fields == {"index": ["Must be greater than or equal to 0."]}


def test_400_error_envelope_keeps_the_server_error_name() -> None:
    body = {
        "error": "SortParameterValidationError",
        "message": "Bad Request - The sort parameter, artifactUri, is not sortable.",
        "detail": {"sort_by": "artifactUri"},
        "originating_path": "/api/v1/artifacts/?",
    }
    error = error_from_response(_response(400, body))

    assert isinstance(error, ValidationError)
    assert error.error_type == "SortParameterValidationError"
    assert error.detail == {"sort_by": "artifactUri"}
    assert error.fields == {}
    assert str(error) == "Bad Request - The sort parameter, artifactUri, is not sortable. (HTTP 400)"


# -- 401 -------------------------------------------------------------------------------


def test_401_without_login() -> None:
    body = {"message": "The server could not verify that you are authorized to access the URL requested."}
    error = error_from_response(_response(401, body))

    assert type(error) is AuthenticationError
    assert error.status == 401
    assert error.error_type is None
    assert str(error) == "The server could not verify that you are authorized to access the URL requested. (HTTP 401)"


def test_401_bad_credentials_envelope() -> None:
    body = {
        "error": "UserAuthenticationError",
        "message": "Unauthorized - Invalid username or password.",
        "detail": {},
        "originating_path": "/api/v1/auth/login?",
    }
    error = error_from_response(_response(401, body))

    assert type(error) is AuthenticationError
    assert error.error_type == "UserAuthenticationError"
    assert error.detail == {}
    assert str(error) == "Unauthorized - Invalid username or password. (HTTP 401)"


def test_401_with_empty_body_still_says_what_happened() -> None:
    error = error_from_response(_response(401))

    assert isinstance(error, AuthenticationError)
    assert str(error).endswith("(HTTP 401)")
    assert str(error) != "(HTTP 401)"
    assert error.message.strip()


# -- 404 -------------------------------------------------------------------------------


def test_404_envelope_drops_the_flask_restx_hint() -> None:
    body = {
        "error": "EntityDoesNotExistError",
        "message": "Not Found - Failed to locate Artifact  with artifact_id having value (99999) . "
        "You have requested this URI [/api/v1/artifacts/99999] but did you mean /api/v1/artifacts/<int:id> ?",
        "detail": {"entity_type": "artifact", "artifact_id": 99999},
        "originating_path": "/api/v1/artifacts/99999?",
    }
    error = error_from_response(_response(404, body))

    assert type(error) is NotFoundError
    assert error.error_type == "EntityDoesNotExistError"
    assert error.detail == {"entity_type": "artifact", "artifact_id": 99999}
    assert error.message == "Not Found - Failed to locate Artifact  with artifact_id having value (99999) ."
    assert "You have requested" not in str(error)
    assert "did you mean" not in str(error)
    assert str(error) == "Not Found - Failed to locate Artifact  with artifact_id having value (99999) . (HTTP 404)"


def test_404_unknown_route_message_is_cut_too() -> None:
    body = {
        "message": "The requested URL was not found on the server. If you entered the URL manually please check "
        "your spelling and try again. You have requested this URI [/api/v1/nope] but did you mean /api/v1/jobs/ ?"
    }
    error = error_from_response(_response(404, body))

    assert isinstance(error, NotFoundError)
    assert "/api/v1/nope" not in str(error)
    assert str(error).startswith("The requested URL was not found on the server.")


# -- 409 -------------------------------------------------------------------------------


def test_409_conflict_names_the_existing_entity() -> None:
    body = {
        "error": "EntityExistsError",
        "message": "Bad Request - The artifact with uri file:///x already exists.",
        "detail": {"entity_type": "artifact", "existing_id": 14, "entity_attributes": {"uri": "file:///x"}},
        "originating_path": "/api/v1/artifacts/?",
    }
    error = error_from_response(_response(409, body))

    assert type(error) is ConflictError
    assert error.status == 409
    assert error.detail["existing_id"] == 14
    assert str(error) == "Bad Request - The artifact with uri file:///x already exists. (HTTP 409)"


# -- 422 -------------------------------------------------------------------------------


def test_422_search_parse_error_exposes_reason_and_query() -> None:
    body = {
        "error": "SearchParseError",
        "message": "Unprocessable Entity - Search parse error.",
        "detail": {"query": "bogusfield:abc", "reason": "'bogusfield' is not a valid field"},
        "originating_path": "/api/v1/artifacts/?",
    }
    error = error_from_response(_response(422, body))

    assert type(error) is SearchSyntaxError
    assert error.status == 422
    assert error.reason == "'bogusfield' is not a valid field"
    assert error.query == "bogusfield:abc"
    assert "'bogusfield' is not a valid field" in str(error)
    assert str(error).endswith("(HTTP 422)")


def test_422_search_parse_error_without_reason_falls_back_to_the_message() -> None:
    body = {"error": "SearchParseError", "message": "Unprocessable Entity - bad search", "detail": {"query": "a:"}}
    error = error_from_response(_response(422, body))

    assert isinstance(error, SearchSyntaxError)
    assert error.reason == ""
    assert error.query == "a:"
    assert str(error) == "Unprocessable Entity - bad search (HTTP 422)"


def test_422_other_than_search_is_a_plain_api_error() -> None:
    error = error_from_response(_response(422, {"message": "Unprocessable"}))

    assert type(error) is ApiError
    assert str(error) == "Unprocessable (HTTP 422)"


# -- other 4xx -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, {"error": "LockError", "message": "Forbidden - locked", "detail": {}}, "Forbidden - locked (HTTP 403)"),
        (405, {"message": "The method is not allowed for the requested URL."}, "The method is not allowed for the requested URL. (HTTP 405)"),
        (423, {"error": "EntityDeletedError", "message": "Locked - deleted", "detail": {}}, "Locked - deleted (HTTP 423)"),
    ],
)
def test_other_statuses_are_plain_api_errors(status: int, body: dict, expected: str) -> None:
    error = error_from_response(_response(status, body))

    assert type(error) is ApiError
    assert error.status == status
    assert str(error) == expected


# -- 5xx -------------------------------------------------------------------------------


def test_500_json_message() -> None:
    error = error_from_response(_response(500, {"message": "Internal Server Error"}))

    assert type(error) is ServerError
    assert error.status == 500
    assert str(error) == "Internal Server Error (HTTP 500)"


def test_500_job_store_error_envelope() -> None:
    body = {"error": "JobStoreError", "message": "Internal Server Error - artifact not logged", "detail": {}}
    error = error_from_response(_response(500, body))

    assert isinstance(error, ServerError)
    assert error.error_type == "JobStoreError"
    assert str(error) == "Internal Server Error - artifact not logged (HTTP 500)"


def test_500_html_page_keeps_only_its_title() -> None:
    html = (
        b"<!doctype html>\n<html lang=en>\n<head>\n  <title>ZeroDivisionError: division by zero\n"
        b" // Werkzeug Debugger</title>\n  <link rel=\"stylesheet\" href=\"?__debugger__=yes\">\n"
        b"<script>var CONSOLE_MODE = false;</script></head>\n<body><div class=\"debugger\"><h1>ZeroDivisionError</h1>"
        b"<p>Traceback <b>(most recent call last)</b></p></div></body></html>"
    )
    error = error_from_response(_response(500, raw=html, content_type="text/html; charset=utf-8"))

    assert isinstance(error, ServerError)
    text = str(error)
    assert "ZeroDivisionError: division by zero // Werkzeug Debugger" in text
    assert "<" not in text and ">" not in text
    assert "script" not in text.lower() and "traceback" not in text.lower()
    assert "\n" not in text
    assert text.endswith("(HTTP 500)")


def test_502_html_without_title_gives_the_reason_phrase() -> None:
    html = b"<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    error = error_from_response(_response(502, raw=html, content_type="text/html"))

    assert isinstance(error, ServerError)
    assert str(error) == "Bad Gateway (HTTP 502)"


def test_500_empty_body() -> None:
    error = error_from_response(_response(500, raw=b""))

    assert isinstance(error, ServerError)
    assert error.message == "Internal Server Error"
    assert str(error) == "Internal Server Error (HTTP 500)"


def test_503_plain_text_body_is_shown_on_one_line() -> None:
    error = error_from_response(_response(503, raw=b"upstream connect error\nor disconnect", content_type="text/plain"))

    assert isinstance(error, ServerError)
    assert str(error) == "Service Unavailable: upstream connect error or disconnect (HTTP 503)"


def test_a_long_non_json_body_is_capped() -> None:
    error = error_from_response(_response(500, raw=b"x" * 50_000, content_type="text/plain"))

    assert isinstance(error, ServerError)
    assert len(str(error)) < 400


@pytest.mark.parametrize("raw", [b'{"message": "Internal', b"\xff\xfe\x00garbage", b"[1, 2"])
def test_malformed_json_body_still_gives_a_server_error(raw: bytes) -> None:
    error = error_from_response(_response(500, raw=raw, content_type="application/json"))

    assert type(error) is ServerError
    assert error.status == 500
    assert str(error).startswith("Internal Server Error")
    assert str(error).endswith("(HTTP 500)")


def test_malformed_json_on_400_is_a_validation_error_without_fields() -> None:
    error = error_from_response(_response(400, raw=b'{"errors": {"index": [', content_type="application/json"))

    assert type(error) is ValidationError
    assert error.fields == {}
    assert str(error).endswith("(HTTP 400)")


@pytest.mark.parametrize("body", [["a", "list"], "just a string", 42, None])
def test_json_that_is_not_an_object_does_not_crash(body: object) -> None:
    raw = json.dumps(body).encode()
    error = error_from_response(_response(500, raw=raw, content_type="application/json"))

    assert isinstance(error, ServerError)
    assert str(error).endswith("(HTTP 500)")


# -- str() of an error without a status ------------------------------------------------


def test_str_without_status_is_just_the_message() -> None:
    assert str(ApiError("Cannot connect")) == "Cannot connect"
    assert str(ApiError("Nope", 418)) == "Nope (HTTP 418)"
