"""``client.jobs``: the fine-tuning jobs API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import _validation as check
from .._types import NOT_GIVEN, NotGiven
from ..converter import unstructure
from ..models import (
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Hyperparameters,
    WandbIntegration,
)
from ..pagination import AsyncPaginator
from ._base import Resource

__all__ = ["Jobs"]

_JOBS = "/fine_tuning/jobs"
_MAX_INTEGRATIONS = 5


def _job_id(job_or_id: str | FineTuningJob) -> str:
    if isinstance(job_or_id, FineTuningJob):
        return check.path_id("job_id", job_or_id.id)
    return check.path_id("job_id", job_or_id)


def _method_body(method: FineTuneMethod | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if method is None:
        return None
    if isinstance(method, FineTuneMethod):
        body = unstructure(method)
    elif isinstance(method, Mapping):
        body = dict(method)
    else:
        raise TypeError(
            f"method must be a FineTuneMethod or a mapping, got {type(method).__name__}"
        )
    check.method_type(body)
    return body


def _integrations_body(
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


def _hyperparameters_body(
    hyperparameters: Hyperparameters | Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    if hyperparameters is None:
        return None
    if isinstance(hyperparameters, Hyperparameters):
        return dict(unstructure(hyperparameters))
    if isinstance(hyperparameters, Mapping):
        return dict(hyperparameters)
    raise TypeError("hyperparameters must be a Hyperparameters or a mapping")


class Jobs(Resource):
    """Create, inspect and control fine-tuning jobs (``client.jobs``).

    Every method takes the keyword options ``extra_headers``, ``extra_query`` and ``timeout``
    (seconds per attempt; ``None`` for no limit); POSTs also take ``extra_body`` and
    ``idempotency_key``.
    """

    __slots__ = ()

    async def create(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None = None,
        suffix: str | None = None,
        seed: int | None = None,
        metadata: Mapping[str, str] | None = None,
        integrations: Sequence[WandbIntegration | Mapping[str, Any]] | None = None,
        method: FineTuneMethod | Mapping[str, Any] | None = None,
        hyperparameters: Hyperparameters | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Create a fine-tuning job.

        Args:
            model: Base model to fine-tune, e.g. ``"gpt-4o-mini-2024-07-18"``.
            training_file: Id of an uploaded file with purpose ``fine-tune``.
            validation_file: Optional id of a validation file.
            suffix: Up to 64 characters added to the fine-tuned model's name.
            seed: Reproducibility seed, 0..2147483647.
            metadata: Up to 16 str->str pairs (keys <= 64 chars, values <= 512).
            integrations: Up to 5 integrations (Weights & Biases).
            method: The method (supervised, dpo, reinforcement) with its hyperparameters.
            hyperparameters: Deprecated top-level hyperparameters; prefer ``method``.
            idempotency_key: Sent as ``Idempotency-Key``; the same on every retry. A fresh one
                is generated when not given. Pass your own to make a create safe to repeat
                across processes.

        Raises:
            TypeError, ValueError: Bad input, before any request.
        """
        body: dict[str, Any] = {
            "model": check.require_str("model", model),
            "training_file": check.require_str("training_file", training_file),
        }
        optional = {
            "validation_file": check.optional_str("validation_file", validation_file),
            "suffix": check.suffix(suffix),
            "seed": check.seed(seed),
            "metadata": check.metadata("metadata", metadata),
            "integrations": _integrations_body(integrations),
            "method": _method_body(method),
            "hyperparameters": _hyperparameters_body(hyperparameters),
        }
        body.update((k, v) for k, v in optional.items() if v is not None)
        return await self._call(
            FineTuningJob,
            "POST",
            _JOBS,
            body=body,
            idempotency_key=check.optional_str("idempotency_key", idempotency_key),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=check.plain_mapping("extra_body", extra_body),
            timeout=timeout,
        )

    async def retrieve(
        self,
        job_id: str | FineTuningJob,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Fetch one job by id."""
        return await self._call(
            FineTuningJob,
            "GET",
            f"{_JOBS}/{_job_id(job_id)}",
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        metadata: Mapping[str, str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[FineTuningJob]:
        """List jobs, newest first.

        ``await client.jobs.list()`` gives the first page; ``async for job in
        client.jobs.list()`` gives every job. ``metadata`` filters on exact key/value pairs
        (sent as ``metadata[key]=value``).
        """
        params = _page_params(after, limit)
        for key, value in (check.metadata("metadata", metadata) or {}).items():
            params.append((f"metadata[{key}]", value))
        return self._paginate(
            FineTuningJob,
            _JOBS,
            params,
            after=check.optional_str("after", after),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def _action(
        self,
        job_id: str | FineTuningJob,
        action: str,
        idempotency_key: str | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        timeout: float | NotGiven | None,
    ) -> FineTuningJob:
        return await self._call(
            FineTuningJob,
            "POST",
            f"{_JOBS}/{_job_id(job_id)}/{action}",
            idempotency_key=check.optional_str("idempotency_key", idempotency_key),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=check.plain_mapping("extra_body", extra_body),
            timeout=timeout,
        )

    async def cancel(
        self,
        job_id: str | FineTuningJob,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Cancel a job; returns the job as the server reports it after the request."""
        return await self._action(
            job_id, "cancel", idempotency_key, extra_headers, extra_query, extra_body, timeout
        )

    async def pause(
        self,
        job_id: str | FineTuningJob,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Pause a running job."""
        return await self._action(
            job_id, "pause", idempotency_key, extra_headers, extra_query, extra_body, timeout
        )

    async def resume(
        self,
        job_id: str | FineTuningJob,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Resume a paused job."""
        return await self._action(
            job_id, "resume", idempotency_key, extra_headers, extra_query, extra_body, timeout
        )

    def list_events(
        self,
        job_id: str | FineTuningJob,
        *,
        after: str | None = None,
        limit: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[FineTuningJobEvent]:
        """List a job's events, newest first (await for a page, ``async for`` for all)."""
        return self._paginate(
            FineTuningJobEvent,
            f"{_JOBS}/{_job_id(job_id)}/events",
            _page_params(after, limit),
            after=check.optional_str("after", after),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    def list_checkpoints(
        self,
        job_id: str | FineTuningJob,
        *,
        after: str | None = None,
        limit: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[FineTuningJobCheckpoint]:
        """List a job's checkpoints, newest first (await for a page, ``async for`` for all)."""
        return self._paginate(
            FineTuningJobCheckpoint,
            f"{_JOBS}/{_job_id(job_id)}/checkpoints",
            _page_params(after, limit),
            after=check.optional_str("after", after),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )


def _page_params(after: str | None, limit: int | None) -> list[tuple[str, str]]:
    check.optional_str("after", after)
    size = check.limit(limit)
    return [] if size is None else [("limit", str(size))]
