"""A TCP proxy on 127.0.0.1 that answers slowly: a stand-in for a busy or distant server.

It forwards bytes both ways unchanged (so cookies, keep-alive and chunked bodies
work exactly as with the real server) and holds back the first bytes of each
response for :attr:`SlowProxy.delay` seconds. Tests only::

    with SlowProxy(dioptra.url, delay=1.5) as proxy:
        client = connect(proxy.url)

The delay may be changed while the proxy runs (sign in fast, then make pages slow).
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_CHUNK = 65536


class SlowProxy:
    """Forward connections to ``target`` and delay every response by ``delay`` seconds.

    Args:
        target: ``http://host:port`` of the real server.
        delay: Seconds to hold back each response (measured from when its first
            byte arrives from the server).
    """

    def __init__(self, target: str, delay: float = 1.5) -> None:
        parts = urlsplit(target)
        if not parts.hostname or not parts.port:
            raise ValueError(f"the target needs a host and a port: {target!r}")
        self._target = (parts.hostname, parts.port)
        self.delay = delay
        self.responses_delayed = 0
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

    def start(self) -> SlowProxy:
        self._spawn(self._accept_loop, "slow-proxy-accept")
        return self

    def stop(self) -> None:
        """Close every connection and wait for the proxy's threads."""
        self._stopping.set()
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def __enter__(self) -> SlowProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------

    def _spawn(self, target, name: str, *args) -> None:  # noqa: ANN001 - a thread body
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
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
                log.warning("slow proxy: cannot reach %s:%d: %s", *self._target, exc)
                _close(client)
                continue
            upstream.settimeout(None)
            # Set when the client has sent a request since the last delayed response.
            awaiting_response = threading.Event()
            self._spawn(self._pump, "slow-proxy-up", client, upstream, awaiting_response, False)
            self._spawn(self._pump, "slow-proxy-down", upstream, client, awaiting_response, True)

    def _pump(self, source: socket.socket, sink: socket.socket, awaiting: threading.Event, is_response: bool) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if not is_response:
                    awaiting.set()
                elif awaiting.is_set():
                    # The first bytes of a new response: hold them back (stop() cuts the wait short).
                    awaiting.clear()
                    self.responses_delayed += 1
                    if self._stopping.wait(self.delay):
                        break
                sink.sendall(data)
        except OSError:
            pass  # either side closed: the other pump ends too
        finally:
            _close(sink)
            _close(source)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
