"""Cancelling an operation mid-flight leaves nothing behind: no connection held in the pool,
no task still running, no file left open (ResourceWarning is an error in this suite), and the
client still works. A closed client refuses every operation with ClientClosedError."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import ftjobs
from ftjobs.emulator import EmulatorHandle, FaultConfig
from tests._support.emulator import chat_file
from tests._support.live import FAST_POLL

MODEL = "gpt-4o-mini-2024-07-18"
#: Long enough to cancel the request while the server holds it; short enough that the stalled
#: handler is done before the emulator shuts down.
STALL = "latency=1:0.4"


def _client_tasks() -> set[asyncio.Task[Any]]:
    """Running tasks, except the emulator's own (its request handlers live on)."""
    current = asyncio.current_task()
    return {
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not task.done()
        and not getattr(task.get_coro(), "__qualname__", "").startswith("RequestHandler.")
    }


def _connections_in_use(client: ftjobs.AsyncClient) -> int:
    session = getattr(client.transport, "_session", None)
    if session is None:
        return 0
    # aiohttp has no public count of checked-out connections; _acquired is that set.
    acquired = getattr(session.connector, "_acquired", None)
    assert acquired is not None, "aiohttp changed: find another way to count connections"
    return len(acquired)


async def _cancel_in_flight(
    emulator: EmulatorHandle,
    operation: Awaitable[Any],
    *,
    after_requests: int = 1,
    client: ftjobs.AsyncClient | None = None,
) -> None:
    """Run ``operation`` until the server holds its request, then cancel it (checking first,
    when ``client`` is given, that the request really holds a connection)."""
    served = emulator.stats()["requests"]["total"]
    task = asyncio.ensure_future(operation)
    for _ in range(500):
        if emulator.stats()["requests"]["total"] >= served + after_requests or task.done():
            break
        await asyncio.sleep(0.005)
    assert not task.done(), "the operation finished before it could be cancelled"
    if client is not None:
        assert _connections_in_use(client) >= 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _training_file(client: ftjobs.AsyncClient) -> str:
    return (await client.files.upload(chat_file(12), filename="train.jsonl")).id


async def _assert_clean(
    emulator: EmulatorHandle, client: ftjobs.AsyncClient, before: set[asyncio.Task[Any]]
) -> None:
    await asyncio.sleep(0)  # let the cancelled request's callbacks run
    assert _connections_in_use(client) == 0
    assert _client_tasks() - before == set()
    emulator.emulator.set_faults(FaultConfig())
    # Still usable: the pool gave back (or dropped) the connection of the cancelled request.
    page = await client.jobs.list(limit=1)
    assert page.object == "list"


async def test_cancel_a_create_mid_flight(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    training = await _training_file(live_client)
    before = _client_tasks()
    emulator.emulator.set_faults(FaultConfig.parse(STALL))
    await _cancel_in_flight(
        emulator, live_client.jobs.create(model=MODEL, training_file=training), client=live_client
    )
    await _assert_clean(emulator, live_client, before)


async def test_cancel_a_paginated_listing_between_pages(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    training = await _training_file(live_client)
    for i in range(5):
        await live_client.jobs.create(model=MODEL, training_file=training, suffix=f"s{i}")
    before = _client_tasks()
    seen: list[str] = []

    async def walk() -> None:
        async for job in live_client.jobs.list(limit=2):
            seen.append(job.id)
            if len(seen) == 2:  # page 1 is in: stall page 2
                emulator.emulator.set_faults(FaultConfig.parse(STALL))

    await _cancel_in_flight(emulator, walk(), after_requests=2, client=live_client)
    assert len(seen) == 2
    await _assert_clean(emulator, live_client, before)


@pytest.mark.parametrize("where", ["while polling", "while sleeping"])
async def test_cancel_a_wait(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient, where: str
) -> None:
    training = await _training_file(live_client)
    job = await live_client.jobs.create(model=MODEL, training_file=training)
    before = _client_tasks()
    if where == "while polling":
        emulator.emulator.set_faults(FaultConfig.parse(STALL))
    wait = live_client.jobs.wait_until_terminal(job, poll=FAST_POLL)
    # The manual clock never moves, so the job never finishes: only cancelling ends the wait.
    polling = where == "while polling"
    await _cancel_in_flight(
        emulator, wait, after_requests=1 if polling else 3, client=live_client if polling else None
    )
    await _assert_clean(emulator, live_client, before)
    assert (await live_client.jobs.retrieve(job)).status == "validating_files"


async def test_cancel_wait_many(emulator: EmulatorHandle, live_client: ftjobs.AsyncClient) -> None:
    training = await _training_file(live_client)
    jobs = [await live_client.jobs.create(model=MODEL, training_file=training) for _ in range(4)]
    before = _client_tasks()
    await _cancel_in_flight(
        emulator, live_client.jobs.wait_many(jobs, poll=FAST_POLL), after_requests=3
    )
    await _assert_clean(emulator, live_client, before)


@pytest.mark.parametrize("kind", ["path", "file object"])
async def test_cancel_an_upload_mid_flight(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(200))
    before = _client_tasks()
    emulator.emulator.set_faults(FaultConfig.parse(STALL))
    if kind == "path":
        await _cancel_in_flight(emulator, live_client.files.upload(path), client=live_client)
    else:
        with path.open("rb") as handle:
            await _cancel_in_flight(emulator, live_client.files.upload(handle), client=live_client)
            assert not handle.closed  # the caller's file stays the caller's
    # A path is opened by the SDK: it must have been closed (else a ResourceWarning fails us).
    await _assert_clean(emulator, live_client, before)


# -- a closed client -------------------------------------------------------------------------

_OPERATIONS: dict[str, Callable[[ftjobs.AsyncClient], Awaitable[Any]]] = {
    "jobs.create": lambda c: c.jobs.create(model=MODEL, training_file="file-1"),
    "jobs.retrieve": lambda c: c.jobs.retrieve("ftjob-1"),
    "jobs.list": lambda c: c.jobs.list(),
    "jobs.cancel": lambda c: c.jobs.cancel("ftjob-1"),
    "jobs.wait_until_terminal": lambda c: c.jobs.wait_until_terminal("ftjob-1", poll=FAST_POLL),
    "jobs.wait_many": lambda c: c.jobs.wait_many(["ftjob-1", "ftjob-2"], poll=FAST_POLL),
    "files.upload": lambda c: c.files.upload(b"{}\n"),
    "files.content": lambda c: c.files.content("file-1"),
}


@pytest.mark.parametrize("operation", sorted(_OPERATIONS))
async def test_a_closed_client_raises_client_closed_error(
    emulator: EmulatorHandle, operation: str
) -> None:
    client = ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url)
    async with client:
        await client.jobs.list(limit=1)
    served = emulator.stats()["requests"]["total"]
    with pytest.raises(ftjobs.ClientClosedError, match="closed"):
        await _OPERATIONS[operation](client)
    assert emulator.stats()["requests"]["total"] == served
    # Closing again is harmless; reopening is not a thing.
    await client.close()
    with pytest.raises(ftjobs.ClientClosedError):
        async with client:
            pass


async def test_a_caller_session_survives_the_client(emulator: EmulatorHandle) -> None:
    async with aiohttp.ClientSession() as session:
        async with ftjobs.AsyncClient(
            api_key=emulator.api_key, base_url=emulator.base_url, session=session
        ) as client:
            await client.jobs.list(limit=1)
        assert not session.closed
        with pytest.raises(ftjobs.ClientClosedError):
            await client.jobs.list(limit=1)
