"""Worker settings of the e2e test (``python -m arq tests.distributed.workers.E2EWorker``)."""

from __future__ import annotations

import os
from typing import Any

from ftjobs import PollPolicy
from ftjobs.contrib.arq import WorkerSettings


class E2EWorker(WorkerSettings):
    """Short timeouts (a killed worker's task re-runs after 3 + 10 s) and quick polling."""

    ftjobs_create_timeout = 3.0
    ftjobs_wait_timeout = 3.0
    ftjobs_request_timeout = 1.0
    ftjobs_poll = PollPolicy(initial_interval=0.5, multiplier=1.5, max_interval=2.0, timeout=900)
    ftjobs_error_backoff_cap = 2.0
    max_jobs = int(os.environ.get("FTJOBS_E2E_MAX_JOBS", "6"))
    poll_delay = 0.1


async def mark_start(ctx: dict[str, Any]) -> None:
    """arq's on_job_start: record which worker process runs each task (the e2e test kills the
    worker a campaign member is running on)."""
    await ctx["redis"].set(f"e2e:on:{ctx['job_id']}", os.getpid(), ex=3600)


class CampaignWorker(E2EWorker):
    """The e2e worker, telling the test where each task runs; a slot poll of 5 s."""

    ftjobs_campaign_slot_poll = 5.0
    on_job_start = mark_start
