"""arq worker settings that run the ftjobs tasks."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from arq.worker import Function, Worker, func

from ... import AsyncClient, PollPolicy
from .._leases import CampaignSettings, CampaignStore
from .._redis import RedisWaitStore
from ._campaigns import after_member_step, ftjobs_campaign_member
from ._common import CAMPAIGN_TASK, CREATE_TASK, QUEUE, WAIT_TASK, redis_settings
from ._serialization import dumps, loads
from ._tasks import (
    RUNTIME_KEY,
    TaskRuntime,
    after_wait_step,
    ftjobs_create,
    ftjobs_wait,
    task_deadline,
)

__all__ = ["WorkerSettings"]

# arq builds its Worker from the settings class's attributes named like Worker's parameters
# (arq.worker.get_kwargs), so those names are the options.
_WORKER_OPTIONS = tuple(inspect.signature(Worker).parameters)
# arq's hooks the base class wires, and the class method each runs.
_HOOKS = {"on_startup": "startup", "on_shutdown": "shutdown", "after_job_end": "after_job"}


class WorkerSettings:
    """arq worker settings for the ftjobs tasks; subclass it and run ``arq module.YourClass``.

    arq reads settings from the class's own ``__dict__`` only (not inherited attributes), so
    every subclass gets the merged settings copied into its ``__dict__`` when it is defined.
    Override the ``ftjobs_*`` attributes,
    [`make_client()`][ftjobs.contrib.arq.WorkerSettings.make_client], or any arq option; add
    your own tasks with ``extra_functions`` (they inherit the short timeout unless given theirs;
    better to run long ones on another queue).

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
    ftjobs_campaign_lease_grace: ClassVar[float] = 300.0
    """Seconds a campaign member's slot outlives its next scheduled step (see
    [`enqueue_campaign()`][ftjobs.contrib.arq.enqueue_campaign]): it must outlast arq's re-run
    of a killed task (the longest task timeout + 10 s) and the queue's lateness; a member task
    that vanished frees its slot that much later."""
    ftjobs_campaign_slot_poll: ClassVar[float] = 60.0
    """Seconds between two looks for a slot by a member no freed slot woke (a safety net:
    a slot given back wakes the first waiting member at once)."""
    ftjobs_webhooks: ClassVar[bool] = False
    """Webhooks reach this deployment (`webhook_handler`): a wait then steps only every
    ``ftjobs_poll.webhook_safety_interval`` between webhooks (events are recorded as often)."""
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
        ctx[RUNTIME_KEY] = TaskRuntime(
            client=await cls.make_client(),
            store=RedisWaitStore(ctx["redis"], ttl=cls.ftjobs_state_ttl),
            poll=cls.ftjobs_poll,
            queue=cls.queue_name,
            error_backoff_cap=cls.ftjobs_error_backoff_cap,
            create_deadline=task_deadline(cls.ftjobs_create_timeout),
            wait_deadline=task_deadline(cls.ftjobs_wait_timeout),
            webhooks=cls.ftjobs_webhooks,
            campaigns=CampaignSettings(
                store=CampaignStore(ctx["redis"]),
                lease_grace=cls.ftjobs_campaign_lease_grace,
                slot_poll=cls.ftjobs_campaign_slot_poll,
            ),
        )

    @classmethod
    async def shutdown(cls, ctx: dict[str, Any]) -> None:
        """Close the client."""
        runtime = ctx.pop(RUNTIME_KEY, None)
        if isinstance(runtime, TaskRuntime):
            await runtime.client.close()

    @classmethod
    async def after_job(cls, ctx: dict[str, Any]) -> None:
        """Run after each task is finished or re-scheduled; extend with ``super()``.

        After a wait step, a webhook that came while arq was re-scheduling it moves the next
        step to now; after a campaign member's, so does a slot freed meanwhile."""
        await after_wait_step(ctx)
        await after_member_step(ctx)

    @classmethod
    def _settle(cls) -> None:
        for hook, method in _HOOKS.items():
            if hook in cls.__dict__ and not getattr(cls.__dict__[hook], "_ftjobs_wired", False):
                raise TypeError(
                    f"{cls.__name__} sets {hook}, which would replace the ftjobs tasks' own: "
                    f"override the class method {method}(ctx) instead (and call super())"
                )
        # Read the environment unless this class or a base of it below WorkerSettings chose.
        below = cls.__mro__[: cls.__mro__.index(WorkerSettings)]
        if not any("redis_settings" in klass.__dict__ for klass in below):
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
            func(
                ftjobs_campaign_member,
                name=CAMPAIGN_TASK,
                timeout=cls.ftjobs_wait_timeout,
                max_tries=cls.ftjobs_wait_max_tries,
            ),
            *cls.extra_functions,
        ]
        # A dead worker's task is re-run after the longest timeout + 10 s: keep it short.
        cls.job_timeout = timeout  # type: ignore[attr-defined]
        longest = max(
            (f.timeout_s or timeout) if isinstance(f, Function) else timeout
            for f in cls.functions  # type: ignore[attr-defined]
        )
        if not cls.ftjobs_campaign_lease_grace > longest + 10:
            raise ValueError(
                f"{cls.__name__}.ftjobs_campaign_lease_grace must outlast arq's re-run of a "
                f"killed task (the longest task timeout {longest:g} s + 10 s), got "
                f"{cls.ftjobs_campaign_lease_grace!r}"
            )
        if not cls.ftjobs_campaign_slot_poll > 0:
            raise ValueError(f"{cls.__name__}.ftjobs_campaign_slot_poll must be > 0")

        async def on_startup(ctx: dict[str, Any]) -> None:
            """arq's start-up hook: runs
            [`startup()`][ftjobs.contrib.arq.WorkerSettings.startup] (override that, not
            this)."""
            await cls.startup(ctx)

        async def on_shutdown(ctx: dict[str, Any]) -> None:
            """arq's shut-down hook: runs
            [`shutdown()`][ftjobs.contrib.arq.WorkerSettings.shutdown] (override that, not
            this)."""
            await cls.shutdown(ctx)

        async def after_job_end(ctx: dict[str, Any]) -> None:
            """arq's after-job hook: runs
            [`after_job()`][ftjobs.contrib.arq.WorkerSettings.after_job] (override that,
            not this)."""
            await cls.after_job(ctx)

        for wired in (on_startup, on_shutdown, after_job_end):
            wired._ftjobs_wired = True  # type: ignore[attr-defined]
            setattr(cls, wired.__name__, wired)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._settle()


WorkerSettings._settle()
