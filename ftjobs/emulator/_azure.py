"""The Azure OpenAI dialect of the emulator (``EmulatorConfig(dialect="azure")``).

Azure's fine-tuning API is OpenAI's with differences, which this module applies to the objects
the OpenAI-style core renders (pure functions of the rendered job, its state and the time):

- statuses: ``validating_files`` is ``pending``, ``queued`` is ``notRunning``, and a
  cancelled job reads ``canceling`` for `EmulatorConfig.canceling_seconds` before
  ``canceled`` (with ``finished_at`` null meanwhile);
- ``organization_id`` is null, and ``result_files`` null while there are none;
- hyperparameters left to the service read ``-1`` (``n_epochs``, ``batch_size``) and ``1``
  (``learning_rate_multiplier``) instead of ``"auto"``;
- the create body may carry ``trainingType``, echoed on the job (kept with it, in the state
  file too: `JobState.extra`);
- the dated path ``/openai/fine_tuning/jobs`` requires ``?api-version=``; the v1 path
  ``/openai/v1/fine_tuning/jobs`` takes it optionally;
- responses carry ``apim-request-id`` (Azure's gateway) instead of ``x-request-id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._lifecycle import JobState

__all__ = [
    "AZURE_EXTRA_CREATE_FIELDS",
    "AZURE_STATUSES",
    "DATED_PREFIX",
    "azure_job",
    "pop_azure_fields",
    "require_api_version",
]

DATED_PREFIX = "/openai"
"""Path prefix of Azure's dated API (``/openai/fine_tuning/jobs?api-version=...``)."""

AZURE_STATUSES: Mapping[str, str] = {
    "validating_files": "pending",
    "queued": "notRunning",
    "cancelled": "canceled",
}
"""OpenAI status -> Azure status, where they differ."""

AZURE_EXTRA_CREATE_FIELDS = ("trainingType",)
"""Create-body fields Azure accepts beyond OpenAI's."""

_AUTO_INT = -1
_AUTO_LR = 1


def require_api_version(path: str, query: Mapping[str, str]) -> None:
    """Raise Azure's 400 when a dated-path request has no ``api-version``."""
    dated = path.startswith(DATED_PREFIX + "/") and not path.startswith(DATED_PREFIX + "/v1/")
    if dated and not query.get("api-version"):
        raise ApiError(
            400,
            "The api-version query parameter (?api-version=) is required for all requests.",
            code="MissingApiVersionParameter",
        )


def pop_azure_fields(body: Any) -> tuple[Any, dict[str, Any]]:
    """Split a create body into the OpenAI part and the Azure-only fields (validated)."""
    if not isinstance(body, dict):
        return body, {}
    extra = {k: body[k] for k in AZURE_EXTRA_CREATE_FIELDS if k in body}
    for key, value in extra.items():
        if not isinstance(value, str) or not value:
            raise ApiError.invalid(f"Invalid '{key}': expected a non-empty string.", param=key)
    rest = {k: v for k, v in body.items() if k not in extra}
    return rest, extra


def _hyper(values: Any) -> Any:
    if not isinstance(values, dict):
        return values
    out = dict(values)
    for key in ("n_epochs", "batch_size"):
        if out.get(key) == "auto":
            out[key] = _AUTO_INT
    if out.get("learning_rate_multiplier") == "auto":
        out["learning_rate_multiplier"] = _AUTO_LR
    return out


def _method(method: Any) -> Any:
    if not isinstance(method, dict):
        return method
    out = dict(method)
    kind = out.get("type")
    inner = out.get(kind) if isinstance(kind, str) else None
    if isinstance(inner, dict) and "hyperparameters" in inner:
        out[kind] = {**inner, "hyperparameters": _hyper(inner["hyperparameters"])}
    return out


def azure_job(
    body: Mapping[str, Any],
    job: JobState,
    now: float,
    canceling_seconds: float,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Azure's rendering of a job OpenAI-style ``body`` (``now`` in emulated seconds)."""
    out = dict(body)
    status = job.status
    canceling = (
        status == "cancelled"
        and job.finished_at is not None
        and now - job.finished_at < canceling_seconds
    )
    out["status"] = "canceling" if canceling else AZURE_STATUSES.get(status, status)
    if canceling:
        out["finished_at"] = None
    out["organization_id"] = None
    if not out.get("result_files"):
        out["result_files"] = None
    out["hyperparameters"] = _hyper(out.get("hyperparameters"))
    out["method"] = _method(out.get("method"))
    if extra:
        out.update(extra)
    return out
