"""``client.jobs``: the fine-tuning jobs API."""

from __future__ import annotations

import builtins
import functools
import inspect
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from .. import _validation as check
from .. import metrics as curve
from .._converter import structure
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
from .._options import call_options
from .._pagination import AsyncPaginator
from .._responses import APIResponse
from .._shapes import show
from .._transport import Transport
from .._types import NOT_GIVEN, NotGiven
from ..campaigns import (
    Campaign,
    CampaignClock,
    CampaignReport,
    CampaignRun,
    OnCampaignUpdate,
    campaign_report,
    cancel_campaign,
)
from ..providers import OPENAI, Adapter, Dialect
from ..waiting import JobWaits, PollPolicy
from ..waiting._policy import status_key
from ..waiting._ratelimit import RequestBudget
from ..waiting._watcher import Watcher
from ._base import Resource, named_action
from ._files import Files
from ._job_params import (
    hyperparameters_body,
    instant,
    integrations_body,
    method_body,
    statuses,
    suffix_of,
)

__all__ = ["AzureJobs", "Jobs"]

# The largest page the jobs list serves: find() reads as few pages as it can.
_FIND_PAGE = 100
_EVENTS_PAGE = 100
_CHECKPOINTS_PAGE = 100


def _job_id(job_or_id: str | FineTuningJob) -> str:
    if isinstance(job_or_id, FineTuningJob):
        return check.path_id("job_id", job_or_id.id)
    return check.path_id("job_id", job_or_id)


def _retrieved(
    response: APIResponse, job_or_id: str | FineTuningJob, adapt: Adapter | None
) -> FineTuningJob:
    """The job of a retrieve's ``response``, if it is the one asked for; another job's answer
    (a confused proxy or cache) would otherwise be taken for this one's, and end a wait on
    it. (A function, not a coroutine: a retrieve's only frames are its method's and the
    transport's.) ``adapt`` is the dialect's job adapter, if any."""
    job_id = job_or_id.id if isinstance(job_or_id, FineTuningJob) else job_or_id
    data = response.data if adapt is None else adapt(response.data, job_id)
    job = structure(data, FineTuningJob, request_id=response.request_id)
    if job.id != job_id:
        raise ResponseValidationError(
            "FineTuningJob",
            [f"$.id: asked for {show(job_id)}, the answer is for {show(job.id)}"],
            body=response.data,
            request_id=job.request_id,
        )
    return job


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _delegated(
    wait: Callable[Concatenate[JobWaits, _P], _R],
) -> Callable[Concatenate[Jobs, _P], _R]:
    """The ``JobWaits`` method ``wait`` as a method of ``client.jobs``: handed to the client's
    one `JobWaits`, with its name, signature and docstring (for type checkers, ``help`` and
    ``inspect`` alike; a coroutine function stays one)."""
    name = wait.__name__

    def method(self: Jobs, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._waits, name)(*args, **kwargs)

    async def awaited(self: Jobs, /, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self._waits, name)(*args, **kwargs)

    chosen = awaited if inspect.iscoroutinefunction(wait) else method
    return cast("Callable[Concatenate[Jobs, _P], _R]", functools.update_wrapper(chosen, wait))


