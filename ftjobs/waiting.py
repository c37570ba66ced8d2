"""Waiting on one job: :class:`JobWaiter`, its typed updates, and one-step polling.

Everything is built on :meth:`JobWaiter.step`, which makes one poll (the job, and when asked
its new events and checkpoints) and never sleeps. :meth:`JobWaiter.wait` and
:meth:`JobWaiter.updates` are ``step`` plus ``asyncio.sleep`` in a loop; an external scheduler
can run the same steps with its own sleeping, carrying a continuation token between them.
The pacing decisions are the pure functions of :mod:`ftjobs.polling`.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from .budget import RequestBudget
from .continuation import TOKEN_PREFIX, ContinuationToken
from .errors import (
    APIConnectionError,
    APIStatusError,
    JobFailed,
    JobPaused,
    RateLimitError,
    ResponseValidationError,
    WaitTimeout,
)
from .models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent, JobStatus
from .polling import PollPolicy, PollState, StopReason, eta_seconds, next_delay, poll_hint
from .retry import should_retry

if TYPE_CHECKING:
    from .resources.jobs import Jobs

__all__ = [
    "CheckpointReceived",
    "EtaChanged",
    "EventReceived",
    "JobUpdate",
    "JobWaiter",
    "OnPaused",
    "StatusChanged",
    "StepResult",
]

OnPaused = Literal["wait", "return", "raise"]
_EVENT_PAGE = 100


@attrs.frozen
class StatusChanged:
    """The job's status changed (the first poll reports the status it found)."""

    job: FineTuningJob
    previous: str | None


@attrs.frozen
class EventReceived:
    """A new job event, delivered in chronological order, each exactly once."""

    job: FineTuningJob
    event: FineTuningJobEvent


@attrs.frozen
class CheckpointReceived:
    """A new checkpoint, delivered in step order, each exactly once."""

    job: FineTuningJob
    checkpoint: FineTuningJobCheckpoint


@attrs.frozen
class EtaChanged:
    """The server's ``estimated_finish`` changed (unix seconds; ``None`` when unknown)."""

    job: FineTuningJob
    previous: int | None


JobUpdate: TypeAlias = StatusChanged | EventReceived | CheckpointReceived | EtaChanged
"""Any update yielded by :meth:`JobWaiter.updates` / ``client.jobs.watch()``."""

OnUpdate: TypeAlias = Callable[[JobUpdate], Awaitable[None] | None]


