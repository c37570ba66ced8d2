"""Waiting on many jobs at once: ``wait_many`` and ``as_completed``.

A group attaches its pending jobs to the client's `Watcher`, like every other wait of the
client: the watcher refreshes them (list pages rather than one GET per job, through the shared
request budget, together with whatever else the client waits on) when the group's tick is due,
and a webhook for one of them is confirmed and handed over at once. The group paces its ticks
with the same pure `ftjobs.waiting._policy` rules as a single waiter (a tick in which any status
changed counts as a status change).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import attrs

from .._errors import APITimeoutError, WaitTimeout
from .._models import FineTuningJob, JobStatus
from ._pacer import Pacer, is_transient
from ._policy import PollPolicy, PollState, StopReason, safety_look_due, webhook_delay
from ._source import JobSource
from ._watcher import View, Watcher

__all__ = [
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_FAILURE",
    "JobGroup",
    "ReturnWhen",
    "WaitManyResult",
]


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

    Each tick asks the watcher for a fresh view of every pending job; the watcher lists while
    that is cheaper than one GET per job (a scan costs as many pages as it takes to reach the
    deepest pending job, known from the previous scan). Between ticks, a pending job the
    watcher saw end (a webhook it confirmed, another wait's refresh) is reported at once.

    Args:
        jobs: The ``client.jobs`` resource.
        ids: Job ids to follow (duplicates are ignored).
        poll: Pacing and total budget of the group.
        list_threshold: With at most this many jobs watched, use GETs (own watcher only).
        max_concurrency: Cap on GETs in flight at once (own watcher only).
        clock: Injected for tests: monotonic seconds.
        wall_clock: Injected for tests: unix seconds.
        rng: Injected for tests: source of jitter.
        sleep: Coroutine function the group's own watcher sleeps with.
        watcher: The client's `Watcher` (default: one of the group's own).
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
        self.policy = poll or PollPolicy()
        self.pending: dict[str, FineTuningJob | None] = dict.fromkeys(ids)
        if not self.pending:
            raise ValueError("ids must name at least one job")
        self.done: dict[str, FineTuningJob] = {}
        self._watcher = watcher or Watcher(
            jobs,
            clock=clock,
            sleep=sleep,
            list_threshold=list_threshold,
            max_concurrency=max_concurrency,
        )
        self._pacer = Pacer(
            self.policy,
            PollState.start(self.policy, now=clock()),
            clock=clock,
            wall_clock=wall_clock,
            rng=rng,
        )
        self.due = math.inf
        """When the next tick wants its fresh views (the watcher's clock; ``inf``: the tick is
        under way, or none is planned)."""
        self._fresh: dict[str, View] = {}
        self._ended: dict[str, FineTuningJob] = {}
        self._arrived = asyncio.Event()
        self._attached = False
        self._asked_at: float | None = None
        self.ticks = 0
        """Ticks made so far."""
        self.refreshed = 0
        """Sum over ticks of the jobs pending at the tick: what one GET per job per tick
        would have cost."""

    def with_timeout(self, timeout: float | None) -> JobGroup:
        """Give the group a total budget of ``timeout`` seconds from now (``None``: none)."""
        self._pacer.with_budget(timeout)
        return self

    @property
    def requests(self) -> int:
        """Requests its watcher made so far (pages and GETs; with the client's watcher, those
        of every wait it serves)."""
        return self._watcher.requests

    # The watcher's side (`Subscriber`).

    def fetching(self, job_id: str) -> None:
        """The watcher starts a refresh: the due tick is under way."""
        now = self._watcher.now()
        if self.due <= now:
            self.due = math.inf
            self._asked_at = now

    def deliver(self, job_id: str, view: View) -> None:
        """Take a fresh view: part of the tick under way, or, between ticks, a job seen to end."""
        if job_id not in self.pending:
            return
        if self.due <= self._watcher.now() or self.due == math.inf:
            self._fresh[job_id] = view
            if self._fresh.keys() >= self.pending.keys():
                self._arrived.set()
        elif not isinstance(view, Exception):
            job = view[0]
            if job.is_terminal:
                self._ended[job_id] = job
                self._arrived.set()
            else:
                self.pending[job_id] = job

    # The group's side.

    @contextlib.asynccontextmanager
    async def _watching(self) -> AsyncIterator[None]:
        if self._attached:
            yield
            return
        self._attached = True
        try:
            async with self._watcher.attach(self, list(self.pending)):
                yield
        finally:
            self._attached = False

    def _schedule(self, delay: float, *, safety: bool = False) -> None:
        now = self._watcher.now()
        self.due = (
            safety_look_due(delay, asked_at=self._asked_at, now=now) if safety else now + delay
        )
        # A tick whose views all came from refreshes started for others has no start of its own.
        self._asked_at = None
        self._watcher.kick()

    def _finish(self, job: FineTuningJob) -> None:
        self.pending.pop(job.id, None)
        self._fresh.pop(job.id, None)
        self.done[job.id] = job
        self._watcher.detach(self, job.id)

    def _signature(self) -> str:
        # A value that changes whenever any pending job's status does: fed to PollState as the
        # group's "status", so a change anywhere resets the backoff.
        digest = hashlib.blake2b(digest_size=8)
        for job_id, job in sorted(self.pending.items()):
            digest.update(f"{job_id}={job.status if job else '-'};".encode())
        digest.update(str(len(self.done)).encode())
        return digest.hexdigest()

    async def tick(self) -> tuple[list[FineTuningJob], float | None]:
        """Refresh every pending job now; return the newly terminal jobs and the delay before
        the next tick.

        The delay is ``None`` once every job is terminal. Transient failures are absorbed
        (a longer delay; jobs seen before the failure still count); permanent ones raise.

        Raises:
            WaitTimeout: The group's total budget ran out.
        """
        async with self._watching():
            self._schedule(0.0)
            finished: list[FineTuningJob] = []
            while True:
                ended, delay, whole = await self._next()
                finished += ended
                if whole or not self.pending:
                    return finished, delay

    async def _next(self) -> tuple[list[FineTuningJob], float | None, bool]:
        """Wait for the tick's views (or a job seen to end before it); return the jobs that
        ended, the delay before the next tick, and whether the tick was whole.

        With webhooks arriving, the delay is the safety one, counted from the tick's start."""
        try:
            await self._pacer.bounded(self._arrived.wait())
        except APITimeoutError as exc:
            # The deadline passed while waiting: this counts as the tick, a failed one.
            self._fresh.update(dict.fromkeys(self.pending.keys() - self._fresh.keys(), exc))
        self._arrived.clear()
        ended, self._ended = list(self._ended.values()), {}
        for job in ended:
            self._finish(job)
        if self._fresh.keys() < self.pending.keys() or not self.pending:
            return ended, None, not self.pending
        fresh, self._fresh = self._fresh, {}
        self.ticks += 1
        self.refreshed += len(self.pending)
        errors = [view for view in fresh.values() if isinstance(view, Exception)]
        for view in fresh.values():
            if not isinstance(view, Exception):
                job = view[0]
                if job.is_terminal:
                    self._finish(job)
                    ended.append(job)
                else:
                    self.pending[job.id] = job
        if errors:
            # A permanent error (a wrong id) outranks a hiccup; failed() raises it.
            self._pacer.failed(min(errors, key=is_transient))
        else:
            self._pacer.succeeded(self._signature())
        if not self.pending:
            return ended, None, True
        self._pacer.check(self._timeout_error)
        etas = [job.estimated_finish for job in self.pending.values() if job is not None]
        known = [eta for eta in etas if eta is not None and eta > 0]
        delay = self._pacer.delay(min(known) if known else None)
        if self._watcher.webhooks_arriving:
            left = self._pacer.state.time_left(self._pacer.now())
            delay = webhook_delay(self.policy, delay, time_left=left)
        return ended, delay, True

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

        A job the watcher sees end between ticks (a webhook it confirmed, another wait's
        refresh) is yielded at once; once webhooks arrive, the group ticks only every
        ``webhook_safety_interval`` of its policy.
        """
        async with self._watching():
            self._schedule(0.0)
            while self.pending:
                ended, delay, whole = await self._next()
                if whole and delay is not None:
                    self._schedule(delay, safety=self._watcher.webhooks_arriving)
                for job in ended:
                    yield job

    async def wait(self, return_when: ReturnWhen = ALL_COMPLETED) -> WaitManyResult:
        """Poll until ``return_when`` is met; a timeout returns what was seen (see
        [`WaitManyResult`][ftjobs.waiting.WaitManyResult]) rather than raising, like
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
