"""A tiny HTTPS stand-in for Dioptra, with a certificate from a throwaway CA (trustme).

For the TLS paths only: a real Dioptra server runs on plain HTTP here.
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import trustme

# The two answers the TLS tests need: signing in, and who is signed in.
_ANSWERS = {
    ("POST", "/api/v1/auth/login"): {"username": "alice", "status": "Login successful"},
    ("GET", "/api/v1/users/current"): {"id": 1, "username": "alice", "groups": []},
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self, method: str) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = _ANSWERS.get((method, self.path))
        body = json.dumps(answer if answer is not None else {"message": "Not Found"}).encode()
        self.send_response(200 if answer is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self._answer("POST")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def https_stub() -> Iterator[tuple[str, trustme.CA]]:
    """Serve on https://127.0.0.1:<port>; yields the URL and the CA that signed its certificate."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", ca
    finally:
        server.shutdown()
        server.server_close()
