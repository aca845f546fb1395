"""Session: address forms, the constant User-Agent, re-login, transport failures, list parameters.

Requests go to an ``httpx.MockTransport`` (the real network only for the
connection-refused case), so every request the client sends can be inspected.
"""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from artifact_browser.api import (
    AuthenticationError,
    NotFoundError,
    SearchSyntaxError,
    ServerError,
    ServerUnreachableError,
    TLSVerificationError,
    connect,
)
from artifact_browser.api.client import DioptraClient
from artifact_browser.api.session import USER_AGENT, Session, normalize_address
from https_stub import https_stub

ADDRESS = "http://127.0.0.1:5000"
SECRET = "S3cr3t-Pa55-xyzzy"

NO_LOGIN_401 = {"message": "The server could not verify that you are authorized to access the URL requested."}
BAD_CREDENTIALS_401 = {
    "error": "UserAuthenticationError",
    "message": "Unauthorized - Invalid username or password.",
    "detail": {},
    "originating_path": "/api/v1/auth/login?",
}
USER = {
    "id": 1,
    "username": "alice",
    "email": "alice@example.org",
    "groups": [{"id": 1, "name": "public", "url": "/api/v1/groups/1"}],
    "createdOn": "2026-11-27T16:00:00+00:00",
    "lastModifiedOn": "2026-11-27T16:00:00+00:00",
    "lastLoginOn": "2026-11-27T16:10:00+00:00",
    "passwordExpiresOn": "2027-11-27T16:00:00+00:00",
}
EMPTY_PAGE = {"index": 0, "isComplete": True, "totalNumResults": 0, "first": "", "data": []}


def _json(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})


class FakeDioptra:
    """A MockTransport handler that records every request and answers from a route function."""

    def __init__(self, route: Callable[[httpx.Request], httpx.Response]) -> None:
        self.route = route
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.route(request)

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.requests]

    def bodies(self, path: str) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path]


@pytest.fixture
def make_session() -> Iterator[Callable[[Callable[[httpx.Request], httpx.Response]], tuple[Session, FakeDioptra]]]:
    sessions: list[Session] = []

    def make(route: Callable[[httpx.Request], httpx.Response], address: str = ADDRESS) -> tuple[Session, FakeDioptra]:
        fake = FakeDioptra(route)
        session = Session(address, transport=httpx.MockTransport(fake))
        sessions.append(session)
        return session, fake

    yield make
    for session in sessions:
        session.close()


def _login_ok(request: httpx.Request, cookie: str = "s1") -> httpx.Response:
    body = json.loads(request.content)
    return _json(200, {"username": body["username"], "status": "Login successful"}, **{"Set-Cookie": f"session={cookie}; Path=/; HttpOnly"})


# -- normalize_address -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        # Only this machine is reached over plain HTTP unless the user says so.
        ("  dioptra.example.org:5000  ", "https://dioptra.example.org:5000"),
        ("dioptra.example.org", "https://dioptra.example.org"),
        ("[::1]:5000", "http://[::1]:5000"),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
        ("http://127.0.0.1:5000/api/v1", "http://127.0.0.1:5000"),
        ("http://127.0.0.1:5000/api/v1/", "http://127.0.0.1:5000"),
        ("https://dioptra.example.org/lab/api/v1", "https://dioptra.example.org/lab"),
        ("localhost:5000", "http://127.0.0.1:5000"),
        ("http://localhost:5000/api/v1/", "http://127.0.0.1:5000"),
        ("http://alice:hunter2@127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://alice:hunter2@localhost/", "https://127.0.0.1"),
        ("HTTP://Dioptra.Example.ORG:5000", "http://dioptra.example.org:5000"),
        ("http://[::1]:5000/", "http://[::1]:5000"),
    ],
)
def test_normalize_address(typed: str, expected: str) -> None:
    assert normalize_address(typed) == expected


@pytest.mark.parametrize("typed", ["LOCALHOST:5000", "http://LocalHost:5000/"])
def test_localhost_in_any_case_is_pinned_to_ipv4(typed: str) -> None:
    # "localhost" may resolve to ::1 or 127.0.0.1, which breaks session protection.
    assert normalize_address(typed) == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "ftp://127.0.0.1:5000",
        "file:///srv/dioptra",
        "http://",
        "http:///api/v1",
        "http://127.0.0.1:notaport",
        "http://127.0.0.1:99999",
        "127.0.0.1:-1",
    ],
)
def test_normalize_address_refuses_unusable_addresses(typed: str) -> None:
    with pytest.raises(ValueError):
        normalize_address(typed)


def test_connect_refuses_a_bad_address_before_sending_anything() -> None:
    with pytest.raises(ValueError):
        connect("gopher://127.0.0.1:5000")


