"""Together AI answers shaped exactly as its published description's schemas and examples
(spec/together-fine-tuning.openapi.yaml), for the aioresponses tests."""

from __future__ import annotations

from typing import Any

BASE_URL = "https://api.together.ai/v1"
KEY = "together-secret-key-0123456789"


def truncated_job(job_id: str = "ft-01234567890123456789", **overrides: Any) -> dict[str, Any]:
    """``FinetuneResponseTruncated``: the schema's own example (a create's, a list item's, a
    cancel's answer), with ``overrides``."""
    body: dict[str, Any] = {
        "id": job_id,
        "status": "completed",
        "created_at": "2023-05-17T17:35:45.123Z",
        "updated_at": "2023-05-17T18:46:23.456Z",
        "user_id": "user_01234567890123456789",
        "owner_address": "user@example.com",
        "total_price": 1500,
        "token_count": 850000,
        "events": [],
        "model": "meta-llama/Llama-2-7b-hf",
        "model_output_name": "mynamespace/meta-llama/Llama-2-7b-hf-32162631",
        "n_epochs": 3,
        "training_file": "file-01234567890123456789",
        "wandb_project_name": "my-finetune-project",
    }
    body.update(overrides)
    return body


def full_job(job_id: str = "ft-01234567890123456789", **overrides: Any) -> dict[str, Any]:
    """``FinetuneResponse`` (a retrieve's answer) with every property the schema lists."""
    body: dict[str, Any] = {
        "id": job_id,
        "training_file": "file-01234567890123456789",
        "validation_file": "file-98765432109876543210",
        "model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "model_output_name": "me/Meta-Llama-3.1-8B-Instruct-Reference-bot-1a2b3c",
        "model_output_path": "s3://together/ft-0123/output",
        "trainingfile_numlines": 1000,
        "trainingfile_size": 123456,
        "created_at": "2024-07-24T10:00:00Z",
        "updated_at": "2024-07-24T10:20:00Z",
        "started_at": "2024-07-24T10:05:00Z",
        "n_epochs": 3,
        "n_checkpoints": 1,
        "n_evals": 0,
        "batch_size": 16,
        "learning_rate": 1e-05,
        "lr_scheduler": {
            "lr_scheduler_type": "cosine",
            "lr_scheduler_args": {"min_lr_ratio": 0.0, "num_cycles": 0.5},
        },
        "warmup_ratio": 0.0,
        "max_grad_norm": 1.0,
        "weight_decay": 0.0,
        "eval_steps": 0,
        "train_on_inputs": "auto",
        "training_method": {"method": "sft", "train_on_inputs": "auto"},
        "training_type": {"type": "Lora", "lora_r": 16, "lora_alpha": 32},
        "multimodal_params": {"train_vision": False},
        "status": "running",
        "job_id": "job-1",
        "events": [],
        "token_count": 850000,
        "param_count": 8000000000,
        "total_price": 1500,
        "epochs_completed": 1,
        "queue_depth": 0,
        "wandb_project_name": "together",
        "wandb_url": "https://wandb.ai/me/together/runs/1",
        "from_checkpoint": "",
        "from_hf_model": "",
        "hf_model_revision": "",
        "progress": {"estimate_available": True, "seconds_remaining": 600},
    }
    body.update(overrides)
    return body


def event(created_at: str, message: str, **overrides: Any) -> dict[str, Any]:
    """``FineTuneEvent`` with every required property."""
    body: dict[str, Any] = {
        "object": "fine-tune-event",
        "created_at": created_at,
        "level": "info",
        "message": message,
        "type": "job_start",
        "param_count": 0,
        "token_count": 0,
        "total_steps": 0,
        "wandb_url": "",
        "step": 0,
        "checkpoint_path": "",
        "model_path": "",
        "training_offset": 0,
        "hash": "",
    }
    body.update(overrides)
    return body


def checkpoint(step: int, created_at: str, kind: str = "Intermediate") -> dict[str, Any]:
    """``FineTuneCheckpoint``."""
    return {
        "step": step,
        "created_at": created_at,
        "path": f"s3://together/ft-0123/checkpoints/{step}",
        "checkpoint_type": kind,
    }


def file_response(file_id: str = "file-01234567890123456789", **overrides: Any) -> dict[str, Any]:
    """``FileResponse``."""
    body: dict[str, Any] = {
        "id": file_id,
        "object": "file",
        "created_at": 1721815200,
        "filename": "train.jsonl",
        "bytes": 1234,
        "purpose": "fine-tune",
        "FileType": "jsonl",
        "Processed": True,
    }
    body.update(overrides)
    return body
