"""Typed errors raised by ftjobs.

Every failure the SDK raises derives from [`FTJobsError`][ftjobs.FTJobsError]. HTTP failures
are [`APIStatusError`][ftjobs.APIStatusError] subclasses chosen by status code; transport
failures are [`APIConnectionError`][ftjobs.APIConnectionError] /
[`APITimeoutError`][ftjobs.APITimeoutError]; a 2xx body that does not fit the model is a
[`ResponseValidationError`][ftjobs.ResponseValidationError].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._models import FineTuningJob, JobError
    from .training_data import TrainingFileReport

__all__ = [
    "DAILY_LIMIT_CODE",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CampaignPlanError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DailyLimitError",
    "FTJobsError",
    "InternalServerError",
    "InvalidContinuationToken",
    "InvalidWebhookSignatureError",
    "JobFailed",
    "JobPaused",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "PoolTimeoutError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "TrainingFileError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "UploadIntegrityError",
    "WaitTimeout",
    "status_error_class",
]


class FTJobsError(Exception):
    """Base class of every error ftjobs raises (local ``ValueError``/``TypeError`` aside)."""


class ConfigurationError(FTJobsError, ValueError):
    """The client is misconfigured (for example no API key could be found)."""


class UnsupportedOperationError(ConfigurationError):
    """The client's provider has no such operation (Together AI cannot pause a job, has no
    graders...): raised when the method is called, before any request.

    Attributes:
        provider: The provider's dialect name (``"together"``).
        operation: The operation, as ``resource.method`` (``"jobs.pause"``).
    """

    def __init__(self, provider: str, operation: str, hint: str | None = None) -> None:
        self.provider = provider
        self.operation = operation
        self.hint = hint
        message = f"{provider} does not support {operation}: its API has no such operation"
        super().__init__(message if hint is None else f"{message} ({hint})")

    def __reduce__(
        self,
    ) -> tuple[type[UnsupportedOperationError], tuple[str, str, str | None]]:
        return (type(self), (self.provider, self.operation, self.hint))


class ClientClosedError(FTJobsError, RuntimeError):
    """The client was used after it was closed (or before ``async with`` opened it)."""


class APIError(FTJobsError):
    """A failure while talking to the API.

    Attributes:
        message: Human-readable description.
        request_id: The server's ``x-request-id`` (or a gateway's request id), if any.
        method: HTTP method of the failed request.
        url: URL of the failed request (never carries credentials).
    """

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.method = method
        self.url = url

    def __str__(self) -> str:
        if self.request_id:
            return f"{self.message} (request_id={self.request_id})"
        return self.message


class APIConnectionError(APIError):
    """The request could not be sent or its response could not be read."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class PoolTimeoutError(APITimeoutError):
    """No connection of the client's pool came free within ``pool_timeout`` seconds.

    The request was never sent. It is not retried (a retry would only rejoin the same queue);
    raise ``connection_limit`` or ``pool_timeout``, or send fewer requests at once.
    """


class ResponseTooLargeError(APIError):
    """A response body was larger than the client's ``max_response_bytes``.

    Reading stopped at the limit (the rest was never held in memory). Stream large file
    contents with ``files.content(file_id, to=path)`` or ``files.stream_content(file_id)``.

    Attributes:
        limit: The limit in bytes that was exceeded.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, method=method, url=url)
        self.limit = limit


class PaginationError(APIError):
    """A list endpoint broke the pagination protocol, so iterating it would never end (or never
    make progress): a cursor came back that was already used, a page said ``has_more`` but
    held no items, or a page held more items than the ``limit`` asked for.

    Attributes:
        endpoint: The list endpoint's path (``/fine_tuning/jobs/ftjob-1/events``).
        cursor: The ``after`` cursor involved (``None`` for the first page).
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        cursor: str | None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, method="GET", url=endpoint)
        self.endpoint = endpoint
        self.cursor = cursor


class APIStatusError(APIError):
    """The server answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status.
        code: ``error.code`` from the body, if present.
        param: ``error.param`` from the body, if present.
        type: ``error.type`` from the body, if present.
        body: The decoded JSON body, or the raw text when it was not JSON.
        headers: The response headers (case-insensitive when they come from a response).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, method=method, url=url)
        self.status_code = status_code
        self.code = code
        self.param = param
        self.type = type
        self.body = body
        self.headers: Mapping[str, str] = headers if headers is not None else {}

    def __str__(self) -> str:
        parts = [f"Error code: {self.status_code} - {self.message}"]
        if self.code:
            parts.append(f"code={self.code}")
        if self.param:
            parts.append(f"param={self.param}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


class RedirectError(APIStatusError):
    """HTTP 3xx: the server redirected, and ftjobs follows no redirect.

    Following one would send the credentials (``Authorization``, ``api-key``, a gateway's keys,
    any in ``default_headers``) and, on 307/308, the request body to whatever host the
    ``Location`` names. Point ``base_url`` at the final address instead.

    Attributes:
        location: The ``Location`` header (``None`` if the server sent none).
    """

    @property
    def location(self) -> str | None:
        """Where the server wanted the request to go."""
        return self.headers.get("Location")


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing or invalid credentials."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409 (for example another request with the same Idempotency-Key is in flight)."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429."""


DAILY_LIMIT_CODE = "daily_rate_limit_exceeded"
"""``error.code`` of a create refused by the provider's per-model daily quota."""

_QUOTED_MODEL = re.compile(r"for the model '([^']{1,200})'")


