"""A request body read with a limit on its decoded size, enforced while it is read.

aiohttp decompresses a `Content-Encoding: gzip|deflate` body transparently: its HttpPayloadParser
feeds the bytes through a DeflateBuffer into the request's StreamReader, a bounded piece at a
time, and pauses the connection while the reader's buffer is full. So `request.content` yields
decoded bytes and decompresses only as fast as they are taken: counting them here and stopping
at the limit means a 19 KB gzip of 19 MB costs the server about one buffer, not 19 MB.
`Content-Length` is the compressed size, so checking it alone is not enough, and
`request.read()` would read on up to `client_max_size`.
"""

from __future__ import annotations

from aiohttp import StreamReader
from aiohttp.web import RequestPayloadError


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"decoded body over {limit} bytes")
        self.limit = limit


class BodyUnreadable(Exception):
    """The body could not be decoded (corrupt gzip or deflate, a broken chunked encoding): a
    client's mistake."""


async def read_bounded(stream: StreamReader, limit: int) -> bytes:
    """The whole decoded body, or BodyTooLarge as soon as more than `limit` bytes were read."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in stream.iter_any():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
    except RequestPayloadError as exc:
        raise BodyUnreadable(str(exc)) from None
    return b"".join(chunks)
