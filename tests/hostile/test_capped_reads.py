"""Issue 22, item 9: an answer over ``max_response_bytes`` costs one buffer, at most.

``_read_capped`` grew a bytearray and, past the cap, copied it twice (a 100 MiB answer
refused at 64 MiB peaked at 232 MiB RSS). Now a declared ``Content-Length`` over the cap is
refused before reading a byte, and a chunked body is dropped the moment it passes the cap.
The RSS figures are the benchmark's (``python -m bench.capped_read``); here the Python heap
is traced (tracemalloc), which counts every buffer the SDK holds.
"""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest
from aiohttp import web

import ftjobs
from ftjobs import ResponseTooLargeError
from tests._support.hostile import StartServer

CAP = 4 * 2**20
BLOCK = b"x" * 2**16


async def _chunked(request: web.BaseRequest) -> web.StreamResponse:
    """16 MiB of a JSON string, chunked (no Content-Length)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"id": "ftjob-1", "padding": "')
    for _ in range(4 * CAP // len(BLOCK)):
        await response.write(BLOCK)
    await response.write(b'"}')
    return response


async def test_a_chunked_answer_over_the_cap_costs_one_buffer(
    scripted_server: StartServer,
) -> None:
    server = await scripted_server(_chunked)
    async with ftjobs.AsyncClient(
        api_key="k", base_url=server.base_url, max_retries=0, max_response_bytes=CAP
    ) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                await client.jobs.retrieve("ftjob-1")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # One buffer of the cap, plus the stream's own read-ahead and the server's writes; it
    # was three (the buffer, a slice of it, and bytes of the slice).
    assert peak < 1.5 * CAP, f"peak {peak / 2**20:.1f} MiB for a {CAP / 2**20:.0f} MiB cap"


async def test_a_declared_length_over_the_cap_is_refused_before_the_body(
    scripted_server: StartServer,
) -> None:
    sent_head, done = asyncio.Event(), asyncio.Event()

    async def announces(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 100 * 2**20
        await response.prepare(request)
        await response.write(b'{"id": "ftjob-1", "padding": "')
        sent_head.set()
        await done.wait()  # the body never comes
        return response

    server = await scripted_server(announces)
    async with ftjobs.AsyncClient(
        api_key="k", base_url=server.base_url, max_retries=0, max_response_bytes=CAP, timeout=None
    ) as client:
        # Before, the client read the body up to the cap: here it waited for ever.
        async with asyncio.timeout(5):
            with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
                await client.jobs.retrieve("ftjob-1")
    assert sent_head.is_set()
    done.set()  # the scripted server can stop
