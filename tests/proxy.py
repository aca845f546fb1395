"""The plumbing shared by the test proxies: a TCP forwarder on 127.0.0.1.

Subclasses decide what happens to the bytes of each connection in :meth:`_pump`;
everything else (accepting, connecting upstream, shutting down) lives here.
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

CHUNK = 65536


class ForwardingProxy:
    """Forward every connection to ``target`` through two pump threads.

    Args:
        target: ``http://host:port`` of the real server.
    """

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        if not parts.hostname or not parts.port:
            raise ValueError(f"the target needs a host and a port: {target!r}")
        self._target = (parts.hostname, parts.port)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        """Where clients connect: ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        """Close every connection and wait for the proxy's threads."""
        self._stopping.set()
        # shutdown() wakes a thread blocked in accept(); close() alone does not on Linux.
        close(self._listener)
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            close(sock)
        for thread in list(self._threads):
            thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- for subclasses -----------------------------------------------------------------

    def _connection_state(self) -> Any:
        """Per-connection state handed to both pumps of a connection."""
        return None

    def _pump(self, source: socket.socket, sink: socket.socket, is_response: bool, state: Any) -> None:
        raise NotImplementedError

    # -- internals ----------------------------------------------------------------------

    def _spawn(self, target, *args) -> None:  # noqa: ANN001 - a thread body
        thread = threading.Thread(target=target, args=args, name=type(self).__name__, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed by stop()
            self._track(client)
            try:
                upstream = self._track(socket.create_connection(self._target, timeout=10))
            except OSError as exc:
                log.warning("proxy: cannot reach %s:%d: %s", *self._target, exc)
                close(client)
                continue
            upstream.settimeout(None)
            state = self._connection_state()
            self._spawn(self._pump_and_close, client, upstream, False, state)
            self._spawn(self._pump_and_close, upstream, client, True, state)

    def _pump_and_close(self, source: socket.socket, sink: socket.socket, is_response: bool, state: Any) -> None:
        try:
            self._pump(source, sink, is_response, state)
        except OSError:
            pass  # either side closed: the other pump ends too
        finally:
            close(sink)
            close(source)


def close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