@attrs.frozen
class StepResult:
    """The outcome of one :meth:`JobWaiter.step`.

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


def is_token(value: str) -> bool:
    """True when ``value`` looks like a continuation token rather than a job id."""
    return value.startswith(TOKEN_PREFIX + ".")


def is_transient(exc: BaseException) -> bool:
    """A poll failure that should not end a wait (the server may answer next time)."""
    if isinstance(exc, APIStatusError):
        return should_retry(exc.status_code, exc.headers, gateway_retries=False)
    if isinstance(exc, ResponseValidationError):
        return exc.model == "JSON"  # a truncated body, not a schema mismatch
    return isinstance(exc, APIConnectionError)


class JobWaiter:
    """Follows one job to a terminal state.

    Get one from ``client.jobs.waiter(job_or_id_or_token)``. Its state (poll pacing, budgets,
    last event and checkpoint delivered) can be saved at any moment as a continuation token
    (:meth:`continuation_token`) and resumed elsewhere with ``client.jobs.waiter(token)``.

    Args:
        jobs: The ``client.jobs`` resource to poll through.
        job_id: The job to follow.
        poll: Pacing and budgets.
        follow: Also fetch new events and checkpoints on every step (``watch`` does).
        budget: Request budget shared by every waiter of the client.
        token: A decoded continuation token to resume from.
        clock, wall_clock, rng: Injected for tests (monotonic seconds, unix seconds, jitter).
    """

    def __init__(
        self,
        jobs: Jobs,
        job_id: str,
        *,
        poll: PollPolicy | None = None,
        follow: bool = False,
        budget: RequestBudget | None = None,
        token: ContinuationToken | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._jobs = jobs
        self.job_id = job_id
        self.policy = poll or PollPolicy()
        self.follow = follow
        self._budget = budget
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng
        self.job: FineTuningJob | None = None
        """The job as last seen."""
        if token is None:
            self._state = PollState.start(self.policy, now=clock())
            self._last_checkpoint_id: str | None = None
        else:
            self._state = token.to_state(now=clock(), wall_now=wall_clock())
            self._last_checkpoint_id = token.last_checkpoint_id
        self._last_eta: int | None = None
        self._hint: float | None = None

    @property
    def state(self) -> PollState:
        """The pure polling state (budgets, backoff, last event seen)."""
        return self._state

    def with_timeout(self, timeout: float | None) -> JobWaiter:
        """Give the wait a fresh total budget of ``timeout`` seconds from now (``None``: none)."""
        self._state = self._state.with_budget(timeout, now=self._clock())
        return self

    def continuation_token(self) -> str:
        """A token that resumes this wait elsewhere, with no event repeated or lost."""
        return self._token(self._state, self._last_checkpoint_id)

    def _token(self, state: PollState, last_checkpoint_id: str | None) -> str:
        return ContinuationToken.from_state(
            self.job_id,
            state,
            now=self._clock(),
            wall_now=self._wall_clock(),
            base_url=self._jobs.base_url,
            last_checkpoint_id=last_checkpoint_id,
        ).encode()

    async def _acquire(self) -> None:
        if self._budget is not None:
            await self._budget.acquire()

    async def step(self) -> StepResult:
        """Make one poll and return what changed; never sleeps (except for the shared budget).

        Transient failures (connection errors, timeouts, 429, 5xx) are absorbed: the result
        carries the error and a longer delay. Permanent ones (401, 403, 404, ...) raise. When a
        budget runs out, :class:`~ftjobs.WaitTimeout` is raised (with a continuation token).
        """
        updates: list[JobUpdate] = []
        error: Exception | None = None
        before = (self._state, self._last_checkpoint_id)
        try:
            await self._acquire()
            job = await self._jobs.retrieve(self.job_id)
            if self.follow:
                updates.extend(await self._new_events(job))
        except Exception as exc:
            if not is_transient(exc):
                raise
            error = exc
            headers = exc.headers if isinstance(exc, APIStatusError) else None
            self._hint = poll_hint(headers, self._wall_clock)
            # The transport already told the shared budget about every 429 it saw.
            limited = isinstance(exc, RateLimitError)
            self._state = self._state.after_failure(now=self._clock(), rate_limited=limited)
        else:
            if self._budget is not None:
                self._budget.on_success()
            updates[:0] = self._job_updates(job)
            self.job = job
            self._hint = None
            newest_event = next(
                (u.event.id for u in reversed(updates) if isinstance(u, EventReceived)), None
            )
            self._state = self._state.after_poll(
                job.status, now=self._clock(), last_event_id=newest_event
            )
            if job.is_terminal:
                return StepResult(job, tuple(updates), None, None)
        now = self._clock()
        reason = self._state.exhausted(self.policy, now=now)
        if reason is StopReason.FAILURES and error is not None:
            raise error
        if reason is not None:
            # This step's updates are lost with the exception: the token resumes from before
            # them, so they are delivered on resume rather than skipped.
            token = self._token(*before) if updates else self.continuation_token()
            raise WaitTimeout(
                f"gave up waiting on {self.job_id}: {reason.value} "
                f"(last status {self._state.last_status or 'unknown'})",
                job=self.job,
                token=token,
                reason=reason.value,
            )
        estimated = self.job.estimated_finish if self.job is not None else None
        delay = next_delay(
            self.policy,
            self._state,
            now=now,
            eta=eta_seconds(estimated, wall_now=self._wall_clock()),
            server_hint=self._hint,
            rng=self._rng,
        )
        return StepResult(self.job, tuple(updates), self.continuation_token(), delay, error)

    def _job_updates(self, job: FineTuningJob) -> list[JobUpdate]:
        updates: list[JobUpdate] = []
        previous = self._state.last_status
        if str(job.status) != previous:
            updates.append(StatusChanged(job, previous))
        if self.job is not None and job.estimated_finish != self._last_eta:
            updates.append(EtaChanged(job, self._last_eta))
        self._last_eta = job.estimated_finish
        return updates

    async def _new_events(self, job: FineTuningJob) -> list[JobUpdate]:
        # The API lists newest first: page back to the last event delivered, then deliver in
        # chronological order, so a reconnect neither skips nor repeats one.
        events = await self._since(
            self._jobs.list_events(job.id, limit=_EVENT_PAGE), self._state.last_event_id
        )
        updates: list[JobUpdate] = [EventReceived(job, e) for e in reversed(events)]
        if events or job.is_terminal:
            checkpoints = await self._since(
                self._jobs.list_checkpoints(job.id, limit=_EVENT_PAGE), self._last_checkpoint_id
            )
            if checkpoints:
                self._last_checkpoint_id = checkpoints[0].id
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

    async def updates(self) -> AsyncIterator[JobUpdate]:
        """Yield every update until the job is terminal (``client.jobs.watch()``)."""
        while True:
            result = await self.step()
            for update in result.updates:
                yield update
            if result.delay is None:
                return
            await asyncio.sleep(result.delay)

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
        while True:
            result = await self.step()
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
            assert result.delay is not None
            await asyncio.sleep(result.delay)
