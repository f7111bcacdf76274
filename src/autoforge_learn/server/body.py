"""Reading a request body within limits: its size on the wire and once decompressed."""

from __future__ import annotations

import zlib

from starlette.requests import Request

from autoforge_learn.server.errors import BodyTooLarge, UnsupportedEncoding

#: Default limit of a request body, as sent and once decompressed.
DEFAULT_MAX_BODY = 16 << 20


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (413) as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"request body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_content(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its ``Content-Encoding`` (identity, gzip or deflate), at most ``limit``
    bytes once decompressed (a small gzip bomb is refused, not expanded)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r}: send gzip or deflate")
    wbits = zlib.MAX_WBITS if encoding == "deflate" else 16 + zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise UnsupportedEncoding(f"the body is not valid {encoding}: {exc}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"decompressed body is over the limit of {limit} bytes")
    if not inflater.eof:
        raise UnsupportedEncoding(f"the {encoding} body is truncated")
    return data
