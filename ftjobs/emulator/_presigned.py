"""Uploads through a presigned URL, as Together AI's Files API takes them.

``POST /v1/files`` (form fields ``purpose``, ``file_name``, ``file_type``, ``checksum``) hands
out a file id and a URL to ``PUT`` the bytes to (the service's object store, 302 ``Location``);
``POST /v1/files/{id}/preprocess`` then turns what arrived there into a file. The URL carries
its own signature instead of the API key, as a presigned object-store URL does, so the
``PUT`` (which Together's SDK sends without the key) is checked against it here.

Pending uploads live in memory: a restart forgets them, as a presigned URL expires.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import attrs

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._ids import random_id

__all__ = ["PendingUpload", "PresignedUploads"]


@attrs.define
class PendingUpload:
    """A file id handed out, waiting for its bytes (``content``) and its preprocess call."""

    file_id: str
    filename: str
    purpose: str
    file_type: str
    checksum: str | None
    content: bytes | None = None


class PresignedUploads:
    """The pending uploads of one emulator and the key their URLs are signed with."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._pending: dict[str, PendingUpload] = {}

    def signature(self, file_id: str) -> str:
        """The signature of the upload URL of ``file_id``."""
        return hmac.new(self._key, file_id.encode(), hashlib.sha256).hexdigest()

    def reserve(self, filename: str, purpose: str, file_type: str, checksum: str | None) -> str:
        """Hand out a file id for an upload to come; return it."""
        file_id = random_id("file-")
        self._pending[file_id] = PendingUpload(file_id, filename, purpose, file_type, checksum)
        return file_id

    def put(self, file_id: str, signature: str, content: bytes) -> None:
        """Take the bytes sent to the upload URL (403 for a bad signature, 404 unknown id,
        400 when a checksum was announced and the bytes do not match it)."""
        if not hmac.compare_digest(signature, self.signature(file_id)):
            raise ApiError(
                403, "The request signature does not match.", code="SignatureDoesNotMatch"
            )
        pending = self._pending.get(file_id)
        if pending is None:
            raise ApiError.not_found(f"No upload pending for file {file_id}.", param="id")
        digest = hashlib.sha256(content).hexdigest()
        if pending.checksum and pending.checksum != digest:
            raise ApiError.invalid(
                f"The uploaded bytes do not match the announced checksum of file {file_id}.",
                param="checksum",
                code="checksum_mismatch",
            )
        pending.content = content

    def take(self, file_id: str) -> PendingUpload | None:
        """The upload of ``file_id`` once its bytes arrived (forgotten here), ``None`` if
        there is none; a 400 while the bytes have not arrived."""
        pending = self._pending.get(file_id)
        if pending is None:
            return None
        if pending.content is None:
            raise ApiError.invalid(
                f"File {file_id} has not been uploaded yet: PUT it to its upload URL first.",
                param="id",
            )
        del self._pending[file_id]
        return pending
