"""Item 3: a crowd of calls does not time itself out.

The per-attempt ``timeout`` starts when the attempt has a connection; the wait for one is
bounded separately by ``pool_timeout``.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

import ftjobs
from ftjobs._errors import PoolTimeoutError
from tests._support.hostile import StartServer
from tests._support.payloads import job_payload

CALLS = 400
CONNECTIONS = 8
ANSWER_DELAY = 0.05
TIMEOUT = 1.5


async def test_a_crowd_queues_for_connections_without_timing_out(
    scripted_server: StartServer,
) -> None:
    # 400 calls over 8 connections at 50 ms each queue for about 2.5 s, longer than the 1.5 s
    # timeout: counted from the queue (the old rule), a third of them would fail. The issue's
    # 3,000 calls over 100 connections pass too (nox -s chaos runs 8,000); the suite keeps few
    # in flight, and gives each 50 ms answer 30 times its time, so that a loaded CI machine
    # cannot starve one attempt of its whole timeout.
    assert CALLS / CONNECTIONS * ANSWER_DELAY > TIMEOUT
    body = job_payload()

    async def slow(request: web.BaseRequest) -> web.StreamResponse:
        await asyncio.sleep(ANSWER_DELAY)
        return web.json_response(body)

    server = await scripted_server(slow)
    async with ftjobs.AsyncClient(
        api_key="k",
        base_url=server.base_url,
        timeout=TIMEOUT,
        max_retries=0,
        connection_limit=CONNECTIONS,
    ) as client:
        results = await asyncio.gather(
            *(client.jobs.retrieve("ftjob-abc123") for _ in range(CALLS)), return_exceptions=True
        )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == [], f"{len(failures)} failures, first: {failures[0]!r}"
    assert len(server.received) == CALLS


async def test_a_pool_that_never_frees_up_raises_pool_timeout_without_sending(
    scripted_server: StartServer,
) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def stuck(request: web.BaseRequest) -> web.StreamResponse:
        arrived.set()
        await release.wait()
        return web.json_response(job_payload(request.path.rsplit("/", 1)[-1]))

    server = await scripted_server(stuck)
    async with ftjobs.AsyncClient(
        api_key="k", base_url=server.base_url, connection_limit=1, pool_timeout=0.05, max_retries=3
    ) as client:
        holder = asyncio.create_task(client.jobs.retrieve("ftjob-1"))
        await arrived.wait()
        with pytest.raises(PoolTimeoutError) as caught:
            await client.jobs.retrieve("ftjob-2")
        assert isinstance(caught.value, ftjobs.APITimeoutError)
        assert "pool_timeout" in str(caught.value)
        # Not sent, and not retried into the same queue.
        assert [r.path for r in server.received] == ["/v1/fine_tuning/jobs/ftjob-1"]
        release.set()
        await holder
        # The slot came back: the pool works again.
        await client.jobs.retrieve("ftjob-3")