class Jobs(Resource):
    """Create, inspect and control fine-tuning jobs (``client.jobs``).

    Every method takes the keyword options ``extra_headers``, ``extra_query`` and ``timeout``
    (seconds per attempt; ``None`` for no limit); POSTs also take ``extra_body`` and
    ``idempotency_key``.
    """

    __slots__ = ("_budget", "_waits")

    def __init__(
        self,
        transport: Transport,
        budget: RequestBudget | None = None,
        *,
        dialect: Dialect = OPENAI,
    ) -> None:
        super().__init__(transport, dialect=dialect)
        self._budget = budget or RequestBudget()
        self._waits = JobWaits(self)

    @property
    def budget(self) -> RequestBudget:
        """The request budget every waiter of this client shares."""
        return self._budget

    @property
    def watcher(self) -> Watcher:
        """The watcher every wait of this client subscribes to (one refresh serves them all;
        the client's webhooks wake it)."""
        return self._waits.watcher

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
        options = call_options(extra_headers, extra_query, extra_body, timeout, idempotency_key)
        body: dict[str, Any] = {
            "model": check.require_str("model", model),
            "training_file": check.require_str("training_file", training_file),
        }
        optional = {
            "validation_file": check.optional_str("validation_file", validation_file),
            "suffix": self._suffix(suffix),
            "seed": check.seed(seed),
            "metadata": check.metadata("metadata", metadata),
            "integrations": integrations_body(integrations),
            "method": method_body(method),
            "hyperparameters": hyperparameters_body(hyperparameters),
        }
        body.update((k, v) for k, v in optional.items() if v is not None)
        return await self._decoded(
            FineTuningJob,
            self._send("POST", self._dialect.jobs_path, options, body=body),
            self._dialect.job,
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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        dialect = self._dialect
        response = await self._send("GET", f"{dialect.jobs_path}/{_job_id(job_id)}", options)
        return _retrieved(response, job_id, dialect.job)

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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        dialect = self._dialect
        response = await self._send("GET", f"{dialect.jobs_path}/{_job_id(job_id)}", options)
        return _retrieved(response, job_id, dialect.job), response.headers

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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        params = self._page_params(after, limit)
        for key, value in (check.metadata("metadata", metadata) or {}).items():
            params.append((f"metadata[{key}]", value))
        return self._paginate(
            FineTuningJob,
            self._dialect.jobs_path,
            params,
            options,
            after=after,
            adapt=self._dialect.jobs_page,
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
        wanted = statuses(status, self._dialect.statuses)
        check.optional_str("model", model)
        check.suffix(suffix)
        after = instant("created_after", created_after)
        before = instant("created_before", created_before)
        pages = self.list(limit=_FIND_PAGE, metadata=metadata).pages()

        def matches(job: FineTuningJob) -> bool:
            return (
                (wanted is None or status_key(job.status) in wanted)
                and (model is None or model in (job.model, job.fine_tuned_model))
                and (suffix is None or suffix_of(job) == suffix)
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
        action: str,
        job_id: str | FineTuningJob,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """POST ``action`` on the job: `cancel`, `pause` and `resume` are this, named."""
        options = call_options(extra_headers, extra_query, extra_body, timeout, idempotency_key)
        job = _job_id(job_id)
        pending = self._send("POST", f"{self._dialect.jobs_path}/{job}/{action}", options)
        return await self._decoded(FineTuningJob, pending, self._dialect.job, job)

    cancel = named_action(
        _action,
        "cancel",
        "Cancel a job; returns the job as the server reports it after the request.",
    )
    pause = named_action(_action, "pause", "Pause a running job.")
    resume = named_action(_action, "resume", "Resume a paused job.")

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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        job = _job_id(job_id)
        return self._paginate(
            FineTuningJobEvent,
            f"{self._dialect.jobs_path}/{job}/events",
            self._page_params(after, limit),
            options,
            after=after,
            adapt=self._dialect.events_page,
            context=job,
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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        job = _job_id(job_id)
        return self._paginate(
            FineTuningJobCheckpoint,
            f"{self._dialect.jobs_path}/{job}/checkpoints",
            self._page_params(after, limit),
            options,
            after=after,
            adapt=self._dialect.checkpoints_page,
            context=job,
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
            files = Files(self._transport, dialect=self._dialect)
            content = await files.content(job.result_files[0], timeout=timeout)
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

    # -- campaigns: ftjobs.campaigns does these ----------------------------------------------

    def run_campaign(
        self,
        campaign: Campaign,
        *,
        max_active: int = 3,
        leave_free: int = 0,
        retry_failed: int = 0,
        stop_on_failure: bool = False,
        state: str | os.PathLike[str] | None = None,
        on_update: OnCampaignUpdate | None = None,
        clock: CampaignClock | None = None,
        poll: PollPolicy | None = None,
    ) -> CampaignRun:
        """Run a [`Campaign`][ftjobs.Campaign] to completion; it starts at once.

        The run first finds the members already on the server (by their metadata: the same
        call resumes a campaign from any process, and never creates a member twice), then
        creates the others while fewer than ``max_active`` of the campaign's jobs are active,
        and follows them through the client's one watcher. A daily quota refusal
        ([`DailyLimitError`][ftjobs.DailyLimitError]) is no failure: the run computes when
        the model's next slot opens (24 h after the oldest create of that model in the last
        24 h), says so through ``on_update`` ([`SlotWait`][ftjobs.campaigns.SlotWait]) and
        sleeps until then. A create refused for too many active jobs waits for one of the
        campaign's to end.

        Args:
            campaign: What to run.
            max_active: The most of the campaign's jobs not yet ended at once.
            leave_free: After the first batch (once a job of the campaign ended), keep this
                many of the observed concurrent slots free: the most of the campaign's jobs
                seen running at once (or active when a create was refused for too many
                active jobs), minus ``leave_free``, bounds the active jobs (never below 1).
            retry_failed: Re-create a member whose job failed for a server-side reason up to
                this many times (a new attempt, with its own metadata and idempotency key). A
                data error ([`DATA_ERROR_CODES`][ftjobs.campaigns.DATA_ERROR_CODES]) or a
                cancellation is never retried.
            stop_on_failure: Submit nothing more once a member ended without success.
            state: A local JSON file recording the jobs this run creates (it saves requests
                on resume; the truth stays on the server).
            on_update: Called (or awaited) with each
                [`CampaignUpdate`][ftjobs.campaigns.CampaignUpdate].
            clock: The time the daily slots are computed and waited on (default real time).
            poll: The pacing of the waits on the members' jobs.

        Returns:
            A [`CampaignRun`][ftjobs.CampaignRun]: ``async for member in run``, ``await
            run`` for the [`CampaignReport`][ftjobs.CampaignReport], ``run.progress``,
            ``run.stop()``, ``await run.cancel()``.

        Raises:
            TypeError, ValueError: Bad arguments, before any request.
            CampaignPlanError: ``state`` is another campaign's or another plan's.
        """
        return CampaignRun(
            self,
            campaign,
            max_active=max_active,
            leave_free=leave_free,
            retry_failed=retry_failed,
            stop_on_failure=stop_on_failure,
            state=state,
            on_update=on_update,
            clock=clock,
            poll=poll,
        )

    async def campaign_report(self, name: str, campaign: Campaign | None = None) -> CampaignReport:
        """The [`CampaignReport`][ftjobs.CampaignReport] of campaign ``name``, from the server
        alone (see [`campaign_report`][ftjobs.campaigns.campaign_report])."""
        return await campaign_report(self, name, campaign)

    async def cancel_campaign(self, name: str) -> builtins.list[FineTuningJob]:
        """Cancel the jobs of campaign ``name`` that have not ended (see
        [`cancel_campaign`][ftjobs.campaigns.cancel_campaign])."""
        return await cancel_campaign(self, name)

    # -- waiting: the waiting package's JobWaits does and documents these ------------------

    waiter = _delegated(JobWaits.waiter)
    step = _delegated(JobWaits.step)
    wait_until_terminal = _delegated(JobWaits.wait_until_terminal)
    watch = _delegated(JobWaits.watch)
    wait_many = _delegated(JobWaits.wait_many)
    as_completed = _delegated(JobWaits.as_completed)


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
        options = call_options(extra_headers, extra_query, timeout=timeout)
        path = f"{self._dialect.jobs_path}/{_job_id(job_id)}"
        await self._send("DELETE", path, options, decode_json=False)
