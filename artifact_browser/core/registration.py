"""What the registration form checks before it sends, and what a server refusal means for it.

Dioptra 1.2.2 accepts an artifact only when its URI passes a syntax check and
points at a file or folder logged by the job's MLflow run (dioptra-api.md §6.5).
The checks here mirror the server's own (``dioptra.restapi.utils.validate_artifact_url``
and ``JobRunStore.find_artifact``), so the form can say what is wrong before a
request is made; :func:`explain_refusal` turns what the server says when it still
refuses into a sentence about the field concerned.

Pure Python: no Qt, no HTTP.
"""

from __future__ import annotations

import enum
import json
import posixpath
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Final, NamedTuple
from urllib.parse import unquote, urlparse, urlsplit

from artifact_browser.api.errors import (
    ApiError,
    AuthenticationError,
    ServerUnreachableError,
    ValidationError,
)

SCHEMES: Final = ("http", "https", "ftp", "ftps", "sftp", "file", "mlflow-artifacts", "s3")
"""The URI schemes the server accepts."""
HOSTLESS_SCHEMES: Final = frozenset({"file", "mlflow-artifacts"})
"""Schemes that need no host (every other scheme does)."""

# A folder name made of three or more dots is refused by the server's path check.
_ALL_DOTS = re.compile(r"^\.\.\.+$")
# flask-restx and Dioptra prefix messages with the HTTP reason ("Not Found - …").
_REASON_PREFIX = re.compile(r"^(Bad Request|Not Found|Conflict|Internal Server Error|Forbidden|Unauthorized) - ")
# Where a URI is shown inside a sentence, very long ones are shortened in the middle.
_MAX_SHOWN = 90


class FormField(enum.Enum):
    """The fields of the registration form a message can belong to."""

    GROUP = "group"
    JOB = "job"
    URI = "uri"
    TASK = "task"
    DESCRIPTION = "description"
    FORM = "form"
    """No single field: shown for the whole form."""


class Refusal(NamedTuple):
    """What a server refusal means for the form.

    Attributes:
        field: The field the refusal concerns (``FormField.FORM`` when none does).
        message: A sentence a user understands, saying what to change.
        details: The server's own words (status, error name, message, detail), for a "Details" view.
    """

    field: FormField
    message: str
    details: str


# -- the URI ---------------------------------------------------------------------------


def check_uri(text: str) -> str | None:
    """Whether the server's syntax check would accept ``text`` as an artifact URI.

    Surrounding whitespace is ignored (the form sends the text stripped).

    Args:
        text: What the user typed.

    Returns:
        None when the URI is usable, otherwise a sentence saying what is wrong.
    """
    uri = text.strip()
    if not uri:
        return "Enter the URI of a file or folder logged by the job's MLflow run."
    if uri.startswith("/"):
        return f"A bare path is not a URI: write it as file://{_shorten(uri)} (or drop the file here)."
    if uri.lower().startswith("runs:/"):
        return (
            "MLflow's runs:/ shorthand is not accepted: use the run's artifact location, "
            "e.g. file:///…/<run id>/artifacts/<path>."
        )
    try:
        parsed = urlparse(uri)
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        return f"The URI cannot be read: {exc}."
    if parsed.scheme not in SCHEMES:
        accepted = ", ".join(f"{s}:" for s in SCHEMES)
        if not parsed.scheme:
            return f"The URI needs a scheme; the server accepts {accepted}"
        return f"“{parsed.scheme}:” is not a scheme the server accepts; use one of {accepted}"
    if parsed.scheme not in HOSTLESS_SCHEMES and not parsed.netloc:
        return f"A {parsed.scheme}: URI needs a host, e.g. {parsed.scheme}://host/path."
    if parsed.scheme == "file" and ("#" in uri or "?" in uri):
        # The server reads everything after "#" or "?" as a fragment or a query and
        # then looks for a file that does not exist (a 500): say so before that.
        return (
            "A file URI cannot contain “#” or “?”: the server cuts the URI there and then "
            "cannot find the file. Register the folder that holds it instead."
        )
    return _path_problem(parsed.path)


def _path_problem(path: str) -> str | None:
    """The server's absolute, normalised path rule, with the reason spelled out."""
    if not path:
        return "The URI has no path: add the path of the file or folder after the host."
    if "\\" in path or PureWindowsPath(path).as_posix() != str(PurePosixPath(path)):
        return "Use forward slashes (/) in the path, not backslashes."
    if not path.startswith("/"):
        return "The path must be absolute: write file:///path/to/file (three slashes)."
    if posixpath.normpath(path) != path:
        if path.endswith("/") and posixpath.normpath(path) == path.rstrip("/"):
            return "Remove the “/” at the end of the path."
        if "//" in path:
            return "Remove the doubled “/” from the path."
        return "The path must be normalised: remove “.” and “..” parts."
    if any(_ALL_DOTS.match(part) for part in PurePosixPath(path).parts):
        return "A folder name made only of dots (such as “...”) is not allowed."
    return None


