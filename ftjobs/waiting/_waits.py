"""The waits of one client: what ``client.jobs.waiter``, ``wait_until_terminal``, ``watch``,
``step``, ``wait_many`` and ``as_completed`` do.

`JobWaits` holds the client's one `Watcher` and builds every waiter and group from the
`JobSource` (``client.jobs``), with the source's shared request budget. ``client.jobs`` offers
these methods to its users as they are (the same names, signatures and docstrings) and hands
each call here; this package depends on the `JobSource` protocol only, never on the resources.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import Literal

from .. import _validation as check
from .._models import FineTuningJob
from .._types import NOT_GIVEN, NotGiven
from ._group import ALL_COMPLETED, JobGroup, ReturnWhen, WaitManyResult
from ._policy import PollPolicy
from ._ratelimit import RequestBudget
from ._source import JobSource
from ._token import ContinuationToken, is_token
from ._updates import JobUpdate, OnUpdate, StepResult
from ._waiter import JobWaiter, OnPaused
from ._watcher import Watcher

__all__ = ["JobWaits"]

_ON_PAUSED: tuple[Literal["wait", "return", "raise"], ...] = ("wait", "return", "raise")


def _job_ref(name: str, value: object) -> None:
    """A job, or a job id or continuation token (a non-empty string), named ``name``."""
    if not isinstance(value, FineTuningJob):
        check.require_str(name, value)


def _poll(value: object) -> PollPolicy | None:
    if value is not None and not isinstance(value, PollPolicy):
        raise TypeError(f"poll must be a PollPolicy or None, got {type(value).__name__}")
    return value


class JobWaits:
    """Every wait of one client, built from its `JobSource` and sharing one `Watcher`.

    ``client.jobs.waiter(...)`` is ``JobWaits.waiter``, and likewise ``step``,
    ``wait_until_terminal``, ``watch``, ``wait_many`` and ``as_completed``: ``client.jobs``
    hands each call to its one `JobWaits`. Another `JobSource` (a test double, another
    transport) gets the same waits with ``JobWaits(source)``.
    """

    __slots__ = ("_source", "watcher")

    def __init__(self, source: JobSource) -> None:
        self._source = source
        self.watcher = Watcher(source)
        """The watcher every wait of the client subscribes to."""

    @property
    def budget(self) -> RequestBudget:
        """The request budget every waiter of the client shares (the source's)."""
        return self._source.budget

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
            token = ContinuationToken.decode(job_or_token, base_url=self._source.base_url)
            job_id = token.job_id
        else:
            # The id as it is: the waiter's calls build their paths from it (encoding it here
            # too would encode it twice), and tokens and messages show it.
            job_id = job_or_token.id if isinstance(job_or_token, FineTuningJob) else job_or_token
            check.path_id("job_id", job_id)
        waiter = JobWaiter(
            self._source,
            job_id,
            poll=poll,
            follow=follow,
            budget=self.budget,
            token=token,
            watcher=self.watcher,
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
        if on_paused not in _ON_PAUSED:
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
        return self.group(jobs_or_ids, timeout, poll).wait(when)

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
        return self.group(jobs_or_ids, timeout, poll).as_completed()

    def group(
        self,
        jobs_or_ids: Iterable[str | FineTuningJob],
        timeout: float | NotGiven | None,
        poll: PollPolicy | None,
    ) -> JobGroup:
        """A `JobGroup` of ``jobs_or_ids`` (checked), on the client's watcher."""
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
        group = JobGroup(self._source, ids, poll=_poll(poll), watcher=self.watcher)
        if timeout is not NOT_GIVEN:
            group.with_timeout(timeout)
        return group
