"""A campaign's decisions, pure: when the next daily slot opens, how many members may be active,
which member goes next, whether a failed member is re-created, how long to back off.

Every function here is a function of the state it is given and a ``now`` (the campaign's
injected clock): no I/O, no sleep, no clock read. `ftjobs.campaigns._run` asks them and does
the waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .._errors import (
    APIConnectionError,
    ConflictError,
    DailyLimitError,
    InternalServerError,
    RateLimitError,
)
from .._models import JobError
from .._retry import exponential_backoff

__all__ = [
    "ACTIVE_BACKOFF_CAP",
    "ACTIVE_BACKOFF_INITIAL",
    "DATA_ERROR_CODES",
    "DATA_ERROR_PARAMS",
    "DAY",
    "SLOT_MARGIN",
    "UNKNOWN_SLOT_WAIT",
    "active_backoff",
    "active_cap",
    "describe_seconds",
    "is_active_limit",
    "is_data_error",
    "is_transient",
    "next_daily_slot",
    "next_member",
    "retry_member",
    "submit_count",
    "transient_backoff",
]

DAY = 86_400.0
"""The daily quota's rolling window, in seconds."""
SLOT_MARGIN = 1.0
"""Seconds added to a computed slot, so a create does not land on the window's very edge."""
UNKNOWN_SLOT_WAIT = 900.0
"""How long to wait when a daily limit is reported but no create of the model is seen in the
last 24 h (the quota counts jobs this client cannot list): try again after 15 minutes."""
ACTIVE_BACKOFF_INITIAL = 30.0
"""First wait after a create refused for too many active jobs while none of ours is active."""
ACTIVE_BACKOFF_CAP = 900.0
"""Longest such wait."""

DATA_ERROR_CODES = frozenset(
    {
        "invalid_training_file",
        "invalid_validation_file",
        "invalid_file",
        "invalid_file_format",
        "invalid_n_examples",
        "invalid_request_error",
        "invalid_hyperparameters",
        "file_too_large",
        "too_many_tokens",
        "unsafe_training_file",
        "moderation_blocked",
        "validation_error",
        "exceeded_quota",
        "billing_hard_limit_reached",
    }
)
"""``error.code`` values of a failed job that say the request or its data is at fault: a new
attempt would fail the same way, so such a member is never re-created. (Any other code, or
none, is taken for a server-side failure.)"""
DATA_ERROR_PARAMS = frozenset({"training_file", "validation_file", "hyperparameters", "method"})
"""``error.param`` values that point at the request's data: a failure naming one of them is a
data error whatever its code."""


def is_data_error(error: JobError | None) -> bool:
    """Whether a failed job's ``error`` blames its data or request (never re-created): its
    code is one of `DATA_ERROR_CODES` or starts with ``invalid_``, or its param is one of
    `DATA_ERROR_PARAMS`."""
    if error is None:
        return False
    code = error.code or ""
    return (
        code in DATA_ERROR_CODES
        or code.startswith("invalid_")
        or (error.param or "") in DATA_ERROR_PARAMS
    )


def retry_member(
    status: str, error: JobError | None, attempt: int, retry_failed: int, *, stopping: bool
) -> bool:
    """Whether a member whose job ended in ``status`` (after ``attempt``, 0-based) gets a new
    attempt: only a ``failed`` job, for a server-side reason, while fewer than
    ``retry_failed`` re-creations were made, and not once the run is stopping. A cancelled
    job was someone's decision and is never re-created."""
    return (
        status == "failed" and not stopping and attempt < retry_failed and not is_data_error(error)
    )


def next_daily_slot(created: Iterable[float], *, now: float) -> float:
    """When the daily quota of a model lets one more create through, after a refusal at
    ``now``: 24 h after the oldest create of that model in the 24 h before ``now`` (a rolling
    window), plus `SLOT_MARGIN`; ``now + UNKNOWN_SLOT_WAIT`` when none is seen.

    Args:
        created: The ``created_at`` (server seconds) of the model's jobs, in any order; those
            outside the window are ignored.
    """
    window = [t for t in created if now - DAY < t <= now]
    if not window:
        return now + UNKNOWN_SLOT_WAIT
    return max(min(window) + DAY + SLOT_MARGIN, now)


def active_cap(max_active: int, leave_free: int, observed: int, *, first_batch_done: bool) -> int:
    """How many of the campaign's jobs may be active at once now.

    ``max_active`` always bounds it. ``leave_free=k`` applies after the first batch (once one
    of the campaign's jobs ended): it keeps ``k`` of the ``observed`` concurrent slots free,
    where ``observed`` is the most of the campaign's jobs seen running at once (or the number
    active when the server refused a create for too many active jobs). Never below 1, so the
    campaign always progresses; with nothing observed yet, ``max_active``.
    """
    if not first_batch_done or leave_free <= 0 or observed <= 0:
        return max_active
    return max(1, min(max_active, observed - leave_free))


def submit_count(active: int, pending: int, cap: int) -> int:
    """How many pending members to submit now: the room under ``cap``, at most ``pending``."""
    return max(0, min(pending, cap - active))


def next_member(
    pending: Sequence[int],
    models: Mapping[int, str],
    blocked_until: Mapping[str, float],
    *,
    now: float,
) -> int | None:
    """The first pending member (in order) whose model is not waiting for a daily slot at
    ``now``, or ``None`` when every pending member's model is."""
    for index in pending:
        if blocked_until.get(models[index], 0.0) <= now:
            return index
    return None


def is_active_limit(error: Exception) -> bool:
    """Whether a create's error means "too many active jobs, try when one ends": a 429 that
    is not the daily quota (the transport already retried it on its own schedule)."""
    return isinstance(error, RateLimitError) and not isinstance(error, DailyLimitError)


def active_backoff(refusals: int) -> float:
    """Seconds to wait after the ``refusals``-th consecutive refusal for too many active jobs
    while none of the campaign's own is active (another's jobs hold the slots): 30 s, doubling,
    at most 15 min."""
    return exponential_backoff(
        ACTIVE_BACKOFF_INITIAL, 2.0, max(refusals - 1, 0), ACTIVE_BACKOFF_CAP
    )


TRANSIENT_BACKOFF_INITIAL = 5.0
"""First wait after a create that failed in transit (the transport's own retries spent)."""


def is_transient(error: Exception) -> bool:
    """Whether a create's error may pass by itself (a connection failure, a timeout, a 5xx, a
    409 of an idempotency key in flight), the transport's retries spent: the campaign waits
    and tries again, looking for the member's job first (the create may have reached the
    server). Anything else (a 400, a 401...) ends the run."""
    return isinstance(error, (APIConnectionError, InternalServerError, ConflictError))


def transient_backoff(failures: int) -> float:
    """Seconds to wait after the ``failures``-th consecutive failed create: 5 s, doubling, at
    most 15 min."""
    return exponential_backoff(
        TRANSIENT_BACKOFF_INITIAL, 2.0, max(failures - 1, 0), ACTIVE_BACKOFF_CAP
    )


def describe_seconds(seconds: float) -> str:
    """A wait for people: ``"6 h 12 min"``, ``"12 min"``, ``"40 s"``."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
