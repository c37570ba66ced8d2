"""``client.files``: the Files API that a fine-tuning job needs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import IO, Any

import aiohttp

from .. import _validation as check
from .._types import NOT_GIVEN, NotGiven
from ..models import FileDeleted, FileObject
from ..pagination import AsyncPaginator
from ._base import Resource

__all__ = ["FileInput", "Files"]

_FILES = "/files"
UPLOAD_PURPOSES = ("fine-tune", "batch", "assistants", "vision", "user_data", "evals")
_LIST_LIMIT = 10_000

#: What :meth:`Files.upload` accepts: a path, the bytes themselves, or a binary file object.
FileInput = str | os.PathLike[str] | bytes | IO[bytes]


def _form(purpose: str, filename: str, payload: Any) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("purpose", purpose)
    form.add_field("file", payload, filename=filename, content_type="application/jsonl")
    return form


class Files(Resource):
    """Upload and manage files (``client.files``)."""

    __slots__ = ()

    async def upload(
        self,
        file: FileInput,
        *,
        purpose: str = "fine-tune",
        filename: str | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Upload a file (multipart), typically a JSONL training file.

        A path is opened afresh for each attempt and streamed, never read whole into memory. A
        seekable file object is rewound for each retry; a non-seekable one (a pipe) is sent
        once, without retries, since it cannot be replayed.

        Args:
            file: A path, ``bytes``, or a binary file object.
            purpose: One of ``fine-tune``, ``batch``, ``assistants``, ``vision``,
                ``user_data``, ``evals``.
            filename: Name to give the upload; defaults to the path's or file's name.
        """
        if purpose not in UPLOAD_PURPOSES:
            raise ValueError(
                f"purpose must be one of {', '.join(UPLOAD_PURPOSES)}; got {purpose!r}"
            )
        check.optional_str("filename", filename)
        max_retries: int | None = None
        multipart: Any
        if isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            # One stat is cheap, and a typo is better caught before any request.
            if not os.path.isfile(path):  # noqa: ASYNC240
                raise ValueError(f"file: no such file: {path!r}")
            name = filename or os.path.basename(path)

            @contextmanager
            def multipart() -> Iterator[aiohttp.FormData]:
                with open(path, "rb") as handle:
                    yield _form(purpose, name, handle)

        elif isinstance(file, (bytes, bytearray, memoryview)):
            payload = bytes(file)
            name = filename or "upload.jsonl"

            def multipart() -> AbstractContextManager[aiohttp.FormData]:
                return nullcontext(_form(purpose, name, payload))

        elif hasattr(file, "read"):
            handle = file
            name = filename or os.path.basename(str(getattr(handle, "name", "") or "upload.jsonl"))
            seekable = bool(getattr(handle, "seekable", lambda: False)())
            start = handle.tell() if seekable else 0
            if not seekable:
                max_retries = 0

            def multipart() -> AbstractContextManager[aiohttp.FormData]:
                if seekable:
                    handle.seek(start)
                return nullcontext(_form(purpose, name, _chunks(handle)))

        else:
            raise TypeError(
                f"file must be a path, bytes or a binary file object, got {type(file).__name__}"
            )
        return await self._decoded(
            FileObject,
            self._send(
                "POST",
                _FILES,
                multipart=multipart,
                max_retries=max_retries,
                idempotency_key=check.optional_str("idempotency_key", idempotency_key),
                extra_headers=extra_headers,
                extra_query=extra_query,
                timeout=timeout,
            ),
        )

    async def retrieve(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Fetch a file's metadata."""
        return await self._decoded(
            FileObject,
            self._send(
                "GET",
                f"{_FILES}/{check.path_id('file_id', file_id)}",
                extra_headers=extra_headers,
                extra_query=extra_query,
                timeout=timeout,
            ),
        )

    def list(
        self,
        *,
        purpose: str | None = None,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[FileObject]:
        """List files (await for a page, ``async for`` for all).

        Args:
            purpose: Only files with this purpose.
            limit: Page size, 1..10000.
            order: ``"asc"`` or ``"desc"`` by creation time (server default ``desc``).
            after: Cursor: a file id.
        """
        params: list[tuple[str, str]] = []
        if purpose is not None:
            params.append(("purpose", check.require_str("purpose", purpose)))
        size = check.limit(limit, _LIST_LIMIT)
        if size is not None:
            params.append(("limit", str(size)))
        if order is not None:
            if order not in ("asc", "desc"):
                raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
            params.append(("order", order))
        return self._paginate(
            FileObject,
            _FILES,
            params,
            after=check.optional_str("after", after),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def delete(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FileDeleted:
        """Delete a file."""
        return await self._decoded(
            FileDeleted,
            self._send(
                "DELETE",
                f"{_FILES}/{check.path_id('file_id', file_id)}",
                extra_headers=extra_headers,
                extra_query=extra_query,
                timeout=timeout,
            ),
        )

    async def content(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> bytes:
        """Download a file's bytes (for example a job's result file)."""
        response = await self._send(
            "GET",
            f"{_FILES}/{check.path_id('file_id', file_id)}/content",
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
            decode_json=False,
        )
        return response.content


_CHUNK = 256 * 1024


async def _chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    """Stream a caller's file object without closing it (aiohttp closes files it is given)."""
    while chunk := handle.read(_CHUNK):
        yield chunk
