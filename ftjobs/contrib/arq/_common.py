"""What producers and workers agree on: the queue, the task names, the budget, Redis."""

from __future__ import annotations

import os

from arq.connections import RedisSettings

from ...waiting import DEFAULT_WAIT_TIMEOUT

__all__ = ["CAMPAIGN_TASK", "CREATE_TASK", "DEFAULT_BUDGET", "QUEUE", "WAIT_TASK", "redis_settings"]

#: The dedicated queue ftjobs tasks run on (short timeouts: keep long tasks elsewhere).
QUEUE = "ftjobs:queue"
#: arq function name of the create task.
CREATE_TASK = "ftjobs_create"
#: arq function name of the wait task (one step per run).
WAIT_TASK = "ftjobs_wait"
#: arq function name of a campaign member's task (one step per run).
CAMPAIGN_TASK = "ftjobs_campaign_member"
#: Budget of a wait when none is given (seconds): the SDK's default, 24 h.
DEFAULT_BUDGET = DEFAULT_WAIT_TIMEOUT


def redis_settings(url: str | None = None) -> RedisSettings:
    """arq ``RedisSettings`` from ``url`` or ``$FTJOBS_REDIS_URL`` (default local Redis).

    ``redis://host:port/db``, ``rediss://...`` and ``unix:///path/redis.sock`` work.
    """
    return RedisSettings.from_dsn(url or os.environ.get("FTJOBS_REDIS_URL") or "redis://localhost")
