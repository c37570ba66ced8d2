"""What the Together dialect accepts: its create body (read into the core's
[`JobRequest`][ftjobs.emulator._params.JobRequest]), its model limits and its price estimate.

Pure: every problem is a 400 [`ApiError`][ftjobs.emulator.ApiError] naming the field. The
fields are those of Together's published create body plus those its official SDK sends
beyond it (``wandb_key``, ``gradient_accumulation_steps``, ``early_stopping_*``); any other
field is refused, so that a client's typo fails here as it would be lost there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._params import JobRequest
from ftjobs.emulator._together import param_count

__all__ = [
    "DEFAULT_SEED",
    "METHODS",
    "model_limits",
    "parse_create",
    "parse_training_method",
    "price_estimate",
]

METHODS: Mapping[str, str] = {"sft": "supervised", "dpo": "dpo"}
"""Together's training method -> the emulator's method type."""

DEFAULT_SEED = 42
"""The seed a job gets when the request names none (Together's documented default)."""

_SECRETS = frozenset({"wandb_api_key", "wandb_key", "hf_api_token"})
# Fields the dialect echoes on the job as sent (after their checks).
_ECHOED = (
    "packing",
    "max_seq_length",
    "n_checkpoints",
    "n_evals",
    "learning_rate",
    "lr_scheduler",
    "warmup_ratio",
    "max_grad_norm",
    "weight_decay",
    "wandb_base_url",
    "wandb_project_name",
    "wandb_name",
    "wandb_entity",
    "multimodal_params",
    "from_checkpoint",
    "from_hf_model",
    "hf_model_revision",
    "hf_output_repo_name",
    "gradient_accumulation_steps",
    "early_stopping_enabled",
    "early_stopping_patience",
    "early_stopping_min_delta",
    "early_stopping_warmup_evals",
)
_KNOWN = frozenset(
    {
        "training_file",
        "validation_file",
        "model",
        "n_epochs",
        "batch_size",
        "suffix",
        "random_seed",
        "train_on_inputs",
        "training_method",
        "training_type",
        *_ECHOED,
        *_SECRETS,
    }
)
_STRINGS = (
    "wandb_base_url",
    "wandb_project_name",
    "wandb_name",
    "wandb_entity",
    "from_hf_model",
    "hf_model_revision",
    "hf_output_repo_name",
    *_SECRETS,
)
_MAX_SUFFIX = 40
_MAX_SEED = 2_147_483_647
_LORA_RANK = 64
_LIMITS: dict[str, Any] = {
    "max_num_epochs": 20,
    "max_num_evals": 100,
    "max_num_checkpoints": 20,
    "max_learning_rate": 1.0,
    "min_learning_rate": 1e-8,
}
_LORA_BATCH = (8, 32, 16)  # min, max SFT, max DPO
_FULL_BATCH = (8, 32, 16)
_BIG_MODEL = 20_000_000_000  # larger bases: LoRA only, and the dearer price tier
_USER_LIMIT = 1000.0


def _fail(message: str, param: str) -> ApiError:
    return ApiError.invalid(message, param=param)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _int_in(body: Mapping[str, Any], key: str, low: int, high: int | None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise _fail(f"Invalid '{key}': expected an integer {bound}, got {value!r}.", key)
    return int(value)


def _number_in(body: Mapping[str, Any], key: str, low: float, high: float | None) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if not _is_number(value) or value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
        raise _fail(f"Invalid '{key}': expected a number {bound}, got {value!r}.", key)
    return float(value)


def model_limits(model: str) -> dict[str, Any]:
    """Together's ``FineTuneModelLimits`` of ``model`` (the same few rules for every model:
    bases over 20B parameters are LoRA only)."""
    full = param_count(model) <= _BIG_MODEL
    low, high, high_dpo = _LORA_BATCH
    batch = {"min_batch_size": low, "max_batch_size": high, "max_batch_size_dpo": high_dpo}
    limits: dict[str, Any] = {
        **_LIMITS,
        "model_name": model,
        "lora_training": {
            **batch,
            "max_rank": _LORA_RANK,
            "default_rank": _LORA_RANK,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"],
        },
        "max_seq_length_sft": 8192,
        "max_seq_length_dpo": 8192,
        "min_max_seq_length": 512,
        "default_gradient_accumulation_steps": 1,
        "supports_vision": False,
        "supports_tools": True,
        "supports_reasoning": False,
        "supports_full_training": full,
        "merge_output_lora": True,
    }
    if full:
        low, high, high_dpo = _FULL_BATCH
        limits["full_training"] = {
            "min_batch_size": low,
            "max_batch_size": high,
            "max_batch_size_dpo": high_dpo,
        }
    return limits


def parse_training_method(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``training_method`` object, checked (``sft`` when absent; the deprecated top-level
    ``train_on_inputs`` folds into it)."""
    raw = body.get("training_method")
    legacy = body.get("train_on_inputs")
    if raw is None:
        raw = {"method": "sft"}
    if not isinstance(raw, dict) or raw.get("method") not in METHODS:
        raise _fail(
            "Invalid 'training_method': expected an object whose 'method' is 'sft' or 'dpo'.",
            "training_method.method",
        )
    method = dict(raw)
    if method["method"] == "sft":
        train_on_inputs = method.get("train_on_inputs", legacy if legacy is not None else "auto")
        if not isinstance(train_on_inputs, bool) and train_on_inputs != "auto":
            raise _fail(
                "Invalid 'train_on_inputs': expected true, false or 'auto'.",
                "training_method.train_on_inputs",
            )
        method["train_on_inputs"] = train_on_inputs
    else:
        if legacy is not None:
            raise _fail("'train_on_inputs' applies to sft training only.", "train_on_inputs")
        for key in ("dpo_beta", "rpo_alpha", "simpo_gamma"):
            value = method.get(key)
            if value is not None and (not _is_number(value) or value < 0):
                raise _fail(
                    f"Invalid 'training_method.{key}': expected a number >= 0.",
                    f"training_method.{key}",
                )
    return method


def _training_type(body: Mapping[str, Any], limits: Mapping[str, Any]) -> dict[str, Any]:
    raw = body.get("training_type")
    model = limits["model_name"]
    if raw is None:
        raw = {"type": "Lora"}
    if not isinstance(raw, dict) or raw.get("type") not in ("Full", "Lora"):
        raise _fail(
            "Invalid 'training_type': expected an object whose 'type' is 'Full' or 'Lora'.",
            "training_type.type",
        )
    if raw["type"] == "Full":
        if "full_training" not in limits:
            raise _fail(f"Full training is not supported for {model}.", "training_type")
        return {"type": "Full"}
    rank = raw.get("lora_r", limits["lora_training"]["default_rank"])
    max_rank = limits["lora_training"]["max_rank"]
    if not _is_int(rank) or not 1 <= rank <= max_rank:
        raise _fail(
            f"Invalid 'training_type.lora_r': expected an integer between 1 and {max_rank}.",
            "training_type.lora_r",
        )
    alpha = raw.get("lora_alpha", rank * 2)
    dropout = raw.get("lora_dropout", 0.0)
    if not _is_number(alpha) or alpha <= 0:
        raise _fail("Invalid 'training_type.lora_alpha': expected a number > 0.", "training_type")
    if not _is_number(dropout) or not 0 <= dropout < 1:
        raise _fail(
            "Invalid 'training_type.lora_dropout': expected a number in [0, 1).",
            "training_type.lora_dropout",
        )
    modules = raw.get("lora_trainable_modules", "all-linear")
    if not isinstance(modules, str) or not modules:
        raise _fail(
            "Invalid 'training_type.lora_trainable_modules': expected a string.",
            "training_type.lora_trainable_modules",
        )
    return {
        "type": "Lora",
        "lora_r": rank,
        "lora_alpha": int(alpha),
        "lora_dropout": float(dropout),
        "lora_trainable_modules": modules,
    }


def _batch_size(body: Mapping[str, Any], limits: Mapping[str, Any], kind: str, dpo: bool) -> Any:
    value = body.get("batch_size", "max")
    if value == "max" or value is None:
        return "auto"  # the largest that fits: the emulator picks as its "auto" does
    side = limits["full_training" if kind == "Full" else "lora_training"]
    low = side["min_batch_size"]
    high = side["max_batch_size_dpo" if dpo else "max_batch_size"]
    if not _is_int(value) or not low <= value <= high:
        raise _fail(
            f"Invalid 'batch_size': expected 'max' or an integer between {low} and {high} "
            f"for {limits['model_name']}, got {value!r}.",
            "batch_size",
        )
    return value


def _file(body: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value in (None, "") and not required:
        return None  # Together's SDK sends validation_file="" for none
    if not isinstance(value, str) or not value:
        raise _fail(f"Missing required parameter: '{key}'.", key)
    return value


def parse_create(
    body: Any, *, models: Mapping[str, Any], base_of: Callable[[str], str]
) -> JobRequest:
    """Check a ``POST /fine-tunes`` body against Together's rules and ``model``'s limits.

    ``models`` are the fine-tunable bases; ``base_of(from_checkpoint)`` is the base model of
    a checkpoint reference (it raises the 400 for one that does not exist).
    """
    if not isinstance(body, dict):
        raise _fail("The request body must be a JSON object.", "body")
    for key in body:
        if key not in _KNOWN:
            raise _fail(f"Unrecognized request argument supplied: {key}", key)
    for key in _STRINGS:
        if body.get(key) is not None and not isinstance(body[key], str):
            raise _fail(f"Invalid '{key}': expected a string.", key)
    training_file = _file(body, "training_file", required=True)
    assert training_file is not None
    model = body.get("model")
    checkpoint = body.get("from_checkpoint")
    if checkpoint is not None:
        if not isinstance(checkpoint, str) or not checkpoint:
            raise _fail("Invalid 'from_checkpoint': expected a string.", "from_checkpoint")
        if model is not None:
            raise _fail(
                "Specify either 'model' or 'from_checkpoint' to start a job from, not both.",
                "from_checkpoint",
            )
        model = base_of(checkpoint)
    if not isinstance(model, str) or not model:
        raise _fail("Missing required parameter: 'model' (or 'from_checkpoint').", "model")
    if model not in models:
        raise ApiError.invalid(
            f"Model {model} is not supported for fine-tuning.",
            param="model",
            code="model_not_supported",
        )
    limits = model_limits(model)
    method = parse_training_method(body)
    training_type = _training_type(body, limits)
    dpo = method["method"] == "dpo"
    n_epochs = _int_in(body, "n_epochs", 1, limits["max_num_epochs"]) or 1
    n_evals = _int_in(body, "n_evals", 0, limits["max_num_evals"]) or 0
    _int_in(body, "n_checkpoints", 1, limits["max_num_checkpoints"])
    _int_in(body, "max_seq_length", limits["min_max_seq_length"], limits["max_seq_length_sft"])
    _int_in(body, "gradient_accumulation_steps", 0, None)
    learning_rate = _number_in(
        body, "learning_rate", limits["min_learning_rate"], limits["max_learning_rate"]
    )
    _number_in(body, "warmup_ratio", 0.0, 1.0)
    _number_in(body, "max_grad_norm", 0.0, None)
    _number_in(body, "weight_decay", 0.0, None)
    scheduler = body.get("lr_scheduler")
    if scheduler is not None and (
        not isinstance(scheduler, dict)
        or scheduler.get("lr_scheduler_type") not in ("linear", "cosine")
    ):
        raise _fail(
            "Invalid 'lr_scheduler': expected an object whose 'lr_scheduler_type' is "
            "'linear' or 'cosine'.",
            "lr_scheduler.lr_scheduler_type",
        )
    validation_file = _file(body, "validation_file", required=False)
    if n_evals and validation_file is None:
        raise _fail("'n_evals' above 0 needs a 'validation_file'.", "n_evals")
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or not 1 <= len(suffix) <= _MAX_SUFFIX):
        raise _fail(f"Invalid 'suffix': expected 1 to {_MAX_SUFFIX} characters.", "suffix")
    seed = _int_in(body, "random_seed", 0, _MAX_SEED)
    batch = _batch_size(body, limits, training_type["type"], dpo)
    method_type = METHODS[method["method"]]
    hyper: dict[str, Any] = {
        "batch_size": batch,
        "learning_rate_multiplier": "auto",
        "n_epochs": n_epochs,
    }
    if dpo:
        hyper["beta"] = method.get("dpo_beta") or "auto"
    echoed = {key: body[key] for key in _ECHOED if body.get(key) is not None}
    echoed.update(
        {
            "n_evals": n_evals,
            "learning_rate": learning_rate if learning_rate is not None else 1e-5,
            "training_method": method,
            "training_type": training_type,
        }
    )
    if "n_checkpoints" not in echoed:
        echoed["n_checkpoints"] = 1
    return JobRequest(
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        suffix=suffix,
        seed=seed if seed is not None else DEFAULT_SEED,
        method_type=method_type,
        method={"type": method_type, method_type: {"hyperparameters": hyper}},
        metadata=None,
        integrations=None,
        extra=echoed,
    )


# US dollars per million tokens by size tier: (LoRA, full); DPO costs 2.5 times as much.
_PRICES = ((16_000_000_000, (0.48, 0.54)), (69_000_000_000, (1.50, 1.65)), (None, (2.90, 3.20)))
_DPO_FACTOR = 2.5


def price_estimate(
    model: str,
    *,
    train_tokens: int,
    eval_tokens: int,
    full: bool,
    dpo: bool,
) -> dict[str, Any]:
    """Together's price estimate (an ``AvailableEstimate``) for tokens already multiplied by
    the epochs and evaluations, at Together's published per-token rates."""
    size = param_count(model)
    rates = next(r for bound, r in _PRICES if bound is None or size <= bound)
    rate = rates[1] if full else rates[0]
    if dpo:
        rate *= _DPO_FACTOR
    price = (train_tokens + eval_tokens) * rate / 1_000_000
    return {
        "estimation_available": True,
        "estimated_total_price": price,
        "allowed_to_proceed": price <= _USER_LIMIT,
        "user_limit": _USER_LIMIT,
        "estimated_train_token_count": train_tokens,
        "estimated_eval_token_count": eval_tokens,
    }