@pytest.mark.parametrize("typed", ["http://alice:hunter2secret@127.0.0.1:99999", "http://alice:hunter2secret@:5000"])
def test_a_refused_address_does_not_echo_the_password_typed_into_it(typed: str) -> None:
    with pytest.raises(ValueError) as info:
        normalize_address(typed)
    assert "hunter2secret" not in str(info.value)
    assert all("hunter2secret" not in repr(arg) for arg in info.value.args)


def test_session_sends_requests_under_api_v1_of_the_normalised_address(make_session) -> None:
    session, fake = make_session(lambda r: _json(200, USER), address="localhost:5000/api/v1/")

    session.get("/users/current")

    assert session.address == "http://127.0.0.1:5000"
    assert str(fake.requests[0].url) == "http://127.0.0.1:5000/api/v1/users/current"


# -- the constant User-Agent -----------------------------------------------------------


def test_every_request_carries_the_same_user_agent(make_session) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/login":
            return _login_ok(request)
        if request.url.path == "/api/v1/auth/logout":
            return _json(200, {"username": "alice", "everywhere": False, "status": "Logout successful"})
        return _json(200, {"ok": True})

    session, fake = make_session(route)
    session.login("alice", SECRET)
    session.get("/users/current")
    session.get("/artifacts/", {"index": 0, "pageLength": 10, "sortBy": "id"})
    session.post("/artifacts/", json={"group": 1})
    session.put("/artifacts/14", json={"description": None})
    session.logout()

    assert len(fake.requests) == 6
    assert {r.headers["User-Agent"] for r in fake.requests} == {USER_AGENT}
    assert USER_AGENT.startswith("artifact-browser/")
    assert {r.url.host for r in fake.requests} == {"127.0.0.1"}


def test_two_sessions_use_the_same_user_agent(make_session) -> None:
    first, fake1 = make_session(lambda r: _json(200, USER))
    second, fake2 = make_session(lambda r: _json(200, USER))
    first.get("/users/current")
    second.get("/users/current")

    assert fake1.requests[0].headers["User-Agent"] == fake2.requests[0].headers["User-Agent"] == USER_AGENT


def test_the_session_cookie_from_login_is_sent_afterwards(make_session) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/login":
            return _login_ok(request, cookie="abc123")
        return _json(200, USER)

    session, fake = make_session(route)
    session.login("alice", SECRET)
    session.get("/users/current")

    assert "session=abc123" in fake.requests[1].headers.get("Cookie", "")


# -- re-login --------------------------------------------------------------------------


def test_a_401_after_login_signs_in_again_once_and_retries(make_session) -> None:
    logins = 0
    gets = 0

    def route(request: httpx.Request) -> httpx.Response:
        nonlocal logins, gets
        if request.url.path == "/api/v1/auth/login":
            logins += 1
            return _login_ok(request, cookie=f"s{logins}")
        gets += 1
        if gets == 1:  # the server forgot the session (restart, User-Agent change, ...)
            return _json(401, NO_LOGIN_401)
        assert "session=s2" in request.headers.get("Cookie", "")
        return _json(200, USER)

    session, fake = make_session(route)
    session.login("alice", SECRET)
    user = session.get("/users/current")

    assert user["username"] == "alice"
    assert fake.calls == [
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/users/current"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/users/current"),
    ]
    assert fake.bodies("/api/v1/auth/login") == [{"username": "alice", "password": SECRET}] * 2
    assert session.signed_in


def test_a_second_401_after_the_re_login_is_raised(make_session) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/login":
            return _login_ok(request)
        return _json(401, NO_LOGIN_401)

    session, fake = make_session(route)
    session.login("alice", SECRET)
    with pytest.raises(AuthenticationError) as info:
        session.get("/users/current")

    assert info.value.status == 401
    assert fake.calls == [
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/users/current"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/users/current"),
    ]


def test_a_401_without_a_prior_login_is_raised_without_trying_to_sign_in(make_session) -> None:
    session, fake = make_session(lambda r: _json(401, NO_LOGIN_401))

    with pytest.raises(AuthenticationError):
        session.get("/artifacts/", {"index": 0, "pageLength": 10, "sortBy": "id"})

    assert fake.calls == [("GET", "/api/v1/artifacts/")]


def test_after_logout_a_401_does_not_sign_in_again(make_session) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/login":
            return _login_ok(request)
        if request.url.path == "/api/v1/auth/logout":
            return _json(200, {"username": "alice", "everywhere": True, "status": "Logout successful"})
        return _json(401, NO_LOGIN_401)

    session, fake = make_session(route)
    session.login("alice", SECRET)
    session.logout(everywhere=True)
    with pytest.raises(AuthenticationError):
        session.get("/users/current")

    assert not session.signed_in
    assert fake.calls == [
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/users/current"),
    ]
    assert fake.requests[1].url.params.get("everywhere") == "true"


