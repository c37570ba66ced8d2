"""Waiting on many jobs at once: ``wait_many`` and ``as_completed``.

A group refreshes its pending jobs with a `Refresher` (list pages rather than one GET per
job), through the client's shared request budget, and paces its ticks with the same pure
`ftjobs.waiting.policy` rules as a single waiter (a tick in which any status changed counts as
a status change).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import APITimeoutError, WaitTimeout
from ..models import FineTuningJob, JobStatus
from .policy import PollPolicy, PollState, StopReason, webhook_delay
from .refresh import Refresher
from .source import JobSource
from .waiter import Pacer

if TYPE_CHECKING:
    from .watcher import Watcher

__all__ = [
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_FAILURE",
    "JobGroup",
    "ReturnWhen",
    "WaitManyResult",
]

_PAGE = 100


class ReturnWhen(enum.StrEnum):
    """When ``wait_many`` returns."""

    ALL_COMPLETED = "all_completed"
    """Every job is terminal."""
    FIRST_COMPLETED = "first_completed"
    """At least one job is terminal."""
    FIRST_FAILURE = "first_failure"
    """A job failed or was cancelled (or, failing that, every job is terminal)."""


ALL_COMPLETED = ReturnWhen.ALL_COMPLETED
"""``wait_many`` returns once every job is terminal."""
FIRST_COMPLETED = ReturnWhen.FIRST_COMPLETED
"""``wait_many`` returns once at least one job is terminal."""
FIRST_FAILURE = ReturnWhen.FIRST_FAILURE
"""``wait_many`` returns once a job failed or was cancelled, or else when all are terminal."""

_UNSUCCESSFUL = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


@attrs.frozen
class WaitManyResult:
    """What ``wait_many`` saw when it returned.

    Attributes:
        done: Terminal jobs, by id.
        pending: Jobs not terminal yet, by id, as last seen (``None`` if never seen).
    """

    done: dict[str, FineTuningJob]
    pending: dict[str, FineTuningJob | None]

    @property
    def failed(self) -> list[FineTuningJob]:
        """Done jobs that failed or were cancelled."""
        return [job for job in self.done.values() if job.status in _UNSUCCESSFUL]


class JobGroup:
    """Follows a set of jobs to their terminal states with as few requests as it can.

    Each tick refreshes every pending job, through the list endpoint while that is cheaper
    than one GET per job: a scan costs as many pages as it takes to reach the deepest pending
    job (known from the previous scan), GETs cost one per pending job.

    Args:
        jobs: The ``client.jobs`` resource.
        ids: Job ids to follow (duplicates are ignored).
        poll: Pacing and total budget of the group.
        list_threshold: With at most this many pending jobs, always use GETs.
        max_concurrency: Cap on GETs in flight at once.
        clock: Injected for tests: monotonic seconds.
        wall_clock: Injected for tests: unix seconds.
        rng: Injected for tests: source of jitter.
        sleep: Coroutine function [`as_completed()`][ftjobs.waiting.group.JobGroup.as_completed] and
            [`wait()`][ftjobs.waiting.group.JobGroup.wait] sleep with.
        watcher: The client's `Watcher`, whose webhooks wake the group's sleeps.
    """

    def __init__(
        self,
        jobs: JobSource,
        ids: Iterable[str],
        *,
        poll: PollPolicy | None = None,
        list_threshold: int = 3,
        max_concurrency: int = 8,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        watcher: Watcher | None = None,
    ) -> None:
        self._jobs = jobs
        self.policy = poll or PollPolicy()
        self.pending: dict[str, FineTuningJob | None] = dict.fromkeys(ids)
        if not self.pending:
            raise ValueError("ids must name at least one job")
        self.done: dict[str, FineTuningJob] = {}
        self._refresher = Refresher(
            jobs, list_threshold=list_threshold, max_concurrency=max_concurrency
        )
        self._sleep = sleep
        self._watcher = watcher
        self._pacer = Pacer(
            self.policy,
            PollState.start(self.policy, now=clock()),
            clock=clock,
            wall_clock=wall_clock,
            rng=rng,
        )
        self.ticks = 0
        """Ticks made so far."""
        self.refreshed = 0
        """Sum over ticks of the jobs pending at the tick: what one GET per job per tick
        would have cost."""

    def with_timeout(self, timeout: float | None) -> JobGroup:
        """Give the group a total budget of ``timeout`` seconds from now (``None``: none)."""
        self._pacer.with_budget(timeout)
        return self

    async def refresh(self) -> list[FineTuningJob]:
        """One tick: refresh every pending job; return those that became terminal."""
        finished, error = await self._refresh()
        if error is not None:
            raise error
        return finished

    async def _refresh(self) -> tuple[list[FineTuningJob], Exception | None]:
        seen = await self._refresher.refresh(self.pending)
        # What was seen before a failure still counts: nothing is asked for twice.
        finished = []
        for job_id, job in seen.jobs.items():
            if job.is_terminal:
                self.pending.pop(job_id, None)
                self._refresher.forget(job_id)
                self.done[job_id] = job
                finished.append(job)
            else:
                self.pending[job_id] = job
        return finished, seen.worst_error()

    @property
    def requests(self) -> int:
        """Requests made so far (pages and GETs)."""
        return self._refresher.requests

    def _signature(self) -> str:
        # A value that changes whenever any pending job's status does: fed to PollState as the
        # group's "status", so a change anywhere resets the backoff.
        digest = hashlib.blake2b(digest_size=8)
        for job_id, job in sorted(self.pending.items()):
            digest.update(f"{job_id}={job.status if job else '-'};".encode())
        digest.update(str(len(self.done)).encode())
        return digest.hexdigest()

    async def tick(self) -> tuple[list[FineTuningJob], float | None]:
        """Refresh once; return the newly terminal jobs and the delay before the next tick.

        The delay is ``None`` once every job is terminal. Transient failures are absorbed
        (a longer delay; jobs seen before the failure still count); permanent ones raise.

        Raises:
            WaitTimeout: The group's total budget ran out.
        """
        self.ticks += 1
        self.refreshed += len(self.pending)
        try:
            finished, error = await self._pacer.bounded(self._refresh())
        except APITimeoutError as exc:
            finished, error = [], exc
        if error is not None:
            self._pacer.failed(error)
        else:
            self._jobs.budget.on_success()
            self._pacer.succeeded(self._signature())
        if not self.pending:
            return finished, None
        self._pacer.check(self._timeout_error)
        etas = [job.estimated_finish for job in self.pending.values() if job is not None]
        known = [eta for eta in etas if eta is not None and eta > 0]
        return finished, self._pacer.delay(min(known) if known else None)

    def _timeout_error(self, reason: StopReason) -> WaitTimeout:
        return WaitTimeout(
            f"gave up waiting on {len(self.pending)} of "
            f"{len(self.pending) + len(self.done)} jobs: {reason.value}",
            job=None,
            token=None,
            reason=reason.value,
        )

    async def as_completed(self) -> AsyncIterator[FineTuningJob]:
        """Yield each job as it becomes terminal (in the order they are noticed).

        With the client's watcher, a webhook for a pending job ends the sleep at once, and
        once webhooks arrive the group sleeps the policy's ``webhook_safety_interval``.
        """
        woken = asyncio.Event()

        def wake(job_id: str) -> None:
            if job_id in self.pending:
                woken.set()

        with self._watcher.webhooks_for(wake) if self._watcher else contextlib.nullcontext():
            while True:
                finished, delay = await self.tick()
                for job in finished:
                    yield job
                if delay is None:
                    return
                if self._watcher is not None and self._watcher.webhooks_arriving:
                    left = self._pacer.state.time_left(self._pacer.now())
                    delay = webhook_delay(self.policy, delay, time_left=left)
                await self._nap(delay, woken)

    async def _nap(self, seconds: float, woken: asyncio.Event) -> None:
        if woken.is_set():
            woken.clear()
            return
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        waker = asyncio.ensure_future(woken.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
            woken.clear()

    async def wait(self, return_when: ReturnWhen = ALL_COMPLETED) -> WaitManyResult:
        """Poll until ``return_when`` is met; a timeout returns what was seen (see
        [`WaitManyResult`][ftjobs.waiting.group.WaitManyResult]) rather than raising, like
        `asyncio.wait()`."""
        when = ReturnWhen(return_when)
        try:
            async for job in self.as_completed():
                if when is FIRST_COMPLETED or (
                    when is FIRST_FAILURE and job.status in _UNSUCCESSFUL
                ):
                    break
        except WaitTimeout:
            pass
        return WaitManyResult(dict(self.done), dict(self.pending))
