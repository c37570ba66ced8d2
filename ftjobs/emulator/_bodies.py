"""Reading request bodies off the wire, within bounds: JSON and multipart uploads.

Every read is bounded in size (413 past it, refused at once when ``Content-Length`` says so)
and in time (408 when the body has not arrived within ``body_timeout``), so that a slow or
huge request ties up neither memory nor a connection nor the CPU.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._params import parse_admin_body, parse_json_body

__all__ = [
    "MAX_FORM_FIELD_BYTES",
    "MAX_FORM_PARTS",
    "MULTIPART_OVERHEAD",
    "Multipart",
    "read_admin_json",
    "read_body",
    "read_json",
    "read_multipart",
]

Multipart = tuple[dict[str, str], str | None, bytes | None]
"""An upload's form fields, the file part's name and its bytes (``None`` when absent)."""

MULTIPART_OVERHEAD = 64 * 1024
"""Bytes an upload may carry besides its file (boundaries, headers, form fields)."""
MAX_FORM_PARTS = 16
"""Parts an upload may have (the API knows five: the file, purpose and expires_after)."""
MAX_FORM_FIELD_BYTES = 16 * 1024
"""Largest form field other than the file."""

# Where the outcome of reading the body is kept (the latency fault reads it ahead of the
# handler). aiohttp 3.14 warns about a plain string key there; older releases have no RequestKey.
_BODY: Any = web.RequestKey("ftjobs_body", object) if hasattr(web, "RequestKey") else "ftjobs.body"


def _too_large(what: str, limit: int, param: str | None = None) -> ApiError:
    return ApiError(
        413, f"{what} is larger than {limit} bytes.", param=param, code="body_too_large"
    )


def _timed_out(timeout: float) -> ApiError:
    return ApiError(
        408, f"The request body did not arrive within {timeout:g} s.", code="request_timeout"
    )


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes, read within the emulator's ``body_timeout``.

    The outcome is kept with the request: a second read gives the same bytes, or error.
    """
    kept: bytes | ApiError | None = request.get(_BODY)
    if kept is None:
        try:
            kept = await _read_body(request, limit)
        except ApiError as exc:
            kept = exc
        request[_BODY] = kept
    if isinstance(kept, ApiError):
        raise kept
    return kept


async def _read_body(request: web.Request, limit: int) -> bytes:
    if (request.content_length or 0) > limit:
        raise _too_large("Request body", limit)
    timeout = emulator_of(request).config.body_timeout
    try:
        return await asyncio.wait_for(_collect(request, limit), timeout)
    except TimeoutError:
        raise _timed_out(timeout) from None


async def _collect(request: web.Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.content.iter_any():
        body.extend(chunk)
        if len(body) > limit:
            raise _too_large("Request body", limit)
    return bytes(body)


async def read_json(request: web.Request) -> Any:
    """The API request's JSON body."""
    return parse_json_body(await read_body(request, emulator_of(request).config.max_json_bytes))


async def read_admin_json(request: web.Request) -> dict[str, Any]:
    """The admin request's JSON object (``{}`` when the body is empty)."""
    return parse_admin_body(await read_body(request, emulator_of(request).config.max_json_bytes))


async def read_multipart(
    request: web.Request, *, file_field: str = "file", max_bytes: int | None = None
) -> Multipart:
    """Read a ``multipart/form-data`` upload whose file is the part named ``file_field``
    (at most ``max_bytes``, by default ``max_upload_bytes``)."""
    if not request.content_type.startswith("multipart/"):
        raise ApiError.invalid(
            f"Uploads must be multipart/form-data with a '{file_field}' part.", param=file_field
        )
    config = emulator_of(request).config
    limit = config.max_upload_bytes if max_bytes is None else max_bytes
    if (request.content_length or 0) > limit + MULTIPART_OVERHEAD:
        raise _too_large("File", limit, file_field)
    try:
        return await asyncio.wait_for(_read_parts(request, limit, file_field), config.body_timeout)
    except TimeoutError:
        raise _timed_out(config.body_timeout) from None


async def _read_limited(
    part: aiohttp.BodyPartReader, limit: int, what: str, param: str | None = None
) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk():
        data.extend(chunk)
        if len(data) > limit:
            raise _too_large(what, limit, param)
    return bytes(data)


async def _read_parts(request: web.Request, max_bytes: int, file_field: str) -> Multipart:
    fields: dict[str, str] = {}
    filename: str | None = None
    content: bytes | None = None
    parts = 0
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            parts += 1
            if parts > MAX_FORM_PARTS:
                raise ApiError(
                    413,
                    f"Too many form fields: an upload has at most {MAX_FORM_PARTS}.",
                    code="too_many_fields",
                )
            if not isinstance(part, aiohttp.BodyPartReader):
                raise ApiError.invalid("Nested multipart bodies are not supported.")
            if part.name == file_field:
                filename = part.filename or file_field
                content = await _read_limited(part, max_bytes, "File", file_field)
            elif part.name:
                raw = await _read_limited(
                    part, MAX_FORM_FIELD_BYTES, f"Field '{part.name}'", part.name
                )
                fields[part.name] = part.decode(raw).decode("utf-8", "replace")
    except (
        ValueError,
        AssertionError,
        aiohttp.ClientError,
        asyncio.IncompleteReadError,
        HttpProcessingError,
    ) as exc:
        # aiohttp's multipart reader signals malformed input with these: a client error.
        raise ApiError.invalid(f"Malformed multipart body: {exc}") from None
    return fields, filename, content
