"""What comes back: a 2xx response as the transport hands it up, and the readers that turn
an answer's bytes into that record or into the typed error of its status.

Pure of the request side: the transport (`ftjobs._transport`) sends and retries; this module
reads, caps and maps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import attrs
import orjson
from multidict import CIMultiDictProxy

from ._errors import APIStatusError, ResponseValidationError, status_error_class
from ._hints import missing_version_hint

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ERROR_BODY_LIMIT",
    "READ_CHUNK",
    "REQUEST_ID_HEADERS",
    "APIResponse",
    "UnreadableBody",
    "body_error",
    "read_capped",
    "read_chunk",
    "request_id_of",
    "status_error",
]

# orjson decodes response bodies several times faster than the stdlib json module.
_loads: Callable[[bytes | str], Any] = orjson.loads

#: Response headers that carry the request id, in order of preference (OpenAI and Azure send
#: ``x-request-id``; Azure's API gateway ``apim-request-id``; Portkey its own).
REQUEST_ID_HEADERS = ("x-request-id", "x-portkey-request-id", "apim-request-id")

#: Largest answer held in memory (JSON bodies, ``files.content()`` without ``to=``).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: How much of an error (non-2xx) body is read and kept on the exception.
ERROR_BODY_LIMIT = 64 * 1024
#: Bytes asked of the network per read of a body that is read in pieces.
READ_CHUNK = 64 * 1024


# attrs.define: slotted, with a plain __init__ (no frozen setattr per field), the cheapest to
# build (one per request); nothing changes it once made.
@attrs.define
class APIResponse:
    """A successful (2xx) response, decoded as far as the transport goes.

    Attributes:
        status: HTTP status.
        headers: Response headers (case-insensitive).
        content: The raw body.
        request_id: The server's request id, if it sent one.
        data: The decoded JSON body (``None`` when decoding was not asked for).
    """

    status: int
    headers: CIMultiDictProxy[str]
    content: bytes
    request_id: str | None
    data: Any = None


class UnreadableBody(Exception):
    """A 2xx response whose body is not the JSON it claims to be: retried like a dropped line."""

    def __init__(self, response: APIResponse, cause: Exception) -> None:
        super().__init__(str(cause))
        self.response = response


def request_id_of(headers: Mapping[str, str]) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def status_error(
    status: int,
    headers: CIMultiDictProxy[str],
    content: bytes,
    truncated: bool,
    method: str,
    url: str,
) -> APIStatusError:
    request_id = request_id_of(headers)
    body: Any
    message = code = param = err_type = None
    try:
        body = _loads(content) if content and not truncated else None
    except ValueError:
        body = None
    if body is None and content:
        body = content.decode("utf-8", errors="replace")
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            message = err.get("message") if isinstance(err.get("message"), str) else None
            code = err.get("code") if isinstance(err.get("code"), str) else None
            param = err.get("param") if isinstance(err.get("param"), str) else None
            err_type = err.get("type") if isinstance(err.get("type"), str) else None
        elif isinstance(err, str):
            message = err
    if message is None:
        content_type = headers.get("content-type", "unknown content type").split(";")[0]
        kind = "empty body" if not content else f"non-JSON body ({content_type})"
        message = f"HTTP {status} with {kind}" if not isinstance(body, dict) else f"HTTP {status}"
        if truncated:
            message += f", first {ERROR_BODY_LIMIT // 1024} KiB kept"
    hint = missing_version_hint(method, url) if status == 404 else None
    if hint is not None:
        message = f"{message} - {hint}"
    if 300 <= status < 400:
        location = headers.get("Location")
        message = (
            f"HTTP {status} redirect to {location!r} not followed: ftjobs sends credentials "
            "only to base_url; point base_url at the final address"
        )
    return status_error_class(status, code)(
        message,
        status_code=status,
        code=code,
        param=param,
        type=err_type,
        body=body,
        headers=headers,
        request_id=request_id,
        method=method,
        url=url,
    )


async def read_capped(
    resp: aiohttp.ClientResponse, limit: int | None, *, head: bool = False
) -> tuple[bytes, bool]:
    """The body if it is at most ``limit`` bytes, and whether it went on past them.

    Reading stops at the limit, so a huge (or endless, or decompressing) body costs at most
    ``limit`` bytes of memory, in one buffer. Past the limit, the bytes read are dropped at
    once, unless ``head`` asks for the first ``limit`` of them (an error body's start, for its
    message); a declared ``Content-Length`` over the limit is refused before reading a byte.
    """
    length = resp.content_length
    plain = "Content-Encoding" not in resp.headers
    if limit is None or (length is not None and length <= limit and plain):
        # The common case: a declared length under the limit is read in one call.
        return await resp.read(), False
    if length is not None and length > limit and plain and not head:
        return b"", True
    buffer = bytearray()
    while chunk := await resp.content.read(min(READ_CHUNK, limit + 1 - len(buffer))):
        buffer += chunk
        del chunk  # the bytes object would outlive this turn of the loop otherwise
        if len(buffer) > limit:
            if not head:
                return b"", True
            del buffer[limit:]
            return bytes(buffer), True
    return bytes(buffer), False


async def read_chunk(content: aiohttp.StreamReader, size: int) -> bytes:
    """``size`` bytes of ``content``, or what is left of it at its end."""
    first = await content.read(size)
    if len(first) == size or not first:
        return first
    pieces = [first]
    got = len(first)
    while got < size and (piece := await content.read(size - got)):
        pieces.append(piece)
        got += len(piece)
    return b"".join(pieces)


def body_error(exc: UnreadableBody) -> ResponseValidationError:
    return ResponseValidationError(
        "JSON",
        [f"$: body is not valid JSON ({exc})"],
        body=exc.response.content[:1000],
        request_id=exc.response.request_id,
    )