def check_inside_run(uri: str, run_id: str) -> str | None:
    """Whether ``uri`` names something inside the MLflow run ``run_id``, as the server requires.

    The server looks for ``/<run id>/artifacts/<path>`` in the URI's path and then
    for ``<path>`` among the run's logged files; only the first part can be checked
    without asking it.

    Args:
        uri: A URI that passed :func:`check_uri`.
        run_id: The job's MLflow run id.

    Returns:
        None when the URI lies inside the run, otherwise a sentence saying what is wrong.
    """
    try:
        parts = urlparse(uri.strip()).path.split("/")
    except ValueError:
        return check_uri(uri)
    pattern = f"…/{run_id}/artifacts/<path>"
    if run_id not in parts:
        return f"The URI is not inside this job's MLflow run: its path must have the form {pattern}."
    index = parts.index(run_id)
    if len(parts) < index + 2 or parts[index + 1] != "artifacts":
        return f"The URI must continue after the run id with /artifacts/: {pattern}."
    if not "/".join(parts[index + 2 :]):
        return f"Name a file or folder inside the run's artifacts ({pattern}), not the artifacts folder itself."
    return None


def uri_from_drop(text: str) -> str | None:
    """The URI to put in the form for text or a URL dropped onto it.

    A ``file://`` URL from a file manager is percent-encoded, while MLflow keeps
    file names as they are, so its path is decoded (``a%20b`` becomes ``a b``);
    ``file://localhost/…`` loses its host. A plain absolute path becomes a
    ``file://`` URI. Anything else is taken as typed, for :func:`check_uri` to judge.
    Of a ``text/uri-list`` only the first entry counts (lines starting with "#" are comments).

    Returns:
        The URI, or None when nothing usable was dropped.
    """
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        return None
    first = lines[0]
    if first.lower().startswith("file:"):
        try:
            parsed = urlparse(first)
        except ValueError:
            return first
        if parsed.netloc in ("", "localhost"):
            path = unquote(parsed.path)
            return f"file://{path}" if path.startswith("/") else first
        return first
    if first.startswith("/"):
        return f"file://{first}"
    return first


