"""The pure decisions of a distributed campaign's member task (no I/O, no engine).

A member task runs in short steps, each one re-scheduled by the engine: wait for the model's
daily quota, take a slot, submit the member (found by its metadata when it exists), take one
step of the wait on its job, and at the job's end either re-create it (a server-side failure,
``retry_failed`` not spent) or give the slot back. What each step decides is here.
"""

from __future__ import annotations

import math

__all__ = [
    "MEMBER_TASK_PREFIX",
    "check_max_active",
    "check_retry_failed",
    "lease_hold",
    "member_of_task",
    "member_task_id",
    "quota_defer",
]

#: Prefix of the member tasks' ids: ``ftjobs:member:<campaign>:<index>``.
MEMBER_TASK_PREFIX = "ftjobs:member:"


def member_task_id(name: str, index: int) -> str:
    """The stable task id of member ``index`` of campaign ``name``."""
    return f"{MEMBER_TASK_PREFIX}{name}:{index}"


def member_of_task(task_id: str) -> tuple[str, int] | None:
    """The (campaign name, member index) of a member task's id, or ``None`` for another task."""
    if not task_id.startswith(MEMBER_TASK_PREFIX):
        return None
    name, _, index = task_id.removeprefix(MEMBER_TASK_PREFIX).rpartition(":")
    if not name or not index.isascii() or not index.isdigit():
        return None
    return name, int(index)


def lease_hold(delay: float, grace: float) -> float:
    """How long a slot is held from now by a member whose next step is ``delay`` s away.

    ``grace`` covers the engine: the next step may start late (workers busy), and a task
    killed mid-step is re-run only after the engine notices (arq: the task's timeout + 10 s).
    A lease that outlives both is never reclaimed from a member that is still alive.
    """
    if not (math.isfinite(delay) and delay >= 0):
        raise ValueError(f"delay must be a finite number >= 0, got {delay!r}")
    return delay + grace


def quota_defer(blocked_until_ms: int | None, now_ms: int) -> float | None:
    """Seconds until a model's daily quota lets a create through, or ``None`` when it does now."""
    if blocked_until_ms is None or blocked_until_ms <= now_ms:
        return None
    return (blocked_until_ms - now_ms) / 1000


def check_max_active(max_active: object) -> int:
    """``max_active``: an int >= 1 (the campaign's own non-terminal jobs at once)."""
    if isinstance(max_active, bool) or not isinstance(max_active, int) or max_active < 1:
        raise ValueError(f"max_active must be an int >= 1, got {max_active!r}")
    return max_active


def check_retry_failed(retry_failed: object) -> int:
    """``retry_failed``: an int >= 0 (re-creations of a member after server-side failures)."""
    if isinstance(retry_failed, bool) or not isinstance(retry_failed, int) or retry_failed < 0:
        raise ValueError(f"retry_failed must be an int >= 0, got {retry_failed!r}")
    return retry_failed