def test_a_re_login_refused_by_the_server_raises_and_forgets_the_credentials(make_session) -> None:
    logins = 0

    def route(request: httpx.Request) -> httpx.Response:
        nonlocal logins
        if request.url.path == "/api/v1/auth/login":
            logins += 1
            return _login_ok(request) if logins == 1 else _json(401, BAD_CREDENTIALS_401)
        return _json(401, NO_LOGIN_401)

    session, fake = make_session(route)
    session.login("alice", SECRET)
    with pytest.raises(AuthenticationError) as info:
        session.get("/users/current")

    assert info.value.error_type == "UserAuthenticationError"
    assert not session.signed_in
    # The next 401 must not try the stale password again.
    with pytest.raises(AuthenticationError):
        session.get("/users/current")
    assert fake.calls.count(("POST", "/api/v1/auth/login")) == 2


def _exception_texts(exc: BaseException) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *(repr(a) for a in current.args), repr(vars(current))]
        current = current.__cause__ or current.__context__
    texts.append("".join(traceback.format_exception(exc)))
    return texts


def test_wrong_password_raises_authentication_error_without_the_password_anywhere(make_session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    session, fake = make_session(lambda r: _json(401, BAD_CREDENTIALS_401))

    with pytest.raises(AuthenticationError) as info:
        session.login("alice", SECRET)

    error = info.value
    assert error.status == 401
    assert "Invalid username or password" in str(error)
    assert not session.signed_in
    assert session.username is None
    for text in _exception_texts(error):
        assert SECRET not in text
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(record.args)
    assert SECRET not in caplog.text
    # The request did carry it (so the check above is not vacuous).
    assert fake.bodies("/api/v1/auth/login") == [{"username": "alice", "password": SECRET}]


def test_failed_re_login_does_not_leak_the_password_either(make_session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    logins = 0

    def route(request: httpx.Request) -> httpx.Response:
        nonlocal logins
        if request.url.path == "/api/v1/auth/login":
            logins += 1
            return _login_ok(request) if logins == 1 else _json(401, BAD_CREDENTIALS_401)
        return _json(401, NO_LOGIN_401)

    session, _ = make_session(route)
    session.login("alice", SECRET)
    with pytest.raises(AuthenticationError) as info:
        session.get("/users/current")

    for text in _exception_texts(info.value):
        assert SECRET not in text
    assert SECRET not in caplog.text
    assert all(SECRET not in repr(r.args) for r in caplog.records)


# -- bodies and transport failures -----------------------------------------------------


def test_malformed_json_on_a_200_is_a_server_error(make_session) -> None:
    session, _ = make_session(
        lambda r: httpx.Response(200, content=b'{"id": 1, "username": ', headers={"Content-Type": "application/json"})
    )

    with pytest.raises(ServerError):
        session.get("/users/current")


def test_an_html_page_on_a_200_is_a_server_error(make_session) -> None:
    session, _ = make_session(
        lambda r: httpx.Response(200, content=b"<html><title>Proxy login</title></html>", headers={"Content-Type": "text/html"})
    )

    with pytest.raises(ServerError):
        session.get("/artifacts/14")


def test_error_statuses_reach_the_caller_as_typed_errors(make_session) -> None:
    body = {
        "error": "EntityDoesNotExistError",
        "message": "Not Found - Failed to locate Artifact  with artifact_id having value (99999) . "
        "You have requested this URI [/api/v1/artifacts/99999] but did you mean /api/v1/artifacts/<int:id> ?",
        "detail": {"entity_type": "artifact", "artifact_id": 99999},
    }
    session, _ = make_session(lambda r: _json(404, body))
    client = DioptraClient(session)

    with pytest.raises(NotFoundError) as info:
        client.artifacts.get_by_id(99999)

    assert "You have requested" not in str(info.value)


def test_a_search_the_server_cannot_parse_is_a_search_syntax_error(make_session) -> None:
    body = {
        "error": "SearchParseError",
        "message": "Unprocessable Entity",
        "detail": {"query": "bogusfield:abc", "reason": "'bogusfield' is not a valid field"},
    }
    session, _ = make_session(lambda r: _json(422, body))
    client = DioptraClient(session)

    with pytest.raises(SearchSyntaxError) as info:
        client.artifacts.get(search="bogusfield:abc")

    assert info.value.reason == "'bogusfield' is not a valid field"
    assert info.value.query == "bogusfield:abc"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_server_unreachable() -> None:
    port = _closed_port()
    with Session(f"127.0.0.1:{port}") as session:
        with pytest.raises(ServerUnreachableError) as info:
            session.get("/users/current")

    assert info.value.status is None
    assert f"127.0.0.1:{port}" in str(info.value)


def test_connection_refused_on_a_download_is_server_unreachable() -> None:
    port = _closed_port()
    with Session(f"127.0.0.1:{port}") as session:
        with pytest.raises(ServerUnreachableError):
            with session.stream("/artifacts/14/contents"):
                pytest.fail("a refused connection yielded a response")


@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_timeout_is_server_unreachable(make_session, exc_type: type[httpx.TimeoutException]) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        raise exc_type("timed out", request=request)

    session, _ = make_session(route)
    with pytest.raises(ServerUnreachableError) as info:
        session.get("/users/current")

    assert "127.0.0.1:5000" in str(info.value)


def test_a_dropped_connection_is_server_unreachable(make_session) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    session, _ = make_session(route)
    with pytest.raises(ServerUnreachableError):
        session.get("/users/current")


def test_a_timeout_during_login_does_not_leak_the_password(make_session) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    session, _ = make_session(route)
    with pytest.raises(ServerUnreachableError) as info:
        session.login("alice", SECRET)

    for text in _exception_texts(info.value):
        assert SECRET not in text
    assert not session.signed_in


# -- list parameters -------------------------------------------------------------------


@pytest.fixture
def listing(make_session) -> tuple[DioptraClient, FakeDioptra]:
    session, fake = make_session(lambda r: _json(200, EMPTY_PAGE))
    return DioptraClient(session), fake


@pytest.mark.parametrize("kwargs", [{"index": -1}, {"page_length": 0}, {"page_length": 1001}, {"page_length": -5}])
def test_bad_paging_is_refused_before_any_request(listing, kwargs: dict) -> None:
    client, fake = listing

    with pytest.raises(ValueError):
        client.artifacts.get(**kwargs)
    with pytest.raises(ValueError):
        client.jobs.get(**kwargs)

    assert fake.requests == []


@pytest.mark.parametrize("page_length", [1, 1000])
def test_page_length_limits_are_accepted(listing, page_length: int) -> None:
    client, fake = listing

    page = client.artifacts.get(page_length=page_length)

    assert fake.requests[0].url.params["pageLength"] == str(page_length)
    assert page.page_length == page_length


def test_artifacts_get_sends_sort_by_id_and_omits_unset_parameters(listing) -> None:
    client, fake = listing

    client.artifacts.get()

    request = fake.requests[0]
    assert request.url.path == "/api/v1/artifacts/"
    assert dict(request.url.params) == {"index": "0", "pageLength": "10", "sortBy": "id"}


@pytest.mark.parametrize(("descending", "sent"), [(True, "true"), (False, "false")])
def test_descending_is_sent_as_lowercase_text(listing, descending: bool, sent: str) -> None:
    client, fake = listing

    client.artifacts.get(sort_by="createdOn", descending=descending)

    params = fake.requests[0].url.params
    assert params["descending"] == sent
    assert params["sortBy"] == "createdOn"


def test_every_list_parameter_is_sent_in_camel_case(listing) -> None:
    client, fake = listing

    client.artifacts.get(group_id=2, index=20, page_length=5, sort_by="uri", descending=True, search="description:*mnist*")

    assert dict(fake.requests[0].url.params) == {
        "index": "20",
        "pageLength": "5",
        "sortBy": "uri",
        "descending": "true",
        "search": "description:*mnist*",
        "groupId": "2",
    }


def test_jobs_get_also_sends_sort_by_id(listing) -> None:
    client, fake = listing

    client.jobs.get(group_id=None, search=None)

    assert fake.requests[0].url.path == "/api/v1/jobs/"
    assert dict(fake.requests[0].url.params) == {"index": "0", "pageLength": "10", "sortBy": "id"}


def test_snapshots_are_listed_without_sort_by(listing) -> None:
    client, fake = listing

    client.artifacts.snapshots.get(14, index=0, page_length=3)

    assert fake.requests[0].url.path == "/api/v1/artifacts/14/snapshots"
    assert dict(fake.requests[0].url.params) == {"index": "0", "pageLength": "3"}


# -- TLS -------------------------------------------------------------------------------


@pytest.fixture
def tls_server():
    with https_stub() as served:
        yield served


def test_an_unknown_certificate_authority_is_a_tls_error(tls_server):
    url, _ = tls_server
    with connect(url) as client:
        with pytest.raises(TLSVerificationError) as raised:
            client.users.current()
    assert "certificate" in raised.value.message and "_ssl.c" not in raised.value.message
    assert isinstance(raised.value, ServerUnreachableError)


def test_a_ca_bundle_makes_the_server_trusted(tls_server, tmp_path):
    url, ca = tls_server
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with connect(url, verify=str(bundle)) as client:
        assert client.users.current().username == "alice"
