"""End to end: the emulator + a private redis-server + arq worker processes (the arq CLI).

N creates are enqueued with keys, then the same N again; one worker is killed with SIGKILL while
creates are in flight and another while waits are in flight; fresh workers take over. Asserted:
every re-sent create refused, one job per key on the server, every wait terminal, every event in
Redis exactly once (compared with the server's list). Printed (``-s``): those counts, the re-run
latency after each kill, waits outstanding vs worker slots in use, requests per job, Redis memory.

The control run has the emulator ignore ``Idempotency-Key`` and must find duplicates (a create
whose response was lost and which the client retried inside one attempt: the lookup by key only
guards re-runs of the task), proving the duplicate count can fail.

``FTJOBS_DISTRIBUTED_N`` sets N (default 40; ``nox -s distributed`` runs 1,000).
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
from ftjobs.contrib._redis import RedisWaitStore, state_key  # noqa: E402
from ftjobs.contrib._tasks import KEY_METADATA  # noqa: E402

pytestmark = needs_redis_server

N = int(os.environ.get("FTJOBS_DISTRIBUTED_N", "40"))
SPEED = float(os.environ.get("FTJOBS_DISTRIBUTED_SPEED", "4"))
MODEL = "gpt-4o-mini-2024-07-18"
# drop_after: the server commits a create, then the connection drops and the client retries.
FAULTS = "drop_after=0.2,latency=0.3:0.05-0.25,seed=7"
DONE_TIMEOUT = 120.0 + N * 0.9


@attrs.define
class Sampler:
    """Samples Redis while the scenario runs: waits outstanding, slots in use, orphans."""

    pool: Any
    waits_outstanding: list[int] = attrs.Factory(list)
    wait_slots: list[int] = attrs.Factory(list)
    all_slots: list[int] = attrs.Factory(list)
    used_memory_peak: int = 0
    orphans: dict[str, tuple[float, int]] = attrs.Factory(dict)  # task id -> (kill time, steps)
    rerun_latency: dict[str, float] = attrs.Factory(dict)
    stop: bool = False

    async def in_progress(self) -> list[str]:
        keys = await self.pool.keys("arq:in-progress:ftjobs:*")
        return [k.decode().removeprefix("arq:in-progress:") for k in keys]

    async def steps(self, task_id: str) -> int:
        job_id = task_id.removeprefix("ftjobs:wait:")
        value = await self.pool.hget(state_key(job_id), "steps")
        return int(value or 0)

    async def orphan(self, task_ids: list[str], killed_at: float) -> None:
        for task_id in task_ids:
            steps = await self.steps(task_id) if task_id.startswith("ftjobs:wait:") else 0
            self.orphans.setdefault(task_id, (killed_at, steps))

    async def _check_orphans(self) -> None:
        for task_id, (killed_at, steps) in list(self.orphans.items()):
            if task_id in self.rerun_latency:
                continue
            if task_id.startswith("ftjobs:wait:"):
                done = await self.steps(task_id) > steps
            else:
                done = bool(await self.pool.exists("arq:result:" + task_id))
            if done:
                self.rerun_latency[task_id] = time.monotonic() - killed_at

    async def run(self) -> None:
        while not self.stop:
            queued = await self.pool.zrange(contrib.QUEUE, 0, -1)
            self.waits_outstanding.append(sum(1 for q in queued if q.startswith(b"ftjobs:wait:")))
            # A killed worker's tasks keep their in-progress key until it expires: not a slot.
            running = [t for t in await self.in_progress() if t not in self.orphans]
            self.wait_slots.append(sum(1 for r in running if r.startswith("ftjobs:wait:")))
            self.all_slots.append(len(running))
            info = await self.pool.info("memory")
            self.used_memory_peak = max(self.used_memory_peak, int(info["used_memory"]))
            await self._check_orphans()
            await asyncio.sleep(0.05)


async def _scenario(tmp: Path, *, honor: bool, n: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"n": n, "honor_idempotency": honor}
    started = time.monotonic()
    with (
        redis_server(tmp) as (redis_url, _redis),
        emulator(tmp, speed=SPEED, faults=FAULTS, honor_idempotency=honor) as root,
    ):
        env = worker_env(root, redis_url)
        pool = await ftjobs_pool(redis_url)
        workers = Workers(tmp, env)
        sampler = Sampler(pool)
        sampling = asyncio.create_task(sampler.run())
        try:
            async with ftjobs.AsyncClient(api_key="sk-emulator", base_url=root + "/v1") as client:
                training = (await client.files.upload(chat_file(10), filename="t.jsonl")).id
                params = {"model": MODEL, "training_file": training, "metadata": {"suite": "e2e"}}
                keys = [f"e2e-{i:05d}" for i in range(n)]

                first = workers.start()
                enqueued = [
                    await contrib.enqueue_create(pool, params, key=k, budget=900) for k in keys
                ]
                again = [
                    await contrib.enqueue_create(pool, params, key=k, budget=900) for k in keys
                ]
                figures["enqueued"] = sum(enqueued)
                figures["resent_refused"] = again.count(False)

                # Kill 1: the first worker, while some creates are done and others in flight.
                async def creates_in_flight() -> bool:
                    assert first.proc.poll() is None, died_early(first)
                    running = [t for t in await sampler.in_progress() if "create" in t]
                    finished = await pool.keys("arq:result:ftjobs:create:*")
                    return bool(running) and bool(finished)

                assert await sleep_until(creates_in_flight, 60), "no create ever in flight"
                killed_at = time.monotonic()
                workers.kill9(first)
                orphans1 = await sampler.in_progress()
                await sampler.orphan(orphans1, killed_at)
                figures["kill1_orphans"] = Counter(t.split(":")[1] for t in orphans1)

                # Kill 2: a fresh worker, while waits are in flight.
                second = workers.start()

                async def waits_in_flight() -> bool:
                    assert second.proc.poll() is None, died_early(second)
                    running = await sampler.in_progress()
                    return any(t.startswith("ftjobs:wait:") and t not in orphans1 for t in running)

                assert await sleep_until(waits_in_flight, 60), "no wait ever in flight"
                killed_at = time.monotonic()
                workers.kill9(second)
                orphans2 = [t for t in await sampler.in_progress() if t not in orphans1]
                await sampler.orphan(orphans2, killed_at)
                figures["kill2_orphans"] = Counter(t.split(":")[1] for t in orphans2)
                workers.start()
                workers.start()

                # Every create, then every wait, must finish.
                async def all_done() -> bool:
                    for child in workers.alive:
                        assert child.proc.poll() is None, died_early(child)
                    results = await pool.keys("arq:result:ftjobs:wait:*")
                    return len(results) >= n

                finished = await sleep_until(all_done, DONE_TIMEOUT, step=0.2)
                figures["wall_seconds"] = round(time.monotonic() - started, 1)
                stats = emulator_stats(root)
                sampler.stop = True
                await sampling
                figures["requests_per_job"] = round(stats["requests"]["total"] / n, 1)
                info = await pool.info("memory")
                figures["redis_used_memory_peak"] = max(
                    sampler.used_memory_peak, int(info["used_memory_peak"])
                )
                figures["redis_used_memory_peak_human"] = info["used_memory_peak_human"]
                figures["finished_in_time"] = finished

                # What the server holds.
                by_key: Counter[str] = Counter()
                async for job in client.jobs.list(limit=100):
                    by_key[(job.metadata or {}).get(KEY_METADATA, "?")] += 1
                figures["jobs_on_server"] = sum(by_key.values())
                figures["duplicates"] = sum(c - 1 for c in by_key.values())
                figures["keys_without_job"] = sum(1 for k in keys if by_key[k] == 0)

                # What the workers reported.
                store = RedisWaitStore(pool)
                terminal = 0
                exact = 0
                events_stored = 0
                for key in keys:
                    try:
                        job = await contrib.created_job(pool, key, timeout=1)
                        final = await contrib.wait_result(pool, job.id, timeout=1)
                    except (TimeoutError, contrib.WaitFailed, contrib.CreateFailed):
                        continue
                    terminal += final.is_terminal
                    stored = [event_id for event_id, _ in await store.events(job.id)]
                    events_stored += len(stored)
                    on_server = [e.id async for e in client.jobs.list_events(job.id, limit=100)]
                    exact += stored == on_server[::-1]
                figures["waits_terminal"] = terminal
                figures["lost"] = n - terminal
                figures["events_exactly_once"] = exact
                figures["events_per_job"] = round(events_stored / max(terminal, 1), 1)
        finally:
            sampler.stop = True
            if not sampling.done():
                await sampling
            workers.stop_all()
            await pool.aclose()

    def latency(orphans: list[str]) -> str:
        found = [sampler.rerun_latency[t] for t in orphans if t in sampler.rerun_latency]
        if not orphans:
            return "no task was in flight"
        return f"{len(found)}/{len(orphans)} re-run, max {max(found, default=float('nan')):.1f} s"

    figures["kill1_rerun"] = latency(orphans1)
    figures["kill2_rerun"] = latency(orphans2)
    figures["kill2_rerun_count"] = sum(1 for t in orphans2 if t in sampler.rerun_latency)
    figures["kill2_orphan_count"] = len(orphans2)
    figures["waits_outstanding_peak"] = max(sampler.waits_outstanding, default=0)
    figures["wait_slots_in_use_peak"] = max(sampler.wait_slots, default=0)
    figures["slots_in_use_peak"] = max(sampler.all_slots, default=0)
    busy = [s for s, w in zip(sampler.wait_slots, sampler.waits_outstanding, strict=True) if w]
    figures["wait_slots_in_use_mean"] = round(sum(busy) / max(len(busy), 1), 2)
    figures["worker_slots_max"] = 2 * int(os.environ.get("FTJOBS_E2E_MAX_JOBS", "6"))
    return figures


def _report(figures: dict[str, Any]) -> None:
    print(
        "\n== distributed e2e "
        + ("(control: Idempotency-Key ignored)" * (not figures["honor_idempotency"]))
    )
    for name, value in figures.items():
        print(f"  {name}: {value}")


async def test_creates_and_waits_survive_kill9(tmp_path: Path) -> None:
    figures = await _scenario(tmp_path, honor=True, n=N)
    _report(figures)
    assert figures["enqueued"] == N
    assert figures["resent_refused"] == N
    assert figures["finished_in_time"], figures
    assert figures["jobs_on_server"] == N and figures["duplicates"] == 0, figures
    assert figures["keys_without_job"] == 0
    assert figures["waits_terminal"] == N and figures["lost"] == 0, figures
    assert figures["events_exactly_once"] == N, figures
    assert figures["kill2_orphan_count"] >= 1
    assert figures["kill2_rerun_count"] == figures["kill2_orphan_count"], figures
    # Sleeping waits hold no slot: more were outstanding at once than all workers' slots.
    assert figures["waits_outstanding_peak"] > figures["worker_slots_max"], figures


@pytest.mark.skipif(N > 100, reason="the control run is for the small CI size")
async def test_control_without_idempotency_finds_duplicates(tmp_path: Path) -> None:
    figures = await _scenario(tmp_path, honor=False, n=N)
    _report(figures)
    assert figures["resent_refused"] == N
    assert figures["duplicates"] > 0, figures
