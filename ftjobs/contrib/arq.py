"""Run fine-tuning creates and waits on `arq <https://arq-docs.helpmanual.io/>`_ workers.

Install with ``pip install 'ftjobs[arq]'``. Workers: subclass :class:`WorkerSettings` and start
``arq myapp.FTWorker`` (``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``FTJOBS_REDIS_URL`` are
read from the environment). Producers::

    pool = await create_pool(redis_settings(), job_serializer=dumps, job_deserializer=loads,
                             default_queue_name=QUEUE)
    await enqueue_create(pool, {"model": "gpt-4o-mini-2024-07-18", "training_file": fid},
                         key="exp-42-run-1")          # the key is yours: make it once, keep it
    job = await created_job(pool, "exp-42-run-1")    # the job as created
    final = await wait_result(pool, job.id)           # the terminal FineTuningJob

- The create task passes the key as ``Idempotency-Key``, records it in the job's metadata
  (``ftjobs_key``), and first looks it up through the list's metadata filter, so a re-run
  after a crash never creates a second job. Then it enqueues the wait.
- The wait task takes *one* step (``client.jobs.step``), stores the next continuation token
  and the new events in Redis in one transaction (see :mod:`ftjobs.contrib._redis`), and
  re-schedules itself with ``Retry(defer=delay)``: a job training for hours holds no worker
  slot while it sleeps. At a terminal state it returns the job (and enqueues your follow-up
  task exactly once); 401/403/404 and a spent budget end it with :class:`WaitFailed`.
- arq task ids are stable, so enqueueing twice is refused: ``ftjobs:create:<key>``,
  ``ftjobs:wait:<job id>``, ``ftjobs:then:<job id>``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import attrs
from arq.connections import ArqRedis, RedisSettings
from arq.constants import default_queue_name, job_key_prefix, result_key_prefix
from arq.jobs import Job, serialize_job
from arq.worker import Function, JobExecutionFailed, Retry, func

from .._types import NOT_GIVEN, NotGiven
from ..client import AsyncClient
from ..converter import structure, unstructure
from ..models import FineTuningJob
from ..polling import DEFAULT_TIMEOUT, PollPolicy
from ._redis import FollowUp, RedisWaitStore
from ._tasks import (
    CreateFailed,
    WaitDone,
    WaitFailed,
    check_key,
    create_once,
    create_task_id,
    error_backoff,
    follow_up_task_id,
    job_id_of,
    wait_once,
    wait_task_id,
)

__all__ = [
    "CREATE_TASK",
    "DEFAULT_BUDGET",
    "QUEUE",
    "WAIT_TASK",
    "CreateFailed",
    "WaitFailed",
    "WorkerSettings",
    "created_job",
    "dumps",
    "enqueue_create",
    "enqueue_wait",
    "loads",
    "redis_settings",
    "wait_result",
]

#: The dedicated queue ftjobs tasks run on (short timeouts: keep long tasks elsewhere).
QUEUE = "ftjobs:queue"
#: arq function name of the create task.
CREATE_TASK = "ftjobs_create"
#: arq function name of the wait task (one step per run).
WAIT_TASK = "ftjobs_wait"
#: Budget of a wait when none is given (seconds): the SDK's default, 24 h.
DEFAULT_BUDGET = DEFAULT_TIMEOUT
# Room between the wait's budget and arq's expiry of the task: the budget runs out first and
# ends the wait with a resumable WaitFailed instead of arq's silent "job expired".
_EXPIRY_MARGIN = 3600.0
# A wait with no budget still needs a finite expiry.
_UNBOUNDED_EXPIRY = 366 * 86400.0
# How long an enqueued follow-up may sit unstarted (arq's own default is a day).
_FOLLOW_UP_EXPIRY_MS = 7 * 86400 * 1000
_RUNTIME = "ftjobs"
_log = logging.getLogger("ftjobs.contrib.arq")
_ERROR = "__ftjobs_error__"


# -- serialisation ------------------------------------------------------------------------------


def _encode(obj: Any) -> Any:
    if isinstance(obj, WaitFailed):
        return {_ERROR: "wait_failed", **obj.to_dict()}
    if isinstance(obj, CreateFailed):
        return {_ERROR: "create_failed", **obj.to_dict()}
    if isinstance(obj, BaseException):
        return {_ERROR: "other", "type": type(obj).__name__, "message": str(obj)}
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable (ftjobs task arguments)")


def _decode(data: dict[str, Any]) -> Any:
    kind = data.get(_ERROR)
    if kind is None:
        return data
    if kind == "wait_failed":
        return WaitFailed.from_dict(data)
    if kind == "create_failed":
        return CreateFailed.from_dict(data)
    return JobExecutionFailed(f"{data.get('type')}: {data.get('message')}")


def dumps(obj: Any) -> bytes:
    """arq ``job_serializer``: JSON (never pickle); exceptions become typed JSON objects."""
    return json.dumps(obj, default=_encode, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    """arq ``job_deserializer``, the inverse of :func:`dumps`."""
    return json.loads(data, object_hook=_decode)


def redis_settings(url: str | None = None) -> RedisSettings:
    """arq ``RedisSettings`` from ``url`` or ``$FTJOBS_REDIS_URL`` (default local Redis).

    ``redis://host:port/db``, ``rediss://...`` and ``unix:///path/redis.sock`` work.
    """
    return RedisSettings.from_dsn(url or os.environ.get("FTJOBS_REDIS_URL") or "redis://localhost")


# -- producers ----------------------------------------------------------------------------------


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


# -- tasks --------------------------------------------------------------------------------------


@attrs.frozen
class _Runtime:
    client: AsyncClient
    store: RedisWaitStore
    poll: PollPolicy
    queue: str
    error_backoff_cap: float
    create_deadline: float
    wait_deadline: float


def _deadline(task_timeout: float) -> float:
    # arq treats a task that reaches its timeout as failed for good (no re-run): stop first
    # and ask for a re-run with Retry.
    return max(task_timeout - 1.0, task_timeout * 0.5)


def _runtime(ctx: Mapping[str, Any]) -> _Runtime:
    runtime = ctx.get(_RUNTIME)
    if not isinstance(runtime, _Runtime):
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
    rt = _runtime(ctx)
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
    rt = _runtime(ctx)
    job_id = job_id_of(job_id_or_token)
    stored = await rt.store.load(job_id)
    if stored.done and stored.job is not None:
        return stored.job  # a re-run after the terminal step was recorded
    # The first step gives the wait its budget; later tokens carry what is left of it.
    start = stored.token or job_id_or_token
    timeout: float | NotGiven | None = NOT_GIVEN if stored.token else budget
    step = wait_once(rt.client, start, poll=rt.poll, timeout=timeout)
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
    raise Retry(defer=timedelta(seconds=outcome.delay))


def _retry_wait(job_id: str, exc: Exception, rt: _Runtime) -> Retry:
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


# -- worker settings ----------------------------------------------------------------------------

_WORKER_OPTIONS = (
    "functions",
    "queue_name",
    "cron_jobs",
    "redis_settings",
    "burst",
    "on_startup",
    "on_shutdown",
    "on_job_start",
    "on_job_end",
    "after_job_end",
    "handle_signals",
    "job_completion_wait",
    "max_jobs",
    "job_timeout",
    "keep_result",
    "keep_result_forever",
    "poll_delay",
    "queue_read_limit",
    "max_tries",
    "health_check_interval",
    "health_check_key",
    "ctx",
    "retry_jobs",
    "allow_abort_jobs",
    "max_burst_jobs",
    "job_serializer",
    "job_deserializer",
    "expires_extra_ms",
    "timezone",
    "log_results",
)


class WorkerSettings:
    """arq worker settings for the ftjobs tasks; subclass it and run ``arq module.YourClass``.

    arq reads settings from the class's own ``__dict__`` only (not inherited attributes), so
    every subclass gets the merged settings copied into its ``__dict__`` when it is defined.
    Override the ``ftjobs_*`` attributes, :meth:`make_client`, or any arq option; add your own
    tasks with ``extra_functions`` (they inherit the short timeout unless given theirs; better
    to run long ones on another queue).

    Environment: ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` (the client), ``FTJOBS_REDIS_URL``.
    """

    # -- ftjobs options
    ftjobs_create_timeout: ClassVar[float] = 10.0
    """Seconds a create may take (a lookup and a create, with the client's retries)."""
    ftjobs_wait_timeout: ClassVar[float] = 10.0
    """Seconds one wait step may take."""
    ftjobs_create_max_tries: ClassVar[int] = 20
    ftjobs_wait_max_tries: ClassVar[int] = 1_000_000
    """Every re-schedule of a wait counts as an arq try: keep this far above budget/interval."""
    ftjobs_request_timeout: ClassVar[float] = 5.0
    """Per-request timeout of the client; below the task timeouts."""
    ftjobs_poll: ClassVar[PollPolicy] = PollPolicy()
    ftjobs_state_ttl: ClassVar[float] = 7 * 86400.0
    ftjobs_error_backoff_cap: ClassVar[float] = 60.0
    extra_functions: ClassVar[tuple[Function | Callable[..., Any], ...]] = ()

    # -- arq options
    queue_name: ClassVar[str] = QUEUE
    job_serializer: ClassVar[Callable[[Any], bytes]] = staticmethod(dumps)
    job_deserializer: ClassVar[Callable[[bytes], Any]] = staticmethod(loads)
    max_jobs: ClassVar[int] = 50
    keep_result: ClassVar[float] = 7 * 86400.0
    poll_delay: ClassVar[float] = 0.5

    @classmethod
    async def make_client(cls) -> AsyncClient:
        """Build the worker's client (called once on start-up); reads the environment."""
        return AsyncClient(timeout=cls.ftjobs_request_timeout)

    @classmethod
    async def startup(cls, ctx: dict[str, Any]) -> None:
        """Build the client and the state store into ``ctx``; extend with ``super()``."""
        ctx[_RUNTIME] = _Runtime(
            client=await cls.make_client(),
            store=RedisWaitStore(ctx["redis"], ttl=cls.ftjobs_state_ttl),
            poll=cls.ftjobs_poll,
            queue=cls.queue_name,
            error_backoff_cap=cls.ftjobs_error_backoff_cap,
            create_deadline=_deadline(cls.ftjobs_create_timeout),
            wait_deadline=_deadline(cls.ftjobs_wait_timeout),
        )

    @classmethod
    async def shutdown(cls, ctx: dict[str, Any]) -> None:
        """Close the client."""
        runtime = ctx.pop(_RUNTIME, None)
        if isinstance(runtime, _Runtime):
            await runtime.client.close()

    @classmethod
    def _settle(cls) -> None:
        if "redis_settings" not in cls.__dict__:
            cls.redis_settings = redis_settings()  # type: ignore[attr-defined]
        for name in _WORKER_OPTIONS:
            if name not in cls.__dict__ and hasattr(cls, name):
                setattr(cls, name, getattr(cls, name))
        timeout = max(cls.ftjobs_create_timeout, cls.ftjobs_wait_timeout)
        cls.functions = [  # type: ignore[attr-defined]
            func(
                ftjobs_create,
                name=CREATE_TASK,
                timeout=cls.ftjobs_create_timeout,
                max_tries=cls.ftjobs_create_max_tries,
            ),
            func(
                ftjobs_wait,
                name=WAIT_TASK,
                timeout=cls.ftjobs_wait_timeout,
                max_tries=cls.ftjobs_wait_max_tries,
            ),
            *cls.extra_functions,
        ]
        # A dead worker's task is re-run after the longest timeout + 10 s: keep it short.
        cls.job_timeout = timeout  # type: ignore[attr-defined]

        async def on_startup(ctx: dict[str, Any]) -> None:
            """arq's start-up hook: runs :meth:`startup` (override that, not this)."""
            await cls.startup(ctx)

        async def on_shutdown(ctx: dict[str, Any]) -> None:
            """arq's shut-down hook: runs :meth:`shutdown` (override that, not this)."""
            await cls.shutdown(ctx)

        cls.on_startup = on_startup  # type: ignore[attr-defined]
        cls.on_shutdown = on_shutdown  # type: ignore[attr-defined]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._settle()


WorkerSettings._settle()
