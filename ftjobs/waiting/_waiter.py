"""Waiting on one job: [`JobWaiter`][ftjobs.waiting._waiter.JobWaiter], its typed updates, and
one-step polling.

Everything is built on [`JobWaiter.step()`][ftjobs.waiting._waiter.JobWaiter.step], which makes one
poll (the job, and when asked its new events and checkpoints) and never sleeps.
[`JobWaiter.wait()`][ftjobs.waiting._waiter.JobWaiter.wait] and
[`JobWaiter.updates()`][ftjobs.waiting.JobWaiter.updates] are ``step`` plus ``asyncio.sleep``
in a loop; an external scheduler can run the same steps with its own sleeping, carrying a
continuation token between them. The pacing decisions are the pure functions of
`ftjobs.waiting._policy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

import attrs

from .._describe import checkpoint_line, eta_line, event_line, status_line
from .._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    JobFailed,
    JobPaused,
    RateLimitError,
    ResponseValidationError,
    WaitTimeout,
)
from .._models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent, JobStatus
from .._retry import should_retry
from ._policy import PollPolicy, PollState, StopReason, eta_seconds, next_delay, poll_hint
from ._ratelimit import RequestBudget
from ._source import JobSource
from ._token import ContinuationToken

if TYPE_CHECKING:
    # The watcher drives waiters; a waiter only hands itself to it.
    from ._watcher import Watcher

__all__ = [
    "DEADLINE_GRACE",
    "CheckpointReceived",
    "EtaChanged",
    "EventReceived",
    "JobUpdate",
    "JobWaiter",
    "OnPaused",
    "Pacer",
    "StatusChanged",
    "StepResult",
]

OnPaused = Literal["wait", "return", "raise"]
_EVENT_PAGE = 100
#: Seconds a poll may run past the wait's deadline (the final look) before it is abandoned.
DEADLINE_GRACE = 1.0
_T = TypeVar("_T")


@attrs.frozen
class StatusChanged:
    """The job's status changed (the first poll reports the status it found)."""

    job: FineTuningJob
    previous: str | None

    def describe(self, wall_now: float) -> str:
        """One line: ``running (was queued), ETA 3m05s``; a failure gives its reason."""
        return status_line(self.job, self.previous, wall_now)

    def __str__(self) -> str:
        return self.describe(time.time())


@attrs.frozen
class EventReceived:
    """A new job event, delivered in chronological order, each exactly once."""

    job: FineTuningJob
    event: FineTuningJobEvent

    def describe(self, wall_now: float) -> str:
        """One line: ``running, step 12/40, loss 0.841, ETA 3m05s``, or the message."""
        return event_line(self.job, self.event, wall_now)

    def __str__(self) -> str:
        return self.describe(time.time())


@attrs.frozen
class CheckpointReceived:
    """A new checkpoint, delivered in step order, each exactly once."""

    job: FineTuningJob
    checkpoint: FineTuningJobCheckpoint

    def describe(self, wall_now: float) -> str:
        """One line: ``running, checkpoint at step 12, loss 0.841``."""
        return checkpoint_line(self.job, self.checkpoint, wall_now)

    def __str__(self) -> str:
        return self.describe(time.time())


@attrs.frozen
class EtaChanged:
    """The server's ``estimated_finish`` changed (unix seconds; ``None`` when unknown)."""

    job: FineTuningJob
    previous: int | None

    def describe(self, wall_now: float) -> str:
        """One line: ``running, ETA 3m05s (was 5m00s)``."""
        return eta_line(self.job, self.previous, wall_now)

    def __str__(self) -> str:
        return self.describe(time.time())


JobUpdate: TypeAlias = StatusChanged | EventReceived | CheckpointReceived | EtaChanged
"""Any update yielded by [`JobWaiter.updates()`][ftjobs.waiting._waiter.JobWaiter.updates] /
``client.jobs.watch()``.

``str(update)`` is one short line (``running, step 12/40, loss 0.841, ETA 3m05s``), so
``on_update=print`` reads like a log; ``update.describe(wall_now)`` is the same with the clock
given."""

OnUpdate: TypeAlias = Callable[[JobUpdate], Awaitable[None] | None]


@attrs.frozen
class StepResult:
    """The outcome of one [`JobWaiter.step()`][ftjobs.waiting._waiter.JobWaiter.step].

    Attributes:
        job: The job as last seen (``None`` only when the very first poll failed).
        updates: What changed since the previous step, in order.
        token: Continuation token to take the next step from; ``None`` once terminal.
        delay: Seconds the poll policy wants slept before the next step; ``None`` once
            terminal.
        error: The transient error this step hit (the wait goes on), if any.
    """

    job: FineTuningJob | None
    updates: tuple[JobUpdate, ...]
    token: str | None
    delay: float | None
    error: Exception | None = None

    @property
    def done(self) -> bool:
        """True once the job is terminal."""
        return self.token is None


def is_transient(exc: BaseException) -> bool:
    """A poll failure that should not end a wait (the server may answer next time)."""
    if isinstance(exc, APIStatusError):
        return should_retry(exc.status_code, exc.headers, gateway_retries=False)
    if isinstance(exc, ResponseValidationError):
        return exc.model == "JSON"  # a truncated body, not a schema mismatch
    return isinstance(exc, APIConnectionError)


