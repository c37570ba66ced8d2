"""``client.files``: the Files API that a fine-tuning job needs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import IO, Any, overload

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
                # A file object, not the bytes: aiohttp sends it in chunks, where raw bytes
                # over 1 MiB would warn (and, under -W error, fail quoting the payload).
                return nullcontext(_form(purpose, name, io.BytesIO(payload)))

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
        return await self._call(
            FileObject,
            "POST",
            _FILES,
            multipart=multipart,
            max_retries=max_retries,
            idempotency_key=check.optional_str("idempotency_key", idempotency_key),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
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
        return await self._call(
            FileObject,
            "GET",
            f"{_FILES}/{check.path_id('file_id', file_id)}",
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
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
        return await self._call(
            FileDeleted,
            "DELETE",
            f"{_FILES}/{check.path_id('file_id', file_id)}",
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    @overload
    async def content(
        self,
        file_id: str,
        *,
        to: None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> bytes: ...

    @overload
    async def content(
        self,
        file_id: str,
        *,
        to: str | os.PathLike[str],
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> int: ...

    async def content(
        self,
        file_id: str,
        *,
        to: str | os.PathLike[str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> bytes | int:
        """Download a file's bytes (for example a job's result file).

        Without ``to``, the bytes are returned, and a file larger than the client's
        ``max_response_bytes`` raises `ResponseTooLargeError`. With ``to=path``, the content
        is streamed to ``path`` (at most one chunk in memory) and the number of bytes written
        is returned; a regular file lands under a temporary name first, so ``path`` is either
        the whole file or untouched (a pipe or device is written in place). ``timeout`` then
        bounds each wait for data, not the whole download.
        """
        path = _content_path(file_id)
        check.call_options(extra_headers, extra_query, timeout)
        if to is None:
            response = await self._transport.request(
                "GET",
                path,
                params=list((extra_query or {}).items()),
                headers=extra_headers,
                timeout=timeout,
                decode_json=False,
            )
            return response.content
        if not isinstance(to, (str, os.PathLike)):
            raise TypeError(f"to must be a path, got {type(to).__name__}")
        chunks = self._transport.stream(
            path, params=list((extra_query or {}).items()), headers=extra_headers, timeout=timeout
        )
        return await _save(chunks, os.fspath(to))

    def stream_content(
        self,
        file_id: str,
        *,
        chunk_size: int = 256 * 1024,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncGenerator[bytes, None]:
        """Iterate over a file's content in chunks of at most ``chunk_size`` bytes::

            async with contextlib.aclosing(client.files.stream_content(file_id)) as chunks:
                async for chunk in chunks:
                    ...

        The request is sent on the first iteration; reaching the server is retried, the body
        is not. Close the iterator (``aclosing``, or iterate to the end) to free the
        connection at once. ``timeout`` bounds each wait for data, not the whole transfer.
        """
        path = _content_path(file_id)
        check.call_options(extra_headers, extra_query, timeout)
        check.require_int("chunk_size", chunk_size, 1)
        return self._transport.stream(
            path,
            params=list((extra_query or {}).items()),
            headers=extra_headers,
            timeout=timeout,
            chunk_size=chunk_size,
        )


def _content_path(file_id: str) -> str:
    return f"{_FILES}/{check.path_id('file_id', file_id)}/content"


async def _save(chunks: AsyncGenerator[bytes, None], target: str) -> int:
    """Write ``chunks`` to ``target``; return the size.

    A regular file (or a new one) is written under a temporary name beside it and renamed
    into place at the end, so it is whole or untouched. Anything else (a pipe, a device) is
    written in place: renaming over it would replace it.
    """
    in_place = os.path.exists(target) and not os.path.isfile(target)  # noqa: ASYNC240
    partial = target if in_place else f"{target}.{uuid.uuid4().hex[:8]}.part"
    written = 0
    # Disk writes go to a thread: a slow disk must not stall every other request.
    handle = await asyncio.to_thread(open, partial, "wb")
    try:
        try:
            # Closed even when a write fails, so the connection goes back to the pool at once.
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    await asyncio.to_thread(handle.write, chunk)
                    written += len(chunk)
        finally:
            await asyncio.to_thread(handle.close)
        if not in_place:
            await asyncio.to_thread(os.replace, partial, target)
    except BaseException:
        if not in_place:
            with contextlib.suppress(OSError):
                os.unlink(partial)
        raise
    return written


_CHUNK = 256 * 1024


async def _chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    """Stream a caller's file object without closing it (aiohttp closes files it is given)."""
    while chunk := handle.read(_CHUNK):
        yield chunk
