"""Downloads: the raw http.client path, the .part file, cancel, re-login, names and suffixes.

``Session.stream`` reads bodies with ``http.client`` (see rawstream.py), which an
``httpx.MockTransport`` cannot fake, so these tests run a tiny threaded TCP
server on 127.0.0.1 that answers each scenario with hand-written HTTP/1.1 bytes.
The same server answers the httpx requests (login) too, so the User-Agent, Host
and cookies of both request paths can be compared.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from artifact_browser.api import (
    Artifact,
    AuthenticationError,
    CancelToken,
    DioptraClient,
    DownloadCancelled,
    IntegrityError,
    NotFoundError,
    ServerError,
    ServerUnreachableError,
    connect,
)
from artifact_browser.api.download import file_suffix, filename_from_disposition, save_stream
from artifact_browser.api.session import USER_AGENT
from samples import ARTIFACT_JSON

WAIT = 5.0  # seconds: the longest any prompt reaction may take
# Short enough that a test stuck on a server that never answers ends quickly,
# long enough never to fire on a healthy local exchange.
TEST_DOWNLOAD_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=5.0, pool=5.0)

# -- the raw server --------------------------------------------------------------------


@dataclass
class RawRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)


Handler = Callable[["RawServer", RawRequest, socket.socket], None]


@dataclass
class RawServer:
    """Accepts connections on 127.0.0.1 and lets ``handler`` write raw bytes to each."""

    handler: Handler
    requests: list[RawRequest] = field(default_factory=list)
    connections: int = 0
    errors: list[BaseException] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    request_seen: threading.Event = field(default_factory=threading.Event)
    headers_sent: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name="raw-server", daemon=True)
        self._acceptor.start()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        while True:
            conn, _ = self._listener.accept()
            if self._stopping.is_set():
                conn.close()
                return
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = _read_request(conn)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                self.request_seen.set()
                self.handler(self, request, conn)
            except OSError:
                pass  # the client went away (cancel, abort): expected in some scenarios
            except BaseException as exc:  # noqa: BLE001 - reported by the fixture
                self.errors.append(exc)

    def close(self) -> None:
        self.release.set()
        self._stopping.set()
        socket.create_connection(("127.0.0.1", self.port)).close()  # wake accept()
        self._acceptor.join(WAIT)
        self._listener.close()
        for thread in self._threads:
            thread.join(WAIT)
            assert not thread.is_alive(), "a server connection did not finish"


def _read_request(conn: socket.socket) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawRequest(method, target, headers, body)


def _status_line(status: int, reason: str, headers: dict[str, str] | list[tuple[str, str]]) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in items] + ["", ""]
    return "\r\n".join(lines).encode("latin-1")


def chunked_head(
    disposition: str | None = "attachment; filename=model.bin",
    content_type: str = "application/octet-stream",
    *,
    connection_close: bool = True,
) -> bytes:
    """The headers Dioptra sends for /contents: chunked, no Content-Length.

    Werkzeug (``flask run``) always adds ``Connection: close``, and the client
    asks for it too, so that is the default here.
    """
    headers = [("Content-Type", content_type), ("Transfer-Encoding", "chunked")]
    if connection_close:
        headers.append(("Connection", "close"))
    if disposition is not None:
        headers.insert(0, ("Content-Disposition", disposition))
    return _status_line(200, "OK", headers)


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


def chunked_body(data: bytes, size: int = 7) -> bytes:
    return b"".join(chunk(data[i : i + size]) for i in range(0, len(data), size)) + LAST_CHUNK


def full_response(status: int, reason: str, body: bytes, content_type: str = "application/json", extra: dict[str, str] | None = None) -> bytes:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), "Connection": "close", **(extra or {})}
    return _status_line(status, reason, headers) + body


def json_response(status: int, reason: str, body: object, extra: dict[str, str] | None = None) -> bytes:
    return full_response(status, reason, json.dumps(body).encode(), extra=extra)


def serve_file(data: bytes, disposition: str | None = "attachment; filename=model.bin", size: int = 7) -> Handler:
    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(chunked_head(disposition) + chunked_body(data, size))

    return handler


def must_not_be_contacted(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
    conn.sendall(json_response(500, "Internal Server Error", {"message": "this test must not reach the server"}))


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
    for server in servers:
        assert server.errors == [], f"the fake server failed: {server.errors!r}"


@pytest.fixture
def client_for() -> Iterator[Callable[..., DioptraClient]]:
    clients: list[DioptraClient] = []

    def make(server: RawServer, **options: Any) -> DioptraClient:
        options.setdefault("download_timeout", TEST_DOWNLOAD_TIMEOUT)
        client = connect(server.address, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- artifacts (built locally, so no metadata request is needed) -----------------------


def file_artifact(size: int | None, name: str = "model.bin", artifact_id: int = 14) -> Artifact:
    uri = ARTIFACT_JSON["artifactUri"].rsplit("/", 1)[0] + "/" + name
    return Artifact.from_json(
        dict(ARTIFACT_JSON, id=artifact_id, fileSize=size, fileUrl=f"/api/v1/artifacts/{artifact_id}/contents", artifactUri=uri)
    )


def dir_artifact(artifact_id: int = 16) -> Artifact:
    return Artifact.from_json(
        {
            "id": artifact_id,
            "snapshot": 18,
            "group": {"id": 1, "name": "public", "url": "/api/v1/groups/1"},
            "user": {"id": 1, "username": "alice", "url": "/api/v1/users/1"},
            "createdOn": "2026-11-27T16:12:38+00:00",
            "description": None,
            "isDir": True,
            "fileSize": None,
            "fileUrl": f"/api/v1/artifacts/{artifact_id}/contents",
            "artifactUri": "file:///srv/dioptra/mlartifacts/8a50d5a920d540baa95f62950b85d094/artifacts/dirart",
            "job": 13,
            "task": {},
        }
    )


def payload(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class Background:
    """Runs a call on another thread and keeps its result or exception."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._call = call
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self._call()
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            self.error = exc

    def finished_within(self, seconds: float) -> bool:
        self.thread.join(seconds)
        return not self.thread.is_alive()


