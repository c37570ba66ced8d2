"""Live progress of a job, folded from its updates (pure: no I/O, no clock of its own)."""

from __future__ import annotations

from typing import Any

import attrs

from .._describe import format_duration
from ..models import FineTuningJob
from ..waiting import EventReceived, JobUpdate


@attrs.frozen
class JobProgress:
    """What a person wants to see of a running job."""

    job_id: str
    status: str = "-"
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    valid_loss: float | None = None
    estimated_finish: int | None = None
    last_message: str | None = None
    model: str | None = None
    trained_tokens: int | None = None

    def apply(self, update: JobUpdate) -> JobProgress:
        """The progress after one update."""
        changes: dict[str, Any] = _from_job(update.job)
        if isinstance(update, EventReceived):
            event = update.event
            changes["last_message"] = event.message
            data = event.data or {}
            if event.type == "metrics":
                changes.update(
                    step=_int(data.get("step"), self.step),
                    total_steps=_int(data.get("total_steps"), self.total_steps),
                    train_loss=_float(data.get("train_loss"), self.train_loss),
                    valid_loss=_float(data.get("valid_loss"), self.valid_loss),
                )
        return attrs.evolve(self, **changes)

    def line(self, wall_now: float) -> str:
        """One line: status, step, loss, ETA."""
        parts = [f"{self.job_id}  {self.status:<16}"]
        if self.step is not None:
            total = f"/{self.total_steps}" if self.total_steps else ""
            parts.append(f"step {self.step}{total}")
        if self.train_loss is not None:
            parts.append(f"loss {self.train_loss:.3f}")
        if self.valid_loss is not None:
            parts.append(f"valid {self.valid_loss:.3f}")
        if self.estimated_finish and self.estimated_finish > wall_now:
            parts.append(f"ETA {format_duration(self.estimated_finish - wall_now)}")
        return "  ".join(parts)


def _from_job(job: FineTuningJob) -> dict[str, Any]:
    return {
        "status": str(job.status),
        "estimated_finish": job.estimated_finish,
        "model": job.fine_tuned_model,
        "trained_tokens": job.trained_tokens,
    }


def _int(value: object, default: int | None) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return default


def _float(value: object, default: float | None) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default
