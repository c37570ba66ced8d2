from __future__ import annotations

import asyncio
import math

import pytest

from ftjobs.waiting._ratelimit import RatePolicy, RequestBudget, TokenBucket


class FakeTime:
    """A clock plus a sleep that only returns when the test advances the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.now + delay, future)
        self._sleepers.append(entry)
        try:
            await future
        finally:
            self._sleepers.remove(entry)

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def run_until(self, target: float) -> None:
        """Advance to ``target``, waking each sleeper at its own time."""
        await self.settle()
        while True:
            due = [entry for entry in self._sleepers if entry[0] <= target]
            if not due:
                break
            wake, future = min(due, key=lambda entry: entry[0])
            self.now = max(self.now, wake)
            future.set_result(None)
            await self.settle()
        self.now = max(self.now, target)
        await self.settle()


# --- policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": 0},
        {"rate": math.inf},
        {"burst": 0.5},
        {"min_rate": 20.0},
        {"decrease_factor": 1.0},
        {"decrease_factor": 0.0},
        {"decrease_cooldown": -1.0},
        {"additive_increase": math.nan},
        {"max_pause": -1},
    ],
)
def test_policy_rejects_bad_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RatePolicy(**kwargs)


# --- pure bucket -----------------------------------------------------------------------------


def drain(bucket: TokenBucket, now: float) -> tuple[TokenBucket, int]:
    taken = 0
    while True:
        bucket, wait = bucket.try_acquire(now)
        if wait > 0:
            return bucket, taken
        taken += 1


def test_burst_then_steady_rate() -> None:
    bucket = TokenBucket.full(RatePolicy(rate=2.0, burst=3.0), now=0.0)
    bucket, taken = drain(bucket, 0.0)
    assert taken == 3
    bucket, wait = bucket.try_acquire(0.0)
    assert wait == pytest.approx(0.5)
    bucket, wait = bucket.try_acquire(0.25)
    assert wait == pytest.approx(0.25)
    bucket, wait = bucket.try_acquire(0.5)
    assert wait == 0.0
    # Refill never exceeds the burst.
    bucket = bucket.refill(1000.0)
    assert bucket.tokens == 3.0
    # A clock going backwards is treated as no time passing.
    assert bucket.refill(10.0).updated_at == 1000.0


def test_long_run_rate_is_respected() -> None:
    policy = RatePolicy(rate=5.0, burst=5.0)
    bucket = TokenBucket.full(policy, now=0.0)
    now, granted = 0.0, 0
    while now <= 60.0:
        bucket, wait = bucket.try_acquire(now)
        if wait == 0:
            granted += 1
        else:
            now += wait
    assert granted == pytest.approx(5 + 5 * 60, abs=1)


def test_rate_limited_halves_drains_and_pauses() -> None:
    policy = RatePolicy(rate=8.0, burst=8.0, decrease_cooldown=2.0)
    bucket = TokenBucket.full(policy, now=0.0)
    limited = bucket.rate_limited(1.0, retry_after=5.0)
    assert limited.rate == 4.0
    assert limited.tokens == 0.0
    assert limited.paused_until == 6.0
    _, wait = limited.try_acquire(1.0)
    assert wait == pytest.approx(5.0 + 1 / 4.0)
    # No refill during the pause.
    _, wait = limited.try_acquire(5.9)
    assert wait == pytest.approx(0.1 + 0.25)
    _, wait = limited.try_acquire(6.25)
    assert wait == 0.0


def test_decrease_cooldown_and_floor() -> None:
    policy = RatePolicy(rate=8.0, min_rate=1.5, decrease_cooldown=2.0)
    bucket = TokenBucket.full(policy, now=0.0).rate_limited(0.0)
    # The burst of 429s from requests already in flight counts once.
    bucket = bucket.rate_limited(0.5).rate_limited(1.9)
    assert bucket.rate == 4.0
    bucket = bucket.rate_limited(2.0)
    assert bucket.rate == 2.0
    bucket = bucket.rate_limited(4.0).rate_limited(6.0)
    assert bucket.rate == 1.5


def test_pause_is_capped_and_never_shortened() -> None:
    bucket = TokenBucket.full(RatePolicy(max_pause=30.0), now=0.0)
    assert bucket.rate_limited(0.0, retry_after=3600.0).paused_until == 30.0
    bucket = bucket.rate_limited(0.0, retry_after=10.0).rate_limited(1.0, retry_after=2.0)
    assert bucket.paused_until == 10.0
    assert bucket.rate_limited(1.0, retry_after=math.nan).paused_until == 10.0


def test_success_recovers_additively_up_to_rate() -> None:
    policy = RatePolicy(rate=10.0, additive_increase=0.5, decrease_cooldown=0.0)
    bucket = TokenBucket.full(policy, now=0.0).rate_limited(0.0)
    assert bucket.rate == 5.0
    for i in range(4):
        bucket = bucket.succeeded(float(i))
    assert bucket.rate == 7.0
    for i in range(100):
        bucket = bucket.succeeded(10.0 + i)
    assert bucket.rate == 10.0


# --- async budget ----------------------------------------------------------------------------


async def test_acquire_is_immediate_within_burst() -> None:
    fake = FakeTime()
    budget = RequestBudget(RatePolicy(rate=1.0, burst=3.0), clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        await budget.acquire()
    assert fake.sleeps == []


async def test_fifo_and_spacing() -> None:
    fake = FakeTime()
    budget = RequestBudget(RatePolicy(rate=2.0, burst=1.0), clock=fake.clock, sleep=fake.sleep)
    grants: list[tuple[int, float]] = []

    async def waiter(i: int) -> None:
        await budget.acquire()
        grants.append((i, fake.now))

    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(waiter(i)))
        await fake.settle()
    await fake.run_until(10.0)
    await asyncio.gather(*tasks)
    assert [i for i, _ in grants] == list(range(6))
    assert [t for _, t in grants] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    # Only the head of the queue sleeps: one sleep per grant, not one per waiter per grant.
    assert len(fake.sleeps) == 5


async def test_rate_limit_feedback_slows_everyone() -> None:
    fake = FakeTime()
    policy = RatePolicy(rate=4.0, burst=1.0, decrease_cooldown=0.0)
    budget = RequestBudget(policy, clock=fake.clock, sleep=fake.sleep)
    await budget.acquire()
    budget.on_rate_limited(retry_after=3.0)
    assert budget.rate == 2.0
    grants: list[float] = []

    async def waiter() -> None:
        await budget.acquire()
        grants.append(fake.now)

    tasks = [asyncio.create_task(waiter()) for _ in range(2)]
    await fake.run_until(10.0)
    await asyncio.gather(*tasks)
    assert grants == pytest.approx([3.5, 4.0])
    budget.on_success()
    assert budget.rate == pytest.approx(2.05)
    assert budget.bucket.rate == budget.rate


async def test_pause_reported_while_head_sleeps_is_honoured() -> None:
    fake = FakeTime()
    budget = RequestBudget(RatePolicy(rate=1.0, burst=1.0), clock=fake.clock, sleep=fake.sleep)
    await budget.acquire()
    task = asyncio.create_task(budget.acquire())
    await fake.run_until(0.5)  # the head sleeps until 1.0
    budget.on_rate_limited(retry_after=4.0)  # pause until 4.5; rate 0.5
    # The accrued half token is dropped; one full token at 0.5/s after the pause.
    await fake.run_until(6.4)
    assert not task.done()
    await fake.run_until(6.5)
    assert task.done()
    assert fake.sleeps[-1] == pytest.approx(6.5 - 1.0)
    await task


async def test_cancelled_head_leaks_nothing() -> None:
    fake = FakeTime()
    budget = RequestBudget(RatePolicy(rate=1.0, burst=1.0), clock=fake.clock, sleep=fake.sleep)
    await budget.acquire()
    grants: list[tuple[str, float]] = []

    async def waiter(name: str) -> None:
        await budget.acquire()
        grants.append((name, fake.now))

    head = asyncio.create_task(waiter("head"))
    await fake.settle()
    second = asyncio.create_task(waiter("second"))
    third = asyncio.create_task(waiter("third"))
    await fake.run_until(0.5)
    head.cancel()
    await fake.run_until(5.0)
    assert head.cancelled()
    await asyncio.gather(second, third)
    # The second waiter gets the slot the head would have had: nothing was reserved.
    assert grants == [("second", 1.0), ("third", 2.0)]


async def test_cancelled_queued_waiter_and_wait_for() -> None:
    fake = FakeTime()
    budget = RequestBudget(RatePolicy(rate=1.0, burst=1.0), clock=fake.clock, sleep=fake.sleep)
    await budget.acquire()
    order: list[str] = []

    async def waiter(name: str) -> None:
        await budget.acquire()
        order.append(name)

    tasks = {name: asyncio.create_task(waiter(name)) for name in "abcd"}
    await fake.settle()
    tasks["b"].cancel()
    tasks["c"].cancel()
    await fake.run_until(10.0)
    assert order == ["a", "d"]
    assert tasks["b"].cancelled() and tasks["c"].cancelled()
    await asyncio.gather(tasks["a"], tasks["d"])

    # A caller giving up via wait_for (real timeout, fake budget sleep) leaves no trace either.
    await budget.acquire()  # t=10: takes the refilled token
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(budget.acquire(), timeout=0.01)
    late = asyncio.create_task(waiter("late"))
    await fake.run_until(10.9)
    assert not late.done()
    await fake.run_until(11.0)
    assert late.done()
    assert order == ["a", "d", "late"]
    assert budget.bucket.tokens == pytest.approx(0.0)


async def test_many_waiters_share_the_rate() -> None:
    fake = FakeTime()
    budget = RequestBudget(RatePolicy(rate=50.0, burst=10.0), clock=fake.clock, sleep=fake.sleep)
    done: list[float] = []

    async def waiter() -> None:
        await budget.acquire()
        done.append(fake.now)

    tasks = [asyncio.create_task(waiter()) for _ in range(500)]
    await fake.run_until(100.0)
    await asyncio.gather(*tasks)
    assert len(done) == 500
    # 10 at once, then 490 at 50/s.
    assert max(done) == pytest.approx(490 / 50.0)
    assert sum(1 for t in done if t <= 1.0) == pytest.approx(10 + 50, abs=1)
