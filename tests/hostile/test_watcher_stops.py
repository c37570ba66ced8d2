"""Issue 22, item 2: the watcher tells a refused key from a hiccup, and stops with its client.

Before, a list page failing for good (a revoked key: 401) made the watcher forget the page and
fall back to one GET per watched job at the shared 10 requests a second: 300 waits got 300
more 401s and raised after 32.6 s. The same ran after ``client.close()``: 803 waits made 810
attempts and ended 81 s after it. Closing very early surfaced aiohttp's
``RuntimeError('Session is closed')``. Now a refusal that every request would meet ends every
wait on the page at once, and closing the client ends every wait with `ClientClosedError`, with
no request after it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

import ftjobs
from tests._support.hostile import ScriptedServer, StartServer
from tests._support.payloads import job_payload

WITHIN = 2.0  # seconds: the bound (it was 32.6 s and 81 s)
POLL = ftjobs.PollPolicy(initial_interval=0.05, max_interval=0.2, jitter=0.0, timeout=600)


def _ids(n: int) -> list[str]:
    return [f"ftjob-{i:05d}" for i in range(n)]


def _list_page(ids: list[str], after: str | None) -> dict[str, Any]:
    start = 0 if after is None else ids.index(after) + 1
    page = ids[start : start + 100]
    data = [
        job_payload(job_id, status="running", created_at=2_000_000 - ids.index(job_id))
        for job_id in page
    ]
    return {"object": "list", "data": data, "has_more": start + 100 < len(ids)}


def _client(server: ScriptedServer) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(
        api_key="k",
        base_url=server.base_url,
        max_retries=0,
        request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=1000),
    )


async def _waits(client: ftjobs.AsyncClient, ids: list[str]) -> list[asyncio.Task[Any]]:
    return [
        asyncio.create_task(client.jobs.wait_until_terminal(job_id, poll=POLL)) for job_id in ids
    ]


async def _until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the scene never set"
        await asyncio.sleep(0.01)


async def test_a_revoked_key_ends_every_wait_with_a_few_requests(
    scripted_server: StartServer,
) -> None:
    ids = _ids(1000)
    revoked = False

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if revoked:
            return web.json_response({"error": {"message": "invalid key"}}, status=401)
        if request.path == "/v1/fine_tuning/jobs":
            return web.json_response(_list_page(ids, request.query.get("after")))
        return web.json_response(job_payload(request.path.rsplit("/", 1)[-1], status="running"))

    server = await scripted_server(handler)
    async with _client(server) as client:
        tasks = await _waits(client, ids)
        # Every job placed on its page by a first scan (10 pages): later refreshes read pages.
        await _until(lambda: len(server.received) >= 10)
        await asyncio.sleep(0.3)
        before = len(server.received)
        revoked, started = True, time.monotonic()
        done, pending = await asyncio.wait(tasks, timeout=WITHIN)
        elapsed = time.monotonic() - started
        for task in pending:
            task.cancel()
    assert not pending, f"{len(pending)} waits still running {WITHIN} s after the key was revoked"
    assert all(isinstance(t.exception(), ftjobs.AuthenticationError) for t in done)
    refused = len(server.received) - before
    # One refusal per page of the next refresh (10 pages), and no GET per job.
    assert refused <= 12, f"{refused} requests after the key was revoked"
    assert elapsed < WITHIN


@pytest.mark.parametrize("when", ["after the first scan", "at once"])
async def test_closing_the_client_ends_5000_waits_without_a_request(
    scripted_server: StartServer, when: str
) -> None:
    ids = _ids(5000)

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/v1/fine_tuning/jobs":
            return web.json_response(_list_page(ids, request.query.get("after")))
        return web.json_response(job_payload(request.path.rsplit("/", 1)[-1], status="running"))

    server = await scripted_server(handler)
    client = _client(server)
    tasks = await _waits(client, ids)
    if when == "at once":
        await asyncio.sleep(0)  # the waits have started, the first request not yet out
    else:
        await _until(lambda: len(server.received) >= 50)  # 50 pages: every job seen once
    started = time.monotonic()
    await client.close()
    closed_at = len(server.received)
    done, pending = await asyncio.wait(tasks, timeout=WITHIN)
    elapsed = time.monotonic() - started
    for task in pending:
        task.cancel()
    assert not pending, f"{len(pending)} of 5,000 waits still running {WITHIN} s after close"
    errors = {type(t.exception()) for t in done if not t.cancelled()}
    assert errors == {ftjobs.ClientClosedError}, errors
    assert elapsed < WITHIN
    await asyncio.sleep(0.2)
    assert len(server.received) == closed_at, "a request after close"


@pytest.mark.parametrize("turns", range(6))
async def test_closing_very_early_is_client_closed_error(
    scripted_server: StartServer, turns: int
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload("ftjob-1", status="running"))

    server = await scripted_server(handler)
    client = _client(server)
    calls = [
        asyncio.create_task(client.jobs.retrieve("ftjob-1")),
        asyncio.create_task(client.jobs.wait_until_terminal("ftjob-1", poll=POLL)),
    ]
    for _ in range(turns):
        await asyncio.sleep(0)
    await client.close()
    done, pending = await asyncio.wait(calls, timeout=WITHIN)
    assert not pending
    for task in done:
        # A call may have finished before the close; none fails with aiohttp's RuntimeError.
        error = task.exception()
        assert error is None or isinstance(error, ftjobs.ClientClosedError), repr(error)
