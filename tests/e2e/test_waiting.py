"""Waiting end to end: the SDK's waiters against the emulator, over real loopback sockets.

Two kinds of emulator: ``fast_emulator`` (real clock at 300x: a job lives ~0.15 s) for waits
that run on their own, and a ManualClock emulator for exact control (a job only moves when
the test, or a ``_ticking`` background task, advances the clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import ftjobs
from ftjobs.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    ManualClock,
    Outcome,
    serve_emulator,
)
from tests._support.emulator import new_job
from tests._support.live import FAST_POLL, FAST_RETRIES

# For the ManualClock emulator, whose timestamps are years in the past: an ETA "long gone"
# would otherwise stretch the delay to max_interval.
QUICK = ftjobs.PollPolicy(initial_interval=0.005, max_interval=0.02, timeout=20)


def _requests(handle: EmulatorHandle) -> int:
    total: int = handle.stats()["requests"]["total"]
    return total


@contextlib.asynccontextmanager
async def _ticking(clock: ManualClock, step: float = 2.0) -> AsyncIterator[None]:
    """Advance a manual clock by ``step`` emulated seconds every few real milliseconds."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.002)
            clock.advance(step)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def _client(handle: EmulatorHandle, **kwargs: Any) -> AsyncIterator[ftjobs.AsyncClient]:
    kwargs.setdefault("retry_policy", FAST_RETRIES)
    kwargs.setdefault("api_key", handle.api_key)
    async with ftjobs.AsyncClient(base_url=handle.base_url, **kwargs) as client:
        yield client


@pytest.fixture
async def one_slot() -> AsyncIterator[tuple[EmulatorHandle, ManualClock]]:
    """A ManualClock emulator with a single running slot (later jobs stay queued)."""
    clock = ManualClock()
    async with serve_emulator(EmulatorConfig(max_running_jobs=1), clock=clock) as handle:
        yield handle, clock


# -- one job: the happy paths and the final states --------------------------------------------


async def test_wait_follows_a_job_to_success(
    fast_client: ftjobs.AsyncClient, fast_emulator: EmulatorHandle
) -> None:
    job_id = await new_job(fast_client)
    seen: list[ftjobs.JobUpdate] = []
    done = await fast_client.jobs.wait_until_terminal(job_id, poll=FAST_POLL, on_update=seen.append)
    assert done.status is ftjobs.JobStatus.SUCCEEDED and done.fine_tuned_model
    statuses = [str(u.job.status) for u in seen if isinstance(u, ftjobs.StatusChanged)]
    # At 300x validating_files lasts ~17 ms: the first look may already see a later state,
    # but what is seen comes in lifecycle order, each once, ending in succeeded.
    order = ["validating_files", "queued", "running", "succeeded"]
    assert statuses[-1] == "succeeded"
    assert statuses == sorted(set(statuses), key=order.index)


