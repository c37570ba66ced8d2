"""One watcher per client: every wait of the client subscribes to it.

A `Watcher` keeps, for each subscribed wait, when that wait wants its next fresh view of its
job (the wait's own `PollPolicy` says when, exactly as if it polled alone), and refreshes the
jobs itself: through one GET when it watches one job or a few, through newest-first list
pages (a `Refresher`) when it watches several, so that 5,000 waits cost what one `wait_many`
costs. Each wait then takes the view as its poll (`JobWaiter.observe`): its budgets, its
continuation token and its updates are its own; it fetches events and checkpoints only if it
asked for updates.

The watcher drives `Subscriber`s and knows nothing of waiters: a `JobWaiter` attaches its
`Subscription`, a `JobGroup` attaches itself, so waiting layers as policy, pacer and updates,
then refresher, then watcher, then waiter and group.

A webhook for a job (`Watcher.webhook`) makes the watcher confirm the job at once with one GET
(a webhook alone is never trusted) and hand the result to the job's waits. Once webhooks
arrive, waits that do not follow events poll only every ``webhook_safety_interval``, so a lost
webhook costs lag, never a lost job.

The decision of what to fetch and when is `plan`, a pure function of the waits' due times and
the webhooks pending; the watcher's loop is its I/O edge.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

import attrs

from .._errors import APITimeoutError
from .._models import FineTuningJob
from ._refresh import Refresher, Seen
from ._source import JobSource

__all__ = ["Plan", "Subscriber", "View", "Watcher", "plan"]

View = tuple[FineTuningJob, Mapping[str, str]] | Exception
"""A fresh look at a job: the job and the response headers, or why it could not be seen."""


@attrs.frozen
class Plan:
    """What the watcher does next.

    Attributes:
        fetch: Jobs to refresh now (empty: nothing is due).
        scan: Refresh them through list pages when cheaper (``False``: GETs only).
        wake_in: Seconds until the next wait is due, when nothing is due now.
    """

    fetch: frozenset[str] = frozenset()
    scan: bool = False
    wake_in: float | None = None


def plan(
    due: Mapping[str, float], confirm: AbstractSet[str], *, now: float, list_threshold: int
) -> Plan:
    """Decide the next refresh (pure).

    Args:
        due: For each watched job, when the most eager of its waits wants a fresh view.
        confirm: Jobs a webhook spoke of, to confirm at once.
        now: The watcher's clock.
        list_threshold: Above this many watched jobs, a scheduled refresh lists.

    A job whose time has come, among more than ``list_threshold`` watched, refreshes every
    watched job: one list page sees a hundred, and every wait then shares the schedule. Webhook
    confirmations alone are GETs, unless there are more of them than ``list_threshold``.
    """
    confirm = frozenset(confirm & due.keys())
    ready = frozenset(job_id for job_id, at in due.items() if at <= now)
    if ready and len(due) > list_threshold:
        return Plan(frozenset(due), scan=True)
    if ready or confirm:
        return Plan(ready | confirm, scan=len(ready | confirm) > list_threshold)
    # A job whose waits are still taking the last view is due at infinity: only they can
    # say when they want the next one.
    soonest = min(due.values(), default=math.inf)
    if soonest == math.inf:
        return Plan()
    return Plan(wake_in=max(soonest - now, 0.0))


class Subscriber(Protocol):
    """What the watcher drives: one wait (a `Subscription`), or a group of jobs' wait."""

    @property
    def due(self) -> float:
        """When it wants its next fresh view of its jobs (the watcher's clock)."""
        ...

    def fetching(self, job_id: str) -> None:
        """A refresh of ``job_id`` is starting (planned from the due times, or a webhook)."""
        ...

    def deliver(self, job_id: str, view: View) -> None:
        """Hand over a fresh view of ``job_id``."""
        ...


