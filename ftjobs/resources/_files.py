"""``client.files``: the Files API that a fine-tuning job needs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import IO, Any, overload

import aiohttp

from .. import _validation
from .._errors import TrainingFileError, WaitTimeout
from .._limits import UPLOAD_PURPOSES
from .._models import FileDeleted, FileExpiration, FileObject
from .._options import call_options
from .._pagination import AsyncPaginator
from .._transport import Transport
from .._types import NOT_GIVEN, NotGiven
from ..providers import OPENAI, Dialect
from ..training_data import check_training_file
from ..waiting._pacer import Pacer
from ..waiting._policy import PollPolicy, PollState
from ._base import Resource
from ._payload import SizedFile, check_stored
from ._uploads import OnProgress, Uploads, expires_after_body

__all__ = ["DEFAULT_MULTIPART_THRESHOLD", "FileInput", "Files"]

_FILES = "/files"
_LIST_LIMIT = 10_000

#: What `Files.upload()` accepts: a path, the bytes themselves, or a binary file object.
FileInput = str | os.PathLike[str] | bytes | IO[bytes]

DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024
"""Files larger than this (64 MiB) go through the Uploads API: in 8 MiB parts sent four at a
time, so a failure costs one part rather than the whole file."""

#: File statuses after which processing is over.
_PROCESSED = frozenset({"processed", "error"})


_FILE_TYPE = "application/jsonl"


def _form(
    purpose: str,
    filename: str,
    payload: Any,
    expires_after: Mapping[str, Any] | None,
    fields: Mapping[str, str] | None = None,
) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("purpose", purpose)
    for key, value in (fields or {}).items():  # the dialect's own (Together's file_name)
        form.add_field(key, value)
    if expires_after is not None:
        for key, value in expires_after.items():
            form.add_field(f"expires_after[{key}]", str(value))
    form.add_field("file", payload, filename=filename, content_type=_FILE_TYPE)
    return form


def _mime_type(filename: str) -> str:
    import mimetypes

    if filename.endswith(".jsonl"):
        return "text/jsonl"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


async def _check_before_upload(file: FileInput, *, purpose: str, method: str) -> None:
    """Raise `TrainingFileError` when the file to upload has errors; a file object is left
    where it stood."""
    start = None
    if not isinstance(file, (str, os.PathLike, bytes, bytearray, memoryview)):
        if _size_of(file) is None:
            raise ValueError("check: a non-seekable file cannot be checked before it is sent")
        start = file.tell()
    # A large file takes seconds to check: off the event loop.
    report = await asyncio.to_thread(check_training_file, file, method=method, purpose=purpose)
    if start is not None:
        file.seek(start)  # type: ignore[union-attr]
    if not report.ok:
        raise TrainingFileError(report)


def _size_of(file: object) -> int | None:
    """Bytes left in a seekable binary file object, or None when it cannot tell."""
    seekable = getattr(file, "seekable", None)
    if not callable(seekable) or not seekable():
        return None
    handle: IO[bytes] = file  # type: ignore[assignment]
    start = handle.tell()
    end = handle.seek(0, os.SEEK_END)
    handle.seek(start)
    return end - start


class Files(Resource):
    """Upload and manage files (``client.files``)."""

    __slots__ = ("_uploads",)

    def __init__(self, transport: Transport, *, dialect: Dialect = OPENAI) -> None:
        super().__init__(transport, dialect=dialect)
        self._uploads = Uploads(transport, dialect=dialect)

    async def upload(
        self,
        file: FileInput,
        *,
        purpose: str = "fine-tune",
        filename: str | None = None,
        expires_after: FileExpiration | Mapping[str, Any] | None = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        on_progress: OnProgress | None = None,
        check: bool = False,
        method: str = "supervised",
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Upload a file, typically a JSONL training file.

        With ``check=True`` the file is first checked by
        [check_training_file][ftjobs.check_training_file] for ``method``, in a worker thread;
        errors raise [TrainingFileError][ftjobs.TrainingFileError] (carrying the report)
        before anything is sent, warnings do not. It is off by default: it reads the whole
        file once more before sending it, and its rules are the published format as this
        release knows it, so a format the service has since learned would be refused here.

        Up to ``multipart_threshold`` bytes (default 64 MiB) the file goes in one multipart
        request: a path is opened afresh for each attempt and streamed, a seekable file object
        is rewound for each retry, and a non-seekable one (a pipe) is sent once, without
        retries. A larger file (a path, bytes, or a seekable file object, with a purpose the
        Uploads API takes: fine-tune, batch, assistants, vision) goes through the Uploads API
        (`client.uploads`): read once, in order, in 8 MiB parts sent four at a time, each
        part retried on its own, never more than four parts in memory, the MD5 checked by the
        server at the end. If that fails or the call is cancelled, the upload is cancelled on
        the server too.

        Args:
            file: A path, ``bytes``, or a binary file object.
            purpose: One of ``fine-tune``, ``batch``, ``assistants``, ``vision``,
                ``user_data``, ``evals``.
            filename: Name to give the upload; defaults to the path's or file's name.
            expires_after: When the file expires (`FileExpiration(seconds=...)`).
            multipart_threshold: Size above which the Uploads API is used.
            on_progress: ``on_progress(sent, total)``, called with 0 first, after each part
                of a large file, and with ``total`` at the end.
            idempotency_key: For the one-request path (each part of a large file carries a
                key of its own, the same on each of its retries).
            check: Check the file's format first (``purpose="fine-tune"`` only).
            method: The fine-tuning method the check applies: ``supervised``, ``dpo`` or
                ``reinforcement``.

        Raises:
            TrainingFileError: ``check=True`` and the file has errors (nothing was sent).
        """
        options = call_options(extra_headers, extra_query, None, timeout, idempotency_key)
        dialect = self._dialect
        purposes = dialect.file_purposes
        if purpose not in purposes:
            raise ValueError(f"purpose must be one of {', '.join(purposes)}; got {purpose!r}")
        _validation.optional_str("filename", filename)
        if expires_after is not None and not dialect.supports("uploads.create"):
            # The Files API of a provider without OpenAI's Uploads API has no expiry either.
            raise dialect.refuse("files.upload(expires_after=...)")
        _validation.require_int("multipart_threshold", multipart_threshold, 0)
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be a callable taking (sent, total)")
        expiry = expires_after_body(expires_after)
        max_retries: int | None = None
        multipart: Any
        fields = dialect.upload_fields or _no_fields
        # (size, opener of a reader) when the Uploads API can carry the file.
        parts: tuple[int, Callable[[ExitStack], Callable[[int], Any]]] | None = None
        if isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            # One stat is cheap, and a typo is better caught before any request.
            if not os.path.isfile(path):  # noqa: ASYNC240
                raise ValueError(f"file: no such file: {path!r}")
            name = filename or os.path.basename(path)
            size = os.path.getsize(path)  # noqa: ASYNC240

            @contextmanager
            def multipart() -> Iterator[aiohttp.FormData]:
                with open(path, "rb") as handle:
                    # Exactly the size measured above, on every attempt: a file that changes
                    # meanwhile fails rather than being sent in another shape.
                    yield _form(
                        purpose, name, SizedFile(handle, size, _FILE_TYPE), expiry, fields(name)
                    )

            def open_path(stack: ExitStack) -> Callable[[int], Any]:
                return stack.enter_context(open(path, "rb")).read

            parts = (size, open_path)

        elif isinstance(file, (bytes, bytearray, memoryview)):
            payload = bytes(file)
            name = filename or "upload.jsonl"
            size = len(payload)

            def multipart() -> AbstractContextManager[aiohttp.FormData]:
                # A file object, not the bytes: aiohttp sends it in chunks, where raw bytes
                # over 1 MiB would warn (and, under -W error, fail quoting the payload).
                return nullcontext(_form(purpose, name, io.BytesIO(payload), expiry, fields(name)))

            def open_bytes(_: ExitStack) -> Callable[[int], Any]:
                view, offset = memoryview(payload), 0

                def read(n: int) -> memoryview:
                    nonlocal offset
                    offset += n
                    return view[offset - n : offset]

                return read

            parts = (size, open_bytes)

        elif hasattr(file, "read"):
            handle = file
            name = filename or os.path.basename(str(getattr(handle, "name", "") or "upload.jsonl"))
            known = _size_of(handle)
            seekable = known is not None
            start = handle.tell() if seekable else 0
            size = known or 0
            if not seekable:
                max_retries = 0

            def multipart() -> AbstractContextManager[aiohttp.FormData]:
                if known is None:
                    return nullcontext(_form(purpose, name, _chunks(handle), expiry, fields(name)))
                handle.seek(start)
                sized = SizedFile(handle, known, _FILE_TYPE)
                return nullcontext(_form(purpose, name, sized, expiry, fields(name)))

            if known is not None:
                parts = (known, lambda _: handle.read)

        else:
            raise TypeError(
                f"file must be a path, bytes or a binary file object, got {type(file).__name__}"
            )
        if check:
            await _check_before_upload(file, purpose=purpose, method=method)
        if on_progress is not None:
            on_progress(0, size)
        if (
            parts is not None
            and parts[0] > multipart_threshold
            and purpose in UPLOAD_PURPOSES
            and dialect.supports("uploads.create")
        ):
            with ExitStack() as stack:
                return await self._uploads.send(
                    parts[1](stack),
                    size=parts[0],
                    filename=name,
                    purpose=purpose,
                    mime_type=_mime_type(name),
                    expires_after=expiry,
                    on_progress=on_progress,
                )
        uploaded = await self._decoded(
            FileObject,
            self._send(
                "POST",
                dialect.files_upload_path,
                options,
                multipart=multipart,
                max_retries=max_retries,
            ),
        )
        if parts is not None:  # the size is known (all but a pipe)
            check_stored(uploaded, size)
        if on_progress is not None:
            # Azure answers an upload without "bytes": what was sent is then the total.
            total = size if uploaded.bytes is None else uploaded.bytes
            on_progress(total, total)
        return uploaded

    async def wait_for_processing(
        self,
        file_id: str | FileObject,
        *,
        timeout: float | None = 1800.0,
        poll: PollPolicy | None = None,
    ) -> FileObject:
        """Poll a file until the server has processed it (status ``processed`` or ``error``).

        Polls are paced by ``poll`` (the waiting policy of `client.jobs.wait_until_terminal`:
        backoff, server hints, 429s, transient failures absorbed). A file whose status the
        server does not report (the field is deprecated) is returned at once.

        Args:
            file_id: The file or its id.
            timeout: Total seconds to wait (default 30 min); ``None`` waits forever.
            poll: Pacing (its ``timeout`` is replaced by ``timeout``).

        Raises:
            WaitTimeout: Still unprocessed when the time ran out (``job`` is None).
        """
        wanted = file_id.id if isinstance(file_id, FileObject) else file_id
        _validation.require_str("file_id", wanted)
        _validation.timeout("timeout", timeout)
        if poll is not None and not isinstance(poll, PollPolicy):
            raise TypeError(f"poll must be a PollPolicy or None, got {type(poll).__name__}")
        policy = poll or PollPolicy()
        pacer = Pacer(policy, PollState(started_at=0.0, deadline=None))
        pacer.with_budget(timeout)
        seen: list[str] = []
        while True:
            try:
                found = await pacer.bounded(self.retrieve(wanted))
            except Exception as exc:
                pacer.failed(exc)
            else:
                if found.status is None or found.status in _PROCESSED:
                    return found
                seen.append(found.status)
                pacer.succeeded(found.status)
            pacer.check(
                lambda _reason: WaitTimeout(
                    f"file {wanted} was still {seen[-1] if seen else 'unseen'!r} after {timeout} s",
                    job=None,
                    token=None,
                )
            )
            await asyncio.sleep(pacer.delay())

    async def retrieve(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Fetch a file's metadata."""
        options = call_options(extra_headers, extra_query, timeout=timeout)
        return await self._decoded(
            FileObject,
            self._send("GET", f"{_FILES}/{_validation.path_id('file_id', file_id)}", options),
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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        params: list[tuple[str, str]] = []
        if self._dialect.paging == "single":
            for name, value in (("purpose", purpose), ("order", order), ("after", after)):
                if value is not None:
                    raise self._dialect.refuse(f"files.list({name}=...)")
            _validation.limit(limit, _LIST_LIMIT)
            return self._paginate(FileObject, _FILES, params, options, after=None)
        if purpose is not None:
            params.append(("purpose", _validation.require_str("purpose", purpose)))
        size = _validation.limit(limit, _LIST_LIMIT)
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
            options,
            after=_validation.optional_str("after", after),
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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        file = _validation.path_id("file_id", file_id)
        return await self._decoded(
            FileDeleted,
            self._send("DELETE", f"{_FILES}/{file}", options),
            self._dialect.file_deleted,
            file,
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
        bounds the wait for each 64 KiB of data, not the whole download: a server that
        trickles (a byte every few seconds) fails it with
        [`APITimeoutError`][ftjobs.APITimeoutError] rather than holding it for ever.
        """
        options = call_options(extra_headers, extra_query, timeout=timeout)
        path = _content_path(file_id)
        if to is None:
            response = await self._send(
                "GET",
                path,
                options,
                decode_json=False,
            )
            return response.content
        if not isinstance(to, (str, os.PathLike)):
            raise TypeError(f"to must be a path, got {type(to).__name__}")
        chunks = self._stream(path, options)
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
        connection at once. ``timeout`` bounds the wait for each chunk (``chunk_size`` bytes,
        or the last), not the whole transfer.
        """
        options = call_options(extra_headers, extra_query, timeout=timeout)
        path = _content_path(file_id)
        _validation.require_int("chunk_size", chunk_size, 1)
        return self._stream(path, options, chunk_size)


def _no_fields(_filename: str) -> Mapping[str, str]:
    return {}


def _content_path(file_id: str) -> str:
    return f"{_FILES}/{_validation.path_id('file_id', file_id)}/content"


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
