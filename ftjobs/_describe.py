"""One short line per job update, for people: what ``str(update)`` prints.

``on_update=print`` is the first thing a user tries, so every update reads as one line such as
``running, step 12/40, loss 0.841, ETA 3m05s``. The text is a pure function of the update and
the wall clock (for the relative ETA): each update's ``describe(wall_now)`` calls one of the
``*_line`` functions here, and its ``__str__`` passes ``time.time()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._models import CheckpointMetrics, FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent

__all__ = [
    "MAX_MESSAGE",
    "checkpoint_line",
    "eta_line",
    "event_line",
    "format_duration",
    "format_eta",
    "short",
    "status_line",
]

#: Longest event or error message kept in a line (longer ones end with an ellipsis).
MAX_MESSAGE = 100


def format_duration(seconds: float) -> str:
    """``75`` -> ``1m15s``; ``3700`` -> ``1h01m``; rounds up, so a positive time is never 0s."""
    whole = max(math.ceil(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def format_eta(estimated_finish: float | None, wall_now: float) -> str | None:
    """``ETA 3m05s`` for a finish still ahead; ``None`` when unknown or already past."""
    if estimated_finish is None or estimated_finish <= wall_now:
        return None
    return f"ETA {format_duration(estimated_finish - wall_now)}"


def short(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _with_eta(job: FineTuningJob, parts: list[str], wall_now: float) -> str:
    if not job.is_terminal and (eta := format_eta(job.estimated_finish, wall_now)):
        parts.append(eta)
    return ", ".join(parts)


def status_line(job: FineTuningJob, previous: str | None, wall_now: float) -> str:
    """``running (was queued), ETA 3m05s``; a failure gives its reason, a success its model."""
    head = f"{job.status} (was {previous})" if previous else str(job.status)
    return _with_eta(job, [head, *_outcome(job)], wall_now)


def event_line(job: FineTuningJob, event: FineTuningJobEvent, wall_now: float) -> str:
    """``running, step 12/40, loss 0.841, ETA 3m05s``, or the event's message."""
    return _with_eta(job, [str(job.status), *_event(event)], wall_now)


def checkpoint_line(
    job: FineTuningJob, checkpoint: FineTuningJobCheckpoint, wall_now: float
) -> str:
    """``running, checkpoint at step 12, loss 0.841``."""
    return _with_eta(job, [str(job.status), *_checkpoint(checkpoint)], wall_now)


def eta_line(job: FineTuningJob, previous: int | None, wall_now: float) -> str:
    """``running, ETA 3m05s (was 5m00s)``."""
    line = f"{job.status}, {_eta_or_why(job.estimated_finish, wall_now)}"
    if previous is None:
        return line
    return f"{line} (was {_eta_or_why(previous, wall_now).removeprefix('ETA ')})"


def _eta_or_why(estimated_finish: float | None, wall_now: float) -> str:
    if estimated_finish is None:
        return "ETA unknown"
    return format_eta(estimated_finish, wall_now) or "ETA passed"


def _outcome(job: FineTuningJob) -> list[str]:
    if job.error is not None and (job.error.message or job.error.code):
        code = f"{job.error.code}: " if job.error.code else ""
        return [short(code + (job.error.message or ""))]
    if job.fine_tuned_model:
        return [f"model {job.fine_tuned_model}"]
    return []


def _event(event: FineTuningJobEvent) -> list[str]:
    data: Mapping[str, Any] = event.data or {}
    step = data.get("step")
    if event.type == "metrics" and _number(step):
        total = data.get("total_steps")
        parts = [f"step {step}/{total}" if _number(total) else f"step {step}"]
        parts.extend(_losses(data.get("train_loss"), data.get("valid_loss")))
        return parts
    level = f"{event.level}: " if event.level not in ("info", "") else ""
    return [level + short(event.message)]


def _checkpoint(checkpoint: FineTuningJobCheckpoint) -> list[str]:
    metrics = checkpoint.metrics or CheckpointMetrics()
    losses = _losses(metrics.train_loss, metrics.valid_loss)
    return [f"checkpoint at step {checkpoint.step_number}", *losses]


def _losses(train: object, valid: object) -> list[str]:
    parts = []
    if _number(train):
        parts.append(f"loss {train:.3g}")
    if _number(valid):
        parts.append(f"valid loss {valid:.3g}")
    return parts


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