class Watcher:
    """The scheduler every wait of one client subscribes to (see the module docstring).

    Args:
        source: Where jobs are fetched (``client.jobs``).
        clock: Monotonic seconds (injected in tests and benchmarks on emulated time).
        sleep: Coroutine function the loop sleeps with (likewise).
        list_threshold: Above this many watched jobs, refresh through list pages.
        max_concurrency: Cap on GETs in flight at once.
    """

    def __init__(
        self,
        source: JobSource,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        list_threshold: int = 3,
        max_concurrency: int = 8,
    ) -> None:
        self._refresher = Refresher(
            source, list_threshold=list_threshold, max_concurrency=max_concurrency
        )
        self._budget = source.budget
        self._clock = clock
        self._sleep = sleep
        self._list_threshold = list_threshold
        self._subscriptions: dict[str, list[Subscriber]] = {}
        self._last: dict[str, FineTuningJob] = {}
        self._confirm: set[str] = set()
        self._in_flight: set[str] = set()
        self._kicked = asyncio.Event()
        self._slept_ahead = 0.0
        self._task: asyncio.Task[None] | None = None
        self._closed: Exception | None = None
        self.webhooks_arriving = False
        """True once a webhook reached the watcher: waits then poll at the safety interval."""

    @property
    def requests(self) -> int:
        """Requests the watcher made (pages and GETs)."""
        return self._refresher.requests

    @property
    def watched(self) -> int:
        """Jobs with at least one wait subscribed."""
        return len(self._subscriptions)

    def last_seen(self, job_id: str) -> FineTuningJob | None:
        """The watched job as the last refresh saw it (``None``: not watched, or not seen)."""
        return self._last.get(job_id)

    def now(self) -> float:
        """The watcher's time: its clock, plus what an injected sleep said it slept beyond
        what the clock saw (a sleep compressing time compresses the watcher's waits too, as
        it would a lone waiter's)."""
        return self._clock() + self._slept_ahead

    def kick(self) -> None:
        """Make the loop re-plan now (a due time moved, a webhook came)."""
        self._kicked.set()

    @contextlib.asynccontextmanager
    async def attach(self, subscriber: Subscriber, job_ids: Iterable[str]) -> AsyncIterator[None]:
        """Drive ``subscriber`` for the block: refresh ``job_ids`` when it is due, and hand it
        every fresh view of them (a `JobGroup` attaches its jobs so; `detach` lets one go)."""
        ids = list(job_ids)
        for job_id in ids:
            self._subscriptions.setdefault(job_id, []).append(subscriber)
        if self._closed is not None:
            # Closed for good: no refresh starts again; the subscriber learns why at once.
            for job_id in ids:
                subscriber.deliver(job_id, self._closed)
        elif self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        self.kick()
        try:
            yield
        finally:
            for job_id in ids:
                self.detach(subscriber, job_id)
            await self._stop_if_idle()

    def detach(self, subscriber: Subscriber, job_id: str) -> None:
        """Stop handing ``subscriber`` views of ``job_id`` (nothing if it had none)."""
        subscribers = self._subscriptions.get(job_id, [])
        if subscriber in subscribers:
            subscribers.remove(subscriber)
        if not subscribers:
            self._subscriptions.pop(job_id, None)
            self._last.pop(job_id, None)
            self._confirm.discard(job_id)
            self._refresher.forget(job_id)

    async def _stop_if_idle(self) -> None:
        if not self._subscriptions and self._task is not None:
            # Nobody is left to hand a result to: a refresh in flight is abandoned, and the
            # loop has ended when the last wait returns (no task outlives the waits).
            task, self._task = self._task, None
            task.cancel()
            await asyncio.wait({task})

    async def close(self, error: Exception) -> None:
        """Stop for good (the client is closing): the loop and every refresh in flight are
        cancelled, so no request starts after this, and every wait subscribed now or later
        gets ``error`` as its view (a `ClientClosedError` ends it at once)."""
        self._closed = error
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        for job_id, subscribers in list(self._subscriptions.items()):
            for subscriber in list(subscribers):
                subscriber.deliver(job_id, error)

    def webhook(self, job_id: str) -> None:
        """A webhook spoke of ``job_id``: confirm it at once for the waits on it."""
        self.webhooks_arriving = True
        if job_id in self._subscriptions:
            self._confirm.add(job_id)
            self.kick()

    async def _run(self) -> None:
        # Refreshes fly concurrently: a webhook's confirmation never queues behind a long
        # scan of every watched job.
        flights: set[asyncio.Task[None]] = set()
        try:
            while self._subscriptions:
                self._kicked.clear()
                due = {
                    job_id: min(s.due for s in subscriptions)
                    for job_id, subscriptions in self._subscriptions.items()
                    if job_id not in self._in_flight
                }
                decision = plan(
                    due,
                    self._confirm - self._in_flight,
                    now=self.now(),
                    list_threshold=self._list_threshold,
                )
                if not decision.fetch:
                    if decision.wake_in is None:
                        await self._kicked.wait()
                    else:
                        await self._nap(decision.wake_in)
                    continue
                self._confirm -= decision.fetch
                self._in_flight |= decision.fetch
                for job_id in decision.fetch:
                    for subscriber in self._subscriptions.get(job_id, []):
                        subscriber.fetching(job_id)
                flight = asyncio.create_task(self._fly(decision))
                flights.add(flight)
                flight.add_done_callback(flights.discard)
        finally:
            for flight in flights:
                flight.cancel()
            await asyncio.gather(*flights, return_exceptions=True)

    async def _fly(self, decision: Plan) -> None:
        wanted = {job_id: self._last.get(job_id) for job_id in decision.fetch}
        try:
            seen = await self._refresher.refresh(wanted, scan=None if decision.scan else False)
        except Exception as exc:  # the refresher reports failures; this is a bug guard
            seen = Seen({}, {}, dict.fromkeys(wanted, exc))
        finally:
            self._in_flight -= decision.fetch
        if seen.jobs:
            self._budget.on_success()
        self._hand_out(wanted, seen)
        self.kick()

    def _hand_out(self, wanted: Mapping[str, object], seen: Seen) -> None:
        for job_id in wanted:
            job = seen.jobs.get(job_id)
            view: View
            if job is not None:
                self._last[job_id] = job
                view = (job, seen.headers.get(job_id, {}))
            else:
                view = seen.errors.get(job_id) or APITimeoutError("the job was not refreshed")
            for subscriber in list(self._subscriptions.get(job_id, [])):
                subscriber.deliver(job_id, view)

    async def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if kicked."""
        if self._kicked.is_set():
            return
        started = self._clock()
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        kicked = asyncio.ensure_future(self._kicked.wait())
        try:
            await asyncio.wait({sleeper, kicked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            kicked.cancel()
        if sleeper.done() and not sleeper.cancelled():
            self._slept_ahead += max(seconds - (self._clock() - started), 0.0)