class Pacer:
    """The bookkeeping every poll loop shares (one job's waiter, a group's ticks).

    It wraps the pure `PollState` with the clocks, the server's hint
    and the failure rules: a permanent failure raises at once, a transient one is absorbed
    (with a 429 counted as "too fast" rather than as a failure), and a spent budget raises
    [`WaitTimeout`][ftjobs.WaitTimeout] (or, for the failure budget, the last error itself).

    Args:
        policy: Pacing and budgets.
        state: Where to start (a fresh `PollState.start()` or a resumed token's state).
        clock, wall_clock, rng: Monotonic seconds, unix seconds, jitter source.
    """

    def __init__(
        self,
        policy: PollPolicy,
        state: PollState,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self.state = state
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng
        self._hint: float | None = None
        self._error: Exception | None = None

    def now(self) -> float:
        """The pacer's monotonic clock."""
        return self._clock()

    def wall_now(self) -> float:
        """The pacer's wall clock (unix seconds)."""
        return self._wall_clock()

    def with_budget(self, budget_left: float | None) -> None:
        """Reset the total budget to ``budget_left`` seconds from now (``None``: none)."""
        self.state = self.state.with_budget(budget_left, now=self._clock())

    def succeeded(
        self,
        status: str | enum.Enum,
        *,
        headers: Mapping[str, str] | None = None,
        last_event_id: str | None = None,
        last_checkpoint_id: str | None = None,
    ) -> None:
        """Record a successful poll that saw ``status`` (``headers`` may carry a hint)."""
        self._hint = poll_hint(headers, self._wall_clock)
        self._error = None
        self.state = self.state.after_poll(
            status,
            now=self._clock(),
            last_event_id=last_event_id,
            last_checkpoint_id=last_checkpoint_id,
        )

    async def bounded(self, poll: Awaitable[_T]) -> _T:
        """Await ``poll``, abandoning it `DEADLINE_GRACE` seconds after the deadline.

        A stalled server (a per-attempt timeout of a minute, times the retries) cannot hold
        a wait long past its budget; the abandoned poll raises
        [`APITimeoutError`][ftjobs.APITimeoutError] (transient, so the budget check that follows
        reports the timeout).
        """
        left = self.state.time_left(self._clock())
        if left is None:
            return await poll
        try:
            async with asyncio.timeout(max(left, 0.0) + DEADLINE_GRACE):
                return await poll
        except TimeoutError:
            raise APITimeoutError("the poll outlived the wait's deadline") from None

    def failed(self, exc: Exception) -> None:
        """Record a failed poll; re-raise ``exc`` unless it is transient."""
        if not is_transient(exc):
            raise exc
        headers = exc.headers if isinstance(exc, APIStatusError) else None
        self._hint = poll_hint(headers, self._wall_clock)
        self._error = exc
        limited = isinstance(exc, RateLimitError)
        self.state = self.state.after_failure(now=self._clock(), rate_limited=limited)

    def check(self, describe: Callable[[StopReason], WaitTimeout]) -> None:
        """Raise if a budget ran out: the last error for the failure budget, else the
        [`WaitTimeout`][ftjobs.WaitTimeout] built by ``describe``."""
        reason = self.state.exhausted(self.policy, now=self._clock())
        if reason is None:
            return
        if reason is StopReason.FAILURES and self._error is not None:
            raise self._error
        raise describe(reason)

    def delay(self, estimated_finish: float | None = None) -> float:
        """Seconds to sleep before the next poll, given the job's ``estimated_finish``."""
        return next_delay(
            self.policy,
            self.state,
            now=self._clock(),
            eta=eta_seconds(estimated_finish, wall_now=self._wall_clock()),
            server_hint=self._hint,
            rng=self._rng,
        )


class JobWaiter:
    """Follows one job to a terminal state.

    Get one from ``client.jobs.waiter(job_or_id_or_token)``. Its state (poll pacing, budgets,
    last event and checkpoint delivered) can be saved at any moment as a continuation token
    ([`continuation_token()`][ftjobs.waiting._waiter.JobWaiter.continuation_token]) and resumed
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
        sleep: Coroutine function [`wait()`][ftjobs.waiting._waiter.JobWaiter.wait] and
            [`updates()`][ftjobs.waiting._waiter.JobWaiter.updates] sleep with (an external
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
            updates[:0] = self._job_updates(job)
            self.job = job
            newest_event = next(
                (u.event.id for u in reversed(updates) if isinstance(u, EventReceived)), None
            )
            newest_checkpoint = next(
                (u.checkpoint.id for u in reversed(updates) if isinstance(u, CheckpointReceived)),
                None,
            )
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

    def _job_updates(self, job: FineTuningJob) -> list[JobUpdate]:
        updates: list[JobUpdate] = []
        previous = self._pacer.state.last_status
        if str(job.status) != previous:
            updates.append(StatusChanged(job, previous))
        if self.job is not None and job.estimated_finish != self.job.estimated_finish:
            updates.append(EtaChanged(job, self.job.estimated_finish))
        return updates

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
        async with self._watcher.subscribe(self) as subscription:
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
