"""Reading a download's body straight from the socket, for speed.

Dioptra streams files line by line, so a binary artifact arrives as millions of
tiny HTTP chunks (about 250 bytes each for random data). httpx hands each one
through h11 as a separate event, which cost about 10 µs of Python per chunk:
a 512 MiB download took twice as long as with ``requests``. So the session
builds the request with httpx (URL, cookies, headers stay in one place), sends
it with the standard library's ``http.client`` (same TLS settings), and decodes
a chunked body with :mod:`chunked`, which fills one large buffer per call.
"""

from __future__ import annotations

import http.client
import socket
import ssl

import httpx

from artifact_browser.api.cancel import CancelToken, DownloadCancelled
from artifact_browser.api.chunked import ChunkedBodyError, ChunkedDecoder
from artifact_browser.api.errors import ServerUnreachableError, TLSVerificationError


class RawResponse:
    """A response whose body is read with :meth:`readinto`; close it when done."""

    def __init__(
        self,
        connection: http.client.HTTPConnection,
        sock: socket.socket,
        response: http.client.HTTPResponse,
        cancel: CancelToken | None,
    ) -> None:
        self._connection = connection
        # http.client drops connection.sock once the response owns it
        # (``Connection: close``), so the socket is kept here for abort().
        self._sock = sock
        self._response = response
        self._cancel = cancel
        # http.client has read only the headers so far; the body is ours to decode.
        self._chunks = ChunkedDecoder(response.fp) if response.chunked else None
        self.status: int = response.status
        # http.client decoded the header bytes as Latin-1; hand httpx the same bytes
        # so it can apply its own decoding (a raw non-ASCII file name, say).
        self.headers = httpx.Headers(
            [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.getheaders()]
        )

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the next body bytes; 0 at the end of the body.

        Raises:
            ServerUnreachableError: the connection broke or went silent before the end.
            DownloadCancelled: the cancel token was set while waiting for data.
        """
        try:
            count = self._chunks.readinto(buffer) if self._chunks is not None else self._response.readinto(buffer)
        except http.client.IncompleteRead:
            self._raise_if_cancelled()
            raise ServerUnreachableError("The server closed the connection before the end of the download.") from None
        except ChunkedBodyError as exc:
            self._raise_if_cancelled()
            raise ServerUnreachableError(f"The download broke off: {exc}.") from None
        except (TimeoutError, socket.timeout):
            raise ServerUnreachableError("The server stopped sending data (timed out).") from None
        except (OSError, http.client.HTTPException) as exc:
            self._raise_if_cancelled()
            raise ServerUnreachableError(f"The connection broke during the download: {exc or type(exc).__name__}") from None
        if count == 0 and self._chunks is None and self._response.length:
            # http.client reports a body cut short of its Content-Length as a plain end.
            self._raise_if_cancelled()
            raise ServerUnreachableError(
                f"The server closed the connection {self._response.length:,} bytes before the end of the download."
            )
        return count

    def read_all(self, limit: int = 1 << 20) -> bytes:
        """The body, up to ``limit`` bytes (for error responses)."""
        try:
            return self._response.read(limit)
        except (OSError, http.client.HTTPException):
            return b""

    def abort(self) -> None:
        """Break the connection from any thread, waking a blocked read."""
        _shutdown(self._sock)

    def close(self) -> None:
        if self._cancel is not None:
            self._cancel.discard(self.abort)
        self._response.close()
        self._connection.close()
        self._sock.close()

    def _raise_if_cancelled(self) -> None:
        if self._cancel is not None and self._cancel.cancelled:
            raise DownloadCancelled("Download cancelled.") from None


def open_raw(
    request: httpx.Request,
    ssl_context: ssl.SSLContext,
    timeout: httpx.Timeout,
    cancel: CancelToken | None = None,
) -> RawResponse:
    """Send ``request`` (a GET without body) and return once the response headers arrived.

    A cancel while waiting (the server archives a directory before answering)
    breaks the connection at once.

    Raises:
        ServerUnreachableError: connection refused, TLS failure, DNS failure or timeout.
        DownloadCancelled: ``cancel`` was set before the headers arrived.
    """
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    if url.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            url.host, port, timeout=timeout.connect, context=ssl_context
        )
    else:
        connection = http.client.HTTPConnection(url.host, port, timeout=timeout.connect)
    abort = None
    try:
        connection.connect()
        sock = connection.sock
        abort = lambda: _shutdown(sock)  # noqa: E731 - replaced by the response's own abort below
        if cancel is not None:
            cancel.on_cancel(abort)
        # The server may spend minutes archiving before the first byte.
        sock.settimeout(timeout.read)
        connection.putrequest(request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.multi_items():
            if name.lower() not in ("accept-encoding", "connection"):
                connection.putheader(name, value)
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = RawResponse(connection, sock, connection.getresponse(), cancel)
    except ssl.SSLCertVerificationError as exc:
        connection.close()
        raise TLSVerificationError(f"The TLS certificate of {url.host} could not be verified: {exc.verify_message}.") from None
    except (TimeoutError, socket.timeout):
        connection.close()
        raise ServerUnreachableError(f"The server at {url.host}:{port} did not answer in time.") from None
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        if cancel is not None and cancel.cancelled:
            raise DownloadCancelled("Download cancelled.") from None
        raise ServerUnreachableError(f"Cannot connect to {url.host}:{port}: {exc or type(exc).__name__}") from None
    finally:
        if cancel is not None and abort is not None:
            cancel.discard(abort)
    if cancel is not None:
        cancel.on_cancel(response.abort)
    return response


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed
