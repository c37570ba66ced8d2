"""Pure validation of request parameters: JSON bodies, the create-job body, uploads' form
fields and list query parameters.

Every problem raises [`ApiError`][ftjobs.emulator.ApiError] (400
``invalid_request_error``) naming the offending ``param`` with a dotted path.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._graders import check_grader

__all__ = [
    "METHOD_TYPES",
    "JobRequest",
    "MetadataFilter",
    "UploadRequest",
    "parse_admin_body",
    "parse_after",
    "parse_job_request",
    "parse_json_body",
    "parse_limit",
    "parse_metadata_filter",
    "parse_order",
    "parse_upload",
]

METHOD_TYPES = ("supervised", "dpo", "reinforcement")
_MAX_SEED = 2_147_483_647
_TOP_LEVEL = frozenset(
    {
        "model",
        "training_file",
        "validation_file",
        "hyperparameters",
        "suffix",
        "integrations",
        "seed",
        "method",
        "metadata",
    }
)
_REASONING = ("default", "low", "medium", "high")


@attrs.frozen
class JobRequest:
    """A validated create-job body, normalized (``"auto"`` filled in for absent settings).

    Attributes:
        model: Base model.
        training_file: Training file id (existence is checked by the store).
        validation_file: Validation file id, if any.
        suffix: Fine-tuned model name suffix, if any.
        seed: The requested seed, if any.
        method_type: ``supervised``, ``dpo`` or ``reinforcement``.
        method: The ``method`` object to echo, e.g.
            ``{"type": "dpo", "dpo": {"hyperparameters": {...}}}``.
        metadata: Metadata pairs, or ``None``.
        integrations: Integrations as given, or ``None``.
        extra: A dialect's own create fields, kept with the job (and persisted) for its
            rendering to echo (`ftjobs.emulator._together`); ``None`` in OpenAI's dialect.
    """

    model: str
    training_file: str
    validation_file: str | None
    suffix: str | None
    seed: int | None
    method_type: str
    method: dict[str, Any]
    metadata: dict[str, str] | None
    integrations: list[dict[str, Any]] | None
    extra: dict[str, Any] | None = None

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The method's hyperparameters object."""
        inner: dict[str, Any] = self.method[self.method_type]
        hyper: dict[str, Any] = inner["hyperparameters"]
        return hyper


def _fail(message: str, param: str, code: str | None = None) -> ApiError:
    return ApiError.invalid(message, param=param, code=code)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _optional_string(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(f"Invalid type for '{key}': expected a string or null.", key)
    return value


def _auto_or_int(value: Any, param: str, low: int, high: int | None) -> Any:
    if value == "auto":
        return value
    if not _is_int(value) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise _fail(f"Invalid value for '{param}': expected 'auto' or an integer {bound}.", param)
    return value


def _auto_or_number(value: Any, param: str, above: float, at_most: float | None) -> Any:
    if value == "auto":
        return value
    if not _is_number(value) or value <= above or (at_most is not None and value > at_most):
        bound = f"> {above:g}" + (f" and <= {at_most:g}" if at_most is not None else "")
        raise _fail(f"Invalid value for '{param}': expected 'auto' or a number {bound}.", param)
    return value


def _hyperparameters(raw: Any, method_type: str, param: str) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _fail(f"Invalid type for '{param}': expected an object.", param)
    checks: dict[str, Any] = {
        "batch_size": lambda v, p: _auto_or_int(v, p, 1, 256),
        "learning_rate_multiplier": lambda v, p: _auto_or_number(v, p, 0.0, None),
        "n_epochs": lambda v, p: _auto_or_int(v, p, 1, 50),
    }
    if method_type == "dpo":
        checks["beta"] = lambda v, p: _auto_or_number(v, p, 0.0, 2.0)
    if method_type == "reinforcement":
        checks["compute_multiplier"] = lambda v, p: _auto_or_number(v, p, 1e-5, 10.0)
        checks["eval_interval"] = lambda v, p: _auto_or_int(v, p, 1, None)
        checks["eval_samples"] = lambda v, p: _auto_or_int(v, p, 1, None)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "reasoning_effort" and method_type == "reinforcement":
            if value not in _REASONING:
                raise _fail(
                    f"Invalid value for '{param}.{key}': expected one of {', '.join(_REASONING)}.",
                    f"{param}.{key}",
                )
            out[key] = value
            continue
        if key not in checks:
            raise _fail(f"Unrecognized hyperparameter '{key}'.", f"{param}.{key}")
        out[key] = checks[key](value, f"{param}.{key}")
    resolved = {key: out.get(key, "auto") for key in checks}
    if method_type == "reinforcement":
        resolved["reasoning_effort"] = out.get("reasoning_effort", "default")
    return resolved


def _method(body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    legacy = body.get("hyperparameters")
    raw = body.get("method")
    if raw is None:
        hyper = _hyperparameters(legacy, "supervised", "hyperparameters")
        return "supervised", {"type": "supervised", "supervised": {"hyperparameters": hyper}}
    if not isinstance(raw, dict):
        raise _fail("Invalid type for 'method': expected an object.", "method")
    method_type = raw.get("type")
    if method_type not in METHOD_TYPES:
        raise _fail(
            f"Invalid value for 'method.type': expected one of {', '.join(METHOD_TYPES)}.",
            "method.type",
        )
    for key in raw:
        if key != "type" and key not in METHOD_TYPES:
            raise _fail(f"Unrecognized argument 'method.{key}'.", f"method.{key}")
        if key in METHOD_TYPES and key != method_type:
            raise _fail(
                f"'method.{key}' does not match method.type '{method_type}'.", f"method.{key}"
            )
    if legacy is not None:
        raise _fail(
            "'hyperparameters' is deprecated and cannot be combined with 'method'; "
            f"use 'method.{method_type}.hyperparameters'.",
            "hyperparameters",
        )
    inner = raw.get(method_type)
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise _fail(f"Invalid type for 'method.{method_type}': expected an object.", "method")
    allowed = {"hyperparameters"} | (
        {"grader", "response_format"} if method_type == "reinforcement" else set()
    )
    for key in inner:
        if key not in allowed:
            raise _fail(
                f"Unrecognized argument 'method.{method_type}.{key}'.",
                f"method.{method_type}.{key}",
            )
    param = f"method.{method_type}.hyperparameters"
    normalized: dict[str, Any] = {
        "hyperparameters": _hyperparameters(inner.get("hyperparameters"), method_type, param)
    }
    if method_type == "reinforcement":
        normalized["grader"] = check_grader(inner.get("grader"), "method.reinforcement.grader")
        normalized["response_format"] = inner.get("response_format")
    return method_type, {"type": method_type, method_type: normalized}


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail("Invalid type for 'metadata': expected an object or null.", "metadata")
    if len(value) > 16:
        raise _fail(
            f"Invalid 'metadata': at most 16 key-value pairs are allowed, got {len(value)}.",
            "metadata",
        )
    for key, item in value.items():
        if len(key) > 64:
            raise _fail(
                f"Invalid 'metadata': key {key[:20]!r}... is longer than 64 characters.",
                "metadata",
            )
        if not isinstance(item, str):
            raise _fail(f"Invalid 'metadata.{key}': values must be strings.", f"metadata.{key}")
        if len(item) > 512:
            raise _fail(
                f"Invalid 'metadata.{key}': value is longer than 512 characters.",
                f"metadata.{key}",
            )
    return dict(value)


def _integrations(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _fail("Invalid type for 'integrations': expected an array.", "integrations")
    if len(value) > 5:
        raise _fail("Invalid 'integrations': at most 5 integrations are allowed.", "integrations")
    for index, item in enumerate(value):
        param = f"integrations[{index}]"
        if not isinstance(item, dict) or item.get("type") != "wandb":
            raise _fail(f"Invalid '{param}': 'type' must be 'wandb'.", f"{param}.type")
        wandb = item.get("wandb")
        if not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str):
            raise _fail(
                f"Invalid '{param}.wandb': an object with a string 'project' is required.",
                f"{param}.wandb.project",
            )
        for key in ("name", "entity"):
            if wandb.get(key) is not None and not isinstance(wandb[key], str):
                raise _fail(
                    f"Invalid '{param}.wandb.{key}': expected a string.", f"{param}.wandb.{key}"
                )
        tags = wandb.get("tags")
        if tags is not None and (
            not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
        ):
            raise _fail(
                f"Invalid '{param}.wandb.tags': expected an array of strings.",
                f"{param}.wandb.tags",
            )
    return list(value)


def parse_job_request(body: Any) -> JobRequest:
    """Validate a create-job JSON body. Raises [`ApiError`][ftjobs.emulator.ApiError] (400)
    with ``param``."""
    if not isinstance(body, dict):
        raise _fail("The request body must be a JSON object.", "body")
    for key in body:
        if key not in _TOP_LEVEL:
            raise _fail(f"Unrecognized request argument supplied: {key}", key)
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise _fail("Missing required parameter: 'model'.", "model")
    training_file = body.get("training_file")
    if not isinstance(training_file, str) or not training_file:
        raise _fail("Missing required parameter: 'training_file'.", "training_file")
    validation_file = _optional_string(body, "validation_file")
    suffix = _optional_string(body, "suffix")
    if suffix is not None and not 1 <= len(suffix) <= 64:
        raise _fail(
            f"Invalid 'suffix': string must be 1 to 64 characters long, got {len(suffix)}.",
            "suffix",
        )
    seed = body.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= _MAX_SEED):
        raise _fail(f"Invalid 'seed': expected an integer between 0 and {_MAX_SEED}.", "seed")
    method_type, method = _method(body)
    return JobRequest(
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        suffix=suffix,
        seed=seed,
        method_type=method_type,
        method=method,
        metadata=_metadata(body.get("metadata")),
        integrations=_integrations(body.get("integrations")),
    )


def parse_limit(raw: str | None, *, default: int, maximum: int, param: str = "limit") -> int:
    """Parse a ``limit`` query value within ``1..maximum``. Raises
    [`ApiError`][ftjobs.emulator.ApiError] (400)."""
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise _fail(f"Invalid '{param}': expected an integer, got {raw!r}.", param) from None
    if value < 1:
        raise _fail(
            f"Invalid '{param}': integer below minimum value. "
            f"Expected a value >= 1, but got {value} instead.",
            param,
            "integer_below_min_value",
        )
    if value > maximum:
        raise _fail(
            f"Invalid '{param}': integer above maximum value. "
            f"Expected a value <= {maximum}, but got {value} instead.",
            param,
            "integer_above_max_value",
        )
    return value


def parse_order(raw: str | None) -> str:
    """Parse ``order`` (``asc``/``desc``, default ``desc``)."""
    if raw is None:
        return "desc"
    if raw not in ("asc", "desc"):
        raise _fail(f"Invalid 'order': expected 'asc' or 'desc', got {raw!r}.", "order")
    return raw


@attrs.frozen
class MetadataFilter:
    """A jobs-list metadata filter: all ``pairs`` must match; ``only_null`` keeps jobs
    without metadata (``metadata=null``)."""

    pairs: dict[str, str] = attrs.field(factory=dict)
    only_null: bool = False

    @property
    def active(self) -> bool:
        """True when the filter excludes anything."""
        return self.only_null or bool(self.pairs)

    def matches(self, metadata: Mapping[str, str] | None) -> bool:
        """Return whether a job's metadata passes the filter."""
        if self.only_null:
            return not metadata
        if not self.pairs:
            return True
        if not metadata:
            return False
        return all(metadata.get(key) == value for key, value in self.pairs.items())


def parse_metadata_filter(query: Iterable[tuple[str, str]]) -> MetadataFilter:
    """Read ``metadata[key]=value`` pairs (and ``metadata=null``) from query items."""
    pairs: dict[str, str] = {}
    only_null = False
    for key, value in query:
        if key == "metadata":
            if value != "null":
                raise _fail(
                    "Invalid 'metadata': use metadata[key]=value or metadata=null.", "metadata"
                )
            only_null = True
        elif key.startswith("metadata[") and key.endswith("]"):
            name = key[len("metadata[") : -1]
            if not name:
                raise _fail("Invalid 'metadata' filter: empty key.", "metadata")
            pairs[name] = value
    if only_null and pairs:
        raise _fail("Invalid 'metadata': metadata=null cannot be combined with keys.", "metadata")
    return MetadataFilter(pairs, only_null)


def parse_after(query: Mapping[str, str]) -> str | None:
    """The ``after`` cursor; an empty one is no cursor (a client that always sends it)."""
    return query.get("after") or None


def parse_json_body(raw: bytes) -> Any:
    """Decode an API request's JSON body. Raises [ApiError][ftjobs.emulator.ApiError] (400)."""
    if not raw.strip():
        raise ApiError.invalid("The request body must be a JSON object; it was empty.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError.invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)"
        ) from None


def parse_admin_body(raw: bytes) -> dict[str, Any]:
    """Decode an admin request's body: a JSON object, or nothing (``{}``)."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise ApiError.invalid("Admin request bodies must be JSON objects.")
    return body


@attrs.frozen
class UploadRequest:
    """A checked ``POST /files``: the file, its purpose and its expiry in seconds (if any)."""

    filename: str
    purpose: str
    content: bytes
    expires_after: int | None

    def fingerprint_source(self) -> dict[str, Any]:
        """What identifies this upload for idempotency (the content by its digest)."""
        return {
            "purpose": self.purpose,
            "filename": self.filename,
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "expires_after": self.expires_after,
        }


_UPLOAD_FIELDS = frozenset(
    {"purpose", "expires_after", "expires_after[anchor]", "expires_after[seconds]"}
)


def parse_upload(
    fields: Mapping[str, str], filename: str | None, content: bytes | None
) -> UploadRequest:
    """Check an upload's form fields and file part (as read from a multipart body)."""
    if content is None or filename is None:
        raise ApiError.invalid("Missing required parameter: 'file'.", param="file")
    unknown = sorted(set(fields) - _UPLOAD_FIELDS)
    if unknown:
        # The spec's CreateFileRequest allows no other fields (additionalProperties: false).
        raise ApiError.invalid(
            f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0]
        )
    purpose = fields.get("purpose")
    if not purpose:
        raise ApiError.invalid("Missing required parameter: 'purpose'.", param="purpose")
    if purpose == "fine-tune" and not filename.endswith(".jsonl"):
        raise ApiError.invalid(
            f"Invalid file format for Fine-Tuning API. Must be .jsonl (got '{filename}').",
            param="file",
        )
    return UploadRequest(filename, purpose, content, _expires_after(fields))


def _expires_after_part(raw: str) -> tuple[Any, Any]:
    """``expires_after`` sent as one JSON part: ``{"anchor": ..., "seconds": ...}``."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or set(value) - {"anchor", "seconds"}:
        raise ApiError.invalid(
            "Invalid 'expires_after': expected an object with 'anchor' and 'seconds'.",
            param="expires_after",
        )
    seconds = value.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        seconds = "invalid"
    return value.get("anchor"), str(seconds) if seconds is not None else None


def _expires_after(fields: Mapping[str, str]) -> int | None:
    anchor: Any = fields.get("expires_after[anchor]")
    seconds: Any = fields.get("expires_after[seconds]")
    if "expires_after" in fields:
        if anchor is not None or seconds is not None:
            raise ApiError.invalid(
                "Send 'expires_after' either as one part or as bracketed fields, not both.",
                param="expires_after",
            )
        anchor, seconds = _expires_after_part(fields["expires_after"])
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise ApiError.invalid(
            "Invalid 'expires_after[anchor]': expected 'created_at'.", param="expires_after.anchor"
        )
    try:
        value = int(seconds or "")
    except ValueError:
        value = -1
    if not 3600 <= value <= 2_592_000:
        raise ApiError.invalid(
            "Invalid 'expires_after[seconds]': expected an integer between 3600 and 2592000.",
            param="expires_after.seconds",
        )
    return value
