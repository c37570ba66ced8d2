"""Issue 22, item 8: a download that trickles times out.

``files.content(to=path)`` and ``files.stream_content`` gave aiohttp's ``sock_read`` as their
timeout: a server sending one byte every 2 s reset it on every byte and kept the download alive
for ever. Now each chunk (``chunk_size`` bytes, or the last) must arrive within the call's
``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from aiohttp import web

import ftjobs
from tests._support.live import client_for

STEP = 0.05  # a byte every 50 ms: 20 bytes a second, for ever
TIMEOUT = 0.5


def _trickling(stop: asyncio.Event) -> web.Application:
    async def content(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        while not stop.is_set():
            await response.write(b"x")
            await asyncio.sleep(STEP)
        return response

    app = web.Application()
    app.router.add_get("/v1/files/file-1/content", content)
    return app


@pytest.mark.parametrize("how", ["content(to=path)", "stream_content"])
async def test_a_trickling_download_times_out(tmp_path: Path, how: str) -> None:
    stop = asyncio.Event()
    target = tmp_path / "out.jsonl"
    async with client_for(_trickling(stop), max_retries=0) as client:
        started = asyncio.get_running_loop().time()
        # Before: sock_read restarted on every byte, and this ran until the guard.
        async with asyncio.timeout(10 * TIMEOUT + 5):
            with pytest.raises(ftjobs.APITimeoutError):
                if how == "stream_content":
                    chunks = client.files.stream_content("file-1", timeout=TIMEOUT)
                    async with contextlib.aclosing(chunks):
                        async for _ in chunks:
                            pass
                else:
                    await client.files.content("file-1", to=target, timeout=TIMEOUT)
        elapsed = asyncio.get_running_loop().time() - started
        stop.set()
    assert elapsed < 10 * TIMEOUT
    assert not target.exists(), "a download cut short leaves the target untouched"


async def test_a_slow_but_steady_download_completes(tmp_path: Path) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB in 16 KiB pieces, every 20 ms: 4 chunks

    async def content(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for start in range(0, len(body), 16384):
            await response.write(body[start : start + 16384])
            await asyncio.sleep(0.02)
        return response

    app = web.Application()
    app.router.add_get("/v1/files/file-1/content", content)
    target = tmp_path / "out.bin"
    async with client_for(app, max_retries=0) as client:
        written = await client.files.content("file-1", to=target, timeout=5)
    assert written == len(body) and target.read_bytes() == body
