"""Waiting on one job: [`JobWaiter`][ftjobs.waiting.JobWaiter] and one-step polling.

Everything is built on [`JobWaiter.step()`][ftjobs.waiting.JobWaiter.step], which makes one
poll (the job, and when asked its new events and checkpoints) and never sleeps.
[`JobWaiter.wait()`][ftjobs.waiting.JobWaiter.wait] and
[`JobWaiter.updates()`][ftjobs.waiting.JobWaiter.updates] are ``step`` plus ``asyncio.sleep``
in a loop; an external scheduler can run the same steps with its own sleeping, carrying a
continuation token between them. The pacing decisions are the pure functions of
`ftjobs.waiting._policy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal

from .._errors import APITimeoutError, JobFailed, JobPaused, WaitTimeout
from .._models import FineTuningJob, JobStatus
from ._pacer import DEADLINE_GRACE, Pacer
from ._policy import PollPolicy, PollState, StopReason, safety_look_due, webhook_delay
from ._ratelimit import RequestBudget
from ._source import JobSource
from ._token import ContinuationToken
from ._updates import (
    CheckpointReceived,
    EventReceived,
    JobUpdate,
    OnUpdate,
    StepResult,
    job_changes,
    newest_ids,
)
from ._watcher import View, Watcher

__all__ = ["JobWaiter", "OnPaused", "Subscription"]

OnPaused = Literal["wait", "return", "raise"]
"""What a wait does when the job is paused: keep waiting, return it, or raise
[`JobPaused`][ftjobs.JobPaused]."""
_EVENT_PAGE = 100


class JobWaiter:
    """Follows one job to a terminal state.

    Get one from ``client.jobs.waiter(job_or_id_or_token)``. Its state (poll pacing, budgets,
    last event and checkpoint delivered) can be saved at any moment as a continuation token
    ([`continuation_token()`][ftjobs.waiting.JobWaiter.continuation_token]) and resumed
    elsewhere with ``client.jobs.waiter(token)``.

    Args:
        jobs: The ``client.jobs`` resource to poll through.
        job_id: The job to follow.
        poll: Pacing and budgets.
        follow: Also fetch new events and checkpoints on every step (``watch`` does).
        budget: Request budget shared by every waiter of the client.
        token: A decoded continuation token to resume from.
        clock: Injected for tests: monotonic seconds.
        wall_clock: Injected for tests: unix seconds.
        rng: Injected for tests: source of jitter.
        sleep: Coroutine function [`wait()`][ftjobs.waiting.JobWaiter.wait] and
            [`updates()`][ftjobs.waiting.JobWaiter.updates] sleep with (an external
            scheduler, or a benchmark running on emulated time, injects its own).
        watcher: The client's shared `Watcher`: `wait` and `updates` then take their polls
            from it (one refresh serves every wait of the client) instead of polling and
            sleeping on their own. `step` is always one poll of its own.
    """

    def __init__(
        self,
        jobs: JobSource,
        job_id: str,
        *,
        poll: PollPolicy | None = None,
        follow: bool = False,
        budget: RequestBudget | None = None,
        token: ContinuationToken | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        watcher: Watcher | None = None,
    ) -> None:
        self._jobs = jobs
        self._watcher = watcher
        self.job_id = job_id
        self.policy = poll or PollPolicy()
        self.follow = follow
        self._budget = budget
        self._sleep = sleep
        self.job: FineTuningJob | None = None
        """The job as last seen."""
        if token is None:
            state = PollState.start(self.policy, now=clock())
        else:
            state = token.to_state(now=clock(), wall_now=wall_clock())
        self._pacer = Pacer(self.policy, state, clock=clock, wall_clock=wall_clock, rng=rng)

    @property
    def state(self) -> PollState:
        """The pure polling state (budgets, backoff, last event seen)."""
        return self._pacer.state

    def pacer_now(self) -> float:
        """The waiter's monotonic clock (the one its state's times are on)."""
        return self._pacer.now()

    def with_timeout(self, timeout: float | None) -> JobWaiter:
        """Give the wait a fresh total budget of ``timeout`` seconds from now (``None``: none)."""
        self._pacer.with_budget(timeout)
        return self

    def continuation_token(self) -> str:
        """A token that resumes this wait elsewhere, with no event repeated or lost."""
        return self._token(self._pacer.state)

    def _token(self, state: PollState) -> str:
        return ContinuationToken.from_state(
            self.job_id,
            state,
            now=self._pacer.now(),
            wall_now=self._pacer.wall_now(),
            base_url=self._jobs.base_url,
        ).encode()

    async def _acquire(self) -> None:
        if self._budget is not None:
            await self._budget.acquire()

    async def step(self) -> StepResult:
        """Make one poll and return what changed; never sleeps (except for the shared budget).

        Transient failures (connection errors, timeouts, 429, 5xx) are absorbed: the result
        carries the error and a longer delay. Permanent ones (401, 403, 404, ...) raise. When a
        budget runs out, [`WaitTimeout`][ftjobs.WaitTimeout] is raised (with a continuation token).
        """
        try:
            job, headers = await self._pacer.bounded(self._fetch())
        except Exception as exc:
            return self.observe_failure(exc)
        if self._budget is not None:
            self._budget.on_success()
        return await self.observe(job, headers)

    async def _fetch(self) -> tuple[FineTuningJob, Mapping[str, str]]:
        await self._acquire()
        return await self._jobs.retrieve_with_headers(self.job_id)

    async def observe(
        self, job: FineTuningJob, headers: Mapping[str, str] | None = None
    ) -> StepResult:
        """Take a fresh view of the job fetched elsewhere (by the client's `Watcher`) as this
        step's poll: fetch the new events and checkpoints when following, and return what
        changed, exactly as `step` would have."""
        updates: list[JobUpdate] = []
        if self.follow:
            try:
                updates = await self._pacer.bounded(self._new_events(job))
            except Exception as exc:
                return self.observe_failure(exc)
        return self._finish(self._pacer.state, job, headers, updates)

    def observe_failure(self, exc: Exception) -> StepResult:
        """Take a failed poll made elsewhere as this step's (raises unless transient)."""
        before = self._pacer.state
        # The transport already told the shared budget about every 429 it saw.
        self._pacer.failed(exc)
        return self._finish(before, None, None, [], exc)

    def _finish(
        self,
        before: PollState,
        job: FineTuningJob | None,
        headers: Mapping[str, str] | None,
        updates: list[JobUpdate],
        error: Exception | None = None,
    ) -> StepResult:
        if job is not None:
            updates[:0] = job_changes(job, self._pacer.state.last_status, self.job)
            self.job = job
            newest_event, newest_checkpoint = newest_ids(updates)
            self._pacer.succeeded(
                job.status,
                headers=headers,
                last_event_id=newest_event,
                last_checkpoint_id=newest_checkpoint,
            )
            if job.is_terminal:
                return StepResult(job, tuple(updates), None, None)
        # A WaitTimeout hands the caller nothing of this step: its token resumes from before
        # the step, so the step's updates are delivered on resume rather than skipped.
        self._pacer.check(lambda reason: self._timeout_error(reason, self._token(before)))
        estimated = self.job.estimated_finish if self.job is not None else None
        delay = self._pacer.delay(estimated)
        return StepResult(self.job, tuple(updates), self.continuation_token(), delay, error)

    def _timeout_error(self, reason: StopReason, token: str) -> WaitTimeout:
        return WaitTimeout(
            f"gave up waiting on {self.job_id}: {reason.value} "
            f"(last status {self._pacer.state.last_status or 'unknown'})",
            job=self.job,
            token=token,
            reason=reason.value,
        )

    async def _new_events(self, job: FineTuningJob) -> list[JobUpdate]:
        # The API lists newest first: page back to the last event delivered, then deliver in
        # chronological order, so a reconnect neither skips nor repeats one.
        events = await self._since(
            self._jobs.list_events(job.id, limit=_EVENT_PAGE), self._pacer.state.last_event_id
        )
        updates: list[JobUpdate] = [EventReceived(job, e) for e in reversed(events)]
        if events or job.is_terminal:
            checkpoints = await self._since(
                self._jobs.list_checkpoints(job.id, limit=_EVENT_PAGE),
                self._pacer.state.last_checkpoint_id,
            )
            updates.extend(CheckpointReceived(job, c) for c in reversed(checkpoints))
        return updates

    async def _since(self, pages: Any, last_seen: str | None) -> list[Any]:
        found: list[Any] = []
        async for page in pages.pages():
            for item in page.data:
                if item.id == last_seen:
                    return found
                found.append(item)
            if page.has_more:
                await self._acquire()
        return found

    async def _steps(self) -> AsyncGenerator[StepResult, None]:
        """Steps until the job is terminal: this waiter's own polls and sleeps, or, given a
        watcher, the views the client's shared watcher delivers."""
        if self._watcher is None:
            while True:
                result = await self.step()
                yield result
                if result.delay is None:
                    return
                await self._sleep(result.delay)
        subscription = Subscription(self._watcher, self)
        async with self._watcher.attach(subscription, [self.job_id]):
            while True:
                result = await subscription.next_step()
                yield result
                if result.delay is None:
                    return
                subscription.schedule(result.delay)

    async def updates(self) -> AsyncIterator[JobUpdate]:
        """Yield every update until the job is terminal (``client.jobs.watch()``)."""
        async with contextlib.aclosing(self._steps()) as steps:
            async for result in steps:
                for update in result.updates:
                    yield update

    async def wait(
        self,
        *,
        on_update: OnUpdate | None = None,
        on_paused: OnPaused = "wait",
        raise_on_failure: bool = False,
    ) -> FineTuningJob:
        """Poll until the job is terminal and return it.

        See ``client.jobs.wait_until_terminal`` for the arguments.
        """
        if on_paused not in ("wait", "return", "raise"):
            raise ValueError(f"on_paused must be 'wait', 'return' or 'raise', got {on_paused!r}")
        async with contextlib.aclosing(self._steps()) as steps:
            async for result in steps:
                job = await self._deliver(result, on_update, on_paused, raise_on_failure)
                if job is not None:
                    return job
        raise AssertionError("the steps end only with a terminal job")

    @staticmethod
    async def _deliver(
        result: StepResult,
        on_update: OnUpdate | None,
        on_paused: OnPaused,
        raise_on_failure: bool,
    ) -> FineTuningJob | None:
        """Hand a step's updates on; the job when the wait is over, else ``None``."""
        if on_update is not None:
            for update in result.updates:
                outcome = on_update(update)
                if inspect.isawaitable(outcome):
                    await outcome
        job = result.job
        if job is not None:
            if result.done:
                if raise_on_failure and job.status == JobStatus.FAILED:
                    raise JobFailed(job, job.error)
                return job
            if job.status == JobStatus.PAUSED and on_paused != "wait":
                if on_paused == "raise":
                    raise JobPaused(job)
                return job
        return None


class Subscription:
    """One wait's place in the client's `Watcher`: the `Subscriber` a `JobWaiter` attaches
    while it waits through the watcher (the watcher knows subscribers, never waiters)."""

    def __init__(self, watcher: Watcher, waiter: JobWaiter) -> None:
        self._watcher = watcher
        self.waiter = waiter
        self.due = watcher.now()
        """When the wait wants its next fresh view (the watcher's clock)."""
        self._view: View | None = None
        self._arrived = asyncio.Event()
        self._asked_at: float | None = None

    def fetching(self, job_id: str) -> None:
        """Not planned again until the wait has taken the view (it then schedules)."""
        self.due = math.inf
        self._asked_at = self._watcher.now()

    def deliver(self, job_id: str, view: View) -> None:
        """Hand the wait a fresh view (a newer one replaces one not yet taken)."""
        self._view = view
        self._arrived.set()

    async def next_step(self) -> StepResult:
        """Wait for the next view of the job and take it as the wait's poll."""
        left = self.waiter.state.time_left(self.waiter.pacer_now())
        if left is None:
            await self._arrived.wait()
        elif not self._arrived.is_set():
            try:
                async with asyncio.timeout(max(left, 0.0) + DEADLINE_GRACE):
                    await self._arrived.wait()
            except TimeoutError:
                # The refresh outlived the wait's deadline (a stalled server): the final look
                # failed, and the budget check reports the timeout.
                return self.waiter.observe_failure(
                    APITimeoutError("the poll outlived the wait's deadline")
                )
        view, self._view = self._view, None
        self._arrived.clear()
        assert view is not None
        if isinstance(view, Exception):
            return self.waiter.observe_failure(view)
        return await self.waiter.observe(*view)

    def schedule(self, delay: float) -> None:
        """The wait wants its next view ``delay`` seconds from now (its policy's delay)."""
        waiter, now = self.waiter, self._watcher.now()
        if self._watcher.webhooks_arriving and not waiter.follow:
            left = waiter.state.time_left(waiter.pacer_now())
            delay = webhook_delay(waiter.policy, delay, time_left=left)
            self.due = safety_look_due(delay, asked_at=self._asked_at, now=now)
        else:
            self.due = now + delay
        self._asked_at = None
        self._watcher.kick()
