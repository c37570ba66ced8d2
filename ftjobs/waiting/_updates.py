"""What a wait reports: the typed updates (`StatusChanged`, `EventReceived`,
`CheckpointReceived`, `EtaChanged`) and the outcome of one poll (`StepResult`).

Plain values, shared by the waiter that produces them, the watcher that hands them on, and
every consumer (``client.jobs.watch()``, the CLI, the task helpers).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeAlias

import attrs

from .._describe import checkpoint_line, eta_line, event_line, status_line
from .._models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent

__all__ = [
    "CheckpointReceived",
    "EtaChanged",
    "EventReceived",
    "JobUpdate",
    "OnUpdate",
    "StatusChanged",
    "StepResult",
]


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
"""Any update yielded by [`JobWaiter.updates()`][ftjobs.waiting.JobWaiter.updates] /
``client.jobs.watch()``.

``str(update)`` is one short line (``running, step 12/40, loss 0.841, ETA 3m05s``), so
``on_update=print`` reads like a log; ``update.describe(wall_now)`` is the same with the clock
given."""

OnUpdate: TypeAlias = Callable[[JobUpdate], Awaitable[None] | None]
"""A wait's ``on_update=`` callback: called with each update, in order (awaited when it
returns an awaitable)."""


def job_changes(
    job: FineTuningJob, previous_status: str | None, previous: FineTuningJob | None
) -> list[JobUpdate]:
    """The updates a fresh view of ``job`` makes, given the status last reported and the job
    last seen (pure)."""
    updates: list[JobUpdate] = []
    if str(job.status) != previous_status:
        updates.append(StatusChanged(job, previous_status))
    if previous is not None and job.estimated_finish != previous.estimated_finish:
        updates.append(EtaChanged(job, previous.estimated_finish))
    return updates


def newest_ids(updates: list[JobUpdate]) -> tuple[str | None, str | None]:
    """The newest event id and checkpoint id among ``updates`` (``None`` where there is none),
    to carry in the wait's state so that a resumed wait starts after them."""
    newest_event = next(
        (u.event.id for u in reversed(updates) if isinstance(u, EventReceived)), None
    )
    newest_checkpoint = next(
        (u.checkpoint.id for u in reversed(updates) if isinstance(u, CheckpointReceived)), None
    )
    return newest_event, newest_checkpoint


@attrs.frozen
class StepResult:
    """The outcome of one [`JobWaiter.step()`][ftjobs.waiting.JobWaiter.step].

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
