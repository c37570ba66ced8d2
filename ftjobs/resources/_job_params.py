"""The jobs API's arguments, checked and turned into what is sent or matched: the bodies of
``jobs.create`` (method, integrations, hyperparameters) and the filters of ``jobs.find``.

Pure: no request is made here; each bad value raises a ``TypeError``/``ValueError`` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import _validation as check
from .._converter import unstructure
from .._hyperparameters import check_hyperparameters
from .._models import FineTuneMethod, FineTuningJob, Hyperparameters, JobStatus, WandbIntegration
from ..waiting._policy import status_key
from ._graders import grader_body

__all__ = [
    "hyperparameters_body",
    "instant",
    "integrations_body",
    "method_body",
    "statuses",
    "suffix_of",
]

_MAX_INTEGRATIONS = 5


def method_body(method: FineTuneMethod | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if method is None:
        return None
    if isinstance(method, FineTuneMethod):
        body = dict(unstructure(method))
    elif isinstance(method, Mapping):
        body = dict(method)
        inner = body.get("reinforcement")
        if isinstance(inner, Mapping) and "grader" in inner:
            body["reinforcement"] = {**inner, "grader": grader_body(inner["grader"])}
    else:
        raise TypeError(
            f"method must be a FineTuneMethod or a mapping, got {type(method).__name__}"
        )
    check.method_type(body)
    return body


def integrations_body(
    integrations: Sequence[WandbIntegration | Mapping[str, Any]] | None,
) -> list[Any] | None:
    if integrations is None:
        return None
    if isinstance(integrations, (str, bytes, Mapping)) or not isinstance(integrations, Sequence):
        raise TypeError("integrations must be a sequence of WandbIntegration or mappings")
    if len(integrations) > _MAX_INTEGRATIONS:
        raise ValueError(f"integrations: at most {_MAX_INTEGRATIONS} are allowed")
    body: list[Any] = []
    for i, item in enumerate(integrations):
        if isinstance(item, WandbIntegration):
            body.append(unstructure(item))
        elif isinstance(item, Mapping):
            if not isinstance(item.get("type"), str):
                raise ValueError(f"integrations[{i}].type must be a string such as 'wandb'")
            body.append(dict(item))
        else:
            raise TypeError(f"integrations[{i}] must be a WandbIntegration or a mapping")
    return body


def hyperparameters_body(
    hyperparameters: Hyperparameters | Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    if hyperparameters is None:
        return None
    if isinstance(hyperparameters, Hyperparameters):
        body = dict(unstructure(hyperparameters))
    elif isinstance(hyperparameters, Mapping):
        body = dict(hyperparameters)
    else:
        raise TypeError("hyperparameters must be a Hyperparameters or a mapping")
    check_hyperparameters("hyperparameters", body)
    return body


def statuses(value: object, words: Mapping[str, JobStatus] | None = None) -> frozenset[str] | None:
    """The statuses ``find`` matches; ``words`` are the provider's own words for some (so
    ``"completed"`` finds Together's succeeded jobs)."""
    if value is None:
        return None
    items = [value] if isinstance(value, (str, JobStatus)) else value
    if not isinstance(items, Iterable):
        raise TypeError(f"status must be a status or several, got {type(value).__name__}")
    aliases = words or {}
    found = frozenset(
        status_key(str(aliases.get(word, word)))
        for word in (check.require_str("status", str(s)) for s in items)
    )
    if not found:
        raise ValueError("status must name at least one status")
    return found


def instant(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (a naive datetime is ambiguous)")
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a datetime or Unix seconds, got {type(value).__name__}")
    return float(value)


def suffix_of(job: FineTuningJob) -> str | None:
    # Azure echoes the suffix as user_provided_suffix, Together and others as suffix.
    echoed = job.extra.get("user_provided_suffix", job.extra.get("suffix"))
    if isinstance(echoed, str):
        return echoed
    # ft:<base>:<org>:<suffix>:<id>, the suffix part empty when none was given.
    parts = (job.fine_tuned_model or "").split(":")
    return parts[3] or None if len(parts) == 5 and parts[0] == "ft" else None