async def test_already_terminal_job_returns_after_one_request(
    emulator: EmulatorHandle, emulator_clock: ManualClock, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    emulator_clock.advance(1000)
    before = _requests(emulator)
    done = await live_client.jobs.wait_until_terminal(job_id, poll=QUICK)
    assert done.status is ftjobs.JobStatus.SUCCEEDED
    assert _requests(emulator) - before == 1


async def test_failed_job_is_returned_or_raised(
    emulator: EmulatorHandle, emulator_clock: ManualClock, live_client: ftjobs.AsyncClient
) -> None:
    emulator.store.script_next_jobs(
        Outcome.failure(at_step=3, code="boom", message="it broke"),
        Outcome.failure(at_step=3, code="boom", message="it broke"),
    )
    first, second = await new_job(live_client), await new_job(live_client)
    async with _ticking(emulator_clock):
        failed = await live_client.jobs.wait_until_terminal(first, poll=QUICK)
        with pytest.raises(ftjobs.JobFailed) as info:
            await live_client.jobs.wait_until_terminal(second, poll=QUICK, raise_on_failure=True)
    assert failed.status is ftjobs.JobStatus.FAILED and failed.error is not None
    assert info.value.job.id == second and info.value.error is not None
    assert info.value.error.code == "boom" and "it broke" in str(info.value)


async def test_cancelled_job_ends_the_wait(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    waiting = asyncio.create_task(live_client.jobs.wait_until_terminal(job_id, poll=QUICK))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the clock is frozen: the job stays validating
    await live_client.jobs.cancel(job_id)
    done = await asyncio.wait_for(waiting, 5)
    assert done.status is ftjobs.JobStatus.CANCELLED


async def test_on_paused_wait_return_raise(
    emulator: EmulatorHandle, emulator_clock: ManualClock, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client, epochs=3)
    emulator_clock.advance(10)  # running
    await live_client.jobs.pause(job_id)
    returned = await live_client.jobs.wait_until_terminal(job_id, poll=QUICK, on_paused="return")
    assert returned.status is ftjobs.JobStatus.PAUSED
    with pytest.raises(ftjobs.JobPaused) as info:
        await live_client.jobs.wait_until_terminal(job_id, poll=QUICK, on_paused="raise")
    assert info.value.job.id == job_id
    # "wait" keeps polling through the pause and finishes once someone resumes the job.
    waiting = asyncio.create_task(live_client.jobs.wait_until_terminal(job_id, poll=QUICK))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await live_client.jobs.resume(job_id)
    async with _ticking(emulator_clock):
        done = await asyncio.wait_for(waiting, 10)
    assert done.status is ftjobs.JobStatus.SUCCEEDED
    with pytest.raises(ValueError, match="on_paused"):
        await live_client.jobs.wait_until_terminal(job_id, on_paused="ignore")  # type: ignore[arg-type]


# -- budgets -----------------------------------------------------------------------------------


async def test_timeout_raises_with_last_job_and_a_token_that_resumes(
    emulator: EmulatorHandle, emulator_clock: ManualClock, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    with pytest.raises(ftjobs.WaitTimeout) as info:
        await live_client.jobs.wait_until_terminal(job_id, poll=QUICK, timeout=0.15)
    timeout = info.value
    assert timeout.reason == "timeout"
    assert timeout.job is not None and timeout.job.status is ftjobs.JobStatus.VALIDATING_FILES
    assert timeout.token is not None
    emulator_clock.advance(1000)
    done = await live_client.jobs.wait_until_terminal(timeout.token, timeout=10, poll=QUICK)
    assert done.id == job_id and done.status is ftjobs.JobStatus.SUCCEEDED


async def test_last_sleep_is_clamped_to_the_time_left(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    slow = ftjobs.PollPolicy(initial_interval=30, max_interval=60, timeout=0.2)
    waiter = live_client.jobs.waiter(job_id, poll=slow)
    result = await waiter.step()
    assert result.delay is not None and 0 < result.delay <= 0.2  # not 30 s
    await asyncio.sleep(result.delay)
    with pytest.raises(ftjobs.WaitTimeout):
        await waiter.step()  # a final look right at the deadline, then give up


async def test_a_stalled_server_cannot_hold_the_wait_past_its_budget(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    emulator.set_faults("latency=10")  # every request hangs for 10 s
    with pytest.raises(ftjobs.WaitTimeout) as info:
        # The outer guard only fails the test if the wait overran its 0.2 s budget by far.
        await asyncio.wait_for(
            live_client.jobs.wait_until_terminal(job_id, poll=QUICK, timeout=0.2), 8
        )
    assert info.value.reason == "timeout" and info.value.token is not None
    emulator.set_faults(None)


async def test_queued_time_has_its_own_budget(
    one_slot: tuple[EmulatorHandle, ManualClock],
) -> None:
    handle, clock = one_slot
    async with _client(handle) as client:
        blocker = await new_job(client, epochs=5)
        queued = await new_job(client)
        clock.advance(10)  # the blocker holds the only slot
        assert (await client.jobs.retrieve(blocker)).status is ftjobs.JobStatus.RUNNING
        policy = ftjobs.PollPolicy(
            initial_interval=0.005, max_interval=0.02, timeout=20, queued_timeout=0.1
        )
        with pytest.raises(ftjobs.WaitTimeout) as info:
            await client.jobs.wait_until_terminal(queued, poll=policy)
        assert info.value.reason == "queued_timeout"
        assert info.value.job is not None and info.value.job.status is ftjobs.JobStatus.QUEUED
        # The running blocker is not charged queued time.
        with pytest.raises(ftjobs.WaitTimeout) as total:
            await client.jobs.wait_until_terminal(blocker, poll=policy, timeout=0.1)
        assert total.value.reason == "timeout"


# -- server hints and faults -------------------------------------------------------------------


async def test_openai_poll_after_ms_is_honoured() -> None:
    async with (
        serve_emulator(EmulatorConfig(poll_after_ms=400), clock=ManualClock()) as handle,
        _client(handle) as client,
    ):
        job_id = await new_job(client)
        result = await client.jobs.step(job_id, poll=QUICK)
        assert result.delay is not None and result.delay >= 0.4  # not QUICK's 5 ms


async def test_429_slows_the_poll_and_the_shared_budget(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    emulator.set_faults("429=1,retry_after=0.3")
    async with _client(emulator, retry_policy=ftjobs.RetryPolicy(max_retries=0)) as client:
        rate_before = client.jobs.budget.rate
        result = await client.jobs.step(job_id, poll=QUICK)
        assert isinstance(result.error, ftjobs.RateLimitError)
        assert result.token is not None and result.delay is not None
        assert result.delay >= 0.3  # Retry-After (retry-after-ms: 300) is a floor
        again = await client.jobs.waiter(result.token, poll=QUICK).step()
        assert again.delay is not None and again.delay >= 0.3
        assert client.jobs.budget.rate < rate_before  # every waiter of the client slows down
    emulator.set_faults(None)
    assert emulator.stats()["faults"]["429"] >= 2


@pytest.mark.parametrize(
    "faults",
    [
        "429=0.5,retry_after=0.01,seed=1",  # a 429 storm with Retry-After
        "503=0.5,retry_after=0.01,seed=2",
        "drop=0.25,drop_after=0.15,malformed=0.1,seed=3",  # dropped connections, bad bodies
        "500=0.2,503=0.2,html=0.1,429=0.2,drop=0.1,latency=0.3:0.001-0.01,retry_after=0.01,seed=4",
    ],
)
async def test_waits_finish_through_injected_faults(faults: str) -> None:
    config = EmulatorConfig(speed=300, max_running_jobs=8, faults=faults)
    async with serve_emulator(config) as handle:
        async with _client(handle) as setup:
            handle.set_faults(None)
            ids = [await new_job(setup) for _ in range(3)]
            await setup.jobs.cancel(ids[2])
            handle.set_faults(faults)
            events: list[ftjobs.JobUpdate] = []
            done = await asyncio.gather(
                setup.jobs.wait_until_terminal(ids[0], poll=FAST_POLL),
                setup.jobs.wait_until_terminal(ids[1], poll=FAST_POLL, on_update=events.append),
                setup.jobs.wait_until_terminal(ids[2], poll=FAST_POLL),
            )
        stats = handle.stats()
    assert [str(j.status) for j in done] == ["succeeded", "succeeded", "cancelled"]
    assert sum(stats["faults"].values()) > 0
    received = [u.event.id for u in events if isinstance(u, ftjobs.EventReceived)]
    assert len(received) == len(set(received))


async def test_transient_failures_have_their_own_budget() -> None:
    config = EmulatorConfig(faults="500=1")
    async with serve_emulator(config, clock=ManualClock()) as handle, _client(handle) as client:
        handle.set_faults(None)
        job_id = await new_job(client)
        handle.set_faults("500=1")
        policy = ftjobs.PollPolicy(
            initial_interval=0.001, max_interval=0.002, max_consecutive_failures=3
        )
        with pytest.raises(ftjobs.InternalServerError):
            await client.jobs.wait_until_terminal(job_id, poll=policy)
        assert handle.stats()["faults"]["500"] == 3 * (FAST_RETRIES.max_retries + 1)


async def test_permanent_failures_raise_at_once(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    before = _requests(emulator)
    with pytest.raises(ftjobs.NotFoundError):
        await live_client.jobs.wait_until_terminal("ftjob-missing", poll=QUICK)
    assert _requests(emulator) - before == 1
    job_id = await new_job(live_client)
    async with _client(emulator, api_key="sk-wrong") as wrong:
        with pytest.raises(ftjobs.AuthenticationError):
            await wrong.jobs.wait_until_terminal(job_id, poll=QUICK)
    assert _requests(emulator) - before == 4  # upload, create, and one 401


# -- resumable waits ---------------------------------------------------------------------------


async def test_resume_in_a_fresh_client_gets_every_event_exactly_once(
    emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    async with _client(emulator) as first:
        job_id = await new_job(first, epochs=3, examples=40)  # 120 steps: several pages
        waiter = first.jobs.waiter(job_id, poll=QUICK, follow=True)
        before: list[ftjobs.JobUpdate] = []
        for _ in range(3):
            emulator_clock.advance(25)
            before.extend((await waiter.step()).updates)
        token = waiter.continuation_token()
    emulator_clock.advance(70)  # events happen while nobody watches
    after: list[ftjobs.JobUpdate] = []
    async with _client(emulator) as fresh:
        async with _ticking(emulator_clock, step=5.0):
            async for update in fresh.jobs.watch(token, poll=QUICK):
                after.append(update)
        every = [e.id async for e in fresh.jobs.list_events(job_id, limit=100)][::-1]
        checkpoints = [c.id async for c in fresh.jobs.list_checkpoints(job_id)][::-1]
    updates = before + after
    delivered = [u.event.id for u in updates if isinstance(u, ftjobs.EventReceived)]
    assert len(every) > 120 and delivered == every  # chronological, none lost, none repeated
    assert [u.event.id for u in before if isinstance(u, ftjobs.EventReceived)]  # split for real
    got = [u.checkpoint.id for u in updates if isinstance(u, ftjobs.CheckpointReceived)]
    assert got == checkpoints and len(got) == 3
    statuses = [str(u.job.status) for u in updates if isinstance(u, ftjobs.StatusChanged)]
    assert statuses[-1] == "succeeded" and len(statuses) == len(set(statuses))


async def test_step_by_step_from_an_external_scheduler(
    emulator: EmulatorHandle, emulator_clock: ManualClock, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    cursor: str = job_id
    events: list[str] = []
    for _ in range(200):
        result = await live_client.jobs.step(cursor, poll=QUICK)
        events.extend(u.event.id for u in result.updates if isinstance(u, ftjobs.EventReceived))
        if result.done:
            break
        assert result.token is not None and result.delay is not None and result.delay >= 0
        cursor = result.token  # what a task queue would store between runs
        emulator_clock.advance(3)
    assert result.done and result.delay is None and result.job is not None
    assert result.job.status is ftjobs.JobStatus.SUCCEEDED
    every = [e.id async for e in live_client.jobs.list_events(job_id, limit=100)][::-1]
    assert events == every


async def test_bad_tokens_get_a_clear_typed_error(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    job_id = await new_job(live_client)
    token = live_client.jobs.waiter(job_id).continuation_token()
    async with serve_emulator(clock=ManualClock()) as other, _client(other) as elsewhere:
        with pytest.raises(ftjobs.InvalidContinuationToken, match="base URL"):
            await elsewhere.jobs.wait_until_terminal(token)
    for bad in ("ftjw9.abc.12345678", token[:-3], token + "x"):
        with pytest.raises(ftjobs.InvalidContinuationToken):
            await live_client.jobs.wait_until_terminal(bad)


# -- cancellation ------------------------------------------------------------------------------


def _client_tasks(baseline: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """Tasks created since ``baseline``, except the emulator server's own."""
    current = asyncio.current_task()
    found = set()
    for task in asyncio.all_tasks() - baseline:
        if task is current or task.done():
            continue
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and "aiohttp/web_" in code.co_filename:
            continue  # the in-process emulator's connection handlers
        found.add(task)
    return found


@pytest.mark.parametrize("how", ["cancel", "wait_for"])
async def test_cancelling_the_wait_leaves_nothing_behind(
    emulator: EmulatorHandle, emulator_clock: ManualClock, how: str
) -> None:
    connector = aiohttp.TCPConnector(limit=1)  # a leaked connection would starve the pool
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        _client(emulator, session=session) as client,
    ):
        job_id = await new_job(client, epochs=3)
        emulator_clock.advance(10)  # running, and the clock stays frozen
        emulator.set_faults("latency=0.05")  # so the cancel lands mid-request too
        baseline = asyncio.all_tasks()
        for delay in (0.01, 0.08):  # during a request, and during a sleep
            wait = client.jobs.wait_until_terminal(job_id, poll=QUICK, on_update=lambda _: None)
            if how == "cancel":
                task = asyncio.create_task(wait)
                await asyncio.sleep(delay)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            else:
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(wait, delay)
            for _ in range(3):
                await asyncio.sleep(0)
            assert _client_tasks(baseline) == set()
        emulator.set_faults(None)
        job = await asyncio.wait_for(client.jobs.retrieve(job_id), 5)  # the pool is free
        assert job.status is ftjobs.JobStatus.RUNNING  # the job itself was never cancelled
        assert emulator.stats()["jobs"]["by_status"] == {"running": 1}
    gc.collect()  # any unclosed response or session would warn now (an error in pytest)


# -- many jobs ---------------------------------------------------------------------------------


async def test_wait_many_return_when(
    fast_emulator: EmulatorHandle, fast_client: ftjobs.AsyncClient
) -> None:
    fast_emulator.store.script_next_jobs(Outcome(), Outcome(), Outcome.failure())
    quick = await new_job(fast_client, epochs=1)
    slow = await new_job(fast_client, epochs=30)
    failing = await new_job(fast_client)
    ids = [quick, slow, failing]

    first = await fast_client.jobs.wait_many(
        ids, return_when=ftjobs.waiting.FIRST_COMPLETED, poll=FAST_POLL
    )
    assert first.done and first.pending and set(first.done) | set(first.pending) == set(ids)
    assert all(job.is_terminal for job in first.done.values())

    failure = await fast_client.jobs.wait_many(
        ids, return_when=ftjobs.waiting.FIRST_FAILURE, poll=FAST_POLL
    )
    assert failing in failure.done and [j.id for j in failure.failed] == [failing]
    assert slow in failure.pending

    everything = await fast_client.jobs.wait_many(ids, poll=FAST_POLL)
    assert not everything.pending and set(everything.done) == set(ids)
    assert str(everything.done[slow].status) == "succeeded"
    assert str(everything.done[failing].status) == "failed"

    short = await fast_client.jobs.wait_many(
        [await new_job(fast_client, epochs=30)], poll=FAST_POLL, timeout=0.05
    )
    assert not short.done and len(short.pending) == 1  # like asyncio.wait: no raise


async def test_as_completed_over_many_jobs_scans_the_list() -> None:
    config = EmulatorConfig(speed=100, max_running_jobs=30)
    async with serve_emulator(config) as handle, _client(handle) as client:
        async with aiohttp.ClientSession() as admin:
            for _ in range(3):  # three waves of 50, created a little apart
                async with admin.post(
                    f"{handle.root_url}/_emulator/seed",
                    json={"jobs": 50},
                    headers=handle.admin_headers,
                ):
                    pass
                await asyncio.sleep(0.02)
        ids = [job.id async for job in client.jobs.list(limit=100)]
        assert len(ids) == 150
        before = _requests(handle)
        steady = ftjobs.PollPolicy(
            initial_interval=0.02, max_interval=0.04, steer_to_eta=False, timeout=30
        )
        group = ftjobs.waiting.JobGroup(client.jobs, ids, poll=steady)
        finished = [job.id async for job in group.as_completed()]
        spent = _requests(handle) - before
        assert sorted(finished) == sorted(ids)  # each job exactly once
        assert spent == group.requests
        # One GET per job per tick would have cost group.refreshed requests.
        assert group.refreshed >= 150 and spent * 10 <= group.refreshed
        async for job in client.jobs.as_completed(ids[:5], poll=FAST_POLL):
            assert job.is_terminal


async def test_many_waiters_of_one_client_share_one_budget(
    fast_emulator: EmulatorHandle,
) -> None:
    async with _client(
        fast_emulator, request_budget=ftjobs.waiting.RatePolicy(rate=200, burst=5)
    ) as client:
        ids = [await new_job(client) for _ in range(6)]
        # The waits share one watcher, whose few requests must meet a 429 (seed 4: the first).
        fast_emulator.set_faults("429=0.3,retry_after=0.01,seed=4")
        done = await asyncio.gather(
            *(client.jobs.wait_until_terminal(i, poll=FAST_POLL) for i in ids)
        )
        assert {str(j.status) for j in done} == {"succeeded"}
        assert client.jobs.budget.rate < 200  # the 429s any waiter saw slowed everyone
