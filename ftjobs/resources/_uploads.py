"""``client.uploads``: the Uploads API, a large file sent in parts (and the engine behind
``client.files.upload`` for large files)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import aiohttp

from .. import _validation as check
from .._converter import unstructure
from .._limits import MAX_PART_BYTES, MAX_UPLOAD_BYTES, UPLOAD_PURPOSES
from .._models import FileExpiration, FileObject, Upload, UploadPart
from .._options import call_options
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._payload import changed, check_stored

__all__ = [
    "UPLOAD_CONCURRENCY",
    "UPLOAD_PART_BYTES",
    "OnProgress",
    "Uploads",
    "expires_after_body",
]

logger = logging.getLogger("ftjobs")

_UPLOADS = "/uploads"
UPLOAD_PART_BYTES = 8 * 1024 * 1024
"""Size of the parts ``files.upload`` sends: 8 MiB, so a failed part costs little to resend."""
UPLOAD_CONCURRENCY = 4
"""Parts ``files.upload`` sends at once; at most this many parts are held in memory."""

OnProgress = Callable[[int, int], object]
"""``on_progress(sent, total)``: called with the bytes the server has acknowledged so far."""

# Server-side cancellations started while the caller's task was being cancelled: held so the
# event loop does not drop them half-way.
_cancelling: set[asyncio.Task[Any]] = set()


def expires_after_body(value: object) -> dict[str, Any] | None:
    """The JSON of ``expires_after`` (a [FileExpiration][ftjobs.types.FileExpiration] or a
    mapping), checked."""
    if value is None:
        return None
    if isinstance(value, FileExpiration):
        body = dict(unstructure(value))
    elif isinstance(value, Mapping):
        body = dict(value)
    else:
        raise TypeError(
            f"expires_after must be a FileExpiration or a mapping, got {type(value).__name__}"
        )
    if body.get("anchor") != "created_at":
        raise ValueError("expires_after.anchor must be 'created_at'")
    check.require_int("expires_after.seconds", body.get("seconds"), 3600, 2_592_000)
    return body


def _part_form(data: bytes | memoryview) -> AbstractContextManager[aiohttp.FormData]:
    form = aiohttp.FormData()
    form.add_field("data", _slices(data), filename="part", content_type="application/octet-stream")
    return nullcontext(form)


_SLICE = 256 * 1024


async def _slices(data: bytes | memoryview) -> AsyncIterator[memoryview]:
    """A part, written in slices of its own buffer: no copy of the part is made, and the
    socket's write buffer never holds more than a slice ahead of the network."""
    view = memoryview(data)
    for start in range(0, len(view), _SLICE):
        yield view[start : start + _SLICE]


