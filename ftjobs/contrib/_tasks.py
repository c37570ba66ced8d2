"""The engine-neutral core of running creates and waits as task-queue tasks.

A task engine (arq here; Temporal, saq, Celery...) supplies three things: somewhere to keep a
wait's state between steps, a way to re-schedule a task after a delay, and stable task ids for
de-duplication. Everything else lives here and knows nothing about any engine:

- `create_once()`: one create attempt that is safe to repeat (lookup by key, then an
  idempotent create carrying the key as ``Idempotency-Key`` and in the job's metadata);
- `wait_once()`: one step of a wait, turned into a `WaitProgress` (re-schedule
  after ``delay``), a `WaitDone` (terminal) or a raised
  [`WaitFailed`][ftjobs.contrib.arq.WaitFailed] (a typed
  end: 401/403/404, budget spent, a rejected token);
- the pure helpers: task ids, key checks, the metadata the key is recorded under, the backoff
  after an unexpected error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from .. import (
    APIStatusError,
    AsyncClient,
    FineTuningJob,
    FTJobsError,
    InvalidContinuationToken,
    PollPolicy,
    WaitTimeout,
)
from .._converter import unstructure
from .._retry import exponential_backoff
from ..types import NOT_GIVEN, NotGiven
from ..waiting import ContinuationToken, EventReceived
from ..waiting._pacer import is_transient
from ..waiting._policy import webhook_delay
from ..waiting._token import ID_PATTERN, is_token

__all__ = [
    "KEY_METADATA",
    "MAX_KEY_LENGTH",
    "WAIT_TASK_PREFIX",
    "CreateFailed",
    "WaitDone",
    "WaitFailed",
    "WaitProgress",
    "check_key",
    "create_body",
    "create_once",
    "create_task_id",
    "error_backoff",
    "find_by_key",
    "follow_up_task_id",
    "job_id_of",
    "wait_once",
    "wait_task_id",
]

#: Metadata key the caller's key is recorded under on the created job.
KEY_METADATA = "ftjobs_key"
#: Longest key accepted (it travels in a header, a metadata value and a task id).
MAX_KEY_LENGTH = 200
_MAX_METADATA = 16
_KEY_RE = re.compile(r"[A-Za-z0-9_.:-]+")


class CreateFailed(FTJobsError):
    """A create was refused for good (a 4xx other than 408/409/429): retrying cannot help.

    Attributes:
        key: The caller's key.
        status_code: The HTTP status.
        message: The server's message.
    """

    def __init__(self, key: str, status_code: int, message: str) -> None:
        super().__init__(f"create {key!r} refused ({status_code}): {message}")
        self.key = key
        self.status_code = status_code
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (task results are JSON, never pickle)."""
        return {"key": self.key, "status_code": self.status_code, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreateFailed:
        """Inverse of [`to_dict()`][ftjobs.contrib.arq.CreateFailed.to_dict]."""
        return cls(str(data["key"]), int(data["status_code"]), str(data["message"]))


class WaitFailed(FTJobsError):
    """A wait ended without a terminal job, and re-running the task cannot change that.

    Attributes:
        job_id: The job waited on.
        reason: ``"auth"`` (401/403), ``"not_found"`` (404), ``"refused"`` (another
            permanent 4xx), ``"timeout"`` (the wait's budget is spent: resume with ``token``)
            or ``"bad_token"``.
        status_code: The HTTP status, when a response ended the wait.
        message: What happened.
        token: A continuation token to resume from (budget spent only).
    """

    def __init__(
        self,
        job_id: str,
        reason: str,
        message: str,
        *,
        status_code: int | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__(f"wait on {job_id} ended ({reason}): {message}")
        self.job_id = job_id
        self.reason = reason
        self.message = message
        self.status_code = status_code
        self.token = token

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (task results are JSON, never pickle)."""
        return {
            "job_id": self.job_id,
            "reason": self.reason,
            "message": self.message,
            "status_code": self.status_code,
            "token": self.token,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaitFailed:
        """Inverse of [`to_dict()`][ftjobs.contrib.arq.WaitFailed.to_dict]."""
        status = data.get("status_code")
        token = data.get("token")
        return cls(
            str(data["job_id"]),
            str(data["reason"]),
            str(data["message"]),
            status_code=None if status is None else int(status),
            token=None if token is None else str(token),
        )


@attrs.frozen
class WaitProgress:
    """A step that left the job non-terminal: store ``token`` and ``events``, step again later.

    Attributes:
        job_id: The job.
        job: The job as seen (``None`` when the poll failed transiently).
        token: Continuation token to take the next step from.
        delay: Seconds to wait before the next step.
        events: New events as ``(event id, JSON text)``, oldest first.
    """

    job_id: str
    job: FineTuningJob | None
    token: str
    delay: float
    events: tuple[tuple[str, str], ...]


@attrs.frozen
class WaitDone:
    """A step that found the job terminal.

    Attributes:
        job: The terminal job.
        events: New events as ``(event id, JSON text)``, oldest first.
    """

    job: FineTuningJob
    events: tuple[tuple[str, str], ...]


def check_key(key: object) -> str:
    """Validate a caller's create key: 1-200 characters from ``[A-Za-z0-9_.:-]``."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"key must be a string of 1-{MAX_KEY_LENGTH} characters, got {key!r}")
    if not _KEY_RE.fullmatch(key):
        raise ValueError(f"key must use only [A-Za-z0-9_.:-], got {key!r}")
    return key


def create_task_id(key: str) -> str:
    """The stable task id of the create for ``key``: ``ftjobs:create:<key>``."""
    return f"ftjobs:create:{check_key(key)}"


#: Prefix of the wait tasks' ids.
WAIT_TASK_PREFIX = "ftjobs:wait:"


def wait_task_id(job_id: str) -> str:
    """The stable task id of the wait on ``job_id``: ``ftjobs:wait:<job id>``."""
    return WAIT_TASK_PREFIX + _check_job_id(job_id)


def follow_up_task_id(job_id: str) -> str:
    """The stable task id of the follow-up of ``job_id``: ``ftjobs:then:<job id>``."""
    return f"ftjobs:then:{_check_job_id(job_id)}"


def _check_job_id(job_id: object) -> str:
    if not isinstance(job_id, str) or not ID_PATTERN.fullmatch(job_id):
        raise ValueError(f"not a job id: {job_id!r}")
    return job_id


def job_id_of(job_id_or_token: str) -> str:
    """The job id of a job id or of a continuation token.

    Parses the token in full but does not check it against a base URL (the enqueuing side may
    have no client); the worker decodes it against its client.
    """
    if not isinstance(job_id_or_token, str):
        raise TypeError(f"expected a job id or a token, got {type(job_id_or_token).__name__}")
    if is_token(job_id_or_token):
        return ContinuationToken.parse(job_id_or_token).job_id
    return _check_job_id(job_id_or_token)


def create_body(params: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The keyword arguments of ``client.jobs.create`` for ``params``, with ``key`` recorded.

    The key goes into the job's metadata (so a server that ignores ``Idempotency-Key`` can be
    asked for the job by key) and into ``idempotency_key``.

    Raises:
        ValueError: ``params`` is not JSON-like, sets ``idempotency_key`` itself, records a
            different key, or already holds 16 metadata pairs.
    """
    check_key(key)
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, got {type(params).__name__}")
    for name in ("idempotency_key", "extra_headers", "extra_query", "timeout"):
        if name in params:
            raise ValueError(f"params must not set {name!r}")
    if "model" not in params or "training_file" not in params:
        raise ValueError("params must give at least 'model' and 'training_file'")
    body = dict(params)
    metadata = dict(body.get("metadata") or {})
    recorded = metadata.get(KEY_METADATA)
    if recorded is not None and recorded != key:
        raise ValueError(f"params.metadata[{KEY_METADATA!r}] is {recorded!r}, not the key")
    metadata[KEY_METADATA] = key
    if len(metadata) > _MAX_METADATA:
        raise ValueError(
            f"params.metadata holds {len(metadata) - 1} pairs; at most {_MAX_METADATA - 1} "
            f"leave room for {KEY_METADATA!r}"
        )
    body["metadata"] = metadata
    body["idempotency_key"] = key
    return body


async def find_by_key(client: AsyncClient, key: str) -> FineTuningJob | None:
    """The newest job whose metadata records ``key``, or ``None``."""
    page = await client.jobs.list(metadata={KEY_METADATA: check_key(key)}, limit=1)
    for job in page.data:
        if job.metadata and job.metadata.get(KEY_METADATA) == key:
            return job
    return None


async def create_once(
    client: AsyncClient, params: Mapping[str, Any], key: str, *, lookup: bool = True
) -> FineTuningJob:
    """Create the job for ``key`` unless it exists; safe to run again after any crash.

    First looks the key up through the list's metadata filter (a re-run after a crash finds
    the job even on a server that ignores ``Idempotency-Key``), then creates with the key as
    ``Idempotency-Key`` (a server that honours it answers a repeat with the same job).

    Raises:
        CreateFailed: The server refused the create for good (400, 401, 404, 422...).
        APIError: A transient failure that outlived the client's own retries: run again.
    """
    body = create_body(params, key)
    try:
        if lookup:
            found = await find_by_key(client, key)
            if found is not None:
                return found
        return await client.jobs.create(**body)
    except APIStatusError as exc:
        if is_transient(exc):
            raise
        raise CreateFailed(key, exc.status_code, exc.message) from exc


def _failure(job_id: str, exc: APIStatusError) -> WaitFailed:
    status = exc.status_code
    reason = {401: "auth", 403: "auth", 404: "not_found"}.get(status, "refused")
    return WaitFailed(job_id, reason, exc.message, status_code=status)


async def wait_once(
    client: AsyncClient,
    job_id_or_token: str,
    *,
    poll: PollPolicy | None = None,
    timeout: float | NotGiven | None = NOT_GIVEN,
    webhooks: bool = False,
) -> WaitProgress | WaitDone:
    """Take one step of a wait from a job id (first step) or the last stored token.

    Never sleeps. Transient failures come back as a `WaitProgress` with a longer delay
    (and the same position in the event stream). ``timeout`` gives the wait a fresh total
    budget from now (for the first step; later tokens carry what is left of it). With
    ``webhooks`` (the job's webhooks wake the wait), the next step is due only after the
    policy's ``webhook_safety_interval``, never past the budget.

    Raises:
        WaitFailed: 401/403/404 or another permanent refusal, the budget spent, a token that
            does not fit this client. Re-running cannot help, so the wait must end.
        APIError: Transient failures for longer than the policy tolerates.
    """
    job_id = job_id_of(job_id_or_token)
    try:
        waiter = client.jobs.waiter(job_id_or_token, poll=poll, follow=True, timeout=timeout)
        result = await waiter.step()
    except InvalidContinuationToken as exc:
        raise WaitFailed(job_id, "bad_token", str(exc)) from exc
    except WaitTimeout as exc:
        raise WaitFailed(job_id, "timeout", str(exc), token=exc.token) from exc
    except APIStatusError as exc:
        if is_transient(exc):
            raise
        raise _failure(job_id, exc) from exc
    events = tuple(
        (u.event.id, json.dumps(unstructure(u.event), separators=(",", ":"), sort_keys=True))
        for u in result.updates
        if isinstance(u, EventReceived)
    )
    if result.token is None:
        assert result.job is not None  # a step is only terminal after a successful poll
        return WaitDone(result.job, events)
    assert result.delay is not None
    delay = result.delay
    if webhooks:
        time_left = waiter.state.time_left(waiter.pacer_now())
        delay = webhook_delay(waiter.policy, delay, time_left=time_left)
    return WaitProgress(job_id, result.job, result.token, delay, events)


def error_backoff(attempt: int, *, initial: float = 1.0, cap: float = 60.0) -> float:
    """Seconds before re-running a task after an unexpected error on try ``attempt`` (1-based).

    Doubles from ``initial`` up to ``cap``; no jitter (the engines add their own spread).
    """
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt!r}")
    return exponential_backoff(initial, 2.0, attempt - 1, cap)
