"""A distributed campaign's slots (leases) and members' state, on a real (private) redis-server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

pytest.importorskip("redis", reason="the 'arq' extra is not installed")

from redis.asyncio import Redis

from ftjobs.contrib._leases import CampaignStore, MemberState

NAME = "lr-sweep"
QUEUE = "test:queue"
PREFIX = "task:"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis: Redis) -> CampaignStore:
    store = CampaignStore(redis, ttl=600)
    assert await store.save_spec(NAME, [{"model": "m", "training_file": "f"}] * 8, 2, "fp")
    return store


async def test_the_spec_is_kept_once_and_max_active_follows_the_last_enqueue(
    redis: Redis,
) -> None:
    store = CampaignStore(redis, ttl=600)
    members = [{"model": "m", "training_file": "f", "seed": i} for i in range(3)]
    assert await store.save_spec("c", members, 3, "fp-3")
    assert await store.save_spec("c", members, 5, "fp-3")  # the same campaign, a new bound
    assert not await store.save_spec("c", members[:2], 5, "fp-2")  # the name, other members
    assert await store.load_spec("c") == members
    assert await store.fingerprint("c") == "fp-3"
    assert await redis.hget("ftjobs:campaign:c:limits", "max_active") == b"5"
    assert await store.load_spec("never") is None
    assert await store.fingerprint("never") is None
    assert 0 < await redis.pttl("ftjobs:campaign:c:spec") <= 600_000


async def test_a_slot_is_granted_up_to_max_active_and_renewed_by_its_holder(
    store: CampaignStore,
) -> None:
    assert await store.acquire(NAME, 0, hold=60)
    assert await store.acquire(NAME, 1, hold=60)
    assert not await store.acquire(NAME, 2, hold=60)
    assert not await store.acquire(NAME, 3, hold=60)
    assert await store.waiting(NAME) == [2, 3]
    before = (await store.leases(NAME))[0]
    assert await store.acquire(NAME, 0, hold=120)  # a holder re-run after a kill: renewed
    assert (await store.leases(NAME))[0] > before
    # A member whose job already exists is active whatever Redis says: it takes its slot.
    assert await store.acquire(NAME, 3, hold=60, force=True)
    assert sorted(await store.leases(NAME)) == [0, 1, 3]
    assert await store.waiting(NAME) == [2]


async def test_a_lease_nobody_renews_expires_and_its_slot_is_taken(
    store: CampaignStore, redis: Redis
) -> None:
    now = int(time.time() * 1000)
    assert await store.acquire(NAME, 0, hold=30, now_ms=now)  # then its worker is killed
    assert await store.acquire(NAME, 1, hold=60, now_ms=now)
    assert not await store.acquire(NAME, 2, hold=60, now_ms=now + 29_000)
    assert await store.acquire(NAME, 2, hold=60, now_ms=now + 30_001)
    assert sorted(await store.leases(NAME)) == [1, 2]
    # Every step keeps the campaign's keys alive.
    for part in ("leases", "limits", "spec"):
        assert 0 < await redis.pttl(f"ftjobs:campaign:{NAME}:{part}") <= 600_000


async def test_concurrent_takes_never_exceed_max_active(store: CampaignStore) -> None:
    granted = await asyncio.gather(*(store.acquire(NAME, i, hold=60) for i in range(8)))
    assert sum(granted) == 2
    assert len(await store.leases(NAME)) == 2
    assert len(await store.waiting(NAME)) == 6


async def test_a_release_wakes_the_first_waiting_member_once(
    store: CampaignStore, redis: Redis
) -> None:
    later = (time.time() + 300) * 1000
    await redis.zadd(QUEUE, {f"{PREFIX}{i}": later for i in range(4)})
    for index in (0, 1, 3, 2):
        await store.acquire(NAME, index, hold=60)
    assert await store.waiting(NAME) == [2, 3]  # woken in index order

    assert await store.release(NAME, 0, queue_key=QUEUE, task_prefix=PREFIX) == 2
    score = await redis.zscore(QUEUE, f"{PREFIX}2")
    assert score is not None and score <= time.time() * 1000
    assert await redis.zscore(QUEUE, f"{PREFIX}3") == later
    assert await store.waiting(NAME) == [3]
    assert await store.take_wake(NAME, 2)
    assert not await store.take_wake(NAME, 2)
    assert await store.acquire(NAME, 2, hold=60)

    # A waiting member that gives up its place (its model's quota is spent) wakes the next,
    # never itself.
    assert not await store.acquire(NAME, 5, hold=60)
    assert await store.waiting(NAME) == [3, 5]
    assert await store.release(NAME, 3, queue_key=QUEUE, task_prefix=PREFIX) == 5
    assert await store.waiting(NAME) == []
    assert sorted(await store.leases(NAME)) == [1, 2]


async def test_a_wake_that_lands_while_the_task_runs_is_applied_after_it_is_rescheduled(
    store: CampaignStore, redis: Redis
) -> None:
    # Member 2 was refused and is running; the slot frees before the engine defers its task.
    await store.acquire(NAME, 0, hold=60)
    await store.acquire(NAME, 1, hold=60)
    assert not await store.acquire(NAME, 2, hold=60)
    await store.release(NAME, 0, queue_key=QUEUE, task_prefix=PREFIX)  # not scheduled: no move
    assert await redis.zscore(QUEUE, f"{PREFIX}2") is None
    later = (time.time() + 300) * 1000
    await redis.zadd(QUEUE, {f"{PREFIX}2": later})  # the engine defers it
    assert await store.move_if_woken(NAME, 2, queue_key=QUEUE, task_id=f"{PREFIX}2")
    score = await redis.zscore(QUEUE, f"{PREFIX}2")
    assert score is not None and score <= time.time() * 1000
    assert not await store.move_if_woken(NAME, 1, queue_key=QUEUE, task_id=f"{PREFIX}1")


async def test_member_state_round_trips_and_a_quota_block_only_moves_later(
    store: CampaignStore,
) -> None:
    assert await store.member(NAME, 4) == MemberState()
    state = MemberState(attempt=1, token="tok", job_id="ftjob-1")
    await store.save_member(NAME, 4, state)
    assert await store.member(NAME, 4) == state
    await store.save_member(NAME, 4, MemberState(attempt=2))
    assert await store.member(NAME, 4) == MemberState(attempt=2)

    assert await store.blocked_until(NAME, "m") is None
    assert await store.block(NAME, "m", 2_000) == 2_000
    assert await store.block(NAME, "m", 1_000) == 2_000  # an older answer never shortens it
    assert await store.blocked_until(NAME, "m") == 2_000
