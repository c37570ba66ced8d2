"""Together AI as a dialect: its route, statuses, paging, adapters and request bodies.

Read from Together's published OpenAPI description (``spec/providers/``): jobs live under
``/fine-tunes``, files are uploaded to ``/files/upload`` with ``file_name`` and
``file_type``, every list is one page without a cursor, timestamps are ISO-8601 strings,
events and checkpoints carry no id. The adapters below turn each answer into the JSON of
ftjobs' models, so that `FineTuningJob`, the waits, ``find`` and the CLI work on it as on
OpenAI's. Pure: no request is made here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .. import _validation as check
from .._models import (
    TERMINAL_STATUSES,
    FineTuneMethod,
    FineTuningJobCheckpoint,
    Hyperparameters,
    JobStatus,
    WandbIntegration,
)
from .._shapes import Invalid, structure_timestamp
from .._types import NO_EXTRA
from ._kit import COMMON_OPERATIONS, Dialect

__all__ = [
    "TOGETHER",
    "TOGETHER_STATUSES",
    "ModelLimits",
    "PriceEstimate",
    "create_body",
    "metrics_rows",
    "price_body",
]

TOGETHER_STATUSES: Mapping[str, JobStatus] = MappingProxyType(
    {
        "pending": JobStatus.QUEUED,
        "queued": JobStatus.QUEUED,
        "running": JobStatus.RUNNING,
        "compressing": JobStatus.RUNNING,
        "uploading": JobStatus.RUNNING,
        "completed": JobStatus.SUCCEEDED,
        "error": JobStatus.FAILED,
        "user_error": JobStatus.FAILED,
        "cancelled": JobStatus.CANCELLED,
    }
)
"""Together's status words that mean a [`JobStatus`][ftjobs.JobStatus]. ``cancel_requested``
is deliberately absent: the job may still finish, so it stays ``"cancel_requested"`` (not
terminal), as does any word Together adds later."""

# Event levels: Together's null and legacy spellings as ftjobs' (warning is an alias of warn).
_LEVELS: Mapping[Any, str] = MappingProxyType(
    {None: "info", "legacy_info": "info", "legacy_iwarning": "warning", "legacy_ierror": "error"}
)
# Together job fields that become typed fields of the job under ftjobs' names.
_RENAMED = (
    ("model_output_name", "fine_tuned_model"),
    ("token_count", "trained_tokens"),
    ("random_seed", "seed"),
)
# Progress counters a job may carry (the spec has epochs_completed; step counts are read too
# when a server sends them).
_PROGRESS = (
    ("epochs_completed", "epochs_completed"),
    ("steps_completed", "trained_steps"),
    ("total_steps", "total_steps"),
)
_METHODS = MappingProxyType({"sft": "supervised", "dpo": "dpo"})
_FILE_TYPES = (("jsonl", "jsonl"), ("csv", "csv"), ("parquet", "parquet"))


def _seconds(value: Any) -> Any:
    """An ISO-8601 (or numeric) timestamp as int Unix seconds; anything else as it came, for
    the model to refuse with its path."""
    if value.__class__ is int or value is None:
        return value
    try:
        return structure_timestamp(value, int)
    except Invalid:
        return value


def _free_seconds(value: Any) -> Any:
    """An event's or a checkpoint's ``created_at``, which Together's schema types as any
    string: as seconds when it is a time, else 0 (any text is valid there, so it must not
    fail the list; the order of events does not depend on it, their ids do not either)."""
    seconds = _seconds(value)
    return 0 if seconds.__class__ is not int else seconds


def job(data: Any, context: str = "") -> Any:
    """A Together job object as ftjobs' job JSON: the status mapped (the word kept as
    ``provider_status``), timestamps as seconds, the output model as ``fine_tuned_model``,
    ``n_epochs``/``batch_size`` as hyperparameters, ``progress``, ``epochs_completed`` (and
    ``steps_completed``/``total_steps`` when sent) as ``progress``; every other field stays, and
    lands in ``extra``."""
    if data.__class__ is not dict:
        return data
    out = dict(data)
    word = out.get("status")
    if word.__class__ is str:
        mapped = TOGETHER_STATUSES.get(word)
        out["status"] = word if mapped is None else mapped.value
        out["provider_status"] = word
    out["created_at"] = _seconds(out.get("created_at", out.get("updated_at", 0)))
    if out.get("model") is None:
        out["model"] = ""  # the truncated objects may leave it out
    for theirs, ours in _RENAMED:
        if theirs in out:
            out[ours] = out.pop(theirs)
    if out.get("status") in TERMINAL_STATUSES and "updated_at" in out:
        # Together has no finished_at: a finished job was last updated when it finished.
        out["finished_at"] = _seconds(out["updated_at"])
    hyper = {k: out.pop(k) for k in ("n_epochs", "batch_size") if out.get(k).__class__ is int}
    if hyper:
        out["hyperparameters"] = hyper
    progress = out.pop("progress", None)
    progress = dict(progress) if progress.__class__ is dict else {}
    for theirs, ours in _PROGRESS:
        if out.get(theirs).__class__ is int:
            progress[ours] = out.pop(theirs)
    if progress:
        out["progress"] = progress
    method = out.get("training_method")
    if method.__class__ is dict and method.get("method") in _METHODS:
        out["method"] = {"type": _METHODS[method["method"]]}
    return out


def jobs_page(data: Any, context: str = "") -> Any:
    """The job list (one page holding every job) as a last page, newest first."""
    if data.__class__ is not dict or data.get("data").__class__ is not list:
        return data
    jobs = [job(item) for item in data["data"]]
    jobs.sort(key=_created_key, reverse=True)
    return {**data, "data": jobs, "has_more": False}


def _created_key(item: Any) -> float:
    created = item.get("created_at") if item.__class__ is dict else None
    return float(created) if created.__class__ in (int, float) else -math.inf


def _event_id(job_id: str, event: Mapping[str, Any], seen: dict[str, int]) -> str:
    """A stable id for an event (Together's have none): a digest of what it says, numbered
    when the same event comes twice, so a wait delivers each exactly once across polls."""
    key = repr([event.get(k) for k in ("created_at", "type", "message", "step", "checkpoint_path")])
    digest = hashlib.blake2b(f"{job_id}\0{key}".encode(), digest_size=8).hexdigest()
    seen[digest] = count = seen.get(digest, 0) + 1
    return f"ftevent-{digest}" if count == 1 else f"ftevent-{digest}-{count}"


def events_page(data: Any, context: str = "") -> Any:
    """A job's events (one page, oldest first, no ids) as a last page of ftjobs' events,
    newest first, each with a stable id; ``step``/``total_steps`` go to ``data``."""
    if data.__class__ is not dict or data.get("data").__class__ is not list:
        return data
    items = [e for e in data["data"] if e.__class__ is dict]
    # Oldest first by time; events of the same instant keep the server's order.
    items.sort(key=lambda e: _free_seconds(e.get("created_at")))
    seen: dict[str, int] = {}
    events = []
    for item in items:
        event = dict(item)
        event["id"] = _event_id(context, item, seen)
        event["created_at"] = _free_seconds(event.get("created_at"))
        level = event.get("level")
        event["level"] = _LEVELS.get(level, level)
        steps = {k: event.pop(k) for k in ("step", "total_steps") if k in event}
        if steps:
            event["data"] = steps
        events.append(event)
    events.reverse()
    return {**data, "data": events, "has_more": False}


def checkpoints_page(data: Any, context: str = "") -> Any:
    """A job's checkpoints as a last page of ftjobs' checkpoints, newest step first.

    ``fine_tuned_model_checkpoint`` is ``{job_id}:{step}``, the reference Together's
    ``from_checkpoint`` takes; the id adds the checkpoint type (a final merged and a final
    adapter checkpoint share a step).
    """
    if data.__class__ is not dict or data.get("data").__class__ is not list:
        return data
    checkpoints = []
    for item in data["data"]:
        if item.__class__ is not dict:
            checkpoints.append(item)
            continue
        out = dict(item)
        step = out.pop("step", None)
        reference = f"{context}:{step}"
        kind = out.get("checkpoint_type")
        out["id"] = f"{reference}:{kind}" if kind.__class__ is str and kind else reference
        out["created_at"] = _free_seconds(out.get("created_at"))
        out["fine_tuned_model_checkpoint"] = reference
        out["step_number"] = step
        out["fine_tuning_job_id"] = context
        checkpoints.append(out)
    checkpoints.sort(key=lambda c: c.get("step_number") or 0 if c.__class__ is dict else 0)
    checkpoints.reverse()
    return {**data, "data": checkpoints, "has_more": False}


def file_deleted(data: Any, context: str = "") -> Any:
    """A file deletion's answer (both fields optional in Together's schema)."""
    if data.__class__ is not dict:
        return data
    return {**data, "id": data.get("id") or context, "deleted": data.get("deleted", True)}


def upload_fields(filename: str) -> Mapping[str, str]:
    """``file_name`` and ``file_type`` (from the extension; ``jsonl`` by default)."""
    lowered = filename.lower()
    kind = next((t for ext, t in _FILE_TYPES if lowered.endswith(f".{ext}")), "jsonl")
    return {"file_name": filename, "file_type": kind}


# Together's W&B-style metric names for the columns of StepMetrics.
_METRIC_COLUMNS = MappingProxyType(
    {
        "train/loss": "train_loss",
        "train_loss": "train_loss",
        "eval/loss": "valid_loss",
        "valid/loss": "valid_loss",
        "eval_loss": "valid_loss",
        "valid_loss": "valid_loss",
    }
)
_STEP_KEYS = ("train/global_step", "global_step", "step")


def metrics_rows(data: Any) -> list[dict[str, Any]]:
    """The answer of ``GET /fine-tunes/{id}/metrics`` as rows of
    [`StepMetrics`][ftjobs.metrics.StepMetrics] fields, in step order; a snapshot without a
    step is skipped (it cannot be placed on the curve).

    Raises:
        ValueError: The answer is not ``{"metrics": [...]}``.
    """
    # The schema makes the array optional: no "metrics" is no rows.
    snapshots = data.get("metrics", []) if data.__class__ is dict else None
    if snapshots.__class__ is not list:
        raise ValueError("metrics: expected an object with a 'metrics' array")
    rows: dict[int, dict[str, Any]] = {}
    for snapshot in snapshots:
        if snapshot.__class__ is not dict:
            continue
        step = next((snapshot[k] for k in _STEP_KEYS if k in snapshot), None)
        if step.__class__ not in (int, float) or isinstance(step, bool):
            continue
        row = rows.setdefault(int(step), {"step": int(step)})
        for name, column in _METRIC_COLUMNS.items():
            value = snapshot.get(name)
            if value.__class__ in (int, float) and not isinstance(value, bool):
                row[column] = float(value)
    return [rows[step] for step in sorted(rows)]


TOGETHER = Dialect(
    name="together",
    title="Together AI",
    default_base_url="https://api.together.ai/v1",
    api_key_env="TOGETHER_API_KEY",
    base_url_env="TOGETHER_BASE_URL",
    root_path="/v1",
    jobs_path="/fine-tunes",
    files_upload_path="/files/upload",
    upload_fields=upload_fields,
    file_purposes=("fine-tune", "eval"),
    paging="single",
    statuses=TOGETHER_STATUSES,
    operations=(
        COMMON_OPERATIONS
        - {"jobs.pause", "jobs.resume", "jobs.best_checkpoint", "files.wait_for_processing"}
        - {op for op in COMMON_OPERATIONS if op.startswith(("uploads.", "checkpoints.", "grad"))}
    )
    | {
        "jobs.delete",
        "jobs.estimate_price",
        "jobs.model_limits",
        "jobs.supported_models",
        "jobs.download",
    },
    job=job,
    jobs_page=jobs_page,
    events_page=events_page,
    checkpoints_page=checkpoints_page,
    file_deleted=file_deleted,
    # No job metadata: a campaign member is known by a tag in its suffix, which the job keeps.
    campaign_identity="suffix",
)
"""Together AI (`AsyncTogetherClient`): ``https://api.together.ai/v1``, ``TOGETHER_API_KEY``,
``Authorization: Bearer``. No pause/resume, graders, Uploads API, checkpoint permissions,
file processing status; campaigns know their members by the job's ``suffix`` (Together keeps
no job metadata); its own ``jobs.delete``,
``estimate_price``, ``model_limits``, ``supported_models`` and ``download``."""


# -- request bodies ---------------------------------------------------------------------------

BatchSize = int | Literal["max"]
TrainOnInputs = bool | Literal["auto"]


@attrs.frozen
class PriceEstimate:
    """Together's estimate of what a job would cost (``jobs.estimate_price``).

    Attributes:
        estimated_total_price: Dollars.
        allowed_to_proceed: Whether the account may start the job.
        user_limit: The account's credit limit in dollars.
        estimated_train_token_count: Tokens the training would process.
        estimated_eval_token_count: Tokens the evaluations would process.
    """

    estimated_total_price: float | None = None
    allowed_to_proceed: bool | None = None
    user_limit: float | None = None
    estimated_train_token_count: float | None = None
    estimated_eval_token_count: float | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class ModelLimits:
    """What Together lets a job on one base model use (``jobs.model_limits``).

    ``full_training`` and ``lora_training`` are the batch-size (and LoRA rank, target module)
    limits of each training type, as sent; None when the model does not offer it.
    """

    model_name: str
    max_num_epochs: int | None = None
    max_num_evals: int | None = None
    max_learning_rate: float | None = None
    min_learning_rate: float | None = None
    supports_vision: bool | None = None
    supports_tools: bool | None = None
    supports_reasoning: bool | None = None
    merge_output_lora: bool | None = None
    full_training: Mapping[str, Any] | None = None
    lora_training: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _number(name: str, value: object, low: float, high: float = math.inf) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (low <= value <= high and math.isfinite(value)):
        raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")
    return float(value)


def _batch_size(value: object) -> BatchSize | None:
    if value is None or value == "max":
        return "max" if value is not None else None
    return check.require_int("batch_size", value, 1)


def _hyper_fields(where: str, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI-style hyperparameters as Together's fields: ``n_epochs`` and ``batch_size``
    mean the same; ``"auto"`` is Together's default (left out); a learning-rate
    *multiplier* has no Together meaning."""
    body: dict[str, Any] = {}
    for name, value in hyper.items():
        if value is None or value == "auto":
            continue
        if name == "n_epochs":
            body["n_epochs"] = check.require_int(f"{where}.n_epochs", value, 1)
        elif name == "batch_size":
            body["batch_size"] = check.require_int(f"{where}.batch_size", value, 1)
        elif name == "beta":
            body["dpo_beta"] = _number(f"{where}.beta", value, 0.0)
        elif name == "learning_rate_multiplier":
            raise ValueError(
                f"{where}.learning_rate_multiplier: Together AI takes an absolute learning "
                "rate; pass learning_rate= instead"
            )
        else:
            raise ValueError(f"{where}.{name}: Together AI has no such hyperparameter")
    return body


