"""client.files: upload in every form, list, retrieve, delete, content (aioresponses)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs._models import FileExpiration
from tests._support.payloads import BASE_URL, file_payload, sent

FILES = f"{BASE_URL}/files"


async def test_upload_path_is_streamed_and_reopened_on_retry(
    mocked: aioresponses, client: ftjobs.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"messages": []}\n' * 10)
    mocked.post(FILES, exception=aiohttp.ServerDisconnectedError())
    mocked.post(FILES, payload=file_payload(bytes=170))
    uploaded = await client.files.upload(path)
    assert uploaded.id == "file-abc123"
    calls = sent(mocked, "POST")
    assert len(calls) == 2
    form = calls[-1][1]["data"]
    assert isinstance(form, aiohttp.FormData)
    keys = [call[1]["headers"]["Idempotency-Key"] for call in calls]
    assert keys[0] == keys[1]


async def test_upload_bytes_and_file_objects(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    for _ in range(3):
        mocked.post(FILES, payload=file_payload(bytes=None))  # a server that does not say
    await client.files.upload(b'{"messages": []}\n', filename="a.jsonl")
    buffer = io.BytesIO(b"0123456789")
    buffer.seek(2)
    await client.files.upload(buffer, purpose="batch")
    assert not buffer.closed
    await client.files.upload(str(Path(__file__)))
    assert len(sent(mocked, "POST")) == 3


async def test_upload_validation(
    mocked: aioresponses, client: ftjobs.AsyncClient, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="purpose"):
        await client.files.upload(b"x", purpose="fine_tune")
    with pytest.raises(ValueError, match="no such file"):
        await client.files.upload(tmp_path / "missing.jsonl")
    with pytest.raises(TypeError, match="file must be"):
        await client.files.upload(12)  # type: ignore[arg-type]
    assert not mocked.requests


async def test_retrieve_list_delete_content(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{FILES}/file-1", payload=file_payload("file-1"))
    mocked.get(
        re.compile(re.escape(FILES) + r"\?.*"),
        payload={
            "object": "list",
            "data": [file_payload("file-2"), file_payload("file-1")],
            "has_more": False,
            "first_id": "file-2",
            "last_id": "file-1",
        },
    )
    mocked.delete(f"{FILES}/file-1", payload={"id": "file-1", "object": "file", "deleted": True})
    mocked.get(
        f"{FILES}/file-1/content", body=b"raw,bytes\n1,2\n", content_type="application/octet-stream"
    )
    assert (await client.files.retrieve("file-1")).filename == "train.jsonl"
    listed = [f.id async for f in client.files.list(purpose="fine-tune", order="desc", limit=500)]
    assert listed == ["file-2", "file-1"]
    url = str(sent(mocked, "GET")[1][0])
    assert "purpose=fine-tune" in url and "order=desc" in url and "limit=500" in url
    deleted = await client.files.delete("file-1")
    assert deleted.deleted and deleted.id == "file-1"
    assert await client.files.content("file-1") == b"raw,bytes\n1,2\n"


async def test_list_validation(client: ftjobs.AsyncClient) -> None:
    with pytest.raises(ValueError, match="order"):
        client.files.list(order="sideways")
    with pytest.raises(ValueError, match="limit"):
        client.files.list(limit=10_001)
    with pytest.raises(ValueError, match="file_id"):
        await client.files.retrieve("")


async def test_content_takes_the_common_path(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{FILES}/file-1/content?tenant=t", body=b"\x00raw", content_type="text/plain")
    content = await client.files.content(
        "file-1", extra_headers={"X-Trace": "abc"}, extra_query={"tenant": "t"}
    )
    assert content == b"\x00raw"
    ((_, kwargs),) = sent(mocked, "GET")
    assert kwargs["headers"]["X-Trace"] == "abc"
    assert dict(kwargs["params"]) == {"tenant": "t"}


async def test_upload_sends_expires_after_as_form_fields(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.post(FILES, payload=file_payload(expires_at=1677614202, bytes=3))
    uploaded = await client.files.upload(
        b"{}\n", filename="a.jsonl", expires_after=FileExpiration(seconds=3600)
    )
    assert uploaded.expires_at == 1677614202
    form = sent(mocked, "POST")[0][1]["data"]
    fields = {f[0]["name"]: f[2] for f in form._fields}
    assert fields["expires_after[anchor]"] == "created_at"
    assert fields["expires_after[seconds]"] == "3600"
    with pytest.raises(ValueError, match=r"expires_after\.anchor"):
        await client.files.upload(b"{}", expires_after={"anchor": "now", "seconds": 3600})
    with pytest.raises(TypeError, match="on_progress"):
        await client.files.upload(b"{}", on_progress=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="multipart_threshold"):
        await client.files.upload(b"{}", multipart_threshold=-1)
    assert len(sent(mocked, "POST")) == 1


QUICK_POLL = ftjobs.PollPolicy(initial_interval=0.001, max_interval=0.001, jitter=0)


async def test_wait_for_processing_polls_until_processed(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{FILES}/file-1", payload=file_payload("file-1", status="uploaded"))
    mocked.get(f"{FILES}/file-1", status=503)  # transient: absorbed
    mocked.get(f"{FILES}/file-1", payload=file_payload("file-1", status="processed"))
    done = await client.files.wait_for_processing("file-1", poll=QUICK_POLL)
    assert done.status == "processed"
    # A 503 is retried inside the transport too: at least the three answers were consumed.
    assert len(sent(mocked, "GET")) >= 3


async def test_wait_for_processing_times_out_with_the_last_status(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{FILES}/file-1", payload=file_payload("file-1", status="uploaded"), repeat=True)
    with pytest.raises(ftjobs.WaitTimeout, match="'uploaded'") as info:
        await client.files.wait_for_processing("file-1", timeout=0.01, poll=QUICK_POLL)
    assert info.value.job is None


async def test_wait_for_processing_returns_at_once_without_a_status(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    unprocessed = file_payload("file-1")
    del unprocessed["status"]
    mocked.get(f"{FILES}/file-1", payload=unprocessed)
    assert (await client.files.wait_for_processing("file-1")).status is None
    with pytest.raises(ValueError, match="timeout"):
        await client.files.wait_for_processing("file-1", timeout=0)
    with pytest.raises(ValueError, match="file_id"):
        await client.files.wait_for_processing("")
