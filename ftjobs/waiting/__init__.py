"""Waiting on fine-tuning jobs: the pure poll policy, one job's waiter, a group, the one
watcher a client's waits share, continuation tokens and the shared request budget.

The package depends on `JobSource` (fetch a job, a page of jobs, a job's events), never on
``client.jobs`` itself, which builds its waits from it.

- `ftjobs.waiting._policy`: `PollPolicy` and the pure pacing decisions.
- `ftjobs.waiting._waiter`: `JobWaiter` (one job; `JobWaiter.step` is one poll) and the updates.
- `ftjobs.waiting._watcher`: `Watcher`, the scheduler every wait of one client subscribes to.
- `ftjobs.waiting._group`: `JobGroup` (``wait_many``, ``as_completed``).
- `ftjobs.waiting._token`: `ContinuationToken`.
- `ftjobs.waiting._ratelimit`: `RequestBudget`, the client's shared token bucket.
"""

from ._source import JobSource
from ._waiter import (
    DEADLINE_GRACE,
    CheckpointReceived,
    EtaChanged,
    EventReceived,
    JobUpdate,
    JobWaiter,
    OnPaused,
    OnUpdate,
    Pacer,
    StatusChanged,
    StepResult,
    is_transient,
)

__all__ = [
    "DEADLINE_GRACE",
    "CheckpointReceived",
    "EtaChanged",
    "EventReceived",
    "JobSource",
    "JobUpdate",
    "JobWaiter",
    "OnPaused",
    "OnUpdate",
    "Pacer",
    "StatusChanged",
    "StepResult",
    "is_transient",
]
