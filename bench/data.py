"""Deterministic, realistic payloads for the benchmark server (every field filled)."""

from __future__ import annotations

from typing import Any

EVENTS_JOB_ID = "ftjob-benchevents0000000001"
_BASE_TS = 1_730_000_000


def job_id(i: int) -> str:
    """Id of the ``i``-th job, newest first (zero-padded so ids sort like the API's)."""
    return f"ftjob-{i:022d}"


def event_id(i: int) -> str:
    """Id of the ``i``-th event of the events job."""
    return f"ftevent-{i:020d}"


def job(i: int) -> dict[str, Any]:
    """A fine-tuning job with every field the spec lists filled; one in ten failed."""
    failed = i % 10 == 7
    hyper = {"batch_size": 4 + i % 3, "learning_rate_multiplier": 1.8, "n_epochs": 3}
    return {
        "object": "fine_tuning.job",
        "id": job_id(i),
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": _BASE_TS - i * 37,
        "finished_at": _BASE_TS - i * 37 + 1800,
        "fine_tuned_model": None if failed else f"ft:gpt-4o-mini-2024-07-18:acme:r{i}:AbC{i:05d}",
        "organization_id": "org-3fXbenchmarkorganization",
        "result_files": [] if failed else [f"file-result{i:018d}"],
        "status": "failed" if failed else "succeeded",
        "validation_file": f"file-valid{i:019d}",
        "training_file": f"file-train{i:019d}",
        "hyperparameters": hyper,
        "trained_tokens": None if failed else 120_000 + i,
        "error": (
            {
                "code": "invalid_training_file",
                "message": "The training file has 3 examples with too many tokens.",
                "param": "training_file",
            }
            if failed
            else None
        ),
        "integrations": [
            {
                "type": "wandb",
                "wandb": {
                    "project": "fine-tunes",
                    "name": f"run-{i}",
                    "entity": "acme-ml",
                    "tags": ["bench", "nightly", f"batch-{i % 50}"],
                },
            }
        ],
        "seed": 1000 + i,
        "estimated_finish": _BASE_TS - i * 37 + 1700,
        "method": {"type": "supervised", "supervised": {"hyperparameters": dict(hyper)}},
        "metadata": {"team": "search", "experiment": f"exp-{i % 100}", "owner": "bench"},
    }


def event(i: int, total: int) -> dict[str, Any]:
    """An event of the events job: mostly metrics events with their data, some messages."""
    step = total - i
    if i % 10 == 0:
        return {
            "object": "fine_tuning.job.event",
            "id": event_id(i),
            "created_at": _BASE_TS + step,
            "level": "info",
            "message": f"Checkpoint created at step {step}",
            "type": "message",
            "data": {},
        }
    return {
        "object": "fine_tuning.job.event",
        "id": event_id(i),
        "created_at": _BASE_TS + step,
        "level": "info",
        "message": f"Step {step}/{total}: training loss=0.{i % 97:02d}",
        "type": "metrics",
        "data": {
            "step": step,
            "train_loss": 0.25 + (i % 97) / 1000,
            "train_mean_token_accuracy": 0.91 + (i % 7) / 1000,
            "valid_loss": 0.31 + (i % 89) / 1000,
            "valid_mean_token_accuracy": 0.88 + (i % 5) / 1000,
            "total_steps": total,
        },
    }


def page(items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """A list response around ``items``."""
    return {
        "object": "list",
        "data": items,
        "has_more": has_more,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
    }
