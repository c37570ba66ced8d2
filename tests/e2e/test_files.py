"""Every files operation of the SDK against the emulator, over real loopback sockets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import ftjobs
from ftjobs.emulator import EmulatorHandle
from tests._support.emulator import chat_file


async def test_upload_each_kind_then_read_back(
    live_client: ftjobs.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(30))
    from_path = await live_client.files.upload(path)
    from_bytes = await live_client.files.upload(chat_file(5), filename="five.jsonl")
    from_object = await live_client.files.upload(io.BytesIO(chat_file(7)), filename="seven.jsonl")
    assert from_path.filename == "train.jsonl" and from_path.bytes == len(chat_file(30))
    assert from_path.purpose == "fine-tune" and from_path.request_id
    assert from_bytes.filename == "five.jsonl"
    assert await live_client.files.content(from_object.id) == chat_file(7)
    assert (await live_client.files.retrieve(from_path.id)).bytes == from_path.bytes
    listed = [f.id async for f in live_client.files.list(limit=2)]
    assert listed == [from_object.id, from_bytes.id, from_path.id]
    ascending = await live_client.files.list(order="asc", purpose="fine-tune")
    assert [f.id for f in ascending.data] == [from_path.id, from_bytes.id, from_object.id]
    deleted = await live_client.files.delete(from_bytes.id)
    assert deleted.deleted and deleted.id == from_bytes.id
    with pytest.raises(ftjobs.NotFoundError):
        await live_client.files.retrieve(from_bytes.id)


async def test_large_upload_streams_from_disk(
    live_client: ftjobs.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "big.jsonl"
    line = chat_file(1)
    with path.open("wb") as handle:
        for _ in range(40_000):  # ~8 MB
            handle.write(line)
    uploaded = await live_client.files.upload(path)
    assert uploaded.bytes == path.stat().st_size


async def test_content_streams_to_a_path_and_as_chunks(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    # Past max_response_bytes, content() refuses to hold the file; to= and stream_content
    # move it anyway, at most one chunk in memory.
    data = chat_file(3000)
    async with ftjobs.AsyncClient(
        api_key=emulator.api_key, base_url=emulator.base_url, max_response_bytes=64 * 1024
    ) as client:
        uploaded = await client.files.upload(data, filename="big.jsonl")
        with pytest.raises(ftjobs.ResponseTooLargeError):
            await client.files.content(uploaded.id)
        target = tmp_path / "copy.jsonl"
        assert await client.files.content(uploaded.id, to=target) == len(data)
        chunks = [c async for c in client.files.stream_content(uploaded.id, chunk_size=4096)]
    assert len(data) > 64 * 1024
    assert target.read_bytes() == data and b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= 4096
