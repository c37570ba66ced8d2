"""API bodies as the spec describes them, for tests against a mocked HTTP layer."""

from __future__ import annotations

from typing import Any

from aioresponses import aioresponses

BASE_URL = "https://api.test/v1"
API_KEY = "sk-test-secret-0123456789"


def job_payload(job_id: str = "ftjob-abc123", **overrides: Any) -> dict[str, Any]:
    """A complete FineTuningJob body, as the spec describes it."""
    body: dict[str, Any] = {
        "object": "fine_tuning.job",
        "id": job_id,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1721764800,
        "finished_at": None,
        "fine_tuned_model": None,
        "organization_id": "org-123",
        "result_files": [],
        "status": "queued",
        "validation_file": None,
        "training_file": "file-abc123",
        "hyperparameters": {
            "batch_size": "auto",
            "learning_rate_multiplier": "auto",
            "n_epochs": 3,
        },
        "trained_tokens": None,
        "error": None,
        "seed": 42,
        "estimated_finish": None,
        "integrations": [],
        "method": {
            "type": "supervised",
            "supervised": {
                "hyperparameters": {
                    "batch_size": "auto",
                    "learning_rate_multiplier": 1.8,
                    "n_epochs": 3,
                }
            },
        },
        "metadata": {"team": "a"},
    }
    body.update(overrides)
    return body


def azure_job_payload(job_id: str = "ftjob-az1", **overrides: Any) -> dict[str, Any]:
    """A job as Azure OpenAI returns it."""
    body: dict[str, Any] = {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": 1721764800,
        "model": "gpt-4o-mini-2024-07-18",
        "status": "pending",
        "organization_id": None,
        "result_files": None,
        "training_file": "file-abc",
        "validation_file": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": {"n_epochs": -1, "batch_size": -1, "learning_rate_multiplier": 1},
        "seed": 105,
        "trained_tokens": None,
        "estimated_finish": None,
        "integrations": None,
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": -1, "batch_size": -1}},
        },
        "user_provided_suffix": "contoso",
        "trainingType": "standard",
    }
    body.update(overrides)
    return body


def event_payload(event_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object": "fine_tuning.job.event",
        "id": event_id,
        "created_at": 1721764800,
        "level": "info",
        "message": "Step 1/100: training loss=0.5",
        "type": "metrics",
        "data": {"step": 1, "train_loss": 0.5},
    }
    body.update(overrides)
    return body


def file_payload(file_id: str = "file-abc123", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": file_id,
        "object": "file",
        "bytes": 120000,
        "created_at": 1677610602,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "status": "processed",
    }
    body.update(overrides)
    return body


def sent(mocked: aioresponses, method: str) -> list[Any]:
    """Every call aioresponses saw for an HTTP method, in order (url, kwargs)."""
    calls = []
    for (verb, url), items in mocked.requests.items():
        if verb == method:
            calls.extend((url, call.kwargs) for call in items)
    return calls


def drop_nulls(value: Any) -> Any:
    """``value`` with every null-valued key removed, at any depth."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value
