"""The chunked-body decoder: every way a body can be cut into reads and chunks."""

from __future__ import annotations

import io
import random

import pytest

from artifact_browser.api.chunked import ChunkedBodyError, ChunkedDecoder


class _Pieces(io.RawIOBase):
    """A socket stand-in that delivers the bytes in the given pieces, one per read."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = list(pieces)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pieces:
            return 0
        piece = self._pieces.pop(0)
        take = min(len(piece), len(buffer))
        buffer[:take] = piece[:take]
        if take < len(piece):
            self._pieces.insert(0, piece[take:])
        return take


def encode(chunks: list[bytes], trailer: bytes = b"", extension: bytes = b"") -> bytes:
    body = b"".join(b"%x%s\r\n%s\r\n" % (len(c), extension, c) for c in chunks)
    return body + b"0\r\n" + trailer + b"\r\n"


def split_randomly(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 60))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


def decode(pieces: list[bytes], buffer_size: int = 1 << 20) -> bytes:
    decoder = ChunkedDecoder(io.BufferedReader(_Pieces(pieces)))
    buffer = bytearray(buffer_size)
    out = bytearray()
    while count := decoder.readinto(buffer):
        out += buffer[:count]
    assert decoder.done
    return bytes(out)


@pytest.mark.parametrize("seed", range(40))
def test_any_chunking_and_any_read_boundaries_give_back_the_body(seed):
    rng = random.Random(seed)
    chunks = [rng.randbytes(rng.choice([1, 2, 7, 250, 4096, 70_000])) for _ in range(rng.randint(1, 40))]
    # Bodies full of CR LF inside the data must not confuse the decoder.
    chunks.append(b"\r\n" * rng.randint(1, 5))
    wire = encode(chunks)
    buffer_size = rng.choice([1, 3, 100, 1 << 20])
    assert decode(split_randomly(wire, rng), buffer_size) == b"".join(chunks)


def test_an_empty_body():
    assert decode([b"0\r\n\r\n"]) == b""


def test_extensions_and_trailers_are_ignored():
    wire = encode([b"hello", b" world"], trailer=b"X-Checksum: abc\r\nX-Other: 1\r\n", extension=b";name=value")
    assert decode([wire]) == b"hello world"


def test_upper_case_hex_sizes():
    assert decode([b"A\r\n0123456789\r\n0\r\n\r\n"]) == b"0123456789"


def test_bytes_after_the_body_are_left_alone():
    decoder = ChunkedDecoder(io.BufferedReader(_Pieces([encode([b"abc"]) + b"HTTP/1.1 200 OK\r\n"])))
    buffer = bytearray(100)
    assert decoder.readinto(buffer) == 3 and decoder.readinto(buffer) == 0


@pytest.mark.parametrize(
    "wire",
    [
        b"5\r\nhel",  # closed in the middle of a chunk
        b"5\r\nhello\r\n",  # closed before the last chunk
        b"5\r\nhello",  # closed before a chunk's CRLF
        b"0\r\nX-Trailer: 1\r\n",  # closed inside the trailers
        b"",  # closed before anything
    ],
)
def test_a_body_cut_short_is_an_error(wire):
    with pytest.raises(ChunkedBodyError, match="closed"):
        decode([wire] if wire else [])


@pytest.mark.parametrize("wire", [b"zz\r\nhello\r\n0\r\n\r\n", b"3\r\nhello\r\n0\r\n\r\n"])
def test_a_malformed_body_is_an_error(wire):
    with pytest.raises(ChunkedBodyError):
        decode([wire])
