"""files.upload(..., check=True) against the emulator: a refused file is never sent."""

from __future__ import annotations

import io
import os

import pytest

import ftjobs
from tests.training_files import CORPUS


async def _count(client: ftjobs.AsyncClient) -> int:
    return len([f async for f in client.files.list()])


async def test_a_file_with_errors_raises_with_the_report_and_is_not_sent(
    live_client: ftjobs.AsyncClient,
) -> None:
    path = CORPUS / "bad" / "unknown_role.jsonl"
    with pytest.raises(ftjobs.TrainingFileError) as caught:
        await live_client.files.upload(path, check=True)
    report = caught.value.report
    assert [(e.code, e.line) for e in report.errors] == [("unknown_role", 11)]
    assert "Line 11, message 1: unknown role 'human'" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert await _count(live_client) == 0
    # Unchecked (the default), the same file is sent: the service judges it later.
    assert (await live_client.files.upload(path)).bytes == path.stat().st_size


async def test_a_good_file_is_checked_for_its_method_then_sent(
    live_client: ftjobs.AsyncClient,
) -> None:
    dpo = CORPUS / "good" / "dpo_basic.jsonl"
    with pytest.raises(ftjobs.TrainingFileError):
        await live_client.files.upload(dpo, check=True)  # not a supervised file
    uploaded = await live_client.files.upload(dpo, check=True, method="dpo")
    assert uploaded.bytes == dpo.stat().st_size
    # Warnings do not stop an upload.
    warned = CORPUS / "bad" / "warning_unknown_key.jsonl"
    assert (await live_client.files.upload(warned, check=True)).bytes == warned.stat().st_size


async def test_a_file_object_is_checked_then_sent_whole(live_client: ftjobs.AsyncClient) -> None:
    content = (CORPUS / "good" / "supervised_basic.jsonl").read_bytes()
    stream = io.BytesIO(content)
    uploaded = await live_client.files.upload(stream, filename="train.jsonl", check=True)
    assert await live_client.files.content(uploaded.id) == content


async def test_a_pipe_cannot_be_checked(live_client: ftjobs.AsyncClient) -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    pipe = os.fdopen(read_end, "rb")
    try:
        with pytest.raises(ValueError, match="check: a non-seekable"):
            await live_client.files.upload(pipe, filename="x.jsonl", check=True)
    finally:
        pipe.close()
    with pytest.raises(ValueError, match="purpose"):
        await live_client.files.upload(b"{}", purpose="batch", check=True)
    assert await _count(live_client) == 0
