"""Webhooks wake arq waits: a webhook for a job runs its wait step at once.

Mount `webhook_handler` in your web app (or call `wake_wait` from your own endpoint): an
authentic delivery about a job moves that job's deferred wait step to now, so the worker
confirms the job's end with one GET instead of at its scheduled time. Workers with
``ftjobs_webhooks = True`` then defer steps only by the policy's ``webhook_safety_interval``;
a lost webhook costs that much lag, never the job.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from arq.connections import ArqRedis

from ... import InvalidWebhookSignatureError, ResponseValidationError
from ..._signing import resolve_secret
from ...webhooks import Webhooks
from .._redis import RedisWaitStore
from .._tasks import wait_task_id
from ._common import QUEUE

__all__ = ["wake_wait", "webhook_handler"]

_log = logging.getLogger("ftjobs.contrib.arq")


async def wake_wait(pool: ArqRedis, job_id: str, *, queue: str = QUEUE) -> bool:
    """Make the wait on ``job_id`` take its next step now instead of at its scheduled time.

    A step running at this moment steps again as soon as it ends. A job with no wait is left
    alone (a wait enqueued later clears the mark with its first step).

    Returns:
        Whether a scheduled step was moved to now.
    """
    store = RedisWaitStore(pool)
    return await store.wake(job_id, queue_key=queue, task_id=wait_task_id(job_id))


def webhook_handler(
    pool: ArqRedis, *, secret: str | None = None, queue: str = QUEUE
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler that wakes the wait of each job a verified webhook speaks of.

    ``app.router.add_post("/webhooks", webhook_handler(pool))``. Answers 400 to a delivery
    that fails verification, 503 when Redis cannot be reached (the sender retries, so no
    webhook is lost to a Redis blip), 200 otherwise.

    Args:
        pool: The producers' arq pool.
        secret: The endpoint's ``whsec_...`` secret (default ``$OPENAI_WEBHOOK_SECRET``).
        queue: The ftjobs queue.

    Raises:
        ConfigurationError: No secret given or in the environment.
    """
    webhooks = Webhooks(resolve_secret(secret, option="secret="))

    async def handle(request: web.Request) -> web.Response:
        try:
            event = await webhooks.read(request)
        except (InvalidWebhookSignatureError, ResponseValidationError) as exc:
            _log.warning("webhook rejected: %s", exc)
            return web.Response(status=400, text=f"{exc}\n")
        if event.job_id is not None:
            try:
                await wake_wait(pool, event.job_id, queue=queue)
            except Exception as exc:  # Redis down or refusing: let the sender retry
                _log.warning("webhook %s for %s not recorded: %r", event.id, event.job_id, exc)
                return web.Response(status=503, text="could not record the webhook\n")
        return web.Response(status=200)

    return handle
