"""The Together AI dialect of the emulator (``EmulatorConfig(dialect="together")``): what its
objects look like, as pure functions of the emulator's records and the time.

The lifecycle is the emulator's own (`ftjobs.emulator._lifecycle`); this module says how
Together words it, per its published API description (the repository's copy is
``spec/together-fine-tuning.openapi.yaml``):

- statuses: ``validating_files`` is ``pending``; ``running`` turns ``compressing`` and then
  ``uploading`` while the finished model is finalised; a cancelled job reads
  ``cancel_requested`` for `EmulatorConfig.canceling_seconds` before ``cancelled``; a
  failed job is ``user_error`` when its data files were at fault, else ``error``;
  ``succeeded`` is ``completed``;
- timestamps are ISO-8601 strings (files keep Unix seconds, as Together's do);
- a job carries its create fields back (``learning_rate``, ``lr_scheduler``,
  ``training_type``...; never a secret), its progress (``total_steps``,
  ``steps_completed``, ``epochs_completed``, ``progress.seconds_remaining``) and
  ``model_output_name``;
- events come oldest first with Together's event types (one per phase, one per epoch, one
  per checkpoint; the per-step metrics are ``GET .../metrics``), checkpoints newest first
  with a ``Final`` one once the job completed; lists carry no cursor: one page holds all.

The create body is read into the core's request by `ftjobs.emulator._together_requests`.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ftjobs.emulator._config import Timings
from ftjobs.emulator._lifecycle import (
    CheckpointRecord,
    EventRecord,
    JobState,
    estimated_finish,
    terminal_time,
)
from ftjobs.emulator._render import FileRecord

__all__ = [
    "FILE_TYPES",
    "TOGETHER_PURPOSES",
    "USER_ERROR_PARAMS",
    "download_archive",
    "file_type_of",
    "iso",
    "output_name",
    "owner_of",
    "param_count",
    "together_checkpoints",
    "together_events",
    "together_file",
    "together_job",
    "together_metrics",
    "together_status",
]

TOGETHER_PURPOSES = (
    "fine-tune",
    "eval",
    "eval-sample",
    "eval-output",
    "eval-summary",
    "batch-generated",
    "batch-api",
)
"""The purposes a Together file may have (its ``FilePurpose``)."""

FILE_TYPES = ("jsonl", "csv", "parquet")
"""The file types Together takes (its ``FileType``)."""

USER_ERROR_PARAMS = frozenset({"training_file", "validation_file"})
"""A failure naming one of these was the user's data: ``user_error``, not ``error``."""

_PARAM_COUNTS: Mapping[str, int] = {
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference": 8_030_261_248,
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference": 70_553_706_496,
    "Qwen/Qwen2.5-7B-Instruct": 7_615_616_512,
    "mistralai/Mistral-7B-Instruct-v0.2": 7_241_732_096,
}
_DEFAULT_PARAM_COUNT = 8_000_000_000

_STATUSES: Mapping[str, str] = {
    "validating_files": "pending",
    "queued": "queued",
    "running": "running",
    "succeeded": "completed",
    "cancelled": "cancelled",
}

# The core's event messages (their first words) -> Together's event type.
_EVENT_TYPES: tuple[tuple[str, str], ...] = (
    ("Created fine-tuning job", "job_pending"),
    ("Validating training file", "training_data_downloading"),
    ("Files validated", "training_data_download_complete"),
    ("Fine-tuning job started", "training_start"),
    ("Fine-tuning job continued", "job_restarted"),
    ("Checkpoint created", "checkpoint_save"),
    ("New fine-tuned model created", "model_upload_complete"),
    ("The job has successfully completed", "job_complete"),
    ("Fine-tuning job cancelled", "cancel_requested"),
)

ToWall = Callable[[float], float]