def _plain(value: Any) -> Mapping[str, Any]:
    """A hyperparameters model or mapping as a mapping of its set fields."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    fields = attrs.asdict(value, recurse=False)
    fields.pop("extra", None)
    return fields


def _method_fields(method: object) -> tuple[str | None, dict[str, Any]]:
    """``(Together's method name, hyperparameter fields)`` of an ftjobs method."""
    if method is None:
        return None, {}
    kind: Any
    if isinstance(method, FineTuneMethod):
        kind = method.type
        inner = getattr(method, kind, None) if kind in ("supervised", "dpo") else None
        hyper = _plain(getattr(inner, "hyperparameters", None))
    elif isinstance(method, Mapping):
        kind = method.get("type")
        inner = method.get(kind) if isinstance(kind, str) else None
        hyper = _plain(inner.get("hyperparameters") if isinstance(inner, Mapping) else None)
    else:
        raise TypeError(
            f"method must be a FineTuneMethod or a mapping, got {type(method).__name__}"
        )
    if kind not in ("supervised", "dpo"):
        raise ValueError(
            f"method.type {kind!r}: Together AI fine-tunes with 'supervised' (sft) or 'dpo'"
        )
    return ("sft" if kind == "supervised" else "dpo"), _hyper_fields("method", hyper)


def _wandb(integrations: object) -> dict[str, Any]:
    if integrations is None:
        return {}
    if isinstance(integrations, (str, bytes, Mapping)) or not hasattr(integrations, "__len__"):
        raise TypeError("integrations must be a sequence of WandbIntegration or mappings")
    items = list(integrations)  # type: ignore[call-overload]
    if len(items) > 1:
        raise ValueError("integrations: Together AI takes one (Weights & Biases)")
    body: dict[str, Any] = {}
    for item in items:
        wandb: Any = item.wandb if isinstance(item, WandbIntegration) else None
        if isinstance(item, Mapping) and item.get("type") == "wandb":
            raw = item.get("wandb")
            wandb = raw if isinstance(raw, Mapping) else None
        if wandb is None:
            raise ValueError("integrations[0]: Together AI integrates Weights & Biases only")
        fields = _plain(wandb)
        if fields.get("tags"):
            raise ValueError("integrations[0].wandb.tags: Together AI takes no W&B tags")
        for ours, theirs in (("project", "project_name"), ("name", "name"), ("entity", "entity")):
            if fields.get(ours) is not None:
                body[f"wandb_{theirs}"] = check.require_str(f"wandb.{ours}", fields[ours])
    return body


def _training_type(
    lora: bool | None,
    lora_r: int | None,
    lora_alpha: int | None,
    lora_dropout: float | None,
    lora_trainable_modules: str | None,
) -> dict[str, Any] | None:
    given = [lora_r, lora_alpha, lora_dropout, lora_trainable_modules]
    if lora is None and any(v is not None for v in given):
        lora = True
    if lora is None:
        return None
    if not isinstance(lora, bool):
        raise TypeError(f"lora must be a bool, got {type(lora).__name__}")
    if not lora:
        if any(v is not None for v in given):
            raise ValueError("lora_*: given with lora=False (full training has no LoRA settings)")
        return {"type": "Full"}
    if lora_r is None:
        raise ValueError(
            "lora_r: LoRA training needs a rank (jobs.model_limits(model) gives the largest, "
            "lora_training['max_rank'])"
        )
    rank = check.require_int("lora_r", lora_r, 1)
    body: dict[str, Any] = {
        "type": "Lora",
        "lora_r": rank,
        # Together's own SDK defaults alpha to twice the rank.
        "lora_alpha": 2 * rank
        if lora_alpha is None
        else check.require_int("lora_alpha", lora_alpha, 1),
    }
    if lora_dropout is not None:
        body["lora_dropout"] = _number("lora_dropout", lora_dropout, 0.0, 1.0)
    if lora_trainable_modules is not None:
        body["lora_trainable_modules"] = check.require_str(
            "lora_trainable_modules", lora_trainable_modules
        )
    return body


def _checkpoint_ref(value: object) -> str | None:
    if isinstance(value, FineTuningJobCheckpoint):
        return value.fine_tuned_model_checkpoint
    return check.optional_str("from_checkpoint", value)


def _merge(body: dict[str, Any], name: str, value: Any) -> None:
    """Set ``body[name]``, refusing a value given twice (a keyword and inside ``method``)."""
    if value is None:
        return
    if name in body and body[name] != value:
        raise ValueError(f"{name}: given twice ({body[name]!r} and {value!r})")
    body[name] = value


def create_body(
    *,
    model: object,
    training_file: object,
    validation_file: object = None,
    suffix: object = None,
    seed: object = None,
    integrations: object = None,
    method: object = None,
    hyperparameters: Hyperparameters | Mapping[str, Any] | None = None,
    n_epochs: object = None,
    learning_rate: object = None,
    batch_size: object = None,
    n_checkpoints: object = None,
    n_evals: object = None,
    warmup_ratio: object = None,
    max_grad_norm: object = None,
    weight_decay: object = None,
    lr_scheduler: object = None,
    lora: bool | None = None,
    lora_r: int | None = None,
    lora_alpha: int | None = None,
    lora_dropout: float | None = None,
    lora_trainable_modules: str | None = None,
    train_on_inputs: object = None,
    from_checkpoint: object = None,
    wandb_api_key: object = None,
    wandb_project_name: object = None,
    wandb_name: object = None,
) -> dict[str, Any]:
    """The body of ``POST /fine-tunes`` from ftjobs' create arguments and Together's own.

    ftjobs' arguments are mapped where they mean the same thing: ``seed`` is
    ``random_seed``, a supervised/dpo ``method`` is ``training_method`` (its ``n_epochs``,
    ``batch_size`` and ``beta`` the fields of those names), a W&B integration the
    ``wandb_*`` fields. What has no Together meaning is refused here, naming it.

    Raises:
        TypeError, ValueError: Bad or untranslatable input.
    """
    body: dict[str, Any] = {"training_file": check.require_str("training_file", training_file)}
    if from_checkpoint is None or model is not None:
        body["model"] = check.require_str("model", model)
    if from_checkpoint is not None and model is not None:
        # Together's own SDK refuses both, and so does its service.
        raise ValueError(
            "model: give model= or from_checkpoint= (a continued job starts from the "
            "checkpoint's base), not both"
        )
    kind, from_method = _method_fields(method)
    legacy = _hyper_fields("hyperparameters", _plain(hyperparameters))
    for name, value in (*from_method.items(), *legacy.items()):
        _merge(body, name, value)
    for name, value in _wandb(integrations).items():
        _merge(body, name, value)
    typed: dict[str, Any] = {
        "validation_file": check.optional_str("validation_file", validation_file),
        "suffix": check.suffix(suffix),
        "random_seed": check.seed(seed),
        "n_epochs": None if n_epochs is None else check.require_int("n_epochs", n_epochs, 1),
        "learning_rate": _number("learning_rate", learning_rate, 0.0),
        "batch_size": _batch_size(batch_size),
        "n_checkpoints": None
        if n_checkpoints is None
        else check.require_int("n_checkpoints", n_checkpoints, 1),
        "n_evals": None if n_evals is None else check.require_int("n_evals", n_evals, 0),
        "warmup_ratio": _number("warmup_ratio", warmup_ratio, 0.0, 1.0),
        "max_grad_norm": _number("max_grad_norm", max_grad_norm, 0.0),
        "weight_decay": _number("weight_decay", weight_decay, 0.0),
        "lr_scheduler": _lr_scheduler(lr_scheduler),
        "training_type": _training_type(
            lora, lora_r, lora_alpha, lora_dropout, lora_trainable_modules
        ),
        "from_checkpoint": _checkpoint_ref(from_checkpoint),
        "wandb_api_key": check.optional_str("wandb_api_key", wandb_api_key),
        "wandb_project_name": check.optional_str("wandb_project_name", wandb_project_name),
        "wandb_name": check.optional_str("wandb_name", wandb_name),
    }
    for name, value in typed.items():
        _merge(body, name, value)
    if train_on_inputs not in (None, "auto") and not isinstance(train_on_inputs, bool):
        raise TypeError("train_on_inputs must be a bool or 'auto'")
    if kind == "dpo":
        if train_on_inputs is not None:
            raise ValueError("train_on_inputs: a supervised (sft) setting, not a dpo one")
        method_body: dict[str, Any] = {"method": "dpo"}
        if "dpo_beta" in body:
            method_body["dpo_beta"] = body.pop("dpo_beta")
        body["training_method"] = method_body
    elif kind == "sft" or train_on_inputs is not None:
        body["training_method"] = {
            "method": "sft",
            "train_on_inputs": "auto" if train_on_inputs is None else train_on_inputs,
        }
    return body


def _lr_scheduler(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if value in ("linear", "cosine"):
        return {"lr_scheduler_type": value}
    if isinstance(value, Mapping):
        if value.get("lr_scheduler_type") not in ("linear", "cosine"):
            raise ValueError("lr_scheduler.lr_scheduler_type must be 'linear' or 'cosine'")
        return dict(value)
    raise TypeError("lr_scheduler must be 'linear', 'cosine' or a mapping")


# The fields of POST /fine-tunes/estimate-price (a subset of a create's).
_PRICE_FIELDS = (
    "training_file",
    "validation_file",
    "model",
    "n_epochs",
    "n_evals",
    "training_method",
    "training_type",
    "from_checkpoint",
)


def price_body(**create: Any) -> dict[str, Any]:
    """The body of ``POST /fine-tunes/estimate-price``: a create's body cut to the fields the
    estimate takes (``model`` is optional there)."""
    model = create.pop("model", None)
    starts_from = create.get("from_checkpoint")
    body = create_body(model=model or (None if starts_from else "-"), **create)
    if model is None:
        body.pop("model", None)
    return {k: v for k, v in body.items() if k in _PRICE_FIELDS}
