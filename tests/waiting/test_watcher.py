"""ftjobs.waiting._watcher: the pure plan on a fake clock, and the watcher's loop over mocked
HTTP (many waits, one refresh; a webhook wakes a wait at once; the safety interval)."""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs.waiting import JobWaiter
from ftjobs.waiting._policy import (
    DEFAULT_WEBHOOK_SAFETY_INTERVAL,
    safety_look_due,
    webhook_delay,
)
from ftjobs.waiting._watcher import Plan, Watcher, plan
from tests._support.payloads import BASE_URL, job_payload, sent

LIST_URL = re.compile(rf"{re.escape(BASE_URL)}/fine_tuning/jobs\?.*limit=100.*")


def _job_url(job_id: str) -> str:
    return f"{BASE_URL}/fine_tuning/jobs/{job_id}"


# -- the plan (pure) -----------------------------------------------------------------------


def test_nothing_due_sleeps_until_the_earliest_wait() -> None:
    assert plan({"a": 15.0, "b": 12.0}, set(), now=10.0, list_threshold=3) == Plan(wake_in=2.0)
    assert plan({}, set(), now=10.0, list_threshold=3) == Plan()


def test_waits_still_taking_a_view_are_not_planned() -> None:
    # Due at infinity: no fetch and no timed nap (the loop waits for the wait to say when).
    assert plan({"a": math.inf}, set(), now=10.0, list_threshold=3) == Plan()


def test_one_due_job_among_few_is_one_get() -> None:
    decision = plan({"a": 9.0, "b": 12.0}, set(), now=10.0, list_threshold=3)
    assert decision == Plan(frozenset({"a"}), scan=False)


def test_one_due_job_among_many_refreshes_every_watched_job_by_listing() -> None:
    due = {f"j{i}": 10.0 + i for i in range(10)}
    decision = plan(due, set(), now=10.0, list_threshold=3)
    assert decision == Plan(frozenset(due), scan=True)


def test_a_webhook_is_confirmed_at_once_with_a_get_of_its_job_alone() -> None:
    due = {f"j{i}": 100.0 for i in range(10)}
    decision = plan(due, {"j3", "unwatched"}, now=10.0, list_threshold=3)
    assert decision == Plan(frozenset({"j3"}), scan=False)


def test_a_burst_of_webhooks_is_confirmed_by_listing() -> None:
    due = {f"j{i}": 100.0 for i in range(10)}
    confirm = {f"j{i}" for i in range(5)}
    assert plan(due, confirm, now=10.0, list_threshold=3) == Plan(frozenset(confirm), scan=True)


def test_webhook_delay_is_the_safety_interval_but_never_past_the_deadline() -> None:
    policy = ftjobs.PollPolicy()
    assert policy.webhook_safety_interval == DEFAULT_WEBHOOK_SAFETY_INTERVAL == 300.0
    assert webhook_delay(policy, 2.0, time_left=None) == 300.0
    assert webhook_delay(policy, 400.0, time_left=None) == 400.0
    assert webhook_delay(policy, 2.0, time_left=50.0) == 50.0
    off = ftjobs.PollPolicy(webhook_safety_interval=None)
    assert webhook_delay(off, 2.0, time_left=None) == 2.0


def test_the_safety_look_counts_from_the_last_request_less_its_round_trip() -> None:
    # Asked at 100, answered at 103: a job ending at 103 must be seen by 403, so the next
    # look starts at 400 (and takes about 3 s too).
    assert safety_look_due(300.0, asked_at=100.0, now=103.0) == 397.0
    assert safety_look_due(300.0, asked_at=None, now=103.0) == 403.0
    # A round trip longer than the delay: at once, never in the past.
    assert safety_look_due(5.0, asked_at=100.0, now=110.0) == 110.0


def test_the_safety_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="webhook_safety_interval"):
        ftjobs.PollPolicy(webhook_safety_interval=0)


# -- the loop (mocked HTTP, fake clock) ------------------------------------------------------