# -- (a) a normal download -------------------------------------------------------------


def test_many_tiny_chunks_land_complete_under_the_final_name(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(20_000)
    server = raw_server(serve_file(data, "attachment; filename=model.bin", size=7))
    client = client_for(server)

    path = client.artifacts.get_contents(file_artifact(len(data)), output_dir=tmp_path)

    assert path == tmp_path / "contents.bin"
    assert path.read_bytes() == data
    assert files_in(tmp_path) == ["contents.bin"]
    request = server.requests[0]
    assert (request.method, request.path) == ("GET", "/api/v1/artifacts/14/contents")
    assert request.query == {}  # no fileType/path for a single file


def test_compound_suffix_and_quoted_name_with_spaces(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(3000)
    server = raw_server(serve_file(data, 'attachment; filename="data set.tar.gz"'))
    client = client_for(server)

    path = client.artifacts.get_contents(file_artifact(len(data), "data set.tar.gz"), output_dir=tmp_path, file_stem="backup")

    assert path == tmp_path / "backup.tar.gz"
    assert path.read_bytes() == data
    assert files_in(tmp_path) == ["backup.tar.gz"]


def test_without_content_disposition_the_suffix_comes_from_the_uri(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(500)
    server = raw_server(serve_file(data, disposition=None))
    client = client_for(server)

    path = client.artifacts.get_contents(file_artifact(len(data), "weights.pt"), output_dir=tmp_path)

    assert path == tmp_path / "contents.pt"
    assert path.read_bytes() == data


def test_an_empty_file_downloads_as_an_empty_file(raw_server, client_for, tmp_path: Path) -> None:
    server = raw_server(serve_file(b"", "attachment; filename=empty.txt"))
    client = client_for(server)

    path = client.artifacts.get_contents(file_artifact(0, "empty.txt"), output_dir=tmp_path)

    assert path == tmp_path / "contents.txt"
    assert path.read_bytes() == b""
    assert files_in(tmp_path) == ["contents.txt"]


def test_a_latin1_file_name_from_the_server_downloads(raw_server, client_for, tmp_path: Path) -> None:
    # dioptra-api.md §10: names like "müller.csv" are served fine; Werkzeug sends
    # the header in Latin-1 (byte 0xFC), http.client decodes it as Latin-1.
    # dioptra-api.md §6.4: non-ASCII names are sent raw in Content-Disposition.
    data = b"a,b\n1,2\n"

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=m\xfcller.csv\r\n"
            b"Content-Type: text/csv; charset=utf-8\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head + chunked_body(data))

    server = raw_server(handler)
    client = client_for(server)

    path = client.artifacts.get_contents(file_artifact(len(data), "müller.csv"), output_dir=tmp_path)

    assert path == tmp_path / "contents.csv"
    assert path.read_bytes() == data


def test_the_download_uses_the_same_user_agent_host_and_cookie_as_other_calls(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(100)

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        if request.path == "/api/v1/auth/login":
            conn.sendall(
                json_response(200, "OK", {"username": "alice", "status": "Login successful"}, {"Set-Cookie": "session=abc; Path=/; HttpOnly"})
            )
        else:
            conn.sendall(chunked_head() + chunked_body(data))

    server = raw_server(handler)
    client = client_for(server)
    client.auth.login("alice", "pw")
    client.artifacts.get_contents(file_artifact(len(data)), output_dir=tmp_path)

    login, download = server.requests
    assert login.headers["user-agent"] == download.headers["user-agent"] == USER_AGENT
    assert login.headers["host"] == download.headers["host"] == f"127.0.0.1:{server.port}"
    assert "session=abc" in download.headers.get("cookie", "")


# -- directories and sub-paths ---------------------------------------------------------


@pytest.mark.parametrize(
    ("file_type", "sent", "disposition", "suffix"),
    [
        (None, "tar_gz", "attachment; filename=dirart.tar.gz", ".tar.gz"),
        ("tar_gz", "tar_gz", "attachment; filename=dirart.tar.gz", ".tar.gz"),
        ("zip", "zip", "attachment; filename=dirart.zip", ".zip"),
        ("ZIP", "zip", "attachment; filename=dirart.zip", ".zip"),
    ],
)
def test_a_directory_comes_as_the_chosen_archive(raw_server, client_for, tmp_path: Path, file_type, sent, disposition, suffix) -> None:
    data = payload(4000)
    server = raw_server(serve_file(data, disposition))
    client = client_for(server)

    path = client.artifacts.get_contents(dir_artifact(), file_type=file_type, output_dir=tmp_path)

    assert path == tmp_path / f"contents{suffix}"
    assert path.read_bytes() == data
    assert server.requests[0].query == {"fileType": [sent]}


def test_a_file_inside_a_directory_keeps_its_own_suffix(raw_server, client_for, tmp_path: Path) -> None:
    data = b"some notes\n"
    server = raw_server(serve_file(data, "attachment; filename=notes.txt"))
    client = client_for(server)

    path = client.artifacts.get_contents(dir_artifact(), artifact_path="sub/deeper/notes.txt", output_dir=tmp_path, file_stem="notes")

    assert path == tmp_path / "notes.txt"
    assert path.read_bytes() == data
    assert server.requests[0].query["path"] == ["sub/deeper/notes.txt"]


def test_a_folder_inside_a_directory_comes_as_an_archive(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(2000)
    server = raw_server(serve_file(data, "attachment; filename=sub.zip"))
    client = client_for(server)

    path = client.artifacts.get_contents(dir_artifact(), file_type="zip", artifact_path="sub", output_dir=tmp_path, file_stem="sub")

    assert path == tmp_path / "sub.zip"
    assert server.requests[0].query == {"fileType": ["zip"], "path": ["sub"]}


def test_a_missing_sub_path_explains_the_bare_500(raw_server, client_for, tmp_path: Path) -> None:
    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(json_response(500, "INTERNAL SERVER ERROR", {"message": "Internal Server Error"}))

    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(ServerError) as info:
        client.artifacts.get_contents(dir_artifact(), artifact_path="sub/missing.txt", output_dir=tmp_path)

    assert "sub/missing.txt" in str(info.value)
    assert info.value.status == 500
    assert files_in(tmp_path) == []


# -- (b) a dropped connection ----------------------------------------------------------


def test_a_connection_dropped_mid_chunk_keeps_nothing(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(5000)

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(chunked_head() + b"".join(chunk(data[i : i + 100]) for i in range(0, 3000, 100)))
        conn.sendall(b"400\r\n" + data[3000:3200])  # announces 1024 bytes, sends 200, then hangs up

    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(ServerUnreachableError):
        client.artifacts.get_contents(file_artifact(len(data)), output_dir=tmp_path)

    assert files_in(tmp_path) == []


def test_a_connection_dropped_between_chunks_keeps_nothing(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(3000)

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(chunked_head() + chunk(data[:1000]))  # never sends the last chunk

    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(ServerUnreachableError):
        client.artifacts.get_contents(dir_artifact(), output_dir=tmp_path)  # no size to check against

    assert files_in(tmp_path) == []


def test_a_body_shorter_than_its_content_length_keeps_nothing(raw_server, client_for, tmp_path: Path) -> None:
    # A proxy may de-chunk Dioptra's body and add a Content-Length; a directory
    # archive has no fileSize, so only the HTTP framing can reveal the cut.
    # http.client's readinto() returns 0 on a premature EOF of a Content-Length
    # body (it never raises IncompleteRead there); an archive has no fileSize to catch it.
    data = payload(400)

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        head = _status_line(
            200,
            "OK",
            {"Content-Disposition": "attachment; filename=dirart.tar.gz", "Content-Type": "application/gzip", "Content-Length": "1000"},
        )
        conn.sendall(head + data)

    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(ServerUnreachableError):
        client.artifacts.get_contents(dir_artifact(), output_dir=tmp_path)

    assert files_in(tmp_path) == []


def test_a_server_that_never_answers_times_out_with_a_clear_error(raw_server, client_for, tmp_path: Path) -> None:
    # dioptra-api.md §10: a non-Latin-1 name makes /contents hang with 0 bytes sent.
    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        server.release.wait(30)

    server = raw_server(handler)
    client = client_for(server, download_timeout=httpx.Timeout(connect=5.0, read=0.5, write=5.0, pool=5.0))
    run = Background(lambda: client.artifacts.get_contents(file_artifact(10, "数据.bin"), output_dir=tmp_path))

    assert run.finished_within(WAIT), "the download waited past its read timeout"
    assert isinstance(run.error, ServerUnreachableError)
    assert "in time" in str(run.error)
    assert files_in(tmp_path) == []


# -- (c) a byte count other than fileSize ----------------------------------------------


@pytest.mark.parametrize("sent", [999, 1001, 0])
def test_a_byte_count_other_than_file_size_is_an_integrity_error(raw_server, client_for, tmp_path: Path, sent: int) -> None:
    server = raw_server(serve_file(payload(sent), size=64))
    client = client_for(server)

    with pytest.raises(IntegrityError) as info:
        client.artifacts.get_contents(file_artifact(1000), output_dir=tmp_path)

    assert "1,000" in str(info.value)
    assert files_in(tmp_path) == []


def test_a_failed_download_leaves_an_existing_file_of_that_name_alone(raw_server, client_for, tmp_path: Path) -> None:
    (tmp_path / "contents.bin").write_bytes(b"the previous, good download")
    server = raw_server(serve_file(payload(10)))
    client = client_for(server)

    with pytest.raises(IntegrityError):
        client.artifacts.get_contents(file_artifact(1000), output_dir=tmp_path)

    assert (tmp_path / "contents.bin").read_bytes() == b"the previous, good download"
    assert files_in(tmp_path) == ["contents.bin"]


# -- (d) cancel ------------------------------------------------------------------------


def _silent_after_headers(connection_close: bool) -> Handler:
    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(chunked_head(connection_close=connection_close) + chunk(b"first bytes"))
        server.headers_sent.set()
        server.release.wait(30)

    return handler


# "close": the headers a real Dioptra (Werkzeug) sends; http.client then hands the
# socket over to the response and sets connection.sock to None, which abort() must survive.
CONNECTION_KINDS = pytest.mark.parametrize("connection_close", [True, False], ids=["close", "keep-alive"])


@CONNECTION_KINDS
def test_cancel_while_the_server_is_silent_stops_promptly(raw_server, client_for, tmp_path: Path, connection_close: bool) -> None:
    server = raw_server(_silent_after_headers(connection_close))
    client = client_for(server)
    token = CancelToken()
    run = Background(lambda: client.artifacts.get_contents(file_artifact(1000), output_dir=tmp_path, cancel=token))

    assert server.headers_sent.wait(WAIT)
    token.cancel()
    try:
        assert run.finished_within(WAIT), "cancel did not stop a download blocked on the server"
        assert isinstance(run.error, DownloadCancelled)
    finally:
        server.release.set()  # let a stuck download end before tmp_path goes away
        run.finished_within(WAIT)
    assert files_in(tmp_path) == []


@CONNECTION_KINDS
def test_cancel_through_the_session_stream_and_save_stream(raw_server, client_for, tmp_path: Path, connection_close: bool) -> None:
    server = raw_server(_silent_after_headers(connection_close))
    client = client_for(server)
    token = CancelToken()
    destination = tmp_path / "direct.bin"

    def download() -> Path:
        with client.session.stream("/artifacts/14/contents") as response:
            return save_stream(response, destination, cancel=token)

    run = Background(download)
    assert server.headers_sent.wait(WAIT)
    token.cancel()
    try:
        assert run.finished_within(WAIT), "cancel did not stop save_stream blocked on the server"
        assert isinstance(run.error, DownloadCancelled)
    finally:
        server.release.set()
        run.finished_within(WAIT)
    assert files_in(tmp_path) == []


def test_cancel_before_the_response_headers_stops_promptly(raw_server, client_for, tmp_path: Path) -> None:
    # dioptra-api.md §6.4: the server archives the whole artifact before the first
    # byte, which can take minutes. CancelToken promises that a download "waiting
    # for its first byte" stops at once.
    def archiving(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        server.release.wait(30)

    server = raw_server(archiving)
    client = client_for(server)
    token = CancelToken()
    run = Background(lambda: client.artifacts.get_contents(dir_artifact(), output_dir=tmp_path, cancel=token))

    assert server.request_seen.wait(WAIT)
    token.cancel()
    try:
        assert run.finished_within(WAIT), "cancel did not stop a download waiting for the response headers"
        assert isinstance(run.error, DownloadCancelled)
    finally:
        server.release.set()  # let a stuck download end before tmp_path goes away
        run.finished_within(WAIT)
    assert files_in(tmp_path) == []


def test_a_token_cancelled_beforehand_keeps_nothing(raw_server, client_for, tmp_path: Path) -> None:
    server = raw_server(serve_file(payload(100)))
    client = client_for(server)
    token = CancelToken()
    token.cancel()

    with pytest.raises(DownloadCancelled):
        client.artifacts.get_contents(file_artifact(100), output_dir=tmp_path, cancel=token)

    assert files_in(tmp_path) == []


# -- (e) a 500 with HTML ---------------------------------------------------------------


def test_a_500_html_page_becomes_a_readable_server_error(raw_server, client_for, tmp_path: Path) -> None:
    html = (
        b"<!doctype html>\n<html lang=en><head><title>OSError: [Errno 5] I/O error // Werkzeug Debugger</title>"
        b"<script src=\"?__debugger__=yes&amp;cmd=resource&amp;f=debugger.js\"></script></head>"
        b"<body><h1>OSError</h1><div class=traceback><pre>Traceback (most recent call last)</pre></div></body></html>"
    )

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(full_response(500, "INTERNAL SERVER ERROR", html, content_type="text/html; charset=utf-8"))

    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(ServerError) as info:
        client.artifacts.get_contents(file_artifact(10), output_dir=tmp_path)

    text = str(info.value)
    assert info.value.status == 500
    assert "OSError: [Errno 5] I/O error" in text
    assert "<" not in text and ">" not in text and "script" not in text
    assert files_in(tmp_path) == []


def test_a_500_with_a_chunked_html_body_too(raw_server, client_for, tmp_path: Path) -> None:
    html = b"<html><head><title>Internal Server Error</title></head><body><p>boom</p></body></html>"

    def handler(server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        head = _status_line(500, "INTERNAL SERVER ERROR", {"Content-Type": "text/html", "Transfer-Encoding": "chunked", "Connection": "close"})
        conn.sendall(head + chunked_body(html, size=10))

    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(ServerError) as info:
        with client.session.stream("/artifacts/14/contents"):
            pytest.fail("a 500 yielded a response")

    assert "Internal Server Error" in str(info.value)
    assert "<" not in str(info.value)


def test_a_404_on_download_is_not_found(raw_server, client_for, tmp_path: Path) -> None:
    body = {
        "error": "EntityDoesNotExistError",
        "message": "Not Found - Failed to locate Artifact  with artifact_id having value (99999) . You have requested this URI [x]",
        "detail": {},
    }
    server = raw_server(lambda s, r, c: c.sendall(json_response(404, "NOT FOUND", body)))
    client = client_for(server)

    with pytest.raises(NotFoundError) as info:
        client.artifacts.get_contents(file_artifact(10, artifact_id=99999), output_dir=tmp_path)

    assert "You have requested" not in str(info.value)
    assert files_in(tmp_path) == []


# -- (f) re-login during a download ----------------------------------------------------


class ExpiringServer:
    """Answers login with a fresh session cookie; the first download gets a 401."""

    def __init__(self, data: bytes, download_401s: int = 1, relogin_ok: bool = True) -> None:
        self.data = data
        self.download_401s = download_401s
        self.relogin_ok = relogin_ok
        self.logins = 0
        self.downloads = 0

    def __call__(self, server: RawServer, request: RawRequest, conn: socket.socket) -> None:
        if request.method == "POST" and request.path == "/api/v1/auth/login":
            self.logins += 1
            if self.logins > 1 and not self.relogin_ok:
                conn.sendall(
                    json_response(
                        401,
                        "UNAUTHORIZED",
                        {"error": "UserAuthenticationError", "message": "Unauthorized - Invalid username or password.", "detail": {}},
                    )
                )
                return
            body = json.loads(request.body)
            conn.sendall(
                json_response(
                    200,
                    "OK",
                    {"username": body["username"], "status": "Login successful"},
                    {"Set-Cookie": f"session=s{self.logins}; Path=/; HttpOnly"},
                )
            )
            return
        self.downloads += 1
        if self.downloads <= self.download_401s:
            conn.sendall(json_response(401, "UNAUTHORIZED", {"message": "The server could not verify that you are authorized …"}))
            return
        conn.sendall(chunked_head() + chunked_body(self.data, size=50))


def test_a_401_on_download_signs_in_again_and_the_retry_succeeds(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(2000)
    server = raw_server(ExpiringServer(data))
    client = client_for(server)
    client.auth.login("alice", "pw")

    path = client.artifacts.get_contents(file_artifact(len(data)), output_dir=tmp_path)

    assert path.read_bytes() == data
    assert files_in(tmp_path) == ["contents.bin"]
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/artifacts/14/contents"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/artifacts/14/contents"),
    ]
    assert json.loads(server.requests[2].body) == {"username": "alice", "password": "pw"}
    assert "session=s2" in server.requests[3].headers.get("cookie", "")
    assert {r.headers["user-agent"] for r in server.requests} == {USER_AGENT}


def test_a_401_on_download_twice_raises_after_one_re_login(raw_server, client_for, tmp_path: Path) -> None:
    handler = ExpiringServer(payload(10), download_401s=2)
    server = raw_server(handler)
    client = client_for(server)
    client.auth.login("alice", "pw")

    with pytest.raises(AuthenticationError):
        client.artifacts.get_contents(file_artifact(10), output_dir=tmp_path)

    assert handler.logins == 2
    assert handler.downloads == 2
    assert files_in(tmp_path) == []


def test_a_401_on_download_without_login_raises_at_once(raw_server, client_for, tmp_path: Path) -> None:
    handler = ExpiringServer(payload(10))
    server = raw_server(handler)
    client = client_for(server)

    with pytest.raises(AuthenticationError):
        client.artifacts.get_contents(file_artifact(10), output_dir=tmp_path)

    assert handler.logins == 0
    assert handler.downloads == 1


def test_a_refused_re_login_during_download_raises(raw_server, client_for, tmp_path: Path) -> None:
    handler = ExpiringServer(payload(10), relogin_ok=False)
    server = raw_server(handler)
    client = client_for(server)
    client.auth.login("alice", "pw")

    with pytest.raises(AuthenticationError) as info:
        client.artifacts.get_contents(file_artifact(10), output_dir=tmp_path)

    assert "Invalid username or password" in str(info.value)
    assert handler.downloads == 1
    assert not client.session.signed_in


# -- (g) a left-over .part -------------------------------------------------------------


def test_a_left_over_part_file_is_overwritten_not_appended_to(raw_server, client_for, tmp_path: Path) -> None:
    (tmp_path / "contents.bin.part").write_bytes(b"X" * 10_000)
    data = payload(100)
    server = raw_server(serve_file(data))
    client = client_for(server)

    path = client.artifacts.get_contents(file_artifact(len(data)), output_dir=tmp_path)

    assert path.read_bytes() == data
    assert files_in(tmp_path) == ["contents.bin"]


def test_a_left_over_part_file_is_overwritten_for_archives_too(raw_server, client_for, tmp_path: Path) -> None:
    (tmp_path / "contents.tar.gz.part").write_bytes(b"X" * 10_000)
    data = payload(100)
    server = raw_server(serve_file(data, "attachment; filename=dirart.tar.gz"))
    client = client_for(server)

    path = client.artifacts.get_contents(dir_artifact(), output_dir=tmp_path)

    assert path.read_bytes() == data
    assert files_in(tmp_path) == ["contents.tar.gz"]


# -- (h) progress ----------------------------------------------------------------------


def test_progress_rises_to_the_file_size(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(2 * 1024 * 1024 + 512 * 1024)
    server = raw_server(serve_file(data, size=4096))
    client = client_for(server)
    calls: list[tuple[int, int | None]] = []

    client.artifacts.get_contents(file_artifact(len(data)), output_dir=tmp_path, progress=lambda n, total: calls.append((n, total)))

    counts = [n for n, _ in calls]
    assert len(counts) >= 2
    assert counts == sorted(set(counts)), "progress went backwards or repeated"
    assert counts[-1] == len(data)
    assert {total for _, total in calls} == {len(data)}


def test_progress_of_an_archive_has_no_total(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(1024 * 1024 + 1000)
    server = raw_server(serve_file(data, "attachment; filename=dirart.tar.gz", size=4096))
    client = client_for(server)
    calls: list[tuple[int, int | None]] = []

    client.artifacts.get_contents(dir_artifact(), output_dir=tmp_path, progress=lambda n, total: calls.append((n, total)))

    assert calls[-1] == (len(data), None)
    assert all(total is None for _, total in calls)
    assert [n for n, _ in calls] == sorted({n for n, _ in calls})


def test_save_stream_directly_returns_the_destination(raw_server, client_for, tmp_path: Path) -> None:
    data = payload(5000)
    server = raw_server(serve_file(data, size=13))
    client = client_for(server)
    calls: list[int] = []

    with client.session.stream("/artifacts/14/contents") as response:
        assert response.status == 200
        assert filename_from_disposition(response.headers.get("content-disposition")) == "model.bin"
        result = save_stream(response, tmp_path / "model.bin", expected_size=len(data), progress=lambda n, t: calls.append(n))

    assert result == tmp_path / "model.bin"
    assert result.read_bytes() == data
    assert calls[-1] == len(data)


# -- get_contents argument checks (before any request) ---------------------------------


@pytest.mark.parametrize(
    ("artifact", "kwargs"),
    [
        (file_artifact(10), {"file_type": "zip"}),
        (file_artifact(10), {"file_type": "tar_gz"}),
        (file_artifact(10), {"artifact_path": "sub/notes.txt"}),
        (dir_artifact(), {"file_type": "rar"}),
        (file_artifact(10), {"file_type": "rar"}),
        (dir_artifact(), {"artifact_path": "/abs"}),
        (dir_artifact(), {"artifact_path": "/etc/passwd"}),
        (dir_artifact(), {"artifact_path": "../x"}),
        (dir_artifact(), {"artifact_path": "a/../../b"}),
        (dir_artifact(), {"artifact_path": "a/.."}),
        (dir_artifact(), {"artifact_path": ""}),
        (dir_artifact(), {"artifact_path": "..\\x"}),
        (file_artifact(10), {"file_stem": "a/b"}),
        (file_artifact(10), {"file_stem": ".."}),
        (file_artifact(10), {"file_stem": "."}),
        (file_artifact(10), {"file_stem": ""}),
        (file_artifact(10), {"file_stem": "..\\evil"}),
        (dir_artifact(), {"file_stem": "/tmp/evil"}),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else ("dir" if getattr(v, "is_dir", False) else "file"),
)
def test_bad_arguments_are_refused_before_any_request(raw_server, client_for, tmp_path: Path, artifact: Artifact, kwargs: dict) -> None:
    server = raw_server(must_not_be_contacted)
    client = client_for(server)

    with pytest.raises(ValueError):
        client.artifacts.get_contents(artifact, output_dir=tmp_path, **kwargs)

    assert server.connections == 0
    assert files_in(tmp_path) == []


# -- filename_from_disposition and file_suffix -----------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("attachment; filename=model.bin", "model.bin"),
        ('attachment; filename="roc curve.png"', "roc curve.png"),
        (r'attachment; filename="say \"hi\".txt"', 'say "hi".txt'),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt", "résumé.txt"),
        ("attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt", "résumé.txt"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt; filename=resume.txt", "résumé.txt"),
        ("attachment; filename=dirart.tar.gz", "dirart.tar.gz"),
        ("attachment; FILENAME=Upper.CSV", "Upper.CSV"),
        ("attachment; filename=../../etc/passwd", "passwd"),
        ('attachment; filename="..\\\\x"', "x"),
        ("attachment; filename=..\\x", "x"),
        ("attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", "passwd"),
        ("attachment; filename=", None),
        ('attachment; filename=""', None),
        ("attachment; filename=..", None),
        ('attachment; filename=".."', None),
        ("attachment; filename=a/..", None),
        ("attachment", None),
        ("", None),
        (None, None),
    ],
)
def test_filename_from_disposition(header: str | None, expected: str | None) -> None:
    assert filename_from_disposition(header) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.tar.gz", ".tar.gz"),
        ("dirart.TAR.GZ", ".TAR.GZ"),
        ("logs.tar.xz", ".tar.xz"),
        ("model.bin", ".bin"),
        ("roc curve.png", ".png"),
        ("archive.v2.zip", ".zip"),
        ("noext", ""),
        ("x.<script>", ""),
        ("x.a b", ""),
        (".bashrc", ""),
        ("trailing.", ""),
        ("x." + "a" * 40, ""),
        ("", ""),
    ],
)
def test_file_suffix(name: str, expected: str) -> None:
    assert file_suffix(name) == expected
