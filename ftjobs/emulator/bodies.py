"""Reading request bodies off the wire: JSON and multipart uploads."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ftjobs.emulator.errors import ApiError
from ftjobs.emulator.params import parse_admin_body, parse_json_body

__all__ = ["Multipart", "read_admin_json", "read_json", "read_multipart"]

Multipart = tuple[dict[str, str], str | None, bytes | None]
"""An upload's form fields, the file part's name and its bytes (``None`` when absent)."""


async def read_json(request: web.Request) -> Any:
    """The API request's JSON body."""
    return parse_json_body(await request.read())


async def read_admin_json(request: web.Request) -> dict[str, Any]:
    """The admin request's JSON object (``{}`` when the body is empty)."""
    return parse_admin_body(await request.read())


async def read_multipart(
    request: web.Request, max_bytes: int, *, file_field: str = "file"
) -> Multipart:
    """Read a ``multipart/form-data`` upload; the file part (``file_field``) may hold at most
    ``max_bytes``."""
    if not request.content_type.startswith("multipart/"):
        raise ApiError.invalid(
            f"Uploads must be multipart/form-data with a '{file_field}' part.", param=file_field
        )
    fields: dict[str, str] = {}
    filename: str | None = None
    content: bytes | None = None
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader):
                raise ApiError.invalid("Nested multipart bodies are not supported.")
            if part.name == file_field:
                data = bytearray()
                while chunk := await part.read_chunk():
                    data.extend(chunk)
                    if len(data) > max_bytes:
                        raise ApiError(
                            413, f"File is larger than {max_bytes} bytes.", param=file_field
                        )
                filename, content = part.filename or file_field, bytes(data)
            elif part.name:
                fields[part.name] = (await part.read(decode=True)).decode("utf-8", "replace")
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
