"""The HTTP session with one Dioptra server: URL forms, cookies, timeouts, re-login.

Dioptra's session protection binds a login to the client address and the
User-Agent, so every request (downloads too) goes through this one session with
one constant User-Agent and one spelling of the host.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from artifact_browser import __version__
from artifact_browser.api.cancel import CancelToken
from artifact_browser.api.errors import (
    AuthenticationError,
    ServerError,
    ServerUnreachableError,
    TLSVerificationError,
    error_from_response,
)
from artifact_browser.api.rawstream import RawResponse, open_raw

log = logging.getLogger(__name__)

USER_AGENT = f"artifact-browser/{__version__}"
API_PREFIX = "/api/v1"
# The server copies (and archives) a whole artifact before its first byte, so a
# download may be silent for a long time; ordinary calls should fail fast.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=60.0, pool=10.0)


def normalize_address(address: str) -> str:
    """Turn what a user typed into the server's root URL.

    ``localhost:5000``, ``http://localhost:5000/``, ``http://localhost:5000/api/v1``
    all become ``http://127.0.0.1:5000``: the API prefix is added by the session,
    and ``localhost`` is pinned to IPv4 because a host that flips between ``::1``
    and ``127.0.0.1`` breaks Dioptra's session protection. Without a scheme, a
    host other than this machine gets ``https://``: the password must not cross a
    network in clear text unless the user typed ``http://`` on purpose.

    Raises:
        ValueError: the text is not an http(s) URL with a host.
    """
    text = address.strip()
    if not text:
        raise ValueError("The server address is empty.")
    if "://" not in text:
        text = _default_scheme(text) + "://" + text
    parts = urlsplit(text)
    # Credentials typed into a URL are dropped, and never repeated in a message.
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"The server address must start with http:// or https://, not {parts.scheme}://.")
    if not parts.hostname:
        raise ValueError(f"The server address {shown!r} has no host name.")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"The server address {shown!r} has an invalid port.") from None
    if parts.hostname == "localhost":
        netloc = netloc.replace("localhost", "127.0.0.1", 1)
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _default_scheme(text: str) -> str:
    host = urlsplit("//" + text).hostname or ""
    loopback = host == "localhost" or host == "::1" or host.startswith("127.")
    return "http" if loopback else "https"


class Session:
    """One signed-in conversation with a Dioptra server.

    Args:
        address: The server's root URL (see :func:`normalize_address`).
        verify: TLS verification: True (default), False, or a CA bundle path.
        timeout: Timeouts for ordinary calls.
        download_timeout: Timeouts for downloads (the read timeout is the longest
            silence tolerated, including the server's archiving before the first byte).
        transport: An httpx transport, for tests that need odd responses.
    """

    def __init__(
        self,
        address: str,
        *,
        verify: bool | str = True,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        download_timeout: httpx.Timeout = DOWNLOAD_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.address = normalize_address(address)
        self.api_url = self.address + API_PREFIX
        self.download_timeout = download_timeout
        # One TLS context for both request paths (httpx and the raw download stream).
        self._ssl_context = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else httpx.create_ssl_context(verify=verify)
        )
        self._http = httpx.Client(
            base_url=self.api_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=timeout,
            verify=self._ssl_context,
            transport=transport,
            follow_redirects=False,
            # Downloads do not go through httpx (see rawstream), so proxies from the
            # environment would apply to some requests only; Dioptra's session
            # protection would then see two client addresses and drop the login.
            trust_env=False,
        )
        self._credentials: tuple[str, str] | None = None
        self.username: str | None = None

    # -- authentication -------------------------------------------------------------

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Sign in and keep the credentials in memory for one transparent re-login."""
        body = self._send("POST", "/auth/login", json={"username": username, "password": password})
        self._credentials = (username, password)
        self.username = username
        return body

    def logout(self, everywhere: bool = False) -> dict[str, Any]:
        """Sign out and forget the credentials."""
        params = {"everywhere": "true"} if everywhere else None
        try:
            return self._send("POST", "/auth/logout", params=params)
        finally:
            self._credentials = None
            self.username = None
            self._http.cookies.clear()

    @property
    def signed_in(self) -> bool:
        return self._credentials is not None

    # -- requests -------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (relative to ``/api/v1``) and return the decoded JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, json=json, params=params)

    def put(self, path: str, json: Any = None) -> Any:
        return self.request("PUT", path, json=json)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request, signing in again once if the server forgot the session."""
        try:
            return self._send(method, path, **kwargs)
        except AuthenticationError:
            if not self._relogin():
                raise
            return self._send(method, path, **kwargs)

    @contextmanager
    def stream(
        self, path: str, params: dict[str, Any] | None = None, cancel: CancelToken | None = None
    ) -> Iterator[RawResponse]:
        """Open a streaming GET whose status is already checked (re-login included).

        Args:
            cancel: Breaks the connection when set, even while the server is
                still preparing its answer.

        Yields:
            The response, positioned before its body (see :mod:`rawstream` for why
            it is not an httpx response).
        """
        for attempt in (1, 2):
            request = self._http.build_request("GET", path, params=params)
            response = open_raw(request, self._ssl_context, self.download_timeout, cancel)
            try:
                self._http.cookies.extract_cookies(httpx.Response(response.status, headers=response.headers, request=request))
                if 200 <= response.status < 300:
                    yield response
                    return
                error = error_from_response(
                    httpx.Response(response.status, headers=response.headers, content=response.read_all(), request=request)
                )
            finally:
                response.close()
            if not (attempt == 1 and isinstance(error, AuthenticationError) and self._relogin()):
                raise error

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------

    def _relogin(self) -> bool:
        if self._credentials is None:
            return False
        log.info("Session expired; signing in again as %s", self._credentials[0])
        try:
            self._send("POST", "/auth/login", json={"username": self._credentials[0], "password": self._credentials[1]})
        except AuthenticationError:
            self._credentials = None
            raise
        return True

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        with self._transport_errors():
            response = self._http.request(method, path, **kwargs)
        if not response.is_success:
            raise error_from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ServerError("The server sent a response that is not JSON.", response.status_code) from None

    @contextmanager
    def _transport_errors(self) -> Iterator[None]:
        """Turn httpx's transport failures into :class:`ServerUnreachableError`."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise ServerUnreachableError(f"The server at {self.address} did not answer in time ({type(exc).__name__}).") from None
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                detail = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc).split("certificate verify failed:")[-1]).strip(" )]")
                raise TLSVerificationError(
                    f"The TLS certificate of {self.address} could not be verified ({detail}). "
                    "If the server uses a private certificate authority, give its CA bundle."
                ) from None
            raise ServerUnreachableError(f"Cannot connect to {self.address}: {_reason(exc)}") from None
        except httpx.TransportError as exc:
            raise ServerUnreachableError(f"The connection to {self.address} failed: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    # httpx wraps the OS error; its text names the cause (refused, DNS).
    return str(exc) or type(exc).__name__
