"""Producers: enqueue a create or a wait, and read what the tasks returned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from arq.jobs import Job

from ... import FineTuningJob
from ..._converter import structure
from .._redis import RedisWaitStore
from .._tasks import check_key, create_task_id, job_id_of, wait_task_id
from ._common import CREATE_TASK, DEFAULT_BUDGET, QUEUE, WAIT_TASK
from ._serialization import loads

__all__ = ["created_job", "enqueue_create", "enqueue_wait", "wait_result"]

# Room between the wait's budget and arq's expiry of the task: the budget runs out first and
# ends the wait with a resumable WaitFailed instead of arq's silent "job expired".
_EXPIRY_MARGIN = 3600.0
# A wait with no budget still needs a finite expiry.
_UNBOUNDED_EXPIRY = 366 * 86400.0


def _expires(budget: float | None) -> float:
    if budget is None:
        return _UNBOUNDED_EXPIRY
    return budget + _EXPIRY_MARGIN


def _check_budget(budget: float | None) -> float | None:
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0:
        raise ValueError(f"budget must be a positive number of seconds or None, got {budget!r}")
    return float(budget)


async def enqueue_create(
    pool: ArqRedis,
    params: Mapping[str, Any],
    *,
    key: str,
    budget: float | None = DEFAULT_BUDGET,
    follow_up: str | None = None,
    follow_up_queue: str | None = None,
    queue: str = QUEUE,
) -> bool:
    """Enqueue the create of a job (and then its wait) under the caller's ``key``.

    ``key`` must be made once by the caller and kept (a key made inside a task would be new on
    every re-run). ``params`` are ``client.jobs.create`` keyword arguments, JSON-ready.

    Args:
        pool: An arq pool made with ``job_serializer=dumps, job_deserializer=loads``.
        params: ``model``, ``training_file``, ``metadata``, ``method``... as plain JSON.
        key: The create's key: ``Idempotency-Key``, metadata ``ftjobs_key``, task id.
        budget: Seconds the wait may last (``None``: no limit).
        follow_up: Name of an arq function called as ``f(ctx, job_dict)`` once the job is
            terminal (at most once).
        follow_up_queue: Queue of the follow-up (default arq's default queue, so that your own
            workers, with their own timeouts, run it).
        queue: The ftjobs queue.

    Returns:
        ``True`` if enqueued, ``False`` if a create with this key is queued, running or done
        (its result is kept for ``keep_result``).
    """
    task_id = create_task_id(key)
    _check_budget(budget)
    job = await pool.enqueue_job(
        CREATE_TASK,
        check_key(key),
        dict(params),
        budget,
        follow_up,
        follow_up_queue,
        _job_id=task_id,
        _queue_name=queue,
        _expires=_expires(budget),
    )
    return job is not None


async def enqueue_wait(
    pool: ArqRedis,
    job_id_or_token: str,
    *,
    budget: float | None = DEFAULT_BUDGET,
    follow_up: str | None = None,
    follow_up_queue: str | None = None,
    queue: str = QUEUE,
    restart: bool = False,
) -> bool:
    """Enqueue a wait on a job (by id, or from a continuation token to resume one).

    ``budget`` counts from the wait's first step (also when resuming from a token).

    Args:
        restart: If the previous wait on this job has *finished* (a result is kept, e.g. a
            ``WaitFailed`` for a spent budget), forget it and its position so that this one
            runs; a wait still queued or running is never replaced.

    Returns:
        ``False`` if a wait on this job is already queued, running or (without ``restart``)
        done.
    """
    job_id = job_id_of(job_id_or_token)
    _check_budget(budget)
    if restart:
        await RedisWaitStore(pool).forget_if(job_id, result_key_prefix + wait_task_id(job_id))
    job = await pool.enqueue_job(
        WAIT_TASK,
        job_id_or_token,
        budget,
        follow_up,
        follow_up_queue,
        _job_id=wait_task_id(job_id),
        _queue_name=queue,
        _expires=_expires(budget),
    )
    return job is not None


async def created_job(
    pool: ArqRedis, key: str, *, timeout: float | None = None, queue: str = QUEUE
) -> FineTuningJob:
    """The job the create task for ``key`` created (waits for the task to finish).

    Raises:
        CreateFailed: The server refused the create.
        asyncio.TimeoutError: ``timeout`` passed first.
    """
    task = Job(create_task_id(key), pool, _queue_name=queue, _deserializer=loads)
    return structure(await task.result(timeout=timeout), FineTuningJob)


async def wait_result(
    pool: ArqRedis, job_id: str, *, timeout: float | None = None, queue: str = QUEUE
) -> FineTuningJob:
    """The terminal job of the wait on ``job_id`` (waits for the wait task to finish).

    Raises:
        WaitFailed: The wait ended without a terminal job (401/403/404, budget spent...).
        asyncio.TimeoutError: ``timeout`` passed first.
    """
    task = Job(wait_task_id(job_id), pool, _queue_name=queue, _deserializer=loads)
    return structure(await task.result(timeout=timeout), FineTuningJob)
