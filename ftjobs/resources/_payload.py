"""A file sent as exactly the bytes it held when the upload began.

A multipart upload announces its ``Content-Length`` before the first byte goes. If the file is
truncated while it is sent, aiohttp's own file payload stops early and the server waits for
bytes that never come (a 60 s stall), and the retry then uploads the shorter file as if nothing
happened; if it grows, the tail is cut off silently. `SizedFile` reads exactly ``size`` bytes
and raises [`UploadIntegrityError`][ftjobs.UploadIntegrityError] the moment the file disagrees.
"""

from __future__ import annotations

import asyncio
from typing import IO, Any

from aiohttp import payload

from .._errors import UploadIntegrityError
from .._models import FileObject

__all__ = ["SizedFile", "changed", "check_stored"]

_CHUNK = 256 * 1024


class SizedFile(payload.Payload):
    """``size`` bytes of ``handle`` from where it stands, read in a worker thread."""

    _autoclose = True  # the caller closes the handle; the payload holds nothing else

    def __init__(self, handle: IO[bytes], size: int, content_type: str) -> None:
        # The form's own content type does not reach a payload it is handed: it comes here.
        super().__init__(handle, content_type=content_type)
        self._handle = handle
        self._size = self._exact = size

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Not text: a file's bytes are only ever written to the wire."""
        raise TypeError("a file being uploaded is not decoded")

    async def write(self, writer: Any) -> None:
        """Write the file's ``size`` bytes; raise if it ends sooner or goes on after them."""
        size = left = self._exact
        while left:
            chunk = await asyncio.to_thread(self._handle.read, min(_CHUNK, left))
            if not chunk:
                raise changed(size, size - left, "shrank")
            left -= len(chunk)
            await writer.write(chunk)
        if await asyncio.to_thread(self._handle.read, 1):
            raise changed(size, size + 1, "grew")


def changed(expected: int, actual: int, how: str) -> UploadIntegrityError:
    """The error for a file that ``how`` ("shrank", "grew") while it was read for upload."""
    held = f"at least {actual}" if how == "grew" else str(actual)
    return UploadIntegrityError(
        f"the file {how} while it was uploaded: it held {expected} bytes when the upload "
        f"began and {held} when it was read; nothing was kept (upload it again once it has "
        "stopped changing)",
        expected=expected,
        actual=actual,
    )


def check_stored(stored: FileObject, sent: int) -> None:
    """Raise if the server reports storing other than the ``sent`` bytes (a server that does not
    say, as Azure at first, is taken at its word)."""
    if stored.bytes is not None and stored.bytes != sent:
        raise UploadIntegrityError(
            f"the server stored {stored.bytes} bytes as {stored.id}, but {sent} were sent; the "
            "file is left there for you to inspect or delete",
            expected=sent,
            actual=stored.bytes,
            file_id=stored.id,
        )
