"""One exception hierarchy for every failure of a Dioptra request.

Only :func:`error_from_response` turns HTTP failures into exceptions, so the
rest of the program can rely on one shape: a status and a readable message,
never a password or a cookie.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

# flask-restx appends a routing hint to every 404 message; users do not need it.
_NOT_FOUND_HINT = " You have requested this URI"


class ApiError(Exception):
    """Any failure of a request to a Dioptra server.

    Attributes:
        status: The HTTP status, or None when no response arrived.
        message: A readable explanation, safe to show and to log.
        error_type: The server's own error name (e.g. ``EntityDoesNotExistError``), if any.
        detail: The server's ``detail`` object, if any.
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        error_type: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type
        self.detail = detail or {}

    def __str__(self) -> str:
        return self.message if self.status is None else f"{self.message} (HTTP {self.status})"


class AuthenticationError(ApiError):
    """401: not signed in, or wrong user name or password."""


class NotFoundError(ApiError):
    """404: the resource does not exist."""


class ValidationError(ApiError):
    """400: the server refused a parameter or a body field.

    Attributes:
        fields: Per-field messages from the server's ``errors`` map.
    """

    def __init__(self, message: str, status: int | None = 400, *, fields: dict[str, list[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(message, status, **kwargs)
        self.fields = fields or {}


class ConflictError(ApiError):
    """409: the resource already exists (``detail['existing_id']`` names it)."""


class SearchSyntaxError(ApiError):
    """422: the server could not parse a search query.

    Attributes:
        reason: The parser's explanation.
        query: The query the server refused.
    """

    def __init__(self, message: str, status: int | None = 422, *, reason: str = "", query: str = "", **kwargs: Any) -> None:
        super().__init__(message, status, **kwargs)
        self.reason = reason
        self.query = query


class ServerError(ApiError):
    """5xx: the server failed; its body may not be JSON."""


class ServerUnreachableError(ApiError):
    """No usable response: connection refused, DNS failure, TLS failure, timeout, dropped connection."""


class TLSVerificationError(ServerUnreachableError):
    """The server's TLS certificate could not be verified (wrong CA, expired, wrong host name)."""


class IntegrityError(ApiError):
    """A download arrived, but not as the server described it (e.g. wrong byte count)."""


def error_from_response(response: httpx.Response) -> ApiError:
    """Build the exception that describes a failed response.

    Error bodies are read in the order the server produces them: the ``error``
    envelope, the schema ``errors`` map, a bare ``message``, then anything else
    (an HTML page from a proxy, say).
    """
    status = response.status_code
    body = _json_or_none(response)
    error_type = None
    detail: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}
    if isinstance(body, dict):
        error_type = body.get("error") if isinstance(body.get("error"), str) else None
        detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
        fields = _field_messages(body.get("errors"))
        message = str(body.get("message") or "").split(_NOT_FOUND_HINT)[0].strip()
        if not message and fields:
            message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
    else:
        message = ""
    if not message:
        message = _plain_text_summary(response)

    kwargs: dict[str, Any] = {"error_type": error_type, "detail": detail}
    if status == 401:
        return AuthenticationError(message or "Not signed in.", status, **kwargs)
    if status == 404:
        return NotFoundError(message or "Not found.", status, **kwargs)
    if status == 400:
        return ValidationError(message or "The server refused the request.", status, fields=fields, **kwargs)
    if status == 409:
        return ConflictError(message or "It already exists.", status, **kwargs)
    if status == 422 and error_type == "SearchParseError":
        reason = str(detail.get("reason", ""))
        return SearchSyntaxError(
            f"The search could not be understood: {reason}" if reason else message,
            status,
            reason=reason,
            query=str(detail.get("query", "")),
            **kwargs,
        )
    if status >= 500:
        return ServerError(message or "The server failed.", status, **kwargs)
    return ApiError(message or f"Unexpected response {status}.", status, **kwargs)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _field_messages(errors: Any) -> dict[str, list[str]]:
    if not isinstance(errors, dict):
        return {}
    return {
        str(name): [str(m) for m in msgs] if isinstance(msgs, list) else [str(msgs)]
        for name, msgs in errors.items()
    }


def _plain_text_summary(response: httpx.Response) -> str:
    """A short, single-line summary of a non-JSON body (HTML error pages included)."""
    reason = response.reason_phrase or "error"
    text = response.content[:2000].decode("utf-8", "replace")
    if "<" in text:  # HTML: keep the title, drop the markup
        lower = text.lower()
        start, end = lower.find("<title>"), lower.find("</title>")
        text = text[start + 7 : end] if 0 <= start < end else ""
    text = " ".join(text.split())[:200]
    return reason if not text or text == reason else f"{reason}: {text}"
