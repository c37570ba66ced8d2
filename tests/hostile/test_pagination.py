"""Item 5: pagination always ends (and issue 22 item 10: a page may exceed ``limit``).

A server that hands back a cursor already used, or claims ``has_more`` with an empty page,
makes `async for`, ``.pages()`` and a wait that follows events raise `PaginationError` naming
the endpoint and the cursor, instead of yielding forever (the old loop yielded 34,153 items
in 8 s and went on). A page holding more items than the ``limit`` asked for is kept: the
spec does not promise otherwise, and the cursor guards end paging anyway.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

import ftjobs
from ftjobs._errors import PaginationError
from tests._support.hostile import ScriptedServer, StartServer
from tests._support.live import FAST_POLL
from tests._support.payloads import event_payload, job_payload

EVENTS = "/v1/fine_tuning/jobs/ftjob-1/events"
# A loop that never ends fails the test here instead of hanging the suite.
ENOUGH = 5.0


def _page(*ids: str, has_more: bool = True) -> dict[str, Any]:
    return {"object": "list", "data": [event_payload(i) for i in ids], "has_more": has_more}


async def _events_server(scripted_server: StartServer, page: dict[str, Any]) -> ScriptedServer:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == EVENTS:
            return web.json_response(page)
        return web.json_response(job_payload("ftjob-1", status="running"))

    return await scripted_server(handler)


def _client(server: ScriptedServer) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(
        api_key="k",
        base_url=server.base_url,
        max_retries=0,
        request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=1000),
    )


async def test_a_repeated_cursor_ends_async_for(scripted_server: StartServer) -> None:
    server = await _events_server(scripted_server, _page("ev-2", "ev-1"))
    seen: list[str] = []
    async with _client(server) as client:
        with pytest.raises(PaginationError) as caught:
            async with asyncio.timeout(ENOUGH):
                async for event in client.jobs.list_events("ftjob-1"):
                    seen.append(event.id)
    assert seen == ["ev-2", "ev-1", "ev-2", "ev-1"]
    assert caught.value.endpoint == "/fine_tuning/jobs/ftjob-1/events"
    assert caught.value.cursor == "ev-1"
    assert "/fine_tuning/jobs/ftjob-1/events" in str(caught.value) and "ev-1" in str(caught.value)
    assert len(server.received) == 2


async def test_a_repeated_cursor_ends_pages(scripted_server: StartServer) -> None:
    server = await _events_server(scripted_server, _page("ev-1"))
    async with _client(server) as client:
        with pytest.raises(PaginationError):
            async with asyncio.timeout(ENOUGH):
                async for _ in client.jobs.list_events("ftjob-1", after="ev-9").pages():
                    pass
    assert [r.query.get("after") for r in server.received] == ["ev-9", "ev-1"]


async def test_has_more_on_an_empty_page_ends_pages(scripted_server: StartServer) -> None:
    server = await _events_server(scripted_server, _page())
    async with _client(server) as client:
        with pytest.raises(PaginationError, match="empty page"):
            async with asyncio.timeout(ENOUGH):
                async for _ in client.jobs.list_events("ftjob-1").pages():
                    pass


async def test_a_wait_that_follows_events_ends_on_a_repeating_server(
    scripted_server: StartServer,
) -> None:
    # The old wait paged these events until its 24 h budget ran out, growing a list.
    server = await _events_server(scripted_server, _page("ev-2", "ev-1"))
    updates: list[Any] = []
    async with _client(server) as client:
        with pytest.raises(PaginationError):
            async with asyncio.timeout(ENOUGH):
                await client.jobs.wait_until_terminal(
                    "ftjob-1", poll=FAST_POLL, on_update=updates.append
                )


@pytest.mark.parametrize("listing", ["await", "async for"])
async def test_a_page_over_the_limit_asked_for_is_kept(
    scripted_server: StartServer, listing: str
) -> None:
    # Issue 22 item 10: the spec does not promise pages of at most ``limit`` (Together's job
    # list takes no parameters at all); such a page was refused with PaginationError.
    ids = [f"ev-{i}" for i in range(50)]
    server = await _events_server(scripted_server, _page(*ids, has_more=False))
    async with _client(server) as client:
        paginator = client.jobs.list_events("ftjob-1", limit=20)
        if listing == "await":
            seen = [event.id for event in (await paginator).data]
        else:
            seen = [event.id async for event in paginator]
    assert seen == ids


async def test_a_server_ignoring_limit_and_cursor_still_ends(
    scripted_server: StartServer,
) -> None:
    # The same 50 items, has_more, whatever is asked: the repeated cursor ends the loop.
    ids = [f"ev-{i}" for i in range(50)]
    server = await _events_server(scripted_server, _page(*ids))
    async with _client(server) as client:
        with pytest.raises(PaginationError, match="ev-49"):
            async with asyncio.timeout(ENOUGH):
                async for _ in client.jobs.list_events("ftjob-1", limit=20):
                    pass
    assert len(server.received) == 2


async def test_an_honest_server_still_pages_to_the_end(scripted_server: StartServer) -> None:
    pages = {None: _page("ev-3", "ev-2"), "ev-2": _page("ev-1", has_more=False)}

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(pages[request.query.get("after")])

    server = await scripted_server(handler)
    async with _client(server) as client:
        ids = [e.id async for e in client.jobs.list_events("ftjob-1", limit=2)]
    assert ids == ["ev-3", "ev-2", "ev-1"]
