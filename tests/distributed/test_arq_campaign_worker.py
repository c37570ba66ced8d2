"""Campaign members as arq tasks in an in-process worker, over a real (private) Redis and the
emulator: retries of server-side failures, data errors, refused creates, the daily limit
(a freed slot waking a member mid-reschedule is in test_arq_worker.py, beside the webhook)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytest.importorskip("arq", reason="the 'arq' extra is not installed")

from arq.connections import ArqRedis
from arq.jobs import Job
from arq.worker import create_worker

import ftjobs
from ftjobs.contrib import arq as ftarq
from ftjobs.contrib._leases import CampaignStore
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, Outcome, serve_emulator
from tests._support.emulator import chat_file

MODEL = "gpt-4o-mini-2024-07-18"
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


class MemberWorker(ftarq.WorkerSettings):
    ftjobs_poll = ftjobs.PollPolicy(initial_interval=0.05, max_interval=0.2)
    ftjobs_create_timeout = 5.0
    ftjobs_wait_timeout = 5.0
    ftjobs_error_backoff_cap = 0.5
    ftjobs_campaign_slot_poll = 0.5
    poll_delay = 0.02


async def _run_worker_until(
    redis_url: str, done: Callable[[], Awaitable[bool]], timeout: float = 60.0
) -> None:
    worker = create_worker(
        MemberWorker, redis_settings=ftarq.redis_settings(redis_url), handle_signals=False
    )
    run = asyncio.ensure_future(worker.async_run())
    try:
        deadline = time.monotonic() + timeout
        while not await done():
            assert time.monotonic() < deadline, "the members did not get there in time"
            assert not run.done(), run
            await asyncio.sleep(0.05)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await worker.close()


async def _training(emu: EmulatorHandle) -> str:
    async with ftjobs.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        return (await client.files.upload(chat_file(10), filename="t.jsonl")).id


def _results_of(pool: ArqRedis, name: str, n: int) -> Callable[[], Awaitable[bool]]:
    async def done() -> bool:
        return len(await pool.keys(f"arq:result:ftjobs:member:{name}:*")) >= n

    return done


async def _result(pool: ArqRedis, name: str, index: int) -> Any:
    task = Job(f"ftjobs:member:{name}:{index}", pool, _queue_name=ftarq.QUEUE,
               _deserializer=ftarq.loads)  # fmt: skip
    return (await task.result_info()).result  # type: ignore[union-attr]


async def test_server_failures_are_recreated_data_errors_and_refusals_end_the_member(
    pool: ArqRedis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serve_emulator(EmulatorConfig(speed=300, max_running_jobs=8)) as emu:
        monkeypatch.setenv("OPENAI_API_KEY", emu.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        training = await _training(emu)
        # The first two jobs created fail: one on the server's side, one for its data.
        emu.store.script_next_jobs(
            Outcome.failure(at_step=1, code="internal_error"),
            Outcome.failure(code="invalid_training_file", param="training_file"),
        )
        campaign = ftjobs.Campaign(
            "retries",
            members=[
                {"model": MODEL, "training_file": training, "seed": 1},
                {"model": MODEL, "training_file": training, "seed": 2},
                {"model": MODEL, "training_file": training, "seed": 3},
                {"model": MODEL, "training_file": "file-missing", "seed": 4},
            ],
        )
        assert await ftarq.enqueue_campaign(pool, campaign, max_active=2, retry_failed=1) == 4
        await _run_worker_until(redis_url, _results_of(pool, "retries", 4))

        async with ftjobs.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            report = await client.jobs.campaign_report("retries", campaign)
            jobs = [j async for j in client.jobs.find(metadata={"ftjobs_campaign": "retries"})]

    statuses = sorted(row.status for row in report.rows[:3])
    assert statuses == ["failed", "succeeded", "succeeded"]
    assert sorted(row.attempts for row in report.rows[:3]) == [1, 1, 2]  # one re-created
    (failed,) = [row for row in report.rows if row.status == "failed"]
    assert failed.attempts == 1  # a data error is never re-created
    assert len(jobs) == 4  # three members, one of them twice; the refused one never made
    refused = await _result(pool, "retries", 3)
    assert isinstance(refused, ftarq.CreateFailed) and refused.status_code in (400, 404)
    done = await _result(pool, "retries", failed.index)
    assert done["job"]["status"] == "failed" and done["attempt"] == 0
    assert await CampaignStore(pool).leases("retries") == {}  # every slot given back


async def test_enqueue_checks_its_arguments_and_the_name(pool: ArqRedis) -> None:
    members = [{"model": MODEL, "training_file": "file-a", "seed": s} for s in (1, 2)]
    campaign = ftjobs.Campaign("checked", members=members)
    with pytest.raises(ValueError, match="max_active"):
        await ftarq.enqueue_campaign(pool, campaign, max_active=0)
    with pytest.raises(ValueError, match="retry_failed"):
        await ftarq.enqueue_campaign(pool, campaign, max_active=1, retry_failed=-1)
    assert await pool.keys("*") == []  # nothing written before the checks passed
    assert await ftarq.enqueue_campaign(pool, campaign, max_active=1) == 2
    other = ftjobs.Campaign("checked", members=members[:1])
    with pytest.raises(ValueError, match="other members"):
        await ftarq.enqueue_campaign(pool, other, max_active=1)
    # The same campaign again: nothing enqueued twice, the new bound recorded.
    assert await ftarq.enqueue_campaign(pool, campaign, max_active=2) == 0
    assert await pool.hget("ftjobs:campaign:checked:limits", "max_active") == b"2"


async def test_a_daily_limit_defers_the_member_until_the_next_slot(
    pool: ArqRedis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = EmulatorConfig(speed=300, max_running_jobs=8, daily_job_limit=2)
    async with serve_emulator(config) as emu:
        monkeypatch.setenv("OPENAI_API_KEY", emu.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        training = await _training(emu)
        members = [{"model": MODEL, "training_file": training, "seed": s} for s in (1, 2, 3)]
        campaign = ftjobs.Campaign("daily", members=members)
        assert await ftarq.enqueue_campaign(pool, campaign, max_active=3) == 3
        store = CampaignStore(pool)

        async def two_done_one_blocked() -> bool:
            done = await _results_of(pool, "daily", 2)()
            return done and await store.blocked_until("daily", MODEL) is not None

        await _run_worker_until(redis_url, two_done_one_blocked)
        blocked = await store.blocked_until("daily", MODEL)
        assert blocked is not None
        # The next slot opens 24 h after the first create: the member waits that long, with
        # no slot held and no failure recorded.
        assert blocked / 1000 - time.time() > 20 * 3600
        waiting = [
            key.decode() for key in await pool.zrange(ftarq.QUEUE, 0, -1)
            if key.startswith(b"ftjobs:member:daily:")
        ]  # fmt: skip
        (task_id,) = waiting
        score = await pool.zscore(ftarq.QUEUE, task_id)
        assert score is not None and score / 1000 - time.time() > 20 * 3600
        assert not await pool.exists(f"arq:result:{task_id}")
        assert await store.leases("daily") == {}
        async with ftjobs.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            jobs = [j async for j in client.jobs.find(metadata={"ftjobs_campaign": "daily"})]
        assert len(jobs) == 2  # the refused create made nothing