class DailyLimitError(RateLimitError):
    """HTTP 429 ``daily_rate_limit_exceeded``: the organization reached its daily quota of
    fine-tuning jobs for a model (a rolling 24-hour window).

    Not retried by the transport: the next slot opens hours later, not seconds. A campaign
    ([`Campaign`][ftjobs.Campaign]) waits for it; see ``client.jobs.run_campaign``.

    Attributes:
        model: The model named in the message (``None`` when the message names none).
    """

    @property
    def model(self) -> str | None:
        """The model whose quota is spent, read from the message."""
        found = _QUOTED_MODEL.search(self.message)
        return found.group(1) if found else None


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int, code: str | None = None) -> type[APIStatusError]:
    """Return the [`APIStatusError`][ftjobs.APIStatusError] subclass for an HTTP status (and
    the body's ``error.code``, which tells a daily quota from a rate limit)."""
    if status == 429 and code == DAILY_LIMIT_CODE:
        return DailyLimitError
    if status >= 500:
        return InternalServerError
    if 300 <= status < 400:
        return RedirectError
    return _BY_STATUS.get(status, APIStatusError)


class ResponseValidationError(FTJobsError):
    """A 2xx response body did not fit the expected model.

    Attributes:
        model: Name of the model being built.
        errors: One line per problem, each naming the field path (``$.data[3].status``).
        body: The decoded body that failed.
        request_id: The response's request id, when known.
    """

    def __init__(
        self,
        model: str,
        errors: list[str],
        *,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        self.model = model
        self.errors = errors
        self.body = body
        self.request_id = request_id
        shown = "; ".join(errors[:5]) + (f"; ... {len(errors) - 5} more" if len(errors) > 5 else "")
        message = f"response does not fit {model}: {shown}"
        if request_id:
            message += f" (request_id={request_id})"
        super().__init__(message)


class UploadIntegrityError(FTJobsError):
    """What was uploaded is not the file as it stood when the upload began.

    Either the file changed size while it was read (truncated or appended to by another
    program): the request is abandoned and not retried, so the server stores nothing; or the
    server reports a size other than the bytes sent: the file it stored (``file_id``) is left
    for you to inspect or delete.

    Attributes:
        expected: Bytes the upload set out to send (the file's size when it began).
        actual: Bytes the file held when read, or the size the server reports.
        file_id: The server's file, when one was created.
    """

    def __init__(
        self, message: str, *, expected: int, actual: int, file_id: str | None = None
    ) -> None:
        self.expected = expected
        self.actual = actual
        self.file_id = file_id
        super().__init__(message)


class TrainingFileError(FTJobsError, ValueError):
    """``files.upload(..., check=True)`` found errors in the file; nothing was uploaded.

    Attributes:
        report: The whole [TrainingFileReport][ftjobs.training_data.TrainingFileReport]: every error
            and warning, with its line.
    """

    def __init__(self, report: TrainingFileReport) -> None:
        self.report = report
        first = report.errors[0].message if report.errors else "no error"
        more = len(report.errors) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"file: the training file has errors: {first}{suffix}")


class WaitTimeout(FTJobsError):
    """A wait ran out of budget before the job reached a terminal status.

    The job may still finish: resume the wait later with ``token``.

    Attributes:
        job: The last job seen, or ``None`` if no poll succeeded.
        token: A continuation token (see `ftjobs.waiting._token`) to resume the wait
            (``None`` for a wait on many jobs).
        reason: Which budget ran out: ``"timeout"`` (total) or ``"queued_timeout"``.
    """

    def __init__(
        self,
        message: str,
        *,
        job: FineTuningJob | None,
        token: str | None,
        reason: str = "timeout",
    ) -> None:
        super().__init__(message)
        self.job = job
        self.token = token
        self.reason = reason


class JobFailed(FTJobsError):
    """The awaited job ended in ``failed``.

    Attributes:
        job: The failed job.
        error: Its ``error`` (code, message, param), or ``None`` when the server gave none.
    """

    def __init__(self, job: FineTuningJob, error: JobError | None = None) -> None:
        parts = [f"fine-tuning job {job.id} failed"]
        if error is not None and error.code:
            parts.append(f"[{error.code}]")
        if error is not None and error.message:
            parts.append(error.message)
        super().__init__(" ".join(parts))
        self.job = job
        self.error = error


class JobPaused(FTJobsError):
    """The awaited job is ``paused``: it will not finish until someone resumes it.

    Attributes:
        job: The paused job.
    """

    def __init__(self, job: FineTuningJob) -> None:
        super().__init__(f"fine-tuning job {job.id} is paused")
        self.job = job


class InvalidContinuationToken(FTJobsError, ValueError):
    """A continuation token could not be used: malformed, tampered with, truncated, from an
    unsupported version, or issued for another base URL. The message says which."""


class InvalidWebhookSignatureError(FTJobsError, ValueError):
    """A webhook could not be verified: a missing or malformed signature header, a signature
    made with another secret, or a timestamp outside the tolerance (in either direction).

    The message says which; it never shows the secret or the expected signature.
    """


class CampaignPlanError(FTJobsError, ValueError):
    """A campaign's plan cannot be run: an empty or too long name, no member, duplicate
    members, an empty grid, an unknown key, metadata that collides with the campaign's own
    keys... Raised by [`Campaign`][ftjobs.Campaign] before any request; the message names the
    problem and where it is (``members[3].metadata``, ``grid.n_epochs``)."""
