"""Running a campaign: `CampaignRun`, what ``client.jobs.run_campaign`` returns.

The run first finds the campaign's jobs already on the server (by their identity, metadata or
suffix tag as the dialect says: a resume, from any process, is the same call), then submits
the pending members one create at a time while fewer than its cap of the campaign's jobs are
active, and follows each active job through the client's one watcher until it ends. Every
time decision (the cap, the next daily slot, a re-creation, a backoff) is asked of
`ftjobs.campaigns._schedule`; this module does the I/O and the waiting, on the injected clock.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import inspect
import os
from collections.abc import AsyncIterator, Generator
from typing import Any

from .._errors import DailyLimitError, FTJobsError
from .._models import FineTuningJob, JobStatus
from ..waiting import PollPolicy, StatusChanged
from . import _schedule as plan
from ._clock import CampaignClock, RealClock
from ._members import campaign_jobs, cancel_jobs, check_identity, create_member, find_member
from ._plan import Campaign
from ._report import CampaignReport, build_report
from ._source import CampaignJobs
from ._state import CampaignState
from ._updates import (
    CampaignMember,
    CampaignProgress,
    CampaignUpdate,
    MemberCreated,
    MemberEnded,
    MemberFound,
    MemberRetried,
    OnCampaignUpdate,
    SlotWait,
)

__all__ = ["CampaignRun"]


def _count(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


class _Member:
    """One member's progress in this run."""

    __slots__ = ("attempt", "jobs", "uncertain")

    def __init__(self) -> None:
        self.attempt = 0
        self.jobs: dict[int, FineTuningJob] = {}  # by attempt
        # A create of the current attempt may have reached the server unanswered: look first.
        self.uncertain = False

    @property
    def last(self) -> FineTuningJob | None:
        return self.jobs[max(self.jobs)] if self.jobs else None

    def attempt_ids(self) -> tuple[str, ...]:
        return tuple(self.jobs[a].id for a in sorted(self.jobs))


_END = object()


