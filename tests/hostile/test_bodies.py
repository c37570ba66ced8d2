"""Item 4: bounded memory for any answer.

JSON answers are read up to ``max_response_bytes`` and no further (checked while reading: a
body that never ends is refused, not awaited); error bodies are kept to 64 KiB; file contents
can be streamed to a path or as chunks, never sitting whole in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from pathlib import Path

import pytest
from aiohttp import web

import ftjobs
from ftjobs._errors import InternalServerError, ResponseTooLargeError
from ftjobs._responses import ERROR_BODY_LIMIT
from tests._support.hostile import StartServer
from tests._support.payloads import job_payload

LIMIT = 256 * 1024
ENOUGH = 10.0


def _client(base_url: str, **options: object) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(api_key="k", base_url=base_url, max_retries=0, **options)  # type: ignore[arg-type]


async def _endless(request: web.BaseRequest) -> web.StreamResponse:
    """A 200 JSON answer whose body never ends (no Content-Length, chunked)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"id": "ftjob-1", "padding": "')
    while True:
        await response.write(b"x" * 65536)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_json_answer_over_max_response_bytes_is_refused(
    scripted_server: StartServer, declared: bool
) -> None:
    big = json.dumps(job_payload(padding="x" * (4 * LIMIT))).encode()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if declared:
            return web.Response(body=big, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for start in range(0, len(big), 65536):
            await response.write(big[start : start + 65536])
        return response

    server = await scripted_server(handler)
    async with _client(server.base_url, max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.jobs.retrieve("ftjob-1")
        assert caught.value.limit == LIMIT and "max_response_bytes" in str(caught.value)
        # The same answer under the limit is fine.
    async with _client(server.base_url, max_response_bytes=len(big)) as client:
        assert (await client.jobs.retrieve("ftjob-abc123")).id == "ftjob-abc123"


async def test_a_body_that_never_ends_is_refused_while_reading(
    scripted_server: StartServer,
) -> None:
    # Checked after reading, this call would hold the whole body (here: forever).
    server = await scripted_server(_endless)
    async with _client(server.base_url, max_response_bytes=LIMIT, timeout=None) as client:
        async with asyncio.timeout(ENOUGH):
            with pytest.raises(ResponseTooLargeError):
                await client.jobs.retrieve("ftjob-1")


def test_the_default_limit_is_64_mib() -> None:
    client = ftjobs.AsyncClient(api_key="k")
    assert client.transport._max_response_bytes == 64 * 1024 * 1024


async def test_an_error_body_is_kept_to_64_kib(scripted_server: StartServer) -> None:
    html = b"<html>" + b"<p>oops</p>" * (1024 * 1024) + b"</html>"  # 11 MiB of HTML

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=500, body=html, content_type="text/html")

    server = await scripted_server(handler)
    async with _client(server.base_url) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.jobs.retrieve("ftjob-1")
    error = caught.value
    assert isinstance(error.body, str) and 0 < len(error.body) <= ERROR_BODY_LIMIT
    assert error.body.startswith("<html><p>oops</p>")
    assert "first 64 KiB kept" in str(error)


async def test_an_error_json_body_over_64_kib_still_raises_by_status(
    scripted_server: StartServer,
) -> None:
    payload = {"error": {"message": "m" * (2 * ERROR_BODY_LIMIT), "code": "big"}}

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(payload, status=400)

    server = await scripted_server(handler)
    async with _client(server.base_url) as client:
        with pytest.raises(ftjobs.BadRequestError) as caught:
            await client.jobs.retrieve("ftjob-1")
    assert len(caught.value.body) <= ERROR_BODY_LIMIT


CONTENT = bytes(range(256)) * 8192  # 2 MiB


async def _content_server(scripted_server: StartServer) -> str:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        assert request.path == "/v1/files/file-1/content"
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        for start in range(0, len(CONTENT), 100_000):
            await response.write(CONTENT[start : start + 100_000])
        return response

    return (await scripted_server(handler)).base_url


async def test_content_streams_to_a_path_past_max_response_bytes(
    scripted_server: StartServer, tmp_path: Path
) -> None:
    base_url = await _content_server(scripted_server)
    target = tmp_path / "result.jsonl"
    async with _client(base_url, max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.files.content("file-1")
        written = await client.files.content("file-1", to=target)
    assert written == len(CONTENT) and target.read_bytes() == CONTENT
    assert os.listdir(tmp_path) == ["result.jsonl"]


async def test_stream_content_yields_bounded_chunks(
    scripted_server: StartServer, tmp_path: Path
) -> None:
    base_url = await _content_server(scripted_server)
    async with _client(base_url, max_response_bytes=LIMIT) as client:
        chunks = [c async for c in client.files.stream_content("file-1", chunk_size=65536)]
        assert b"".join(chunks) == CONTENT
        assert max(len(c) for c in chunks) <= 65536
        # Breaking off early and closing frees the connection: the pool still works.
        async with contextlib.aclosing(client.files.stream_content("file-1")) as partial:
            async for _ in partial:
                break
        assert await client.files.content("file-1", to=tmp_path / "again") == len(CONTENT)


async def test_content_to_a_pipe_writes_in_place(
    scripted_server: StartServer, tmp_path: Path
) -> None:
    # Renaming a finished temporary file over a FIFO would replace the FIFO.
    base_url = await _content_server(scripted_server)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = asyncio.create_task(asyncio.to_thread(fifo.read_bytes))
    async with _client(base_url) as client:
        assert await client.files.content("file-1", to=fifo) == len(CONTENT)
    assert await received == CONTENT
    assert stat.S_ISFIFO(fifo.stat().st_mode)


async def test_a_download_cut_short_leaves_the_target_untouched(
    scripted_server: StartServer, tmp_path: Path
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(CONTENT))})
        await response.prepare(request)
        await response.write(CONTENT[:100_000])
        request.transport.close()  # type: ignore[union-attr]
        return response

    server = await scripted_server(handler)
    target = tmp_path / "result.jsonl"
    target.write_bytes(b"previous")
    async with _client(server.base_url) as client:
        with pytest.raises(ftjobs.APIConnectionError):
            await client.files.content("file-1", to=target)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["result.jsonl"]
