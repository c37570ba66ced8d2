"""client.files: upload in every form, list, retrieve, delete, content (aioresponses)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

import ftjobs

from ..conftest import BASE_URL, file_payload, sent

FILES = f"{BASE_URL}/files"


async def test_upload_path_is_streamed_and_reopened_on_retry(
    mocked: aioresponses, client: ftjobs.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"messages": []}\n' * 10)
    mocked.post(FILES, exception=aiohttp.ServerDisconnectedError())
    mocked.post(FILES, payload=file_payload())
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
        mocked.post(FILES, payload=file_payload())
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
