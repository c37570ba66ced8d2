"""client.uploads and the parts engine behind files.upload for large files (aioresponses)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

import ftjobs
from ftjobs._models import FileExpiration, Upload, UploadPart
from tests._support.payloads import BASE_URL, file_payload, sent

UPLOADS = f"{BASE_URL}/uploads"
UPLOAD_ID = "upload_abc"
PARTS = f"{UPLOADS}/{UPLOAD_ID}/parts"


def _upload(status: str = "pending", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": UPLOAD_ID,
        "object": "upload",
        "bytes": 10,
        "created_at": 1719184911,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "status": status,
        "expires_at": 1719188511,
        "file": None,
    }
    body.update(overrides)
    return body


def _part(part_id: str) -> dict[str, Any]:
    return {"id": part_id, "object": "upload.part", "created_at": 1, "upload_id": UPLOAD_ID}


async def _part_bytes(kwargs: dict[str, Any]) -> bytes:
    """The ``data`` of a part request, as it would go on the wire."""
    form: aiohttp.FormData = kwargs["data"]
    writer = form()

    class Sink:
        def __init__(self) -> None:
            self.buffer = bytearray()

        async def write(self, chunk: bytes) -> None:
            self.buffer.extend(chunk)

    sink = Sink()
    await writer.write(sink)  # type: ignore[arg-type]
    body = bytes(sink.buffer)
    start = body.index(b"\r\n\r\n") + 4
    return body[start : body.rindex(b"\r\n--")]


class PartServer:
    """Answers part requests with increasing ids and records what each carried."""

    def __init__(
        self, *, fail_first: int | None = None, status: int = 500, gather: int = 1
    ) -> None:
        self.received: dict[str, bytes] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.attempts = 0
        self.keys: list[str] = []
        self._fail_first = fail_first
        self._status = status
        # Parts wait (briefly) until ``gather`` of them are in flight: concurrency made visible.
        self._gather = gather
        self._full = asyncio.Event()

    async def handle(self, url: Any, **kwargs: Any) -> CallbackResult:
        self.attempts += 1
        self.keys.append(kwargs["headers"]["Idempotency-Key"])
        data = await _part_bytes(kwargs)
        if self._fail_first is not None and data.startswith(b"P%d" % self._fail_first):
            self._fail_first = None
            return CallbackResult(status=self._status, payload={"error": {"message": "boom"}})
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= self._gather:
            self._full.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), 0.5)
        self.in_flight -= 1
        part_id = f"part_{len(self.received)}"
        self.received[part_id] = data
        return CallbackResult(payload=_part(part_id))


def _content(parts: int, size: int) -> bytes:
    return b"".join((b"P%d" % i).ljust(size, b".") for i in range(parts))[: parts * size - 3]


async def test_operations_send_the_spec_shapes(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.post(UPLOADS, payload=_upload())
    mocked.post(PARTS, payload=_part("part_1"))
    done = _upload("completed", file=file_payload(bytes=10))
    mocked.post(f"{UPLOADS}/{UPLOAD_ID}/complete", payload=done)
    mocked.post(f"{UPLOADS}/{UPLOAD_ID}/cancel", payload=_upload("cancelled"))
    upload = await client.uploads.create(
        filename="train.jsonl",
        purpose="fine-tune",
        bytes=10,
        mime_type="text/jsonl",
        expires_after=FileExpiration(seconds=7200),
    )
    assert isinstance(upload, Upload) and upload.status == "pending"
    assert upload.expires_at_datetime.year == 2024
    part = await client.uploads.add_part(UPLOAD_ID, b"0123456789")
    assert part == UploadPart(id="part_1", created_at=1, upload_id=UPLOAD_ID)
    completed = await client.uploads.complete(UPLOAD_ID, part_ids=["part_1"], md5="abc")
    assert completed.file is not None and completed.file.bytes == 10
    assert (await client.uploads.cancel(UPLOAD_ID)).status == "cancelled"
    create, add, complete, _ = sent(mocked, "POST")
    assert json.loads(create[1]["data"]) == {
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "bytes": 10,
        "mime_type": "text/jsonl",
        "expires_after": {"seconds": 7200, "anchor": "created_at"},
    }
    assert await _part_bytes(add[1]) == b"0123456789"
    assert json.loads(complete[1]["data"]) == {"part_ids": ["part_1"], "md5": "abc"}


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda c: c.uploads.create(filename="a", purpose="evals", bytes=1, mime_type="t"),
            ValueError,
            "purpose",
        ),
        (
            lambda c: c.uploads.create(filename="a", purpose="batch", bytes=-1, mime_type="t"),
            ValueError,
            "bytes",
        ),
        (
            lambda c: c.uploads.create(filename="a", purpose="batch", bytes=1, mime_type=""),
            ValueError,
            "mime_type",
        ),
        (
            lambda c: c.uploads.create(
                filename="a",
                purpose="batch",
                bytes=1,
                mime_type="t",
                expires_after={"seconds": 60, "anchor": "created_at"},
            ),
            ValueError,
            r"expires_after\.seconds",
        ),
        (lambda c: c.uploads.add_part(UPLOAD_ID, "text"), TypeError, "data"),
        (lambda c: c.uploads.add_part("", b"x"), ValueError, "upload_id"),
        (lambda c: c.uploads.complete(UPLOAD_ID, part_ids="part_1"), TypeError, "part_ids"),
        (lambda c: c.uploads.complete(UPLOAD_ID, part_ids=["p"], md5=""), ValueError, "md5"),
    ],
)
async def test_bad_input_fails_before_any_request(
    mocked: aioresponses, client: ftjobs.AsyncClient, call: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        await call(client)
    assert not mocked.requests


async def test_send_reads_once_in_order_hashes_and_reports_progress(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    content = _content(parts=7, size=16)
    server = PartServer(gather=3)
    mocked.post(UPLOADS, payload=_upload(bytes=len(content)))
    mocked.post(PARTS, callback=server.handle, repeat=True)
    mocked.post(
        f"{UPLOADS}/{UPLOAD_ID}/complete",
        payload=_upload("completed", file=file_payload(bytes=len(content))),
    )
    reads: list[int] = []
    source = io.BytesIO(content)

    def read(n: int) -> bytes:
        reads.append(source.tell())
        return source.read(n)

    progress: list[tuple[int, int]] = []
    file = await client.uploads.send(
        read,
        size=len(content),
        filename="train.jsonl",
        purpose="fine-tune",
        mime_type="text/jsonl",
        on_progress=lambda sent, total: progress.append((sent, total)),
        part_bytes=16,
        concurrency=3,
    )
    assert file.bytes == len(content)
    # Each byte read once, in order, then the empty read at the end.
    assert reads == [16 * i for i in range(7)] + [len(content)]
    assert server.most_in_flight == 3
    complete = json.loads(sent(mocked, "POST")[-1][1]["data"])
    joined = b"".join(server.received[p] for p in complete["part_ids"])
    assert joined == content
    assert complete["md5"] == hashlib.md5(content).hexdigest()
    assert [s for s, _ in progress] == sorted(s for s, _ in progress)
    assert progress[-1] == (len(content), len(content)) and len(progress) == 7


async def test_a_failed_part_is_retried_alone(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    content = _content(parts=4, size=8)
    server = PartServer(fail_first=2)
    mocked.post(UPLOADS, payload=_upload(bytes=len(content)))
    mocked.post(PARTS, callback=server.handle, repeat=True)
    mocked.post(
        f"{UPLOADS}/{UPLOAD_ID}/complete",
        payload=_upload("completed", file=file_payload(bytes=len(content))),
    )
    await client.uploads.send(
        io.BytesIO(content).read,
        size=len(content),
        filename="t.jsonl",
        purpose="fine-tune",
        mime_type="text/jsonl",
        part_bytes=8,
    )
    assert server.attempts == 5 and len(server.received) == 4
    assert len(set(server.keys)) == 4  # the retry reused its part's idempotency key


async def test_a_part_that_fails_for_good_cancels_the_upload_on_the_server(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    content = _content(parts=4, size=8)
    mocked.post(UPLOADS, payload=_upload(bytes=len(content)))
    mocked.post(PARTS, callback=PartServer(fail_first=1, status=400).handle, repeat=True)
    mocked.post(f"{UPLOADS}/{UPLOAD_ID}/cancel", payload=_upload("cancelled"))
    with pytest.raises(ftjobs.BadRequestError):
        await client.uploads.send(
            io.BytesIO(content).read,
            size=len(content),
            filename="t.jsonl",
            purpose="fine-tune",
            mime_type="text/jsonl",
            part_bytes=8,
        )
    urls = [str(url) for url, _ in sent(mocked, "POST")]
    assert urls[-1].endswith("/cancel")
    assert not any(u.endswith("/complete") for u in urls)


async def test_cancelling_the_caller_cancels_the_upload_on_the_server(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    started = asyncio.Event()

    async def hang(url: Any, **kwargs: Any) -> CallbackResult:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    mocked.post(UPLOADS, payload=_upload(bytes=64))
    mocked.post(PARTS, callback=hang, repeat=True)
    mocked.post(f"{UPLOADS}/{UPLOAD_ID}/cancel", payload=_upload("cancelled"))
    task = asyncio.create_task(
        client.files.upload(b"x" * 64, filename="t.jsonl", multipart_threshold=0)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert str(sent(mocked, "POST")[-1][0]).endswith(f"/uploads/{UPLOAD_ID}/cancel")


async def test_files_upload_switches_to_uploads_above_the_threshold(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    content = b'{"messages": []}\n' * 4
    server = PartServer()
    mocked.post(UPLOADS, payload=_upload(bytes=len(content)))
    mocked.post(PARTS, callback=server.handle, repeat=True)
    mocked.post(
        f"{UPLOADS}/{UPLOAD_ID}/complete",
        payload=_upload("completed", file=file_payload(bytes=len(content))),
    )
    mocked.post(f"{BASE_URL}/files", payload=file_payload(bytes=len(content)))
    progress: list[tuple[int, int]] = []
    big = await client.files.upload(
        io.BytesIO(content),
        filename="t.jsonl",
        multipart_threshold=len(content) - 1,
        expires_after={"anchor": "created_at", "seconds": 3600},
        on_progress=lambda sent, total: progress.append((sent, total)),
    )
    small = await client.files.upload(content, filename="t.jsonl", multipart_threshold=len(content))
    assert big.bytes == small.bytes == len(content)
    assert progress == [(0, len(content)), (len(content), len(content))]
    urls = [str(url) for url, _ in sent(mocked, "POST")]
    assert urls == [UPLOADS, PARTS, f"{UPLOADS}/{UPLOAD_ID}/complete", f"{BASE_URL}/files"]
    create = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert create["mime_type"] == "text/jsonl"
    assert create["expires_after"] == {"anchor": "created_at", "seconds": 3600}


async def test_a_pipe_stays_on_one_request_whatever_its_size(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(b"{}\n" * 100)

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            return self._data.read(n)

    mocked.post(f"{BASE_URL}/files", payload=file_payload())
    await client.files.upload(Pipe(), filename="t.jsonl", multipart_threshold=0)  # type: ignore[arg-type]
    assert [str(url) for url, _ in sent(mocked, "POST")] == [f"{BASE_URL}/files"]


def test_part_requests_match_the_part_url() -> None:
    assert re.fullmatch(re.escape(UPLOADS) + r"/[^/]+/parts", PARTS)