class Uploads(Resource):
    """Send a file of up to 8 GB in parts of up to 64 MB (``client.uploads``).

    ``client.files.upload`` does all of this by itself for large files; these are the
    operations underneath, for callers that produce parts themselves.
    """

    __slots__ = ()

    async def create(
        self,
        *,
        filename: str,
        purpose: str,
        bytes: int,
        mime_type: str,
        expires_after: FileExpiration | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Upload:
        """Start an upload of ``bytes`` bytes; it expires an hour later unless completed.

        Args:
            filename: Name of the File the upload becomes.
            purpose: ``fine-tune``, ``batch``, ``assistants`` or ``vision``.
            bytes: The file's exact size (at most 8 GiB).
            mime_type: Its MIME type (``text/jsonl`` for training data).
            expires_after: When the resulting File expires.
        """
        options = call_options(extra_headers, extra_query, extra_body, timeout, idempotency_key)
        if purpose not in UPLOAD_PURPOSES:
            raise ValueError(
                f"purpose must be one of {', '.join(UPLOAD_PURPOSES)}; got {purpose!r}"
            )
        body: dict[str, Any] = {
            "filename": check.require_str("filename", filename),
            "purpose": purpose,
            "bytes": check.require_int("bytes", bytes, 0, MAX_UPLOAD_BYTES),
            "mime_type": check.require_str("mime_type", mime_type),
        }
        expiry = expires_after_body(expires_after)
        if expiry is not None:
            body["expires_after"] = expiry
        return await self._decoded(
            Upload,
            self._send(
                "POST",
                _UPLOADS,
                options,
                body=body,
            ),
        )

    async def add_part(
        self,
        upload_id: str,
        data: bytes | bytearray | memoryview,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> UploadPart:
        """Add one part (at most 64 MiB); parts may be added concurrently, in any order.

        The part is retried on its own on a transient failure (the same bytes, the same
        idempotency key).
        """
        options = call_options(extra_headers, extra_query, None, timeout, idempotency_key)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        if len(data) > MAX_PART_BYTES:
            raise ValueError(f"data is {len(data)} bytes; a part holds at most {MAX_PART_BYTES}")
        payload = data if isinstance(data, (bytes, memoryview)) else bytes(data)
        return await self._decoded(
            UploadPart,
            self._send(
                "POST",
                f"{_UPLOADS}/{check.path_id('upload_id', upload_id)}/parts",
                options,
                multipart=lambda: _part_form(payload),
            ),
        )

    async def complete(
        self,
        upload_id: str,
        *,
        part_ids: Sequence[str],
        md5: str | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Upload:
        """Join the parts, in the order of ``part_ids``, into a File (``upload.file``).

        Args:
            part_ids: Every part's id, in file order.
            md5: Hex MD5 of the whole file; the server refuses the upload if it differs.
        """
        options = call_options(extra_headers, extra_query, extra_body, timeout, idempotency_key)
        if isinstance(part_ids, (str, bytes)) or not isinstance(part_ids, Sequence):
            raise TypeError("part_ids must be a sequence of part ids")
        body: dict[str, Any] = {
            "part_ids": [check.require_str(f"part_ids[{i}]", p) for i, p in enumerate(part_ids)]
        }
        if md5 is not None:
            body["md5"] = check.require_str("md5", md5)
        return await self._decoded(
            Upload,
            self._send(
                "POST",
                f"{_UPLOADS}/{check.path_id('upload_id', upload_id)}/complete",
                options,
                body=body,
            ),
        )

    async def cancel(
        self,
        upload_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Upload:
        """Cancel an upload; no part may be added afterwards."""
        options = call_options(extra_headers, extra_query, None, timeout, idempotency_key)
        return await self._decoded(
            Upload,
            self._send(
                "POST", f"{_UPLOADS}/{check.path_id('upload_id', upload_id)}/cancel", options
            ),
        )

    async def send(
        self,
        read: Callable[[int], bytes | memoryview],
        *,
        size: int,
        filename: str,
        purpose: str,
        mime_type: str,
        expires_after: FileExpiration | Mapping[str, Any] | None = None,
        on_progress: OnProgress | None = None,
        part_bytes: int = UPLOAD_PART_BYTES,
        concurrency: int = UPLOAD_CONCURRENCY,
    ) -> FileObject:
        """Send ``size`` bytes from ``read`` as one upload and return the File it became.

        ``read(n)`` is called in a worker thread, in file order, and each chunk is hashed as
        it is read: the source is read once, and at most ``concurrency`` parts are in memory.
        Each part is retried on its own. If anything fails, or the awaiting task is cancelled,
        the upload is cancelled on the server too.
        """
        check.require_int("part_bytes", part_bytes, 1, MAX_PART_BYTES)
        check.require_int("concurrency", concurrency, 1)
        upload = await self.create(
            filename=filename,
            purpose=purpose,
            bytes=size,
            mime_type=mime_type,
            expires_after=expires_after,
        )
        try:
            part_ids, md5 = await self._send_parts(
                upload.id, read, size, on_progress, part_bytes, concurrency
            )
            done = await self.complete(upload.id, part_ids=part_ids, md5=md5)
        except BaseException:
            await self._cancel_on_server(upload.id)
            raise
        if done.file is None:
            raise RuntimeError(f"upload {upload.id} completed without a file")  # pragma: no cover
        check_stored(done.file, size)
        return done.file

    async def _send_parts(
        self,
        upload_id: str,
        read: Callable[[int], bytes | memoryview],
        size: int,
        on_progress: OnProgress | None,
        part_bytes: int,
        concurrency: int,
    ) -> tuple[list[str], str]:
        digest = hashlib.md5(usedforsecurity=False)
        slots = asyncio.Semaphore(concurrency)
        part_ids: list[str] = []
        sent = read_so_far = 0

        def read_part() -> bytes | memoryview:
            # Never past the size announced: a file that grows is not read on for ever, and
            # one that shrinks is caught at its end, before the server is asked to complete.
            nonlocal read_so_far
            if read_so_far == size:
                if read(1):
                    raise changed(size, size + 1, "grew")
                return b""
            chunk = read(min(part_bytes, size - read_so_far))
            if not chunk:
                raise changed(size, read_so_far, "shrank")
            read_so_far += len(chunk)
            digest.update(chunk)
            return chunk

        failures: list[BaseException] = []

        async def send_part(index: int, chunk: bytes | memoryview) -> None:
            nonlocal sent
            try:
                part = await self.add_part(upload_id, chunk)
            except BaseException as exc:
                failures.append(exc)
                raise
            finally:
                slots.release()
            part_ids[index] = part.id
            sent += len(chunk)
            if on_progress is not None:
                on_progress(sent, size)

        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                # A slot is taken before the read: the bound holds for memory, not just for
                # requests in flight.
                await slots.acquire()
                if failures:
                    raise failures[0]
                chunk = await asyncio.to_thread(read_part)
                if not chunk:
                    break
                part_ids.append("")
                task = asyncio.ensure_future(send_part(len(part_ids) - 1, chunk))
                running.add(task)
                task.add_done_callback(running.discard)
            await asyncio.gather(*running)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        return part_ids, digest.hexdigest()

    async def _cancel_on_server(self, upload_id: str) -> None:
        task = asyncio.ensure_future(self.cancel(upload_id))
        _cancelling.add(task)
        task.add_done_callback(_cancelling.discard)
        try:
            # Shielded: a second cancellation of the caller must not abandon the cleanup.
            await asyncio.shield(task)
        except Exception as exc:
            logger.warning("could not cancel upload %s: %s", upload_id, type(exc).__name__)
