"""A typed client for Dioptra's REST API: pure Python and httpx, no Qt.

Usage mirrors ``dioptra.client``::

    client = artifact_browser.api.connect("http://127.0.0.1:5000")
    client.auth.login("alice", password)
    page = client.artifacts.get(sort_by="createdOn", descending=True)
"""

from artifact_browser.api.artifacts import UNCHANGED, ContentTooLargeError, FileTypes
from artifact_browser.api.client import DioptraClient, connect
from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.api.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    IntegrityError,
    NotFoundError,
    SearchSyntaxError,
    ServerError,
    ServerUnreachableError,
    TLSVerificationError,
    ValidationError,
)
from artifact_browser.api.models import (
    Artifact,
    ArtifactFile,
    ArtifactTask,
    Experiment,
    Group,
    GroupRef,
    Job,
    Page,
    Plugin,
    PluginTask,
    User,
    UserRef,
)

__all__ = [
    "UNCHANGED",
    "ApiError",
    "Artifact",
    "ArtifactFile",
    "ArtifactTask",
    "AuthenticationError",
    "CancelToken",
    "ConflictError",
    "ContentTooLargeError",
    "DioptraClient",
    "DownloadCancelled",
    "Experiment",
    "FileTypes",
    "Group",
    "GroupRef",
    "IntegrityError",
    "Job",
    "NotFoundError",
    "Page",
    "Plugin",
    "PluginTask",
    "SearchSyntaxError",
    "ServerError",
    "ServerUnreachableError",
    "TLSVerificationError",
    "User",
    "UserRef",
    "ValidationError",
    "connect",
]
