"""A campaign's members as arq tasks, on any number of workers, under a bound held in Redis.

`enqueue_campaign` records the campaign's members in Redis and enqueues one task per member
(id ``ftjobs:member:<name>:<index>``: enqueueing again is a no-op). Each run of a member task
is one short step, re-scheduled with ``Retry(defer=...)`` like a wait:

1. not yet submitted: wait out the model's daily quota if a member hit it (no slot taken),
   then take a slot (a lease, see `ftjobs.contrib._leases`); refused, wait to be woken;
2. holding a slot: submit the member (``ftjobs.campaigns.submit_member`` finds its job by
   metadata first, so a re-run after ``kill -9`` never creates it twice), record its job id;
3. submitted: one step of the wait on its job (``wait_once``), the lease renewed for the next
   step's delay plus a grace that outlasts arq's re-run of a killed task;
4. at the job's end: re-create it after a server-side failure while ``retry_failed`` allows
   (keeping the slot), else give the slot back (waking a waiting member) and return the job.

A ``daily_rate_limit_exceeded`` refusal is not a failure: the member gives its slot back,
blocks the model for the campaign until the next slot opens, and is deferred until then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs
from arq.connections import ArqRedis
from arq.worker import Retry

from ... import APIStatusError, AsyncClient, Campaign, DailyLimitError, FineTuningJob
from ..._converter import unstructure
from ...campaigns import DAY, next_daily_slot, submit_member
from ...campaigns._schedule import retry_member
from ...waiting._pacer import is_transient
from .._leases import CampaignSettings, CampaignStore, MemberState
from .._members import (
    MEMBER_TASK_PREFIX,
    check_max_active,
    check_retry_failed,
    lease_hold,
    member_of_task,
    member_task_id,
    quota_defer,
)
from .._tasks import CreateFailed, WaitDone, WaitFailed, wait_once
from ._common import CAMPAIGN_TASK, QUEUE
from ._tasks import RUNTIME_KEY, TaskRuntime, runtime_of

__all__ = ["after_member_step", "enqueue_campaign", "ftjobs_campaign_member"]

_log = logging.getLogger("ftjobs.contrib.arq")
# A member may wait days for its model's daily quota: arq must not expire its task first.
_MEMBER_EXPIRY = 366 * 86400.0


async def enqueue_campaign(
    pool: ArqRedis,
    campaign: Campaign,
    *,
    max_active: int,
    retry_failed: int = 0,
    queue: str = QUEUE,
) -> int:
    """Run ``campaign``'s members as tasks on the ftjobs workers, at most ``max_active`` at once.

    Safe to call again (after a crash, from another host, days later): members already
    enqueued are left alone, and each member task finds its job on the server before
    creating one. Calling it again with another ``max_active`` changes the bound of the
    running campaign from its members' next steps on.

    Args:
        pool: An arq pool made with ``job_serializer=dumps, job_deserializer=loads``.
        campaign: The members; the name identifies the campaign on the server and in Redis.
        max_active: The campaign's own non-terminal jobs at once, across all workers.
        retry_failed: Re-creations of a member whose job failed for a server-side reason (a
            data error is never retried); fixed for each member when it is first enqueued.
        queue: The ftjobs queue.

    Returns:
        How many member tasks were enqueued now (0 when every one already was).

    Raises:
        ValueError: A bad bound, or ``campaign.name`` enqueued before with other members.
    """
    check_max_active(max_active)
    check_retry_failed(retry_failed)
    members = [dict(member.create_kwargs) for member in campaign.members]  # plain JSON
    store = CampaignStore(pool)
    if not await store.save_spec(campaign.name, members, max_active, campaign.fingerprint):
        raise ValueError(
            f"campaign {campaign.name!r} was enqueued before with other members: "
            "give this one another name"
        )
    enqueued = 0
    for member in campaign.members:
        task = await pool.enqueue_job(
            CAMPAIGN_TASK,
            campaign.name,
            member.index,
            retry_failed,
            _job_id=member_task_id(campaign.name, member.index),
            _queue_name=queue,
            _expires=_MEMBER_EXPIRY,
        )
        enqueued += task is not None
    return enqueued


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _next_slot_in(client: AsyncClient, model: str) -> float:
    """Seconds until ``model``'s daily quota lets a create through again: 24 h after the
    oldest create of that model in the last 24 h (the server's times read as real time)."""
    now = time.time()
    created = [
        job.created_at async for job in client.jobs.find(model=model, created_after=int(now - DAY))
    ]
    return max(next_daily_slot(created, now=now) - now, 0.0)


def _settings(rt: TaskRuntime) -> CampaignSettings:
    if rt.campaigns is None:
        raise RuntimeError("campaign members need a worker started from ftjobs.contrib.arq")
    return rt.campaigns


class _Member:
    """One run of one member's task: its campaign, its stored progress, its slot."""

    def __init__(self, rt: TaskRuntime, name: str, index: int) -> None:
        self.rt = rt
        self.settings = _settings(rt)
        self.store = self.settings.store
        self.name = name
        self.index = index
        self.task_id = member_task_id(name, index)

    async def release(self) -> None:
        await self.store.release(
            self.name,
            self.index,
            queue_key=self.rt.queue,
            task_prefix=f"{MEMBER_TASK_PREFIX}{self.name}:",
        )

    async def campaign(self) -> Campaign:
        # Rebuilding (and checking) every member at every step would cost a large campaign
        # dearly: the worker keeps the campaign while Redis holds the same fingerprint.
        fingerprint = await self.store.fingerprint(self.name)
        cached = self.settings.campaigns.get(self.name)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        members = await self.store.load_spec(self.name)
        if members is None or fingerprint is None:
            raise CreateFailed(self.task_id, 404, "the campaign is not in Redis (expired?)")
        campaign = Campaign(self.name, members=members)
        self.settings.campaigns[self.name] = campaign
        return campaign

    async def submit(self, state: MemberState) -> MemberState:
        """Take a slot and submit the member; a ``Retry`` when it must wait."""
        campaign = await self.campaign()
        model = campaign.members[self.index].model
        defer = quota_defer(await self.store.blocked_until(self.name, model), _now_ms())
        if defer is not None:
            # Its slot (kept from a failed attempt) and a wake it got go to a member that
            # may use them: the quota holds every member of this model.
            await self.release()
            raise Retry(defer=timedelta(seconds=defer))
        if not await self.store.acquire(self.name, self.index, hold=self.settings.lease_grace):
            raise Retry(defer=timedelta(seconds=self.settings.slot_poll))
        try:
            job = await submit_member(self.rt.client, campaign, self.index, state.attempt)
        except DailyLimitError:
            delay = await _next_slot_in(self.rt.client, model)
            await self.store.block(self.name, model, _now_ms() + int(delay * 1000))
            await self.release()
            _log.info("%s: daily limit of %s, next slot in %.0f s", self.task_id, model, delay)
            raise Retry(defer=timedelta(seconds=delay)) from None
        except APIStatusError as exc:
            if is_transient(exc):
                raise
            await self.release()  # refused for good (a bad file...): the member ends
            raise CreateFailed(self.task_id, exc.status_code, exc.message) from None
        submitted = MemberState(state.attempt, token=None, job_id=job.id)
        await self.store.save_member(self.name, self.index, submitted)
        return submitted

    async def step(
        self, state: MemberState, retry_failed: int
    ) -> tuple[FineTuningJob | None, float]:
        """One step of the wait on the member's job: ``(job, 0)`` when the member is done,
        ``(None, delay)`` when the next step is due in ``delay`` s (a re-created attempt: 0)."""
        assert state.job_id is not None
        outcome = await wait_once(self.rt.client, state.token or state.job_id, timeout=None)
        if isinstance(outcome, WaitDone):
            job = outcome.job
            if retry_member(
                str(job.status), job.error, state.attempt, retry_failed, stopping=False
            ):
                # The slot stays with the member: its next attempt is created on the next run.
                await self.store.save_member(self.name, self.index, MemberState(state.attempt + 1))
                return None, 0.0
            await self.release()
            return job, 0.0
        await self.store.save_member(
            self.name, self.index, attrs.evolve(state, token=outcome.token)
        )
        # Still active: the slot is held through the next step, whatever Redis held.
        hold = lease_hold(outcome.delay, self.settings.lease_grace)
        await self.store.acquire(self.name, self.index, hold=hold, force=True)
        return None, outcome.delay


async def ftjobs_campaign_member(
    ctx: dict[str, Any], name: str, index: int, retry_failed: int
) -> dict[str, Any]:
    """arq task: one step of campaign ``name``'s member ``index``; re-schedules itself until the
    member's last attempt's job is terminal, and returns that job."""
    rt = runtime_of(ctx)
    member = _Member(rt, name, index)
    try:
        async with asyncio.timeout(rt.wait_deadline):
            await member.store.take_wake(name, index)  # this run is the look it asked for
            state = await member.store.member(name, index)
            if state.job_id is None:
                state = await member.submit(state)
            job, delay = await member.step(state, retry_failed)
    except (Retry, CreateFailed):
        raise
    except WaitFailed as failed:
        await member.release()  # the job is gone (404) or out of reach for good (401/403)
        raise WaitFailed(
            failed.job_id, failed.reason, failed.message, status_code=failed.status_code
        ) from None
    except Exception as exc:
        # Transient (past the client's retries), our own deadline, a Redis blip: the slot
        # stays leased; the re-run finds the member where it was. job_try counts every step,
        # not failures: back off by the poll cap, as a wait does.
        defer = min(rt.poll.max_interval, rt.error_backoff_cap)
        _log.warning("%s: %r, re-running in %.1f s", member.task_id, exc, defer)
        raise Retry(defer=defer) from exc
    if job is None:
        raise Retry(defer=timedelta(seconds=delay))
    return {"campaign": name, "index": index, "attempt": state.attempt, "job": unstructure(job)}


async def after_member_step(ctx: Mapping[str, Any]) -> None:
    """After arq re-scheduled a member's step: a slot freed while it ran (after it was refused
    one) still brings its next look to now."""
    task_id, runtime = ctx.get("job_id"), ctx.get(RUNTIME_KEY)
    found = member_of_task(task_id) if isinstance(task_id, str) else None
    if found is None or not isinstance(runtime, TaskRuntime) or runtime.campaigns is None:
        return
    name, index = found
    store = runtime.campaigns.store
    try:
        await store.move_if_woken(name, index, queue_key=runtime.queue, task_id=str(task_id))
    except Exception as exc:  # the scheduled look still comes
        _log.warning("%s: wake not checked: %r", task_id, exc)
