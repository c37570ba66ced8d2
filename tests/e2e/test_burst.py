"""A burst of 3,000 calls through one client, against the emulator over loopback: served
first come first served, and no attempt's clock runs while the burst is still being prepared.

Why it matters: an attempt's ``timeout`` starts when it is sent. Had the first calls of a burst
been sent at once, the preparation of the thousands behind them (which runs before the loop
gets back to their I/O) would have counted against their timeouts: 3,000 calls started at once
spent up to 0.9 s there on a loaded machine, and 41 of them timed out. The transport yields
once before sending when it sees a burst (`ftjobs._gate.in_burst`), and only then: a steady
stream of calls pays no extra turn of the loop.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

import aiohttp

import ftjobs
from ftjobs.emulator import EmulatorHandle
from tests._support.emulator import chat_file

CALLS = 3_000
SLOTS = 20
MODEL = "gpt-4o-mini-2024-07-18"

_call_no: ContextVar[int] = ContextVar("call_no")


async def test_a_burst_of_3000_calls_is_served_fairly(emulator: EmulatorHandle) -> None:
    begun: list[int] = []  # calls whose preparation has run, in order
    sent: list[tuple[int, int]] = []  # (call, calls begun when its attempt was sent)

    async def on_request_start(_: Any, __: SimpleNamespace, ___: Any) -> None:
        sent.append((_call_no.get(-1), len(begun)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    connector = aiohttp.TCPConnector(limit=SLOTS)
    async with (
        aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as session,
        ftjobs.AsyncClient(
            api_key=emulator.api_key, base_url=emulator.base_url, session=session, max_retries=0
        ) as client,
    ):
        upload = await client.files.upload(chat_file(12), filename="train.jsonl")
        job = await client.jobs.create(model=MODEL, training_file=upload.id)
        sent.clear()

        async def call(n: int) -> ftjobs.FineTuningJob:
            _call_no.set(n)
            begun.append(n)
            return await client.jobs.retrieve(job.id)

        answers = await asyncio.gather(*(call(n) for n in range(CALLS)))

    assert [answer.id for answer in answers] == [job.id] * CALLS
    assert len(sent) == CALLS  # one attempt each: nothing failed, nothing was retried
    # Every call of the burst had been prepared before the first attempt was sent.
    assert min(begun_then for _, begun_then in sent) == CALLS
    # First come, first served: the attempts went out in the order the calls were made.
    assert [n for n, _ in sent] == list(range(CALLS))