def uri_for_log(uri: str) -> str:
    """``uri`` without its userinfo (``user:password@``), fit for a log line.

    http, ftp and sftp URIs may carry a password in front of the host; a log
    file must never hold one.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    if parts is not None and "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    if parts is None and "@" in uri:
        return "<a URI that cannot be read>"  # it may still hold a password: say nothing of it
    return uri


# -- refusals --------------------------------------------------------------------------

# Server schema errors ("errors": {"artifactUri": [...]}) in words a user understands.
_URI_SCHEMA_MESSAGES: Final = {
    "Not a valid scheme": "The server does not accept this kind of URI: it must start with "
    + ", ".join(f"{s}:" for s in SCHEMES)
    + ".",
    "Location is required": "The server needs a host in this kind of URI (e.g. s3://bucket/path).",
    "URL is not absolute": "The server needs an absolute, normalised path in the URI "
    "(starting with “/”, without “..”, “//” or a “/” at the end).",
    "Failed to parse URL": "The server could not read this URI.",
}
_SCHEMA_FIELDS: Final = {
    "artifactUri": FormField.URI,
    "group": FormField.GROUP,
    "job": FormField.JOB,
    "description": FormField.DESCRIPTION,
    "pluginSnapshotId": FormField.TASK,
    "taskId": FormField.TASK,
}
_ENTITY_FIELDS: Final = {"job": FormField.JOB, "group": FormField.GROUP, "plugin": FormField.TASK}


def explain_refusal(exc: ApiError, *, job_id: int | None = None) -> Refusal:
    """Map a refused registration to the form field it concerns, in words a user understands.

    Args:
        exc: What :meth:`ArtifactsClient.create` raised.
        job_id: The job the form sent, to name it in the message.

    Returns:
        The field, a message and the server's own text.
    """
    details = server_text(exc)
    kind = exc.error_type or ""
    job = f"Job {job_id}" if job_id is not None else "This job"
    message = _server_message(exc)

    if isinstance(exc, ValidationError) and exc.fields:
        return _schema_refusal(exc, details)
    if kind == "JobMlflowRunNotSetError":
        return Refusal(
            FormField.JOB,
            f"{job} has no MLflow run attached, so no artifact can be registered for it yet. "
            "Choose a job whose run has logged the file.",
            details,
        )
    if kind == "EntityExistsError" or exc.status == 409:
        existing = exc.detail.get("existing_id")
        which = f" as artifact {existing}" if existing is not None else ""
        return Refusal(
            FormField.URI,
            f"This URI is already registered for this job{which}. Choose another file or folder, "
            "or edit the existing artifact instead.",
            details,
        )
    if kind == "MlflowRunNotFoundError":
        return Refusal(
            FormField.JOB,
            f"{job} names an MLflow run that the server cannot find (it may have been deleted), "
            "so nothing can be registered for it.",
            details,
        )
    if kind == "JobStoreError":
        if "formatted unexpectedly" in message:
            text = "The URI does not have the form …/<run id>/artifacts/<path> the server expects."
        else:
            text = (
                "The job's MLflow run has no file or folder at this URI: it was never logged by this run, "
                "or belongs to another run. Check the path (names are case-sensitive)."
            )
        return Refusal(FormField.URI, text, details)
    if kind == "PluginTaskDoesNotExistError":
        return Refusal(
            FormField.TASK,
            "The chosen artifact task does not exist on the server (any more). Choose the task again.",
            details,
        )
    if kind == "EntityRelationshipDoesNotExistError":
        return Refusal(
            FormField.TASK,
            "The chosen artifact task does not belong to the chosen plugin snapshot. Choose the task "
            "again from that snapshot (a task gets a new id each time its plugin file is edited).",
            details,
        )
    if kind == "EntityDoesNotExistError":
        entity = str(exc.detail.get("entity_type", "")).lower()
        field = _ENTITY_FIELDS.get(entity, FormField.FORM)
        if field is FormField.JOB:
            return Refusal(field, f"{job} does not exist on the server (any more). Choose another job.", details)
        if field is FormField.GROUP:
            return Refusal(field, "This group does not exist on the server (any more). Choose another group.", details)
        return Refusal(field, f"The server could not find something the form refers to: {message}", details)
    if kind == "UserNotInGroupError":
        return Refusal(FormField.GROUP, "You are not a member of this group. Choose one of your groups.", details)
    if isinstance(exc, ValidationError) and ("plugin_snapshot_id" in message or "task_id" in message):
        return Refusal(
            FormField.TASK,
            "A plugin snapshot and an artifact task go together: choose both or neither.",
            details,
        )
    if isinstance(exc, AuthenticationError):
        return Refusal(FormField.FORM, "You are no longer signed in. Sign in again, then register.", details)
    if isinstance(exc, ServerUnreachableError):
        return Refusal(FormField.FORM, f"The server could not be reached: {exc.message} Nothing was registered.", details)
    if exc.status is not None and exc.status >= 500:
        return Refusal(FormField.FORM, f"The server failed while registering: {message}", details)
    return Refusal(FormField.FORM, f"The server refused the registration: {message}", details)


def _schema_refusal(exc: ValidationError, details: str) -> Refusal:
    """A 400 ``{"errors": {...}}``: the first field the form has, in the form's words."""
    for name, messages in exc.fields.items():
        field = _SCHEMA_FIELDS.get(name)
        if field is None:
            continue
        said = " ".join(messages)
        if field is FormField.URI:
            text = " ".join(_URI_SCHEMA_MESSAGES.get(m, f"The server refused the URI: {m}") for m in messages)
        else:
            text = f"The server refused this value: {said}"
        return Refusal(field, text, details)
    said = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.fields.items())
    return Refusal(FormField.FORM, f"The server refused the request: {said}", details)


def _server_message(exc: ApiError) -> str:
    """The server's message without its HTTP-reason prefix ("Not Found - …")."""
    return _REASON_PREFIX.sub("", exc.message or "").strip()


def server_text(exc: ApiError) -> str:
    """Everything the server said about a refusal, for a "Details" view.

    The status, the server's error name, its message, and its ``detail`` and
    per-field ``errors`` as JSON: enough to report the problem or search for it.
    """
    lines = []
    head = f"HTTP {exc.status}" if exc.status is not None else "No response"
    if exc.error_type:
        head += f" {exc.error_type}"
    lines.append(head)
    if exc.message:
        lines.append(exc.message)
    if exc.detail:
        lines.append("detail: " + json.dumps(exc.detail, ensure_ascii=False, sort_keys=True))
    fields = getattr(exc, "fields", None)
    if fields:
        lines.append("errors: " + json.dumps(fields, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines)


def _shorten(text: str) -> str:
    if len(text) <= _MAX_SHOWN:
        return text
    half = (_MAX_SHOWN - 1) // 2
    return f"{text[:half]}…{text[-half:]}"