class CampaignRun:
    """A campaign running (see ``client.jobs.run_campaign``; it starts at once).

    ``async for member in run`` yields each [`CampaignMember`][ftjobs.campaigns.CampaignMember]
    as its job ends for good; ``await run`` (or ``await run.report()``) waits for the end and
    gives the [`CampaignReport`][ftjobs.CampaignReport]. Cancelling the task that awaits the
    run stops it where it is (its jobs go on, on the server; the same call resumes it).
    """

    def __init__(
        self,
        jobs: CampaignJobs,
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
    ) -> None:
        if not isinstance(campaign, Campaign):
            raise TypeError(f"campaign must be a Campaign, got {type(campaign).__name__}")
        check_identity(jobs, campaign)
        self.campaign = campaign
        """The campaign being run."""
        self._jobs = jobs
        self._max_active = _count("max_active", max_active, 1)
        self._leave_free = _count("leave_free", leave_free, 0)
        self._retry_failed = _count("retry_failed", retry_failed, 0)
        self._stop_on_failure = bool(stop_on_failure)
        if poll is not None and not isinstance(poll, PollPolicy):
            raise TypeError(f"poll must be a PollPolicy or None, got {type(poll).__name__}")
        self._poll = poll
        self._on_update = on_update
        self._clock: CampaignClock = clock if clock is not None else RealClock()
        self._state = (
            CampaignState(state, campaign.name, campaign.fingerprint) if state is not None else None
        )
        self._members = {spec.index: _Member() for spec in campaign.members}
        self._models = {spec.index: spec.model for spec in campaign.members}
        self._pending: list[int] = []
        self._active: dict[int, asyncio.Task[None]] = {}
        self._ended: dict[int, CampaignMember] = {}
        self._running: set[int] = set()
        self._observed = 0
        self._first_batch_done = False
        self._blocked: dict[str, float] = {}
        self._refusals = 0
        self._failures = 0
        self._stopping = False
        self._cancelled = False
        self._error: BaseException | None = None
        self._changed = asyncio.Event()
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._drive())

    # -- what the caller sees ------------------------------------------------------------------

    @property
    def progress(self) -> CampaignProgress:
        """A snapshot: active, pending (not yet submitted here), done, failed, next slot."""
        failed = sum(1 for m in self._ended.values() if not m.succeeded)
        next_slot = None
        now = self._clock.now()
        waiting = {self._models[i] for i in self._pending}
        blocked = [(until, model) for model, until in self._blocked.items() if model in waiting]
        if blocked and self._pending:
            until, model = min(blocked)
            if until > now:
                next_slot = (model, until)
        return CampaignProgress(
            active=len(self._active),
            pending=len(self._pending),
            done=len(self._ended),
            failed=failed,
            next_slot=next_slot,
        )

    @property
    def done(self) -> bool:
        """Whether the run is over (ended, stopped and drained, or failed)."""
        return self._task.done()

    def stop(self) -> None:
        """Submit nothing more; the active members' jobs go on and are followed to their end
        (the Ctrl-C path: resume later with the same campaign)."""
        self._stopping = True
        self._changed.set()

    async def cancel(self) -> list[FineTuningJob]:
        """Submit nothing more and cancel the campaign's active jobs; returns them as the
        server answered the cancel. The run then ends as they do."""
        self._cancelled = True
        self.stop()
        active = [m.last for i, m in self._members.items() if i in self._active]
        return await cancel_jobs(self._jobs, [job for job in active if job is not None])

    async def report(self) -> CampaignReport:
        """Wait for the run to end; its [`CampaignReport`][ftjobs.CampaignReport]."""
        return await self._task

    def __await__(self) -> Generator[Any, None, CampaignReport]:
        return self.report().__await__()

    async def __aiter__(self) -> AsyncIterator[CampaignMember]:
        while True:
            item = await self._queue.get()
            if item is _END:
                self._queue.put_nowait(_END)  # another iterator ends too
                await self._task  # raises the run's error, if it failed
                return
            assert isinstance(item, CampaignMember)
            yield item

    # -- the run -------------------------------------------------------------------------------

    async def _emit(self, update: CampaignUpdate) -> None:
        if self._on_update is not None:
            outcome = self._on_update(update)
            if inspect.isawaitable(outcome):
                await outcome

    async def _drive(self) -> CampaignReport:
        try:
            await self._discover()
            await self._submit_all()
            if self._error is not None:
                raise self._error
        finally:
            for task in self._active.values():
                task.cancel()
            await asyncio.gather(*self._active.values(), return_exceptions=True)
            self._queue.put_nowait(_END)
        return await self._report()

    async def _report(self) -> CampaignReport:
        members = [
            (spec.index, spec.params, m.last, len(m.jobs))
            for spec, m in zip(self.campaign.members, self._members.values(), strict=True)
        ]
        return await build_report(self._jobs, self.campaign.name, members)

    async def _discover(self) -> None:
        """Take the server's view of the campaign: follow the active members, re-create or
        settle the ended ones, queue the rest."""
        found = await campaign_jobs(self._jobs, self.campaign.name)
        if self._state is not None:
            for index, recorded in self._state.jobs.items():
                for attempt, job_id in recorded.items():
                    if index in self._members and attempt not in found.get(index, {}):
                        # Created here, not listed (yet): ask for it by id.
                        with contextlib.suppress(FTJobsError):
                            job = await self._jobs.retrieve(job_id)
                            found.setdefault(index, {})[attempt] = job
        for index, member in self._members.items():
            attempts = found.get(index, {})
            member.jobs = dict(attempts)
            if not attempts:
                self._pending.append(index)
                continue
            member.attempt = max(attempts)
            job = attempts[member.attempt]
            await self._emit(MemberFound(index, member.attempt, job))
            if job.is_terminal:
                await self._settle(index, job)
            else:
                self._follow(index, job)

    async def _submit_all(self) -> None:
        while True:
            self._changed.clear()
            if self._error is not None:
                return
            if not self._active and (not self._pending or self._stopping):
                return
            cap = plan.active_cap(
                self._max_active,
                self._leave_free,
                self._observed,
                first_batch_done=self._first_batch_done,
            )
            room = plan.submit_count(len(self._active), len(self._pending), cap)
            if self._stopping or room == 0:
                await self._changed.wait()
                continue
            now = self._clock.now()
            index = plan.next_member(self._pending, self._models, self._blocked, now=now)
            if index is None:
                until = min(self._blocked[self._models[i]] for i in self._pending)
                await self._sleep_or_change(until - now)
                continue
            await self._submit(index)

    async def _submit(self, index: int) -> None:
        member = self._members[index]
        model = self._models[index]
        try:
            job = None
            if member.uncertain:
                job = await find_member(self._jobs, self.campaign.name, index, member.attempt)
            if job is None:
                member.uncertain = True
                job = await create_member(self._jobs, self.campaign, index, member.attempt)
        except DailyLimitError as exc:
            member.uncertain = False  # refused: nothing was created
            await self._wait_daily_slot(model, exc)
            return
        except FTJobsError as exc:
            if plan.is_transient(exc):
                # The create may have reached the server: the next try looks first.
                self._failures += 1
                await self._sleep_or_change(plan.transient_backoff(self._failures))
                return
            if not plan.is_active_limit(exc):
                raise
            member.uncertain = False
            await self._wait_active_slot(model)
            return
        member.uncertain = False
        self._refusals = self._failures = 0
        self._pending.remove(index)
        member.jobs[member.attempt] = job
        if self._state is not None:
            self._state.record(index, member.attempt, job.id)
        await self._emit(MemberCreated(index, member.attempt, job))
        self._follow(index, job)
        if self._cancelled:  # cancelled while this create was under way
            await cancel_jobs(self._jobs, [job])

    async def _wait_daily_slot(self, model: str, exc: DailyLimitError) -> None:
        now = self._clock.now()
        names = {model, exc.model}
        created = [
            job.created_at
            async for job in self._jobs.find(created_after=now - plan.DAY)
            if job.model in names
        ]
        until = plan.next_daily_slot(created, now=now)
        self._blocked[model] = until
        await self._emit(SlotWait(model, until, "daily_limit", until - now))

    async def _wait_active_slot(self, model: str) -> None:
        if self._active:
            # The server holds as many of ours as it runs at once: that is what it allows.
            self._observed = len(self._active)
            await self._emit(SlotWait(model, None, "active_limit"))
            await self._changed.wait()
            return
        self._refusals += 1
        delay = plan.active_backoff(self._refusals)
        await self._emit(SlotWait(model, self._clock.now() + delay, "active_limit", delay))
        await self._sleep_or_change(delay)

    async def _sleep_or_change(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self._clock.sleep(max(seconds, 0.0)))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            changed.cancel()

    # -- following the active members ----------------------------------------------------------

    def _follow(self, index: int, job: FineTuningJob) -> None:
        self._active[index] = asyncio.get_running_loop().create_task(self._wait(index, job))

    async def _wait(self, index: int, job: FineTuningJob) -> None:
        try:
            waiter = self._jobs.waiter(job.id, poll=self._poll, timeout=None)
            async for update in waiter.updates():
                if isinstance(update, StatusChanged):
                    self._saw(index, update.job)
                    if update.job.is_terminal:
                        job = update.job
            self._active.pop(index, None)
            self._first_batch_done = True
            await self._settle(index, job)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the run fails with it (a 401, a gone job...)
            self._error = self._error or exc
            self._stopping = True
        finally:
            self._active.pop(index, None)
            self._running.discard(index)
            self._changed.set()

    def _saw(self, index: int, job: FineTuningJob) -> None:
        """Count the campaign's jobs seen running at once (``leave_free``'s observation)."""
        if job.status == JobStatus.RUNNING:
            self._running.add(index)
            self._observed = max(self._observed, len(self._running))
        else:
            self._running.discard(index)

    async def _settle(self, index: int, job: FineTuningJob) -> None:
        """A member's job ended: a new attempt, or the member's end."""
        member = self._members[index]
        member.jobs[member.attempt] = job
        retry = plan.retry_member(
            str(job.status),
            job.error,
            member.attempt,
            self._retry_failed,
            stopping=self._stopping,
        )
        if retry:
            member.attempt += 1
            bisect.insort(self._pending, index)
            await self._emit(MemberRetried(index, member.attempt, job))
            return
        spec = self.campaign.members[index]
        ended = CampaignMember(index, spec.params, job, member.attempt_ids())
        self._ended[index] = ended
        self._queue.put_nowait(ended)
        await self._emit(MemberEnded(ended))
        if self._stop_on_failure and not ended.succeeded:
            self._stopping = True