def iso(wall_seconds: float) -> str:
    """Unix seconds as Together writes a time: ``2026-12-06T18:04:05.123Z``."""
    moment = datetime.fromtimestamp(wall_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def owner_of(organization: str) -> str:
    """The account name jobs carry (``user_id``, the head of ``model_output_name``)."""
    return organization.removeprefix("org-") or organization


def param_count(model: str) -> int:
    """The base model's parameter count (a default for a model the table lacks)."""
    return _PARAM_COUNTS.get(model, _DEFAULT_PARAM_COUNT)


def output_name(job: JobState, owner: str) -> str:
    """``owner/<base model's last segment>-<suffix>-<code>``, as Together names a result."""
    base = job.model.rsplit("/", 1)[-1]
    suffix = f"-{job.suffix}" if job.suffix else ""
    return f"{owner}/{base}{suffix}-{job.id.removeprefix('ft-')[:8]}"


def _finalising(job: JobState, now: float, timings: Timings) -> str | None:
    """``compressing``/``uploading`` once a running job's last step is done, else None."""
    finish = estimated_finish(job, timings)
    if finish is None or terminal_time(job, timings) != finish:
        return None  # not running, or scripted to fail before the end
    start = finish - timings.finalize_seconds
    if now < start:
        return None
    return "compressing" if now < start + timings.finalize_seconds / 2 else "uploading"


def together_status(job: JobState, now: float, timings: Timings, canceling_seconds: float) -> str:
    """The job's status in Together's words at emulated time ``now``."""
    status = job.status
    if status == "running":
        return _finalising(job, now, timings) or "running"
    finished = job.finished_at
    if status == "cancelled" and finished is not None and now - finished < canceling_seconds:
        return "cancel_requested"
    if status == "failed":
        param = job.error.param if job.error is not None else None
        return "user_error" if param in USER_ERROR_PARAMS else "error"
    return _STATUSES.get(status, status)


def _steps_completed(job: JobState) -> int:
    if job.status == "succeeded":
        return job.total_steps
    return max(job.steps_reported, job.steps_done)


def _progress(job: JobState, timings: Timings, now: float, wall: ToWall) -> dict[str, Any]:
    finish = estimated_finish(job, timings)
    if finish is None:
        return {"estimate_available": False, "seconds_remaining": 0}
    remaining = max(0.0, wall(finish) - wall(now))
    return {"estimate_available": True, "seconds_remaining": math.ceil(remaining)}


def _updated_at(job: JobState) -> float:
    return job.finished_at if job.finished_at is not None else job.phase_started_at


def together_job(
    job: JobState,
    *,
    timings: Timings,
    now: float,
    wall: ToWall,
    canceling_seconds: float,
    owner: str,
) -> dict[str, Any]:
    """A ``FinetuneResponse`` (also a valid ``FinetuneResponseTruncated``) of ``job``."""
    extra = dict(job.extra or {})
    hyper = job.hyperparameters
    steps = _steps_completed(job)
    body: dict[str, Any] = {
        "id": job.id,
        "status": together_status(job, now, timings, canceling_seconds),
        "created_at": iso(wall(job.created_at)),
        "updated_at": iso(wall(_updated_at(job))),
        "model": job.model,
        "model_output_name": output_name(job, owner),
        "training_file": job.training_file,
        "user_id": owner,
        "owner_address": f"{owner}@emulator.invalid",
        "n_epochs": job.n_epochs or hyper.get("n_epochs", 1),
        "random_seed": job.seed,
        "param_count": param_count(job.model),
        "trainingfile_numlines": job.training.n_examples,
        "total_steps": job.total_steps,
        "steps_completed": steps,
        "epochs_completed": steps // job.steps_per_epoch if job.steps_per_epoch else 0,
        "progress": _progress(job, timings, now, wall),
    }
    if job.status == "running":
        body["started_at"] = iso(wall(job.phase_started_at))
    if job.validation_file:
        body["validation_file"] = job.validation_file
    if job.suffix:
        body["suffix"] = job.suffix
    batch = hyper.get("batch_size")
    if isinstance(batch, int):
        body["batch_size"] = batch
    if job.total_steps:
        body["token_count"] = job.training.n_tokens * job.n_epochs
    body.update(extra)
    return body


def _event_type(event: EventRecord, job: JobState) -> str | None:
    if event.level == "error":
        return "job_error"
    if event.type == "metrics":
        step = int(event.data.get("step", 0))
        per_epoch = job.steps_per_epoch or 1
        return "epoch_complete" if step and step % per_epoch == 0 else None
    for head, kind in _EVENT_TYPES:
        if event.message.startswith(head):
            return kind
    return None


def together_events(
    job: JobState, events: Iterable[EventRecord], wall: ToWall, owner: str
) -> list[dict[str, Any]]:
    """The job's events as Together's ``FineTuneEvent``s, oldest first; the per-step metrics
    events only at each epoch's end (``epoch_complete``)."""
    out: list[dict[str, Any]] = []
    tokens = job.training.n_tokens * max(job.n_epochs, 1)
    for event in events:
        kind = _event_type(event, job)
        if kind is None:
            continue
        step = int(event.data.get("step", 0))
        message = event.message
        if kind == "epoch_complete":
            epoch = step // max(job.steps_per_epoch, 1)
            loss = float(event.data.get("train_loss", 0.0))
            message = (
                f"Epoch {epoch} completed at step {step}/{job.total_steps}: "
                f"training loss={loss:.2f}"
            )
        elif kind == "model_upload_complete":
            # The core names the model OpenAI's way (ft:...); Together names it its own way.
            message = f"Model uploaded: {output_name(job, owner)}"
        out.append(
            {
                "object": "fine-tune-event",
                "created_at": iso(wall(event.created_at)),
                "level": event.level if event.level in ("info", "warning", "error") else "info",
                "message": message,
                "type": kind,
                "param_count": param_count(job.model),
                "token_count": tokens,
                "total_steps": job.total_steps,
                "wandb_url": "",
                "step": step,
                "checkpoint_path": f"{job.id}:{step}" if kind == "checkpoint_save" else "",
                "model_path": output_name(job, owner) if kind == "model_upload_complete" else "",
                "training_offset": 0,
                "hash": "",
            }
        )
    return out


def together_checkpoints(
    job: JobState, checkpoints: Iterable[CheckpointRecord], wall: ToWall, owner: str
) -> list[dict[str, Any]]:
    """The job's ``FineTuneCheckpoint``s, newest first: ``Final`` once completed (the output
    model), then each intermediate one (``path`` is ``job_id:step``, what ``from_checkpoint``
    takes)."""
    out = [
        {
            "step": c.step_number,
            "created_at": iso(wall(c.created_at)),
            "path": f"{job.id}:{c.step_number}",
            "checkpoint_type": "Intermediate",
        }
        for c in checkpoints
        if c.step_number < job.total_steps or job.status != "succeeded"
    ]
    out.reverse()
    if job.status == "succeeded" and job.finished_at is not None:
        final = {
            "step": job.total_steps,
            "created_at": iso(wall(job.finished_at)),
            "path": output_name(job, owner),
            "checkpoint_type": "Final",
        }
        out.insert(0, final)
    return out


def _learning_rate(job: JobState, step: int) -> float:
    """The scheduled learning rate at ``step`` (linear or cosine decay to ``min_lr_ratio``)."""
    extra = job.extra or {}
    peak = float(extra.get("learning_rate", 1e-5))
    scheduler = extra.get("lr_scheduler") or {}
    args = scheduler.get("lr_scheduler_args") or {}
    floor = float(args.get("min_lr_ratio") or 0.0)
    done = step / max(job.total_steps, 1)
    if scheduler.get("lr_scheduler_type") == "linear":
        factor = 1.0 - done
    else:
        cycles = float(args.get("num_cycles") or 0.5)
        factor = 0.5 * (1.0 + math.cos(math.pi * 2.0 * cycles * done))
    return peak * (floor + (1.0 - floor) * factor)


def together_metrics(
    job: JobState,
    events: Iterable[EventRecord],
    wall: ToWall,
    *,
    step_from: int | None = None,
    step_to: int | None = None,
    logged_from: float | None = None,
    logged_to: float | None = None,
) -> list[dict[str, float]]:
    """The job's per-step metrics (``train/loss``, ``train/learning_rate``, ``eval/loss``...)
    in chronological order, within the given steps and wall-clock times."""
    rows: list[dict[str, float]] = []
    for event in events:
        if event.type != "metrics":
            continue
        step = int(event.data.get("step", 0))
        logged = wall(event.created_at)
        if (step_from is not None and step < step_from) or (step_to is not None and step > step_to):
            continue
        if (logged_from is not None and logged < logged_from) or (
            logged_to is not None and logged > logged_to
        ):
            continue
        row = {
            "train/global_step": float(step),
            "train/epoch": round(step / max(job.steps_per_epoch, 1), 4),
            "train/loss": float(event.data["train_loss"]),
            "train/learning_rate": _learning_rate(job, step),
        }
        if "valid_loss" in event.data:
            row["eval/loss"] = float(event.data["valid_loss"])
        rows.append(row)
    return rows


def file_type_of(filename: str) -> str:
    """The Together file type a file name implies (``jsonl`` by default)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return extension if extension in FILE_TYPES else "jsonl"


def together_file(record: FileRecord, wall: ToWall) -> dict[str, Any]:
    """A Together ``FileResponse``."""
    return {
        "id": record.id,
        "object": "file",
        "created_at": math.floor(wall(record.created_at)),
        "filename": record.filename,
        "bytes": record.bytes,
        "purpose": record.purpose,
        "FileType": file_type_of(record.filename),
        "Processed": True,
        "processing_status": "COMPLETED",
    }


def download_archive(job: JobState, owner: str, step: int, kind: str) -> bytes:
    """What ``GET /finetune/download`` serves: a small, reproducible ``.tar.gz`` holding a
    ``manifest.json`` that says which model, step and kind it stands for (no weights)."""
    manifest = {
        "fine_tune_id": job.id,
        "model": job.model,
        "model_output_name": output_name(job, owner),
        "step": step,
        "checkpoint": kind,
        "note": "emulated artifact: no weights",
    }
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    buffer = io.BytesIO()
    # mtime 0 on the gzip header and the member: the same request gives the same bytes.
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        info.mtime = 0
        archive.addfile(info, io.BytesIO(data))
    return _zero_gzip_mtime(buffer.getvalue())


def _zero_gzip_mtime(blob: bytes) -> bytes:
    # tarfile writes the gzip header with the current time at bytes 4..8.
    return blob[:4] + b"\x00\x00\x00\x00" + blob[8:]
