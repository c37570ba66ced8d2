"""``client.jobs``: the fine-tuning jobs API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import _validation as check
from .. import metrics as curve
from .._converter import structure, unstructure
from .._errors import ResponseValidationError
from .._models import (
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Hyperparameters,
    JobStatus,
    WandbIntegration,
)
from .._pagination import AsyncPaginator
from .._shapes import show
from .._transport import Transport
from .._types import NOT_GIVEN, NotGiven
from ..waiting import JobUpdate, JobWaiter, OnPaused, OnUpdate, StepResult
from ..waiting._group import ALL_COMPLETED, JobGroup, ReturnWhen, WaitManyResult
from ..waiting._policy import PollPolicy, status_key
from ..waiting._ratelimit import RequestBudget
from ..waiting._token import ContinuationToken, is_token
from ..waiting._watcher import Watcher
from ._base import Resource
from ._files import Files
from ._graders import grader_body

__all__ = ["AzureJobs", "Jobs"]

_JOBS = "/fine_tuning/jobs"
_MAX_INTEGRATIONS = 5
# The largest page the jobs list serves: find() reads as few pages as it can.
_FIND_PAGE = 100
_EVENTS_PAGE = 100
_CHECKPOINTS_PAGE = 100


def _job_id(job_or_id: str | FineTuningJob) -> str:
    if isinstance(job_or_id, FineTuningJob):
        return check.path_id("job_id", job_or_id.id)
    return check.path_id("job_id", job_or_id)


def _asked_for(job: FineTuningJob, job_id: str, body: Any) -> FineTuningJob:
    """``job`` if it is the one asked for; another job's answer (a confused proxy or cache)
    would otherwise be taken for this one's, and end a wait on it."""
    if job.id != job_id:
        raise ResponseValidationError(
            "FineTuningJob",
            [f"$.id: asked for {show(job_id)}, the answer is for {show(job.id)}"],
            body=body,
            request_id=job.request_id,
        )
    return job


def _job_ref(name: str, value: object) -> None:
    """A job, or a job id or continuation token (a non-empty string), named ``name``."""
    if not isinstance(value, FineTuningJob):
        check.require_str(name, value)


def _poll(value: object) -> PollPolicy | None:
    if value is not None and not isinstance(value, PollPolicy):
        raise TypeError(f"poll must be a PollPolicy or None, got {type(value).__name__}")
    return value


