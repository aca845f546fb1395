"""A TCP proxy on 127.0.0.1 that answers slowly: a stand-in for a busy or distant server.

It forwards bytes both ways unchanged (so cookies, keep-alive and chunked bodies
work exactly as with the real server) and holds back the first bytes of each
response for :attr:`SlowProxy.delay` seconds. Tests only::

    with SlowProxy(dioptra.url, delay=1.5) as proxy:
        client = connect(proxy.url)

The delay may be changed while the proxy runs (sign in fast, then make pages slow).
"""

from __future__ import annotations

import socket
import threading

from proxy import CHUNK, ForwardingProxy


class SlowProxy(ForwardingProxy):
    """Forward connections to ``target`` and delay every response by ``delay`` seconds.

    Args:
        target: ``http://host:port`` of the real server.
        delay: Seconds to hold back each response (measured from when its first
            byte arrives from the server).
    """

    def __init__(self, target: str, delay: float = 1.5) -> None:
        super().__init__(target)
        self.delay = delay
        self.responses_delayed = 0

    def _connection_state(self) -> threading.Event:
        # Set when the client has sent a request since the last delayed response.
        return threading.Event()

    def _pump(self, source: socket.socket, sink: socket.socket, is_response: bool, awaiting: threading.Event) -> None:
        while data := source.recv(CHUNK):
            if not is_response:
                awaiting.set()
            elif awaiting.is_set():
                # The first bytes of a new response: hold them back (stop() cuts the wait short).
                awaiting.clear()
                self.responses_delayed += 1
                if self._stopping.wait(self.delay):
                    return
            sink.sendall(data)