class FakeTime:
    """A clock that moves only when the watcher sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _waiter(
    no_retry_client: ftjobs.AsyncClient, watcher: Watcher, time: FakeTime, job_id: str, **kw: Any
) -> JobWaiter:
    return JobWaiter(
        no_retry_client.jobs,
        job_id,
        budget=no_retry_client.jobs.budget,
        clock=time,
        wall_clock=time,
        watcher=watcher,
        **kw,
    )


def _page(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": jobs, "has_more": False}


async def test_fifty_waits_share_each_refresh(
    no_retry_client: ftjobs.AsyncClient, mocked: aioresponses
) -> None:
    time = FakeTime()
    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    ids = [f"ftjob-{i}" for i in range(50)]
    mocked.get(LIST_URL, payload=_page([job_payload(i, status="running") for i in ids]))
    mocked.get(LIST_URL, payload=_page([job_payload(i, status="succeeded") for i in ids]))
    done = await asyncio.gather(*(_waiter(no_retry_client, watcher, time, i).wait() for i in ids))
    assert {str(j.status) for j in done} == {"succeeded"}
    # Two list pages served all fifty waits: one GET each per poll would have been 100.
    assert len(sent(mocked, "GET")) == 2 == watcher.requests
    assert watcher.watched == 0


async def test_one_wait_polls_with_a_get_at_its_own_pace(
    no_retry_client: ftjobs.AsyncClient, mocked: aioresponses
) -> None:
    time = FakeTime()
    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    policy = ftjobs.PollPolicy(jitter=0, steer_to_eta=False)
    for status in ("queued", "running", "running", "succeeded"):
        mocked.get(_job_url("ftjob-1"), payload=job_payload("ftjob-1", status=status))
    job = await _waiter(no_retry_client, watcher, time, "ftjob-1", poll=policy).wait()
    assert job.status == "succeeded" and len(sent(mocked, "GET")) == 4
    # The pacing a lone waiter has: 2 s after each change, then 3 s (x1.5) while unchanged.
    assert time.slept == [2.0, 2.0, 3.0]


async def test_a_webhook_wakes_the_wait_which_confirms_with_one_get(
    no_retry_client: ftjobs.AsyncClient,
    mocked: aioresponses,
) -> None:
    time = FakeTime()
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def sleep_forever(_seconds: float) -> None:
        await never  # only a kick ends the watcher's nap

    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=sleep_forever)
    mocked.get(_job_url("ftjob-1"), payload=job_payload("ftjob-1", status="running"))
    mocked.get(_job_url("ftjob-1"), payload=job_payload("ftjob-1", status="succeeded"))
    wait = asyncio.create_task(_waiter(no_retry_client, watcher, time, "ftjob-1").wait())
    await asyncio.sleep(0.05)
    assert len(sent(mocked, "GET")) == 1 and not wait.done()
    watcher.webhook("ftjob-1")
    job = await asyncio.wait_for(wait, 5)
    assert job.status == "succeeded" and len(sent(mocked, "GET")) == 2
    assert watcher.webhooks_arriving


async def test_with_webhooks_arriving_a_plain_wait_polls_at_the_safety_interval(
    no_retry_client: ftjobs.AsyncClient,
    mocked: aioresponses,
) -> None:
    time = FakeTime()
    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    watcher.webhook("ftjob-other")  # webhooks arrive (for another job)
    policy = ftjobs.PollPolicy(webhook_safety_interval=120)
    mocked.get(_job_url("ftjob-1"), payload=job_payload("ftjob-1", status="running"))
    mocked.get(_job_url("ftjob-1"), payload=job_payload("ftjob-1", status="succeeded"))
    await _waiter(no_retry_client, watcher, time, "ftjob-1", poll=policy).wait()
    assert time.slept == [120.0]


async def test_with_webhooks_lost_a_job_is_seen_within_the_safety_interval(
    no_retry_client: ftjobs.AsyncClient,
    mocked: aioresponses,
) -> None:
    time = FakeTime()

    async def slow_server(url: Any, **kwargs: Any) -> None:
        time.now += 4.0  # each request takes 4 s

    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    watcher.webhook("ftjob-other")
    policy = ftjobs.PollPolicy(webhook_safety_interval=120)
    for status in ("running", "succeeded"):
        payload = job_payload("ftjob-1", status=status)
        mocked.get(_job_url("ftjob-1"), payload=payload, callback=slow_server)
    await _waiter(no_retry_client, watcher, time, "ftjob-1", poll=policy).wait()
    # The first look was asked at 1000 and answered at 1004. The next one is asked at 1116 and
    # answered at 1120: a job that ended right after the first answer is seen 116 s later,
    # within the 120 s interval (counting from the answer, 120 + 4 s would have been late).
    assert time.slept == [112.0]


async def test_a_wait_on_a_missing_job_raises_and_leaves_the_others_waiting(
    no_retry_client: ftjobs.AsyncClient,
    mocked: aioresponses,
) -> None:
    time = FakeTime()
    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    mocked.get(_job_url("ftjob-gone"), status=404, payload={"error": {"message": "no"}})
    mocked.get(_job_url("ftjob-1"), payload=job_payload("ftjob-1", status="succeeded"))
    gone, ok = await asyncio.gather(
        _waiter(no_retry_client, watcher, time, "ftjob-gone").wait(),
        _waiter(no_retry_client, watcher, time, "ftjob-1").wait(),
        return_exceptions=True,
    )
    assert isinstance(gone, ftjobs.NotFoundError)
    assert isinstance(ok, ftjobs.FineTuningJob) and ok.status == "succeeded"


# -- groups (wait_many, as_completed) on the watcher ------------------------------------------


async def test_a_group_and_single_waits_share_each_refresh(
    no_retry_client: ftjobs.AsyncClient, mocked: aioresponses
) -> None:
    time = FakeTime()
    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    ids = [f"ftjob-{i}" for i in range(20)]
    mocked.get(LIST_URL, payload=_page([job_payload(i, status="running") for i in ids]))
    mocked.get(LIST_URL, payload=_page([job_payload(i, status="succeeded") for i in ids]))
    group = ftjobs.waiting.JobGroup(no_retry_client.jobs, ids, clock=time, watcher=watcher)
    singles = [_waiter(no_retry_client, watcher, time, i) for i in ids[:10]]
    result, *done = await asyncio.gather(group.wait(), *(w.wait() for w in singles))
    assert sorted(result.done) == sorted(ids) and not result.pending
    assert {str(j.status) for j in done} == {"succeeded"}
    # Two list pages served the group and the ten waits alike.
    assert len(sent(mocked, "GET")) == 2 == watcher.requests == group.requests
    assert watcher.watched == 0


async def test_a_webhook_ends_a_group_member_between_ticks(
    no_retry_client: ftjobs.AsyncClient, mocked: aioresponses
) -> None:
    time = FakeTime()
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def sleep_forever(_seconds: float) -> None:
        await never  # no tick comes due: only a webhook moves the group

    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=sleep_forever)
    mocked.get(_job_url("ftjob-a"), payload=job_payload("ftjob-a", status="running"))
    mocked.get(_job_url("ftjob-b"), payload=job_payload("ftjob-b", status="running"))
    mocked.get(_job_url("ftjob-b"), payload=job_payload("ftjob-b", status="failed"))
    group = ftjobs.waiting.JobGroup(
        no_retry_client.jobs, ["ftjob-a", "ftjob-b"], clock=time, watcher=watcher
    )
    seen: list[str] = []

    async def follow() -> None:
        async for job in group.as_completed():
            seen.append(f"{job.id}={job.status}")

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.05)
    assert len(sent(mocked, "GET")) == 2 and group.ticks == 1 and not seen
    watcher.webhook("ftjob-b")
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.01)
    # Confirmed with one GET of b alone; a stays pending, its schedule untouched.
    assert seen == ["ftjob-b=failed"] and len(sent(mocked, "GET")) == 3
    assert list(group.pending) == ["ftjob-a"] and group.ticks == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert watcher.watched == 0  # a cancelled group lets go of its jobs


async def test_with_webhooks_arriving_a_group_ticks_at_the_safety_interval(
    no_retry_client: ftjobs.AsyncClient, mocked: aioresponses
) -> None:
    time = FakeTime()
    watcher = Watcher(no_retry_client.jobs, clock=time, sleep=time.sleep)
    watcher.webhook("ftjob-other")
    policy = ftjobs.PollPolicy(webhook_safety_interval=90)
    for status in ("running", "succeeded"):
        mocked.get(_job_url("ftjob-a"), payload=job_payload("ftjob-a", status=status))
    group = ftjobs.waiting.JobGroup(
        no_retry_client.jobs, ["ftjob-a"], poll=policy, clock=time, watcher=watcher
    )
    result = await group.wait()
    assert list(result.done) == ["ftjob-a"] and time.slept == [90.0]
