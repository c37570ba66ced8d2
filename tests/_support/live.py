"""Helpers for tests over real loopback sockets: fast policies, free ports, a served app."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

import ftjobs

FAST_RETRIES = ftjobs.RetryPolicy(
    max_retries=3, initial_delay=0.01, max_delay=0.05, max_retry_after=0.05
)


FAST_POLL = ftjobs.PollPolicy(initial_interval=0.02, max_interval=0.2, timeout=30)


def free_port() -> int:
    """A loopback port that was free a moment ago (for servers started in a subprocess)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the block; yields its root URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def client_for(app: web.Application, **options: Any) -> AsyncIterator[ftjobs.AsyncClient]:
    """A client (``api_key="k"``, ``options``) of ``app``, served on loopback for the block."""
    async with (
        serve_app(app) as root,
        ftjobs.AsyncClient(api_key="k", base_url=root + "/v1", **options) as client,
    ):
        yield client


async def eventually(predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Wait (in real time, polling every few ms) until ``predicate()`` holds; fail after
    ``timeout`` seconds. A bound on how long a test may hang, not a timing assertion."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.005)
