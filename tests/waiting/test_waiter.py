"""ftjobs.waiting: the Pacer (pure bookkeeping with injected clocks) and the waiter's rules
for statuses the SDK does not know (mocked HTTP, no emulator)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy

import ftjobs
from ftjobs.waiting._pacer import Pacer, is_transient
from ftjobs.waiting._policy import PollState, StopReason
from tests._support.payloads import BASE_URL, job_payload

JOB_URL = re.compile(rf"{re.escape(BASE_URL)}/fine_tuning/jobs/ftjob-1$")


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _status_error(
    cls: type[ftjobs.APIStatusError], status: int, headers: dict[str, str] | None = None
) -> ftjobs.APIStatusError:
    return cls(
        f"HTTP {status}",
        status_code=status,
        headers=CIMultiDictProxy(CIMultiDict(headers or {})),
    )


def _pacer(policy: ftjobs.PollPolicy, clock: FakeClock) -> Pacer:
    return Pacer(
        policy, PollState.start(policy, now=clock()), clock=clock, wall_clock=lambda: 1000.0
    )


NO_JITTER = ftjobs.PollPolicy(jitter=0.0)


def test_transient_and_permanent_failures() -> None:
    assert is_transient(_status_error(ftjobs.RateLimitError, 429))
    assert is_transient(_status_error(ftjobs.InternalServerError, 503))
    assert is_transient(ftjobs.APITimeoutError("slow"))
    assert is_transient(ftjobs.APIConnectionError("reset"))
    assert not is_transient(_status_error(ftjobs.NotFoundError, 404))
    assert not is_transient(_status_error(ftjobs.AuthenticationError, 401))
    # A wrong-shaped 2xx is ridden out like a 5xx (issue 22 item 3), within failure_timeout.
    assert is_transient(ftjobs.ResponseValidationError("FineTuningJob", ["$.id: missing"]))
    assert is_transient(ftjobs.ResponseValidationError("JSON", ["$: truncated"]))


def test_pacer_raises_permanent_failures_at_once() -> None:
    clock = FakeClock()
    pacer = _pacer(NO_JITTER, clock)
    missing = _status_error(ftjobs.NotFoundError, 404)
    with pytest.raises(ftjobs.NotFoundError):
        pacer.failed(missing)
    assert pacer.state.consecutive_failures == 0


def test_pacer_honours_retry_after_and_slows_down_after_429() -> None:
    clock = FakeClock()
    pacer = _pacer(NO_JITTER, clock)
    pacer.succeeded("running")
    assert pacer.delay() == 2.0
    pacer.failed(_status_error(ftjobs.RateLimitError, 429, {"Retry-After": "7"}))
    assert pacer.state.rate_limited == 1 and pacer.state.consecutive_failures == 0
    assert pacer.delay() == 7.0  # the hint is the floor (the slow-down alone says 4)
    pacer.failed(_status_error(ftjobs.RateLimitError, 429))
    assert pacer.delay() == 2.0 * 2.0**2
    pacer.succeeded("running", headers={"openai-poll-after-ms": "12000"})
    assert pacer.state.rate_limited == 0
    assert pacer.delay() == 12.0  # a hint on a successful poll counts too
    pacer.succeeded("running")
    assert pacer.delay() == 2.0 * 1.5**2  # and lasts for one poll only


def test_pacer_failure_budget_raises_the_last_error() -> None:
    clock = FakeClock()
    policy = ftjobs.PollPolicy(jitter=0.0, max_consecutive_failures=2)
    pacer = _pacer(policy, clock)

    def describe(reason: StopReason) -> ftjobs.WaitTimeout:
        return ftjobs.WaitTimeout(reason.value, job=None, token=None, reason=reason.value)

    first = _status_error(ftjobs.InternalServerError, 500)
    pacer.failed(first)
    pacer.check(describe)  # one failure: keep going
    last = ftjobs.APIConnectionError("reset")
    pacer.failed(last)
    with pytest.raises(ftjobs.APIConnectionError) as info:
        pacer.check(describe)
    assert info.value is last


def test_pacer_timeout_and_clamp_to_time_left() -> None:
    clock = FakeClock()
    policy = ftjobs.PollPolicy(jitter=0.0, initial_interval=30, timeout=10)
    pacer = _pacer(policy, clock)
    pacer.succeeded("running")
    assert pacer.delay() == 10.0
    clock.now += 4
    assert pacer.delay() == 6.0
    pacer.with_budget(None)
    assert pacer.delay() == 30.0
    pacer.with_budget(1.0)
    clock.now += 1

    def describe(reason: StopReason) -> ftjobs.WaitTimeout:
        return ftjobs.WaitTimeout("t", job=None, token=None, reason=reason.value)

    with pytest.raises(ftjobs.WaitTimeout) as info:
        pacer.check(describe)
    assert info.value.reason == "timeout"


def test_pacer_steers_by_the_eta_on_its_wall_clock() -> None:
    clock = FakeClock()
    pacer = _pacer(NO_JITTER, clock)  # wall clock fixed at 1000
    pacer.succeeded("running")
    assert pacer.delay(estimated_finish=1040) == 20.0
    assert pacer.delay(estimated_finish=1003) == 3.0  # lands on the ETA
    assert pacer.delay(estimated_finish=0) == 2.0  # "0" means unknown


@pytest.mark.parametrize("status", ["pending", "canceling", "Succeeded", "notRunning"])
async def test_unknown_statuses_keep_the_wait_going(
    mocked: aioresponses, client: ftjobs.AsyncClient, status: str
) -> None:
    # Azure's "canceling" is not "cancelled", "pending" is not done: only the three terminal
    # statuses end a wait.
    mocked.get(JOB_URL, payload=job_payload("ftjob-1", status=status))
    mocked.get(JOB_URL, payload=job_payload("ftjob-1", status=status))
    mocked.get(JOB_URL, payload=job_payload("ftjob-1", status="cancelled"))
    empty = {"object": "list", "data": [], "has_more": False}
    mocked.get(re.compile(r".*/ftjob-1/(events|checkpoints)\?.*"), payload=empty, repeat=True)
    seen: list[Any] = []
    policy = ftjobs.PollPolicy(initial_interval=0.001, max_interval=0.002)
    done = await client.jobs.wait_until_terminal("ftjob-1", poll=policy, on_update=seen.append)
    assert done.status is ftjobs.JobStatus.CANCELLED
    changes = [u for u in seen if isinstance(u, ftjobs.StatusChanged)]
    assert [str(u.job.status) for u in changes] == [status, "cancelled"]


async def test_unknown_status_survives_a_continuation_token(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(JOB_URL, payload=job_payload("ftjob-1", status="pending"))
    waiter = client.jobs.waiter("ftjob-1")
    result = await waiter.step()
    assert result.token is not None and not result.done
    resumed = client.jobs.waiter(result.token)
    assert resumed.state.last_status == "pending"


async def test_eta_changes_are_reported_against_the_previous_poll(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    for eta in (None, 2_000_000_000, 2_000_000_000, 2_000_000_600):
        mocked.get(JOB_URL, payload=job_payload("ftjob-1", status="running", estimated_finish=eta))
    waiter = client.jobs.waiter("ftjob-1")
    changes = []
    for _ in range(4):
        result = await waiter.step()
        changes += [u.previous for u in result.updates if isinstance(u, ftjobs.EtaChanged)]
    # The first poll reports its status, not an ETA change; a repeated ETA is no change.
    assert changes == [None, 2_000_000_000]


async def test_bounded_keeps_a_cancellation_racing_the_poll() -> None:
    # The poll finishes in the same loop turn as the waiter is cancelled: the cancellation must
    # win (asyncio.wait_for on 3.11 returns the result and loses it, bpo-42130).
    pacer = _pacer(NO_JITTER, FakeClock())
    pacer.with_budget(10.0)
    inner: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(pacer.bounded(inner))
    await asyncio.sleep(0)
    inner.set_result(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_bounded_returns_the_poll_result() -> None:
    pacer = _pacer(NO_JITTER, FakeClock())
    pacer.with_budget(10.0)
    assert await pacer.bounded(asyncio.sleep(0, result=7)) == 7
