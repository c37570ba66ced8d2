"""Run fine-tuning creates and waits on `arq <https://arq-docs.helpmanual.io/>`_ workers.

Install with ``pip install 'ftjobs[arq]'``. Workers: subclass
[`WorkerSettings`][ftjobs.contrib.arq.WorkerSettings] and start ``arq myapp.FTWorker``
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``FTJOBS_REDIS_URL`` are read from the environment).
Producers::

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
  and the new events in Redis in one transaction (see `ftjobs.contrib._redis`), and
  re-schedules itself with ``Retry(defer=delay)``: a job training for hours holds no worker
  slot while it sleeps. At a terminal state it returns the job (and enqueues your follow-up
  task exactly once); 401/403/404 and a spent budget end it with
  [`WaitFailed`][ftjobs.contrib.arq.WaitFailed].
- arq task ids are stable, so enqueueing twice is refused: ``ftjobs:create:<key>``,
  ``ftjobs:wait:<job id>``, ``ftjobs:then:<job id>``.
- Campaigns: ``enqueue_campaign(pool, campaign, max_active=3)`` runs an
  [`ftjobs.Campaign`][ftjobs.Campaign]'s members as tasks (``ftjobs:member:<name>:<index>``)
  on every worker, at most ``max_active`` active at once: the bound is a set of leases in
  Redis that a killed worker's tasks renew when they are re-run, and each member is found on
  the server by its metadata before it is created, so a ``kill -9`` duplicates and loses
  nothing (see `ftjobs.contrib.arq._campaigns`).
- Webhooks: mount ``webhook_handler(pool)`` in your web app and a webhook for a job runs its
  wait step at once instead of at its scheduled time; with ``ftjobs_webhooks = True`` on the
  worker, steps are then deferred by the policy's ``webhook_safety_interval`` (see
  `ftjobs.contrib.arq._webhooks`).

The parts: `common` (queue, task names, Redis settings), `serialization` (the JSON job
serializer), `producers` (enqueue and read results), `tasks` (the two arq tasks), `campaigns`
(the member task and `enqueue_campaign`), `worker` (`WorkerSettings`), `webhooks` (waking
waits).
"""

from __future__ import annotations

from .._tasks import CreateFailed, WaitFailed
from ._campaigns import enqueue_campaign
from ._common import CAMPAIGN_TASK, CREATE_TASK, DEFAULT_BUDGET, QUEUE, WAIT_TASK, redis_settings
from ._producers import created_job, enqueue_create, enqueue_wait, wait_result
from ._serialization import dumps, loads
from ._webhooks import wake_wait, webhook_handler
from ._worker import WorkerSettings

__all__ = [
    "CAMPAIGN_TASK",
    "CREATE_TASK",
    "DEFAULT_BUDGET",
    "QUEUE",
    "WAIT_TASK",
    "CreateFailed",
    "WaitFailed",
    "WorkerSettings",
    "created_job",
    "dumps",
    "enqueue_campaign",
    "enqueue_create",
    "enqueue_wait",
    "loads",
    "redis_settings",
    "wait_result",
    "wake_wait",
    "webhook_handler",
]
