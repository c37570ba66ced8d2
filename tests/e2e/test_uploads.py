"""Uploads and large files through the SDK against the emulator, over real loopback sockets."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

import ftjobs
from ftjobs._models import FileExpiration
from ftjobs.emulator import EmulatorHandle, get_emulator
from ftjobs.resources._uploads import UPLOAD_PART_BYTES
from tests._support.emulator import chat_file


def _big_file(path: Path, parts: float) -> bytes:
    line = chat_file(1)
    content = line * int(UPLOAD_PART_BYTES * parts / len(line))
    path.write_bytes(content)
    return content


async def test_the_four_operations_make_a_file(live_client: ftjobs.AsyncClient) -> None:
    content = chat_file(40)
    upload = await live_client.uploads.create(
        filename="train.jsonl", purpose="fine-tune", bytes=len(content), mime_type="text/jsonl"
    )
    assert upload.status == "pending" and upload.file is None
    tail = await live_client.uploads.add_part(upload.id, content[100:])
    head = await live_client.uploads.add_part(upload.id, content[:100])
    done = await live_client.uploads.complete(
        upload.id, part_ids=[head.id, tail.id], md5=hashlib.md5(content).hexdigest()
    )
    assert done.status == "completed" and done.file is not None
    assert await live_client.files.content(done.file.id) == content
    other = await live_client.uploads.create(
        filename="t.jsonl", purpose="fine-tune", bytes=3, mime_type="text/jsonl"
    )
    assert (await live_client.uploads.cancel(other.id)).status == "cancelled"
    with pytest.raises(ftjobs.BadRequestError, match="cancelled"):
        await live_client.uploads.add_part(other.id, b"abc")


async def test_files_upload_goes_through_uploads_above_the_threshold(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    content = _big_file(tmp_path / "big.jsonl", 2.5)
    progress: list[tuple[int, int]] = []
    uploaded = await live_client.files.upload(
        tmp_path / "big.jsonl",
        multipart_threshold=UPLOAD_PART_BYTES,
        expires_after=FileExpiration(seconds=86_400),
        on_progress=lambda sent, total: progress.append((sent, total)),
    )
    assert uploaded.bytes == len(content) and uploaded.filename == "big.jsonl"
    assert uploaded.expires_at == uploaded.created_at + 86_400
    assert await live_client.files.content(uploaded.id) == content
    assert [sent for sent, _ in progress] == sorted(sent for sent, _ in progress)
    assert progress[0] == (0, len(content)) and progress[-1] == (len(content), len(content))
    assert len(progress) == 1 + 3  # the start, then one per part
    assert get_emulator(emulator.app).uploads.by_status() == {"completed": 1}


async def test_a_cancelled_upload_is_cancelled_on_the_server(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    _big_file(tmp_path / "big.jsonl", 3.5)
    task: asyncio.Task[ftjobs.types.FileObject] | None = None

    def cancel_after_a_part(sent: int, total: int) -> None:
        if sent and task is not None:
            task.cancel()

    task = asyncio.create_task(
        live_client.files.upload(
            tmp_path / "big.jsonl",
            multipart_threshold=0,
            on_progress=cancel_after_a_part,
        )
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert get_emulator(emulator.app).uploads.by_status() == {"cancelled": 1}
    assert not [f async for f in live_client.files.list()]


async def test_wait_for_processing_returns_the_processed_file(
    live_client: ftjobs.AsyncClient,
) -> None:
    uploaded = await live_client.files.upload(chat_file(5), filename="t.jsonl")
    processed = await live_client.files.wait_for_processing(uploaded.id, timeout=5)
    assert processed.status == "processed" and processed.id == uploaded.id
