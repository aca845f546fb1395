"""Reading a download's body straight from the socket, for speed.

Dioptra streams files line by line, so a binary artifact arrives as millions of
tiny HTTP chunks (about 250 bytes each for random data). httpx hands each one
through h11 as a separate event, which cost about 10 µs of Python per chunk:
a 512 MiB download took twice as long as with ``requests``. The standard
library's ``http.client`` decodes chunked bodies into one large buffer per
call, at a fifth of the CPU. So the session builds the request with httpx (URL,
cookies, headers stay in one place) and only the body transfer goes through
``http.client``, with the same TLS settings.
"""

from __future__ import annotations

import http.client
import socket
import ssl

import httpx

from artifact_browser.api.errors import ServerUnreachableError


class RawResponse:
    """A response whose body is read with :meth:`readinto`; close it when done."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self._connection = connection
        self._response = response
        self.status: int = response.status
        self.headers = httpx.Headers(response.getheaders())

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the next body bytes; 0 at the end of the body.

        Raises:
            ServerUnreachableError: the connection broke or went silent before the end.
        """
        try:
            return self._response.readinto(buffer)
        except http.client.IncompleteRead as exc:
            raise ServerUnreachableError(
                f"The server closed the connection before the end of the download ({len(exc.partial):,} bytes of a chunk missing)."
            ) from None
        except (TimeoutError, socket.timeout):
            raise ServerUnreachableError("The server stopped sending data (timed out).") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ServerUnreachableError(f"The connection broke during the download: {exc or type(exc).__name__}") from None

    def read_all(self, limit: int = 1 << 20) -> bytes:
        """The body, up to ``limit`` bytes (for error responses)."""
        try:
            return self._response.read(limit)
        except (OSError, http.client.HTTPException):
            return b""

    def abort(self) -> None:
        """Break the connection from any thread, waking a blocked :meth:`readinto`."""
        sock = self._connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def close(self) -> None:
        self._response.close()
        self._connection.close()


def open_raw(request: httpx.Request, ssl_context: ssl.SSLContext, timeout: httpx.Timeout) -> RawResponse:
    """Send ``request`` (a GET without body) and return once the response headers arrived.

    Raises:
        ServerUnreachableError: connection refused, TLS failure, DNS failure or timeout.
    """
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    if url.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            url.host, port, timeout=timeout.connect, context=ssl_context
        )
    else:
        connection = http.client.HTTPConnection(url.host, port, timeout=timeout.connect)
    try:
        connection.connect()
        # The server may spend minutes archiving before the first byte.
        connection.sock.settimeout(timeout.read)
        connection.putrequest(request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.multi_items():
            if name.lower() not in ("accept-encoding", "connection"):
                connection.putheader(name, value)
        connection.putheader("Connection", "close")
        connection.endheaders()
        return RawResponse(connection, connection.getresponse())
    except ssl.SSLCertVerificationError as exc:
        connection.close()
        raise ServerUnreachableError(
            f"The TLS certificate of {url.host} could not be verified: {exc.verify_message}."
        ) from None
    except (TimeoutError, socket.timeout):
        connection.close()
        raise ServerUnreachableError(f"The server at {url.host}:{port} did not answer in time.") from None
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        raise ServerUnreachableError(f"Cannot connect to {url.host}:{port}: {exc or type(exc).__name__}") from None
