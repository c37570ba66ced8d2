"""Waiting on fine-tuning jobs: one job's waiter, a group of jobs, the watcher a client's waits
share, the updates a wait delivers, the poll policy, continuation tokens and the shared request
budget.

``client.jobs``' wait methods (``client.jobs.waiter()``, ``wait_until_terminal``, ``watch``,
``wait_many``, ``as_completed``, ``step``) are those of its `JobWaits`, which builds them from
these; build them yourself to run a wait's steps from an external scheduler. The package
depends on a `JobSource` (fetch a job, a page of jobs, a job's events), never on
``client.jobs`` itself.
"""

from ._group import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_FAILURE,
    JobGroup,
    ReturnWhen,
    WaitManyResult,
)
from ._policy import DEFAULT_WAIT_TIMEOUT, DEFAULT_WEBHOOK_SAFETY_INTERVAL, PollPolicy
from ._ratelimit import RatePolicy, RequestBudget
from ._source import JobSource
from ._token import ContinuationToken
from ._updates import (
    CheckpointReceived,
    EtaChanged,
    EventReceived,
    JobUpdate,
    OnUpdate,
    StatusChanged,
    StepResult,
)
from ._waiter import JobWaiter, OnPaused
from ._waits import JobWaits
from ._watcher import Watcher

__all__ = [
    "ALL_COMPLETED",
    "DEFAULT_WAIT_TIMEOUT",
    "DEFAULT_WEBHOOK_SAFETY_INTERVAL",
    "FIRST_COMPLETED",
    "FIRST_FAILURE",
    "CheckpointReceived",
    "ContinuationToken",
    "EtaChanged",
    "EventReceived",
    "JobGroup",
    "JobSource",
    "JobUpdate",
    "JobWaiter",
    "JobWaits",
    "OnPaused",
    "OnUpdate",
    "PollPolicy",
    "RatePolicy",
    "RequestBudget",
    "ReturnWhen",
    "StatusChanged",
    "StepResult",
    "WaitManyResult",
    "Watcher",
]
