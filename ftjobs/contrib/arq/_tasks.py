"""The two arq tasks: create a job once per key, and wait on it one step per run."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs
from arq.constants import default_queue_name, job_key_prefix
from arq.jobs import serialize_job
from arq.worker import Retry

from ... import AsyncClient, PollPolicy
from ..._converter import unstructure
from ...types import NOT_GIVEN, NotGiven
from .._leases import CampaignSettings
from .._redis import FollowUp, RedisWaitStore
from .._tasks import (
    WAIT_TASK_PREFIX,
    CreateFailed,
    WaitDone,
    WaitFailed,
    create_once,
    create_task_id,
    error_backoff,
    follow_up_task_id,
    job_id_of,
    wait_once,
    wait_task_id,
)
from ._producers import enqueue_wait
from ._serialization import dumps

__all__ = [
    "RUNTIME_KEY",
    "TaskRuntime",
    "after_wait_step",
    "ftjobs_create",
    "ftjobs_wait",
    "runtime_of",
    "task_deadline",
]

RUNTIME_KEY = "ftjobs"
"""Where the worker's start-up puts the `TaskRuntime` in arq's ``ctx``."""
# How long an enqueued follow-up may sit unstarted (arq's own default is a day).
_FOLLOW_UP_EXPIRY_MS = 7 * 86400 * 1000
_log = logging.getLogger("ftjobs.contrib.arq")


@attrs.frozen
class TaskRuntime:
    """What the tasks need from their worker: the client, the wait store, the policies."""

    client: AsyncClient
    store: RedisWaitStore
    poll: PollPolicy
    queue: str
    error_backoff_cap: float
    create_deadline: float
    wait_deadline: float
    webhooks: bool = False
    campaigns: CampaignSettings | None = None


def task_deadline(task_timeout: float) -> float:
    """How long a task with arq timeout ``task_timeout`` may work before it asks for a re-run."""
    # arq treats a task that reaches its timeout as failed for good (no re-run): stop first
    # and ask for a re-run with Retry.
    return max(task_timeout - 1.0, task_timeout * 0.5)


def runtime_of(ctx: Mapping[str, Any]) -> TaskRuntime:
    """The worker's `TaskRuntime` in arq's ``ctx``."""
    runtime = ctx.get(RUNTIME_KEY)
    if not isinstance(runtime, TaskRuntime):
        raise RuntimeError("ftjobs tasks need a worker started from ftjobs.contrib.arq settings")
    return runtime


async def ftjobs_create(
    ctx: dict[str, Any],
    key: str,
    params: dict[str, Any],
    budget: float | None,
    follow_up: str | None = None,
    follow_up_queue: str | None = None,
) -> dict[str, Any]:
    """arq task: create the job for ``key`` (at most one, whatever re-runs), then its wait."""
    rt = runtime_of(ctx)
    try:
        async with asyncio.timeout(rt.create_deadline):
            job = await create_once(rt.client, params, key)
        await enqueue_wait(
            ctx["redis"],
            job.id,
            budget=budget,
            follow_up=follow_up,
            follow_up_queue=follow_up_queue,
            queue=rt.queue,
        )
    except (CreateFailed, ValueError, TypeError):
        raise  # refused for good, or bad params: a re-run cannot help
    except Exception as exc:
        # Transient (past the client's own retries), our own deadline, a Redis blip: run
        # again later; the lookup by key makes the re-run safe.
        defer = error_backoff(ctx["job_try"], cap=rt.error_backoff_cap)
        _log.warning("%s: %r, re-running in %.1f s", create_task_id(key), exc, defer)
        raise Retry(defer=defer) from exc
    data: dict[str, Any] = unstructure(job)
    return data


async def ftjobs_wait(
    ctx: dict[str, Any],
    job_id_or_token: str,
    budget: float | None,
    follow_up: str | None = None,
    follow_up_queue: str | None = None,
) -> dict[str, Any]:
    """arq task: one step of the wait; re-schedules itself until the job is terminal."""
    rt = runtime_of(ctx)
    job_id = job_id_of(job_id_or_token)
    stored = await rt.store.load(job_id)
    if stored.done and stored.job is not None:
        return stored.job  # a re-run after the terminal step was recorded
    try:
        # This step is the look a webhook asked for; one arriving from now on asks for another.
        await rt.store.take_wake(job_id)
    except Exception as exc:
        raise _retry_wait(job_id, exc, rt) from exc
    # The first step gives the wait its budget; later tokens carry what is left of it.
    start = stored.token or job_id_or_token
    timeout: float | NotGiven | None = NOT_GIVEN if stored.token else budget
    step = wait_once(rt.client, start, poll=rt.poll, timeout=timeout, webhooks=rt.webhooks)
    try:
        async with asyncio.timeout(rt.wait_deadline):
            outcome = await step
    except WaitFailed as failed:
        # The original cause (an aiohttp-bound exception) stays out of arq's result.
        raise WaitFailed(
            failed.job_id,
            failed.reason,
            failed.message,
            status_code=failed.status_code,
            token=failed.token,
        ) from None
    except Exception as exc:
        raise _retry_wait(job_id, exc, rt) from exc
    job: dict[str, Any] | None = None if outcome.job is None else unstructure(outcome.job)
    if isinstance(outcome, WaitDone):
        token, then = None, _follow_up(job_id, follow_up, follow_up_queue, job)
    else:
        token, then = outcome.token, None
    try:
        await rt.store.record(
            job_id,
            token=token,
            status=None if outcome.job is None else str(outcome.job.status),
            job=job,
            events=outcome.events,
            follow_up=then,
        )
    except Exception as exc:
        raise _retry_wait(job_id, exc, rt) from exc
    if isinstance(outcome, WaitDone):
        assert job is not None
        return job
    raise Retry(defer=timedelta(seconds=await _next_delay(rt, job_id, outcome.delay)))


async def _next_delay(rt: TaskRuntime, job_id: str, delay: float) -> float:
    # A webhook during the step may bring news newer than what the step saw: look again now.
    try:
        woken = await rt.store.take_wake(job_id)
    except Exception:
        return delay  # the step is recorded; the scheduled one still comes
    return 0.0 if woken else delay


async def after_wait_step(ctx: Mapping[str, Any]) -> None:
    """After arq re-scheduled a wait step: a webhook that came after the step read its flag
    (`_next_delay`), and before arq moved the task, still brings the next step to now."""
    task_id, runtime = ctx.get("job_id"), ctx.get(RUNTIME_KEY)
    if not isinstance(runtime, TaskRuntime) or not isinstance(task_id, str):
        return
    if not task_id.startswith(WAIT_TASK_PREFIX):
        return
    job_id = task_id.removeprefix(WAIT_TASK_PREFIX)
    try:
        await runtime.store.wake_if_flagged(job_id, queue_key=runtime.queue, task_id=task_id)
    except Exception as exc:  # the scheduled step still comes
        _log.warning("%s: webhook flag not checked: %r", task_id, exc)


def _retry_wait(job_id: str, exc: Exception, rt: TaskRuntime) -> Retry:
    # Only WaitDone and WaitFailed end a wait: anything else (transient failures past the
    # policy, our own deadline, an unexpected body, a Redis blip) re-runs the step from the
    # stored token. job_try counts every step, not failures: back off by the poll cap.
    defer = min(rt.poll.max_interval, rt.error_backoff_cap)
    _log.warning("%s: %r, stepping again in %.1f s", wait_task_id(job_id), exc, defer)
    return Retry(defer=defer)


def _follow_up(
    job_id: str, name: str | None, queue: str | None, job: dict[str, Any] | None
) -> FollowUp | None:
    if name is None:
        return None
    task_id = follow_up_task_id(job_id)
    now_ms = int(time.time() * 1000)
    payload = serialize_job(name, (job,), {}, None, now_ms, serializer=dumps)
    return FollowUp(
        task_id=task_id,
        job_key=job_key_prefix + task_id,
        queue_key=queue or default_queue_name,
        payload=payload,
        expires_ms=_FOLLOW_UP_EXPIRY_MS,
    )
