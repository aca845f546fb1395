"""A TCP proxy on 127.0.0.1 that can hold or cut a download mid-stream: a flaky network on demand.

It forwards bytes both ways unchanged. Counting the bytes each connection sends
back to the client, it can

Only connections that asked for ``/contents`` are touched, so signing in and
look-ups always pass.

* **hold** a connection once it has sent ``hold_after`` bytes, until
  :meth:`FaultProxy.release` (so a test can act while a download is surely
  RUNNING, with no sleeps: wait on :attr:`FaultProxy.holding`);
* **drop** a connection once it has sent ``drop_after`` bytes (a server killed
  or a cable pulled mid-download).

Usage::

    with FaultProxy(dioptra.url, drop_after=1 << 20) as proxy:
        client = connect(proxy.url)
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit

_CHUNK = 65536


class FaultProxy:
    """Forward connections to ``target``, holding or dropping responses past a byte count.

    Args:
        target: ``http://host:port`` of the real server.
        hold_after: Hold each connection after this many response bytes until :meth:`release`.
        drop_after: Close each connection after this many response bytes.

    Attributes:
        holding: Set when a connection is being held.
        dropped: Set when a connection was cut.
    """

    def __init__(self, target: str, *, hold_after: int | None = None, drop_after: int | None = None) -> None:
        parts = urlsplit(target)
        if not parts.hostname or not parts.port:
            raise ValueError(f"the target needs a host and a port: {target!r}")
        self._target = (parts.hostname, parts.port)
        self.hold_after = hold_after
        self.drop_after = drop_after
        self.holding = threading.Event()
        self.dropped = threading.Event()
        self._released = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        """Let held connections go on (and stop holding new ones)."""
        self.hold_after = None
        self._released.set()

    def start(self) -> FaultProxy:
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._released.set()
        # shutdown() wakes a thread blocked in accept(); close() alone does not on Linux.
        _close(self._listener)
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        for thread in list(self._threads):
            thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _spawn(self, target, *args) -> None:  # noqa: ANN001 - a thread body
        thread = threading.Thread(target=target, args=args, name="fault-proxy", daemon=True)
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
                return
            self._track(client)
            try:
                upstream = self._track(socket.create_connection(self._target, timeout=10))
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            # Set once the client asks for /contents on this connection: only downloads get faults.
            download = threading.Event()
            self._spawn(self._pump, client, upstream, False, download)
            self._spawn(self._pump, upstream, client, True, download)

    def _pump(self, source: socket.socket, sink: socket.socket, is_response: bool, download: threading.Event) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if not is_response and b"/contents" in data:
                    download.set()
                if is_response and download.is_set():
                    if self.drop_after is not None and sent + len(data) >= self.drop_after:
                        sink.sendall(data[: max(0, self.drop_after - sent)])
                        self.dropped.set()
                        break
                    hold = self.hold_after
                    if hold is not None and sent + len(data) >= hold:
                        sink.sendall(data[: max(0, hold - sent)])
                        data = data[max(0, hold - sent) :]
                        sent = hold
                        self.holding.set()
                        self._released.wait()
                        if self._stopping.is_set():
                            break
                    sent += len(data)
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
