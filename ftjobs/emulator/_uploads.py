"""Uploads: a file sent in parts, joined into a File on completion.

An upload is ``pending`` until completed or cancelled, and ``expired`` once an hour of emulated
time has passed without completion (no part may be added to it then). Completion checks that
every part belongs to the upload, that their sizes add up to the announced ``bytes`` and, when
given, the MD5 of the joined bytes; the File is made through the store like any upload.
An upload may announce at most ``max_upload_bytes`` (the limit of a File upload), and its
parts wait on disk, not in memory, until it is completed. Uploads in progress are not part of
the state file: a restart forgets them.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ftjobs._limits import MAX_PART_BYTES, MAX_UPLOAD_BYTES, UPLOAD_PURPOSES
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._ids import random_id
from ftjobs.emulator._render import ToWall, render_file
from ftjobs.emulator._store import Store

__all__ = [
    "UPLOAD_LIFETIME",
    "UploadBook",
    "UploadRecord",
    "parse_create_upload",
]

UPLOAD_LIFETIME = 3600.0
"""Seconds (of emulated time) an upload stays open."""
_CREATE_FIELDS = frozenset({"filename", "purpose", "bytes", "mime_type", "expires_after"})


def _fail(message: str, param: str | None = None) -> ApiError:
    return ApiError.invalid(message, param=param)


@attrs.frozen
class CreateUpload:
    """A checked ``POST /uploads`` body."""

    filename: str
    purpose: str
    bytes: int
    mime_type: str
    expires_after: int | None


def parse_create_upload(body: Any) -> CreateUpload:
    """Check a ``CreateUploadRequest``; a 400 naming the field otherwise."""
    if not isinstance(body, dict):
        raise _fail("The request body must be a JSON object.")
    for key in sorted(set(body) - _CREATE_FIELDS):
        raise _fail(f"Unrecognized request argument supplied: {key}", key)
    for key in ("filename", "purpose", "bytes", "mime_type"):
        if key not in body:
            raise _fail(f"Missing required parameter: '{key}'.", key)
    for key in ("filename", "mime_type"):
        if not isinstance(body[key], str) or not body[key]:
            raise _fail(f"Invalid '{key}': expected a non-empty string.", key)
    if body["purpose"] not in UPLOAD_PURPOSES:
        raise _fail(f"Invalid 'purpose': expected one of {', '.join(UPLOAD_PURPOSES)}.", "purpose")
    size = body["bytes"]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_UPLOAD_BYTES:
        raise _fail(
            f"Invalid 'bytes': expected an integer between 0 and {MAX_UPLOAD_BYTES}.", "bytes"
        )
    if body["purpose"] == "fine-tune" and not body["filename"].endswith(".jsonl"):
        raise _fail("Invalid file format for Fine-Tuning API. Must be .jsonl.", "filename")
    return CreateUpload(
        body["filename"],
        body["purpose"],
        size,
        body["mime_type"],
        _expiry(body.get("expires_after")),
    )


def _expiry(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("anchor") != "created_at":
        raise _fail(
            "Invalid 'expires_after.anchor': expected 'created_at'.", "expires_after.anchor"
        )
    seconds = value.get("seconds")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 3600 <= seconds <= 2_592_000
    ):
        raise _fail(
            "Invalid 'expires_after.seconds': expected an integer between 3600 and 2592000.",
            "expires_after.seconds",
        )
    return seconds


@attrs.define
class UploadRecord:
    """One upload and the parts received so far."""

    id: str
    created_at: float
    request: CreateUpload
    status: str = "pending"
    parts: dict[str, int] = attrs.field(factory=dict)
    """The size of each part received, by id (the bytes are in the book's directory)."""
    file: dict[str, Any] | None = None

    @property
    def expires_at(self) -> float:
        return self.created_at + UPLOAD_LIFETIME


class UploadBook:
    """Every upload of one emulator; time and Files come from the store."""

    def __init__(self, store: Store, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self._store = store
        self._max_bytes = max_bytes
        self._uploads: dict[str, UploadRecord] = {}
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    def _part_dir(self, upload_id: str) -> Path:
        """Where an upload's parts wait (a temporary directory removed at exit)."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="ftjobs-emulator-uploads-")
        return Path(self._scratch.name) / upload_id

    def close(self) -> None:
        """Remove the directory where parts wait (the emulator is shutting down)."""
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def _drop_parts(self, record: UploadRecord) -> None:
        record.parts.clear()
        if self._scratch is not None:
            shutil.rmtree(self._part_dir(record.id), ignore_errors=True)

    def by_status(self) -> dict[str, int]:
        """How many uploads are in each status (for the statistics)."""
        counts: dict[str, int] = {}
        for upload_id in list(self._uploads):
            status = self.get(upload_id).status
            counts[status] = counts.get(status, 0) + 1
        return counts

    def create(self, request: CreateUpload) -> UploadRecord:
        """Open an upload (a 413 over ``max_upload_bytes``, as a File upload would get)."""
        if request.bytes > self._max_bytes:
            raise ApiError(
                413,
                f"An upload holds at most {self._max_bytes} bytes; this one announced "
                f"{request.bytes}.",
                param="bytes",
                code="body_too_large",
            )
        record = UploadRecord(random_id("upload_"), self._store.now(), request)
        self._uploads[record.id] = record
        return record

    def get(self, upload_id: str) -> UploadRecord:
        """An upload, its status brought up to now; a 404 for an unknown id."""
        record = self._uploads.get(upload_id)
        if record is None:
            raise ApiError.not_found(f"No such Upload object: {upload_id}", param="upload_id")
        if record.status == "pending" and self._store.now() >= record.expires_at:
            record.status = "expired"
            self._drop_parts(record)
        return record

    def _pending(self, upload_id: str, doing: str) -> UploadRecord:
        record = self.get(upload_id)
        if record.status != "pending":
            raise _fail(f"Cannot {doing} an Upload with status '{record.status}'.", "upload_id")
        return record

    def add_part(self, upload_id: str, data: bytes) -> tuple[str, float]:
        """Store a part; returns its id and creation time."""
        record = self._pending(upload_id, "add a part to")
        if len(data) > MAX_PART_BYTES:
            raise ApiError(413, f"A part holds at most {MAX_PART_BYTES} bytes.", param="data")
        received = sum(record.parts.values())
        if received + len(data) > record.request.bytes:
            raise _fail(
                f"The parts would hold more than the {record.request.bytes} bytes announced.",
                "data",
            )
        part_id = random_id("part_")
        folder = self._part_dir(record.id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / part_id).write_bytes(data)
        record.parts[part_id] = len(data)
        return part_id, self._store.now()

    def complete(self, upload_id: str, body: Any) -> UploadRecord:
        """Join the parts named in ``body`` into a File (checking sizes and the MD5)."""
        record = self._pending(upload_id, "complete")
        if not isinstance(body, dict) or set(body) - {"part_ids", "md5"}:
            raise _fail("Expected a JSON object with 'part_ids' (and optionally 'md5').")
        part_ids = body.get("part_ids")
        if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids):
            raise _fail(
                "Missing required parameter: 'part_ids' (an array of part ids).", "part_ids"
            )
        md5 = body.get("md5")
        if md5 is not None and not isinstance(md5, str):
            raise _fail("Invalid 'md5': expected a string.", "md5")
        if len(set(part_ids)) != len(part_ids):
            raise _fail("Invalid 'part_ids': a part is listed twice.", "part_ids")
        for part_id in part_ids:
            if part_id not in record.parts:
                raise _fail(f"Invalid 'part_ids': no part '{part_id}' in this Upload.", "part_ids")
        total = sum(record.parts[p] for p in part_ids)
        if total != record.request.bytes:
            raise _fail(
                f"The parts hold {total} bytes; the Upload announced {record.request.bytes}.",
                "part_ids",
            )
        # One buffer of the announced size (at most max_upload_bytes), filled from disk.
        content = bytearray()
        folder = self._part_dir(record.id)
        for part_id in part_ids:
            content += (folder / part_id).read_bytes()
        if md5 is not None and hashlib.md5(content, usedforsecurity=False).hexdigest() != md5:
            raise _fail("The md5 checksum does not match the uploaded bytes.", "md5")
        request = record.request
        file = self._store.add_file(
            request.filename, request.purpose, bytes(content), expires_after=request.expires_after
        )
        record.file = render_file(file, self._store.clock.to_wall)
        record.status = "completed"
        self._drop_parts(record)
        return record

    def cancel(self, upload_id: str) -> UploadRecord:
        """Cancel a pending upload."""
        record = self._pending(upload_id, "cancel")
        record.status = "cancelled"
        self._drop_parts(record)
        return record


def render_upload(record: UploadRecord, wall: ToWall) -> dict[str, Any]:
    """The spec's ``Upload`` object."""
    request = record.request
    return {
        "id": record.id,
        "object": "upload",
        "bytes": request.bytes,
        "created_at": int(wall(record.created_at)),
        "filename": request.filename,
        "purpose": request.purpose,
        "status": record.status,
        "expires_at": int(wall(record.expires_at)),
        "file": record.file,
    }


def render_part(part_id: str, created_at: float, upload_id: str, wall: ToWall) -> Mapping[str, Any]:
    """The spec's ``UploadPart`` object."""
    return {
        "id": part_id,
        "object": "upload.part",
        "created_at": int(wall(created_at)),
        "upload_id": upload_id,
    }