def _method_body(method: FineTuneMethod | Mapping[str, Any] | None) -> dict[str, Any] | None:
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

    __slots__ = ("_budget", "_watcher")

    def __init__(self, transport: Transport, budget: RequestBudget | None = None) -> None:
        super().__init__(transport)
        self._budget = budget or RequestBudget()
        self._watcher = Watcher(self)

    @property
    def budget(self) -> RequestBudget:
        """The request budget every waiter of this client shares."""
        return self._budget

    @property
    def watcher(self) -> Watcher:
        """The watcher every wait of this client subscribes to (one refresh serves them all;
        the client's webhooks wake it)."""
        return self._watcher

    def _suffix(self, value: object) -> str | None:
        """The ``suffix`` rule of this API (OpenAI: 1 to 64 characters)."""
        return check.suffix(value)

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
            "suffix": self._suffix(suffix),
            "seed": check.seed(seed),
            "metadata": check.metadata("metadata", metadata),
            "integrations": _integrations_body(integrations),
            "method": _method_body(method),
            "hyperparameters": _hyperparameters_body(hyperparameters),
        }
        body.update((k, v) for k, v in optional.items() if v is not None)
        return await self._decoded(
            FineTuningJob,
            self._send(
                "POST",
                _JOBS,
                body=body,
                idempotency_key=idempotency_key,
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
            ),
        )

    async def retrieve(
        self,
        job_id: str | FineTuningJob,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Fetch one job by id.

        Raises:
            ResponseValidationError: The answer does not fit, or is another job's.
        """
        job, _ = await self.retrieve_with_headers(
            job_id, extra_headers=extra_headers, extra_query=extra_query, timeout=timeout
        )
        return job

    async def retrieve_with_headers(
        self,
        job_id: str | FineTuningJob,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> tuple[FineTuningJob, Mapping[str, str]]:
        """Fetch one job by id, with the response headers.

        For pollers: the headers may carry the server's pacing hint
        (``openai-poll-after-ms``), which the waiters honour.
        """
        response = await self._send(
            "GET",
            f"{_JOBS}/{_job_id(job_id)}",
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
        job = structure(response.data, FineTuningJob, request_id=response.request_id)
        asked = job_id.id if isinstance(job_id, FineTuningJob) else job_id
        return _asked_for(job, asked, response.data), response.headers

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

    def find(
        self,
        *,
        status: JobStatus | str | Iterable[JobStatus | str] | None = None,
        model: str | None = None,
        suffix: str | None = None,
        created_after: datetime | float | None = None,
        created_before: datetime | float | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncIterator[FineTuningJob]:
        """Iterate over the jobs that match every filter given, newest first.

        ``metadata`` is sent to the server (``metadata[key]=value``); the other filters are
        applied to each page as it arrives. Since the list is newest first, paging stops at the
        first job created before ``created_after``: an old account costs no more requests than
        the window asked for.

        Args:
            status: One status or several (``"running"``, `JobStatus.SUCCEEDED`...).
            model: The base model, or the fine-tuned model a job produced.
            suffix: The suffix given at creation (read from the fine-tuned model's name when
                the server does not echo it).
            created_after: Only jobs created at or after this instant (datetime or Unix
                seconds).
            created_before: Only jobs created before this instant.
            metadata: Exact key/value pairs the job's metadata must hold.
        """
        wanted = _statuses(status)
        check.optional_str("model", model)
        check.suffix(suffix)
        after = _instant("created_after", created_after)
        before = _instant("created_before", created_before)
        pages = self.list(limit=_FIND_PAGE, metadata=metadata).pages()

        def matches(job: FineTuningJob) -> bool:
            return (
                (wanted is None or status_key(job.status) in wanted)
                and (model is None or model in (job.model, job.fine_tuned_model))
                and (suffix is None or _suffix_of(job) == suffix)
                and (before is None or job.created_at < before)
            )

        async def found() -> AsyncIterator[FineTuningJob]:
            async for page in pages:
                for job in page:
                    if after is not None and job.created_at < after:
                        return
                    if matches(job):
                        yield job

        return found()

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
        return await self._decoded(
            FineTuningJob,
            self._send(
                "POST",
                f"{_JOBS}/{_job_id(job_id)}/{action}",
                idempotency_key=idempotency_key,
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
            ),
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

    # -- results ----------------------------------------------------------------------------

    async def metrics(
        self,
        job_or_id: str | FineTuningJob,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> tuple[curve.StepMetrics, ...]:
        """The job's training curve, one [StepMetrics][ftjobs.metrics.StepMetrics] per step.

        Read from the job's result file once it has one (base64 or plain CSV, either spelling
        of the training accuracy), else from its ``metrics`` events (so it works while the
        job runs, and shows the steps reported so far). A job object passed without a result
        file is fetched again, in case it finished since.

        Raises:
            ValueError: The result file is not a metrics CSV.
        """
        job_id = _job_id(job_or_id)
        job = job_or_id if isinstance(job_or_id, FineTuningJob) else None
        if job is None or not job.result_files:
            job = await self.retrieve(job_id, timeout=timeout)
        if job.result_files:
            content = await Files(self._transport).content(job.result_files[0], timeout=timeout)
            return curve.parse_results_file(content)
        events = self.list_events(job_id, limit=_EVENTS_PAGE, timeout=timeout)
        return curve.metrics_from_events([event async for event in events])

    async def best_checkpoint(
        self,
        job_or_id: str | FineTuningJob,
        metric: str = "valid_loss",
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJobCheckpoint | None:
        """The job's checkpoint with the best ``metric`` (the lowest loss, the highest
        accuracy; the later step on a tie), or ``None`` while it has no checkpoint.

        Args:
            metric: One of ``train_loss``, ``train_mean_token_accuracy``, ``valid_loss``,
                ``valid_mean_token_accuracy``, ``full_valid_loss``,
                ``full_valid_mean_token_accuracy``.

        Raises:
            ValueError: ``metric`` is not one of those (before any request), or no checkpoint
                reports it (``valid_*`` without a validation file).
        """
        curve.check_metric(metric)
        pages = self.list_checkpoints(job_or_id, limit=_CHECKPOINTS_PAGE, timeout=timeout)
        return curve.best_checkpoint([checkpoint async for checkpoint in pages], metric)

    # -- waiting ----------------------------------------------------------------------------

    def waiter(
        self,
        job_or_token: str | FineTuningJob,
        *,
        poll: PollPolicy | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        follow: bool = False,
    ) -> JobWaiter:
        """A [`JobWaiter`][ftjobs.waiting.JobWaiter] for a job (by id or object) or a continuation
        token.

        Args:
            job_or_token: Job id, job, or a token from ``continuation_token()`` /
                [`WaitTimeout`][ftjobs.WaitTimeout].
            poll: Pacing and budgets (default [`PollPolicy`][ftjobs.PollPolicy]).
            timeout: Total seconds to wait, overriding ``poll.timeout`` (and a token's
                remaining budget); ``None`` waits forever.
            follow: Also fetch new events and checkpoints at each step.

        Raises:
            InvalidContinuationToken: A token that is malformed, tampered with, or from
                another base URL.
        """
        _job_ref("job_or_token", job_or_token)
        _poll(poll)
        check.timeout("timeout", timeout)
        token: ContinuationToken | None = None
        if isinstance(job_or_token, str) and is_token(job_or_token):
            token = ContinuationToken.decode(job_or_token, base_url=self.base_url)
            job_id = token.job_id
        else:
            # The id as it is: the waiter's calls build their paths from it (encoding it here
            # too would encode it twice), and tokens and messages show it.
            job_id = job_or_token.id if isinstance(job_or_token, FineTuningJob) else job_or_token
            _job_id(job_id)
        waiter = JobWaiter(
            self,
            job_id,
            poll=poll,
            follow=follow,
            budget=self._budget,
            token=token,
            watcher=self._watcher,
        )
        if timeout is not NOT_GIVEN:
            waiter.with_timeout(timeout)
        return waiter

    async def step(
        self, token_or_job_id: str | FineTuningJob, *, poll: PollPolicy | None = None
    ) -> StepResult:
        """Make one poll of a job (and fetch its new events and checkpoints); never sleeps.

        Returns the job, its updates since the token was issued, the next token (``None``
        once terminal) and the delay the poll policy wants before the next step. An external
        scheduler (a task queue) can drive a wait with it: store the token, sleep the delay,
        step again.
        """
        _job_ref("token_or_job_id", token_or_job_id)
        return await self.waiter(token_or_job_id, poll=poll, follow=True).step()

    async def wait_until_terminal(
        self,
        job_or_id: str | FineTuningJob,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        poll: PollPolicy | None = None,
        on_update: OnUpdate | None = None,
        on_paused: OnPaused = "wait",
        raise_on_failure: bool = False,
    ) -> FineTuningJob:
        """Wait until the job succeeded, failed or was cancelled, and return it.

        Polls while the job is not terminal (unknown statuses keep it waiting), paced by
        ``poll`` (backoff, ``estimated_finish``, server hints, 429s), sharing the client's
        request budget with every other waiter. Transient poll failures never end the wait;
        permanent ones (401, 404) raise at once. Cancelling the awaiting task stops the wait
        and leaves the job alone.

        Given a continuation token (from ``continuation_token()`` or a
        [`WaitTimeout`][ftjobs.WaitTimeout], in this process or another one after a restart),
        the wait continues where the token left off: events and checkpoints delivered before
        it was issued are not delivered again, and none after it is skipped.

        Args:
            job_or_id: The job, its id, or a continuation token.
            timeout: Total seconds (default ``poll.timeout``, 24 h, or what a token has left);
                ``None`` waits forever.
            poll: Pacing and budgets.
            on_update: Called (or awaited) with every [`JobUpdate`][ftjobs.JobUpdate]; when given,
                events and checkpoints are fetched too.
            on_paused: ``"wait"`` (keep waiting), ``"return"`` the paused job, or
                ``"raise"`` [`JobPaused`][ftjobs.JobPaused].
            raise_on_failure: Raise [`JobFailed`][ftjobs.JobFailed] when the job failed.

        Raises:
            WaitTimeout: A budget ran out; carries the last job and a continuation token.
            InvalidContinuationToken: A token that is malformed, tampered with, or from
                another base URL (before any request).
        """
        _job_ref("job_or_id", job_or_id)
        if on_paused not in ("wait", "return", "raise"):
            raise ValueError(f"on_paused must be 'wait', 'return' or 'raise', got {on_paused!r}")
        waiter = self.waiter(job_or_id, poll=poll, timeout=timeout, follow=on_update is not None)
        return await waiter.wait(
            on_update=on_update, on_paused=on_paused, raise_on_failure=raise_on_failure
        )

    def watch(
        self,
        job_or_token: str | FineTuningJob,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        poll: PollPolicy | None = None,
    ) -> AsyncIterator[JobUpdate]:
        """Iterate over a job's updates until it is terminal.

        Yields [`StatusChanged`][ftjobs.StatusChanged], [`EventReceived`][ftjobs.EventReceived] (in
        chronological order, each once), [`CheckpointReceived`][ftjobs.CheckpointReceived] and
        [`EtaChanged`][ftjobs.EtaChanged].
        """
        return self.waiter(job_or_token, poll=poll, timeout=timeout, follow=True).updates()

    def wait_many(
        self,
        jobs_or_ids: Iterable[str | FineTuningJob],
        *,
        return_when: ReturnWhen = ALL_COMPLETED,
        timeout: float | NotGiven | None = NOT_GIVEN,
        poll: PollPolicy | None = None,
    ) -> Awaitable[WaitManyResult]:
        """Wait on many jobs at once; returns a [`WaitManyResult`][ftjobs.waiting.WaitManyResult].

        Jobs are refreshed by the client's watcher, with every other wait of the client:
        through the newest-first list endpoint (one request sees up to 100 jobs), falling back
        to GETs under a concurrency cap, all through the shared request budget. Like
        `asyncio.wait()`, a timeout returns what was seen (``result.pending`` non-empty)
        instead of raising.

        Args:
            jobs_or_ids: The jobs (or ids) to wait on.
            return_when: ``ALL_COMPLETED``, ``FIRST_COMPLETED`` or ``FIRST_FAILURE`` (a job
                failed or was cancelled).
            timeout: Total seconds (default ``poll.timeout``); ``None`` waits forever.
        """
        try:
            when = ReturnWhen(return_when)
        except ValueError:
            choices = ", ".join(repr(w.value) for w in ReturnWhen)
            raise ValueError(f"return_when must be one of {choices}, got {return_when!r}") from None
        return self._group(jobs_or_ids, timeout, poll).wait(when)

    def as_completed(
        self,
        jobs_or_ids: Iterable[str | FineTuningJob],
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        poll: PollPolicy | None = None,
    ) -> AsyncIterator[FineTuningJob]:
        """Yield each job as it becomes terminal (``async for job in ...``).

        Raises:
            WaitTimeout: The total budget ran out before every job was terminal.
        """
        return self._group(jobs_or_ids, timeout, poll).as_completed()

    def _group(
        self,
        jobs_or_ids: Iterable[str | FineTuningJob],
        timeout: float | NotGiven | None,
        poll: PollPolicy | None,
    ) -> JobGroup:
        if isinstance(jobs_or_ids, (str, FineTuningJob)):
            raise TypeError("jobs_or_ids must be an iterable of job ids or jobs, not one job")
        if not isinstance(jobs_or_ids, Iterable):
            raise TypeError(
                f"jobs_or_ids must be an iterable of job ids or jobs, "
                f"got {type(jobs_or_ids).__name__}"
            )
        ids = [job.id if isinstance(job, FineTuningJob) else job for job in jobs_or_ids]
        for i, job_id in enumerate(ids):
            check.require_str(f"jobs_or_ids[{i}]", job_id)
        if not ids:
            raise ValueError("jobs_or_ids must name at least one job")
        check.timeout("timeout", timeout)
        group = JobGroup(self, ids, poll=_poll(poll), watcher=self._watcher)
        if timeout is not NOT_GIVEN:
            group.with_timeout(timeout)
        return group


def _statuses(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, (str, JobStatus)) else value
    if not isinstance(items, Iterable):
        raise TypeError(f"status must be a status or several, got {type(value).__name__}")
    found = frozenset(status_key(check.require_str("status", str(s))) for s in items)
    if not found:
        raise ValueError("status must name at least one status")
    return found


def _instant(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (a naive datetime is ambiguous)")
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a datetime or Unix seconds, got {type(value).__name__}")
    return float(value)


def _suffix_of(job: FineTuningJob) -> str | None:
    echoed = job.extra.get("user_provided_suffix")
    if isinstance(echoed, str):
        return echoed
    # ft:<base>:<org>:<suffix>:<id>, the suffix part empty when none was given.
    parts = (job.fine_tuned_model or "").split(":")
    return parts[3] or None if len(parts) == 5 and parts[0] == "ft" else None


def _page_params(after: str | None, limit: int | None) -> list[tuple[str, str]]:
    check.optional_str("after", after)
    size = check.limit(limit)
    return [] if size is None else [("limit", str(size))]


class AzureJobs(Jobs):
    """``client.jobs`` of `AsyncAzureClient`: the jobs API as Azure OpenAI has it.

    Azure takes a shorter ``suffix`` (at most 40 letters, digits, ``-`` and ``_``), checked
    before any request, and can delete a job (`delete`).
    """

    __slots__ = ()

    def _suffix(self, value: object) -> str | None:
        return check.azure_suffix(value)

    async def delete(
        self,
        job_id: str | FineTuningJob,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> None:
        """Delete a job (Azure answers ``204 No Content``)."""
        check.call_options(extra_headers, extra_query, timeout)
        await self._transport.request(
            "DELETE",
            f"{_JOBS}/{_job_id(job_id)}",
            params=list((extra_query or {}).items()),
            headers=extra_headers,
            timeout=timeout,
            decode_json=False,
        )
