"""Worker settings of the e2e test (``python -m arq tests.distributed.workers.E2EWorker``)."""

from __future__ import annotations

import os

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
