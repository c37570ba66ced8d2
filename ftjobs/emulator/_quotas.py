"""Per-model create limits: a rolling daily quota and a bound on active jobs, with counters.

OpenAI refuses a create past N creates of a base model in a rolling 24 hours (the service's
``daily_rate_limit_exceeded`` 429: the next slot opens 24 h after the oldest create in the
window) and runs only a few jobs of a model at once. The emulator holds both limits per model
(`EmulatorConfig.daily_job_limit`, `EmulatorConfig.max_active_jobs`) on its own clock, and
counts per model what a test of a client under those limits wants to check from the server's
side: creates, the peak number of simultaneously active jobs, and refusals of each kind.

No clock and no I/O: every decision is told the time (the store's emulated ``now``).

What counts: a create is counted when a job is made, so a cancelled or failed job still
counts toward the daily quota (it was created), and an idempotent replay of a create does not
(it makes no job; the store never sees it). A refused create makes no job and counts only as
a refusal. A job is active from its creation until it is terminal (``validating_files``,
``queued``, ``running`` and ``paused`` all count). Jobs seeded through the admin endpoint
count toward both limits but are never refused.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._lifecycle import JobState

__all__ = [
    "DAY_SECONDS",
    "ModelCounters",
    "Quotas",
    "active_limit_error",
    "daily_limit_error",
    "next_daily_slot",
]

DAY_SECONDS = 86_400.0
"""The daily quota's rolling window, in emulated seconds."""


def next_daily_slot(
    created: Sequence[float], limit: int, now: float, *, window: float = DAY_SECONDS
) -> float | None:
    """When the next create may happen under a quota of ``limit`` creates per ``window``.

    Args:
        created: Creation times of the model's jobs, oldest first.
        limit: Creates allowed in any ``window``.
        now: The time of the create being decided.

    Returns:
        ``None`` when fewer than ``limit`` creates fall in the window ending at ``now`` (a
        create at ``t`` is in it while ``now - t < window``); else the time at which enough of
        them have left it for one more.
    """
    in_window = [t for t in created if now - t < window]
    excess = len(in_window) - limit
    if excess < 0:
        return None
    return sorted(in_window)[excess] + window


def daily_limit_error(model: str, limit: int) -> ApiError:
    """The service's refusal of a create past the daily quota (its exact body)."""
    return ApiError(
        429,
        "This fine-tune request has been rate-limited. Your organization has reached the "
        f"maximum of {limit} fine-tuning requests per day for the model '{model}'.",
        code="daily_rate_limit_exceeded",
    )


def active_limit_error(model: str, limit: int) -> ApiError:
    """The emulator's refusal of a create while ``limit`` jobs of ``model`` are active.

    A stand-in: OpenAI's real behaviour varies (it may queue such a job instead); this body
    follows the shape of its other rate-limit errors.
    """
    return ApiError(
        429,
        f"Too many active fine-tuning jobs for the model '{model}': your organization has "
        f"reached the maximum of {limit} active (validating, queued, running or paused) "
        "jobs. Wait for one to finish, then try again.",
        code="rate_limit_exceeded",
    )


@attrs.define
class ModelCounters:
    """What happened to one model's creates since the emulator started (or its stats reset).

    Attributes:
        creates: Jobs created.
        peak_active: Most jobs of the model active at one instant.
        daily_limit_refusals: Creates refused by the daily quota.
        active_limit_refusals: Creates refused by the bound on active jobs.
    """

    creates: int = 0
    peak_active: int = 0
    daily_limit_refusals: int = 0
    active_limit_refusals: int = 0


class Quotas:
    """The limits per model, the jobs they are decided from, and their counters.

    The store tells it about every job created (`add`) and every job that ended (`ended`),
    and asks it before a create (`admit`).
    """

    def __init__(self, daily_job_limit: int | None, max_active_jobs: int | None) -> None:
        self.daily_job_limit = daily_job_limit
        self.max_active_jobs = max_active_jobs
        self._created: dict[str, deque[float]] = {}
        self._active: dict[str, set[str]] = {}
        self._counters: dict[str, ModelCounters] = {}

    def load(self, jobs: Iterable[JobState]) -> None:
        """Rebuild what the limits are decided from (the jobs read back from a state file);
        the counters are this process's and stay."""
        self._created = {}
        self._active = {}
        for job in sorted(jobs, key=lambda j: (j.created_at, j.seq)):
            self._index(job)

    def _index(self, job: JobState) -> None:
        self._created.setdefault(job.model, deque()).append(job.created_at)
        if not job.terminal:
            self._active.setdefault(job.model, set()).add(job.id)

    def _window(self, model: str, now: float) -> deque[float]:
        """The model's creation times in the window ending at ``now`` (older ones dropped)."""
        created = self._created.setdefault(model, deque())
        while created and now - created[0] >= DAY_SECONDS:
            created.popleft()
        return created

    def _counter(self, model: str) -> ModelCounters:
        counters = self._counters.get(model)
        if counters is None:
            counters = self._counters[model] = ModelCounters()
        return counters

    def admit(self, model: str, now: float) -> None:
        """Allow a create of ``model`` at ``now``, or raise its 429 `ApiError` (and count
        the refusal)."""
        daily = self.daily_job_limit
        if daily is not None and next_daily_slot(self._window(model, now), daily, now) is not None:
            self._counter(model).daily_limit_refusals += 1
            raise daily_limit_error(model, daily)
        bound = self.max_active_jobs
        if bound is not None and len(self._active.get(model, ())) >= bound:
            self._counter(model).active_limit_refusals += 1
            raise active_limit_error(model, bound)

    def add(self, job: JobState) -> None:
        """Count a job just created (at ``job.created_at``, the store's ``now``)."""
        self._index(job)
        counters = self._counter(job.model)
        counters.creates += 1
        counters.peak_active = max(counters.peak_active, len(self._active.get(job.model, ())))

    def ended(self, job: JobState) -> None:
        """Forget a terminal job as active (a job never leaves a terminal status)."""
        active = self._active.get(job.model)
        if active is not None:
            active.discard(job.id)

    def next_slot(self, model: str, now: float) -> float | None:
        """When the daily quota next lets a create of ``model`` through (``None``: now, or no
        quota)."""
        daily = self.daily_job_limit
        if daily is None:
            return None
        return next_daily_slot(self._window(model, now), daily, now)

    def reset(self) -> None:
        """Zero the counters; each model's peak starts again from its active jobs now."""
        self._counters = {
            model: ModelCounters(peak_active=len(self._active.get(model, ())))
            for model in self._counters
        }

    def to_dict(self, now: float) -> dict[str, Any]:
        """The ``limits`` and ``models`` parts of ``GET /_emulator/stats``."""
        models: dict[str, Any] = {}
        for model in sorted(self._counters.keys() | self._active.keys() | self._created.keys()):
            counters = self._counter(model)
            models[model] = {
                **attrs.asdict(counters),
                "active": len(self._active.get(model, ())),
                "created_last_24h": len(self._window(model, now)),
                "next_slot": self.next_slot(model, now),
            }
        return {
            "limits": {
                "daily_job_limit": self.daily_job_limit,
                "max_active_jobs": self.max_active_jobs,
            },
            "models": models,
        }
