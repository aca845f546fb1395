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

from proxy import CHUNK, ForwardingProxy


class FaultProxy(ForwardingProxy):
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
        super().__init__(target)
        self.hold_after = hold_after
        self.drop_after = drop_after
        self.holding = threading.Event()
        self.dropped = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        """Let held connections go on (and stop holding new ones)."""
        self.hold_after = None
        self._released.set()

    def stop(self) -> None:
        self._released.set()  # a held pump must not outlive the proxy
        super().stop()

    def _connection_state(self) -> threading.Event:
        # Set once the client asks for /contents on this connection: only downloads get faults.
        return threading.Event()

    def _pump(self, source: socket.socket, sink: socket.socket, is_response: bool, download: threading.Event) -> None:
        sent = 0
        while data := source.recv(CHUNK):
            if not is_response and b"/contents" in data:
                download.set()
            if is_response and download.is_set():
                if self.drop_after is not None and sent + len(data) >= self.drop_after:
                    sink.sendall(data[: max(0, self.drop_after - sent)])
                    self.dropped.set()
                    return
                hold = self.hold_after
                if hold is not None and sent + len(data) >= hold:
                    sink.sendall(data[: max(0, hold - sent)])
                    data = data[max(0, hold - sent) :]
                    sent = hold
                    self.holding.set()
                    self._released.wait()
                    if self._stopping.is_set():
                        return
                sent += len(data)
            sink.sendall(data)
