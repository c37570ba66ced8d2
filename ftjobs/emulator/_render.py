"""JSON shapes of the spec's objects, built from the emulator's records."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from ftjobs.emulator._config import Timings
from ftjobs.emulator._lifecycle import CheckpointRecord, EventRecord, JobState, estimated_finish

__all__ = ["FileRecord", "render_checkpoint", "render_event", "render_file", "render_job"]


@attrs.frozen
class FileRecord:
    """An uploaded (or generated) file's metadata; its bytes live beside it in the store."""

    id: str
    seq: int
    created_at: float
    filename: str
    purpose: str
    bytes: int
    expires_at: float | None = None


ToWall = Callable[[float], float]


def _ts(value: float | None, wall: ToWall) -> int | None:
    return None if value is None else math.floor(wall(value))


def render_job(job: JobState, timings: Timings, wall: ToWall) -> dict[str, Any]:
    """A ``fine_tuning.job`` object with every required field of the spec.

    Every ``render_*`` reports timestamps through ``wall`` (the clock's ``to_wall``).
    """
    hyper = job.hyperparameters
    error = None
    if job.error is not None:
        error = {"code": job.error.code, "message": job.error.message, "param": job.error.param}
    return {
        "object": "fine_tuning.job",
        "id": job.id,
        "model": job.model,
        "created_at": _ts(job.created_at, wall),
        "finished_at": _ts(job.finished_at, wall),
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": job.organization_id,
        "result_files": list(job.result_files),
        "status": job.status,
        "validation_file": job.validation_file,
        "training_file": job.training_file,
        "hyperparameters": {
            "batch_size": hyper.get("batch_size", "auto"),
            "learning_rate_multiplier": hyper.get("learning_rate_multiplier", "auto"),
            "n_epochs": hyper.get("n_epochs", "auto"),
        },
        "trained_tokens": job.trained_tokens,
        "error": error,
        "seed": job.seed,
        "estimated_finish": _ts(estimated_finish(job, timings), wall),
        "integrations": list(job.integrations or []),
        "method": job.method,
        "metadata": job.metadata,
        "user_provided_suffix": job.suffix,
    }


def render_event(event: EventRecord, wall: ToWall) -> dict[str, Any]:
    """A ``fine_tuning.job.event`` object."""
    return {
        "object": "fine_tuning.job.event",
        "id": event.id,
        "created_at": _ts(event.created_at, wall),
        "level": event.level,
        "message": event.message,
        "type": event.type,
        "data": event.data,
    }


def render_checkpoint(checkpoint: CheckpointRecord, wall: ToWall) -> dict[str, Any]:
    """A ``fine_tuning.job.checkpoint`` object."""
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint.id,
        "created_at": _ts(checkpoint.created_at, wall),
        "fine_tuned_model_checkpoint": checkpoint.fine_tuned_model_checkpoint,
        "fine_tuning_job_id": checkpoint.job_id,
        "step_number": checkpoint.step_number,
        "metrics": checkpoint.metrics,
    }


def render_file(record: FileRecord, wall: ToWall) -> dict[str, Any]:
    """An ``OpenAIFile`` object (``expires_at`` only when the file expires)."""
    body: dict[str, Any] = {
        "id": record.id,
        "object": "file",
        "bytes": record.bytes,
        "created_at": _ts(record.created_at, wall),
        "filename": record.filename,
        "purpose": record.purpose,
        "status": "processed",
    }
    if record.expires_at is not None:
        body["expires_at"] = _ts(record.expires_at, wall)
    return body
