"""The arq tasks in an in-process worker over a real (private) Redis and the emulator."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

pytest.importorskip("arq", reason="the 'arq' extra is not installed")

from arq.connections import ArqRedis
from arq.worker import create_worker

import ftjobs
from ftjobs.contrib import arq as ftarq
from ftjobs.contrib._redis import FollowUp, RedisWaitStore
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import chat_file

MODEL = "gpt-4o-mini-2024-07-18"
# arq 0.28's Worker.close() calls redis' deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
FOLLOWED: list[dict[str, Any]] = []


async def remember(ctx: dict[str, Any], job: dict[str, Any]) -> None:
    FOLLOWED.append(job)


class FastWorker(ftarq.WorkerSettings):
    ftjobs_poll = ftjobs.PollPolicy(initial_interval=0.05, max_interval=0.2, timeout=60)
    ftjobs_create_timeout = 5.0
    ftjobs_wait_timeout = 5.0
    poll_delay = 0.02
    extra_functions = (remember,)


@pytest.fixture
def worker_emulator(
    fast_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> EmulatorHandle:
    """The fast emulator, with the environment the workers' clients read pointing at it."""
    monkeypatch.setenv("OPENAI_API_KEY", fast_emulator.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", fast_emulator.base_url)
    return fast_emulator


async def _burst(redis_url: str, queue: str = ftarq.QUEUE) -> None:
    # The worker gets its own connection: arq's close() closes the pool it runs on.
    settings = ftarq.redis_settings(redis_url)
    worker = create_worker(
        FastWorker, redis_settings=settings, burst=True, handle_signals=False, queue_name=queue
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_create_wait_and_follow_up_once(
    pool: ArqRedis, worker_emulator: EmulatorHandle, redis_url: str
) -> None:
    FOLLOWED.clear()
    async with ftjobs.AsyncClient(
        api_key=worker_emulator.api_key, base_url=worker_emulator.base_url
    ) as client:
        training = (await client.files.upload(chat_file(10), filename="t.jsonl")).id
    params = {"model": MODEL, "training_file": training}
    assert await ftarq.enqueue_create(pool, params, key="k1", follow_up="remember")
    assert not await ftarq.enqueue_create(pool, params, key="k1", follow_up="remember")
    await _burst(redis_url)

    job = await ftarq.created_job(pool, "k1", timeout=1)
    final = await ftarq.wait_result(pool, job.id, timeout=1)
    assert final.status is ftjobs.JobStatus.SUCCEEDED
    assert not await ftarq.enqueue_wait(pool, job.id)  # the finished wait refuses a second

    store = RedisWaitStore(pool)
    stored = await store.load(job.id)
    assert stored.done and stored.token is None and stored.steps >= 2
    async with ftjobs.AsyncClient(
        api_key=worker_emulator.api_key, base_url=worker_emulator.base_url
    ) as client:
        on_server = [e.id async for e in client.jobs.list_events(job.id, limit=100)]
    assert [i for i, _ in await store.events(job.id)] == on_server[::-1]

    # The follow-up went to arq's default queue, once; run it there.
    assert await pool.zscore("arq:queue", f"ftjobs:then:{job.id}") is not None
    await _burst(redis_url, "arq:queue")
    assert [j["id"] for j in FOLLOWED] == [job.id]


async def test_store_records_each_event_once_and_the_follow_up_once(pool: ArqRedis) -> None:
    store = RedisWaitStore(pool, ttl=60)
    events = [("ev-1", '{"id":"ev-1"}'), ("ev-2", '{"id":"ev-2"}')]
    assert await store.record("ftjob-1", token="t1", status="running", job=None, events=events) == (
        2,
        False,
    )
    more = [*events, ("ev-3", '{"id":"ev-3"}')]  # a re-run repeats what it already stored
    assert await store.record("ftjob-1", token="t2", status="running", job=None, events=more) == (
        1,
        False,
    )
    follow = FollowUp("ftjobs:then:ftjob-1", "arq:job:ftjobs:then:ftjob-1", "q", b"{}", 60_000)
    done = {"id": "ftjob-1", "status": "succeeded"}
    for expected in (True, False):
        added, followed = await store.record(
            "ftjob-1", token=None, status="succeeded", job=done, events=more, follow_up=follow
        )
        assert (added, followed) == (0, expected)
    assert [i for i, _ in await store.events("ftjob-1")] == ["ev-1", "ev-2", "ev-3"]
    assert await pool.zcard("q") == 1
    stored = await store.load("ftjob-1")
    assert (stored.done, stored.job, stored.steps, stored.events) == (True, done, 4, 3)
    assert 0 < await pool.pttl("ftjobs:events:ftjob-1") <= 60_000


async def test_a_missing_job_ends_the_wait_with_a_typed_failure(
    pool: ArqRedis, worker_emulator: EmulatorHandle, redis_url: str
) -> None:
    assert await ftarq.enqueue_wait(pool, "ftjob-missing", budget=60)
    await _burst(redis_url)
    with pytest.raises(ftarq.WaitFailed) as info:
        await ftarq.wait_result(pool, "ftjob-missing", timeout=1)
    assert (info.value.reason, info.value.status_code) == ("not_found", 404)


async def test_a_spent_budget_ends_the_wait_and_a_restart_resumes_it(
    pool: ArqRedis, worker_emulator: EmulatorHandle, redis_url: str
) -> None:
    async with ftjobs.AsyncClient(
        api_key=worker_emulator.api_key, base_url=worker_emulator.base_url
    ) as client:
        training = (await client.files.upload(chat_file(10), filename="t.jsonl")).id
        job = await client.jobs.create(model=MODEL, training_file=training)
    assert await ftarq.enqueue_wait(pool, job.id, budget=1e-9)
    await _burst(redis_url)
    with pytest.raises(ftarq.WaitFailed) as info:
        await ftarq.wait_result(pool, job.id, timeout=1)
    assert info.value.reason == "timeout" and info.value.token is not None
    token = info.value.token

    assert not await ftarq.enqueue_wait(pool, token, budget=60)  # the finished wait is kept
    assert await ftarq.enqueue_wait(pool, token, budget=60, restart=True)
    assert not await ftarq.enqueue_wait(pool, token, budget=60, restart=True)  # queued: kept
    await _burst(redis_url)
    final = await ftarq.wait_result(pool, job.id, timeout=1)
    assert final.status is ftjobs.JobStatus.SUCCEEDED
    stored = [i for i, _ in await RedisWaitStore(pool).events(job.id)]
    async with ftjobs.AsyncClient(
        api_key=worker_emulator.api_key, base_url=worker_emulator.base_url
    ) as client:
        on_server = [e.id async for e in client.jobs.list_events(job.id, limit=100)]
    assert stored == on_server[::-1]  # none lost at the budget's end, none delivered twice


class SlowWorker(FastWorker):
    # Steps 300 s apart: within the test only a webhook can bring the next one.
    ftjobs_poll = ftjobs.PollPolicy(initial_interval=300, max_interval=300, jitter=0, timeout=3600)
    ftjobs_webhooks = True


async def _stored_steps(store: RedisWaitStore, job_id: str, steps: int) -> None:
    for _ in range(1000):
        if (await store.load(job_id)).steps >= steps:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the wait never made {steps} step(s)")


async def _deferred(pool: ArqRedis, task_id: str, *, beyond: float) -> None:
    for _ in range(1000):
        score = await pool.zscore(ftarq.QUEUE, task_id)
        if score is not None and score > (time.time() + beyond) * 1000:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{task_id} was never deferred by {beyond} s")


async def test_a_webhook_runs_the_wait_step_at_once(
    pool: ArqRedis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiohttp import web

    from ftjobs.emulator import ManualClock
    from tests._support.live import serve_app
    from tests._support.webhooks import SECRET

    app = web.Application()
    app.router.add_post("/hooks", ftarq.webhook_handler(pool, secret=SECRET))
    clock = ManualClock()
    async with serve_app(app) as url:
        config = EmulatorConfig(webhook_url=url + "/hooks", webhook_secret=SECRET)
        async with serve_emulator(config, clock=clock) as emu:
            async with ftjobs.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
                training = (await client.files.upload(chat_file(10), filename="t.jsonl")).id
                job = await client.jobs.create(model=MODEL, training_file=training)
            assert await ftarq.enqueue_wait(pool, job.id, budget=3600)
            store = RedisWaitStore(pool)
            monkeypatch.setenv("OPENAI_API_KEY", emu.api_key)
            monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
            worker = create_worker(
                SlowWorker, redis_settings=ftarq.redis_settings(redis_url), handle_signals=False
            )
            run = asyncio.ensure_future(worker.async_run())
            try:
                # The first step saw the job unfinished and deferred the next by 300 s.
                await _stored_steps(store, job.id, 1)
                await _deferred(pool, f"ftjobs:wait:{job.id}", beyond=250)
                clock.advance(3600)  # the job ends; the emulator's webhook wakes the wait
                final = await ftarq.wait_result(pool, job.id, timeout=10)
            finally:
                run.cancel()
                await asyncio.gather(run, return_exceptions=True)
                await worker.close()
    assert final.status is ftjobs.JobStatus.SUCCEEDED
    stored = await store.load(job.id)
    assert stored.done and stored.steps == 2  # the first look, then the webhook's
    assert not await pool.exists(f"ftjobs:wait:{job.id}:wake")


@pytest.mark.parametrize(
    ("task_id", "flag"),
    [
        ("ftjobs:wait:ftjob-1", "ftjobs:wait:ftjob-1:wake"),  # a webhook about the job
        ("ftjobs:member:sweep:4", "ftjobs:campaign:sweep:wake:4"),  # a slot given back
    ],
)
async def test_a_wake_landing_while_arq_reschedules_still_moves_the_step(
    pool: ArqRedis, monkeypatch: pytest.MonkeyPatch, task_id: str, flag: str
) -> None:
    # The step read its (empty) flag and asked for a 300 s defer; the wake (a webhook for a
    # wait, a freed slot for a campaign member) came before arq moved the task: after_job,
    # which arq runs once the task is re-scheduled, moves it back.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unused")
    later = (time.time() + 300) * 1000
    ctx: dict[str, Any] = {"redis": pool, "job_id": task_id}
    await SlowWorker.startup(ctx)
    try:
        await pool.zadd(ftarq.QUEUE, {task_id: later})
        await SlowWorker.after_job(ctx)  # no wake: the step stays where arq put it
        assert await pool.zscore(ftarq.QUEUE, task_id) == later
        await pool.set(flag, b"1")  # the wake's flag, too late to read
        await SlowWorker.after_job(ctx)
        score = await pool.zscore(ftarq.QUEUE, task_id)
        assert score is not None and score <= time.time() * 1000
        await SlowWorker.after_job({**ctx, "job_id": "ftjobs:create:k1"})  # no step: no-op
    finally:
        await SlowWorker.shutdown(ctx)
