"""End to end: a campaign through arq on two worker processes, one killed with ``kill -9``.

The emulator (a process), a private redis-server and two arq workers (the arq CLI). A 12-member
grid is enqueued with ``max_active=3`` (and enqueued again: a no-op); ``FTJOBS_CAMPAIGN_N`` and
``FTJOBS_CAMPAIGN_MAX_ACTIVE`` change both. Once a member's task is running on one worker while
members hold slots, that worker is killed with SIGKILL; the other finishes the campaign alone.
Asserted from the server's side: one job per member (0 duplicates), every member's job
terminal (0 lost), the report complete, and never more than ``max_active`` of the campaign's
jobs active, both as sampled by listing them and by the emulator's own count of its peak. The
tasks the kill interrupted must have been finished by the survivor.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest

import ftjobs
from tests._support.emulator import chat_file
from tests.distributed.harness import (
    Child,
    Workers,
    died_early,
    emulator,
    emulator_stats,
    ftjobs_pool,
    needs_redis_server,
    redis_server,
    sleep_until,
    worker_env,
)

pytest.importorskip("arq", reason="the 'arq' extra is not installed")
contrib = pytest.importorskip("ftjobs.contrib.arq")

pytestmark = needs_redis_server

NAME = "e2e-arq-sweep"
MODEL = "gpt-4o-mini-2024-07-18"
N = int(os.environ.get("FTJOBS_CAMPAIGN_N", "12"))
MAX_ACTIVE = int(os.environ.get("FTJOBS_CAMPAIGN_MAX_ACTIVE", "3"))
# A job lives ~19 emulated seconds (1 epoch of 10 steps): ~3 s of real time at this speed.
SPEED = 6.0
FAULTS = "latency=0.5:0.05-0.2,seed=11"  # slow answers keep a member's step in flight
SETTINGS = "tests.distributed.workers.CampaignWorker"
DONE_TIMEOUT = 120.0 + N * 3.0 / MAX_ACTIVE


@attrs.define
class ActiveSampler:
    """Counts the campaign's non-terminal jobs on the server, again and again."""

    client: ftjobs.AsyncClient
    peak: int = 0
    samples: int = 0
    stop: bool = False

    async def run(self) -> None:
        while not self.stop:
            found = self.client.jobs.find(metadata={"ftjobs_campaign": NAME})
            active = sum(1 for job in [j async for j in found] if not job.is_terminal)
            self.peak = max(self.peak, active)
            self.samples += 1
            await asyncio.sleep(0.1)


async def _members_running_on(pool: Any, child: Child) -> list[str]:
    """Member tasks in flight on ``child`` (arq's in-progress key, our start mark)."""
    running = []
    for key in await pool.keys("arq:in-progress:ftjobs:member:*"):
        task_id = key.decode().removeprefix("arq:in-progress:")
        if await pool.get(f"e2e:on:{task_id}") == str(child.pid).encode():
            running.append(task_id)
    return running


async def _kill_mid_member(pool: Any, workers: Workers, victim: Child) -> list[str]:
    """SIGKILL ``victim`` while a member holding a slot runs on it; the tasks it was running."""

    async def member_in_flight() -> bool:
        assert victim.proc.poll() is None, died_early(victim)
        leases = await pool.zrange(f"ftjobs:campaign:{NAME}:leases", 0, -1)
        held = {f"ftjobs:member:{NAME}:{m.decode()}" for m in leases}
        return bool(held & set(await _members_running_on(pool, victim)))

    assert await sleep_until(member_in_flight, 60), "no member ever ran on the victim"
    workers.kill9(victim)
    # Its in-progress keys outlive it (nobody deletes them): the tasks it was running.
    return await _members_running_on(pool, victim)


async def test_a_campaign_on_two_workers_survives_a_kill9(tmp_path: Path) -> None:
    started = time.monotonic()
    with (
        redis_server(tmp_path) as (redis_url, _redis),
        emulator(tmp_path, speed=SPEED, faults=FAULTS) as root,
    ):
        env = worker_env(root, redis_url)
        pool = await ftjobs_pool(redis_url)
        workers = Workers(tmp_path, env, SETTINGS)
        async with ftjobs.AsyncClient(api_key="sk-emulator", base_url=root + "/v1") as client:
            sampler = ActiveSampler(client)
            sampling = asyncio.create_task(sampler.run())
            try:
                training = (await client.files.upload(chat_file(10), filename="t.jsonl")).id
                campaign = ftjobs.Campaign.grid(
                    NAME,
                    base={"model": MODEL, "training_file": training},
                    grid={"n_epochs": [1], "seed": list(range(1, N + 1))},
                )
                victim, survivor = workers.start(), workers.start()
                assert await contrib.enqueue_campaign(pool, campaign, max_active=MAX_ACTIVE) == N
                assert await contrib.enqueue_campaign(pool, campaign, max_active=MAX_ACTIVE) == 0

                orphans: list[str] = []
                for _ in range(5):  # a member's step may end between the look and the kill
                    orphans = await _kill_mid_member(pool, workers, victim)
                    if orphans:
                        break
                    victim = workers.start()  # a fresh victim; the survivor stays
                assert orphans, "the kill never caught a member mid-step"
                assert workers.alive == [survivor]  # from here on the survivor is alone

                async def all_done() -> bool:
                    assert survivor.proc.poll() is None, died_early(survivor)
                    return len(await pool.keys("arq:result:ftjobs:member:*")) >= N

                finished = await sleep_until(all_done, DONE_TIMEOUT, step=0.2)
                wall = time.monotonic() - started
                reran = [t for t in orphans if await pool.exists(f"arq:result:{t}")]
                sampler.stop = True
                await sampling

                jobs = [j async for j in client.jobs.find(metadata={"ftjobs_campaign": NAME})]
                report = await client.jobs.campaign_report(NAME, campaign)
                stats = emulator_stats(root)
            finally:
                sampler.stop = True
                await asyncio.gather(sampling, return_exceptions=True)
                workers.stop_all()
                leases = await pool.zcard(f"ftjobs:campaign:{NAME}:leases")
                await pool.aclose()

    per_member = Counter(
        (job.metadata["ftjobs_member"], job.metadata["ftjobs_attempt"]) for job in jobs
    )
    duplicates = sum(count - 1 for count in per_member.values())
    members = {member for member, _attempt in per_member}
    server_peak = stats["models"][MODEL]["peak_active"]
    print(
        f"\n== arq campaign: {len(jobs)} jobs for {len(members)} members, {duplicates} "
        f"duplicates, {len(orphans)} task(s) killed mid-step and re-run: {len(reran)}, "
        f"peak active sampled {sampler.peak} ({sampler.samples} samples), on the emulator "
        f"{server_peak}, {wall:.1f} s"
    )
    assert finished, "the campaign did not finish in time"
    assert duplicates == 0, per_member
    assert members == {str(i) for i in range(N)}, members  # 0 lost
    assert all(job.is_terminal for job in jobs)
    assert all(job.status is ftjobs.JobStatus.SUCCEEDED for job in jobs)
    assert report.complete and len(report.rows) == N
    assert [row.index for row in report.rows] == list(range(N))
    assert all(row.status == "succeeded" and row.attempts == 1 for row in report.rows)
    assert reran == orphans, "a task killed mid-step was not re-run by the survivor"
    assert sampler.peak <= MAX_ACTIVE
    assert server_peak <= MAX_ACTIVE, stats["models"]
    assert leases == 0  # every slot given back
