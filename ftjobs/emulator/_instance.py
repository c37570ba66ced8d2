"""One emulator: its config, store, fault injector and request statistics."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from ftjobs.emulator._azure import azure_job
from ftjobs.emulator._config import EmulatorConfig
from ftjobs.emulator._faults import FaultConfig, FaultInjector
from ftjobs.emulator._lifecycle import JobState
from ftjobs.emulator._permissions import PermissionBook
from ftjobs.emulator._presigned import PresignedUploads
from ftjobs.emulator._stats import RequestStats
from ftjobs.emulator._store import Store
from ftjobs.emulator._together import owner_of, together_job
from ftjobs.emulator._uploads import UploadBook

__all__ = ["EMULATOR_KEY", "Emulator", "emulator_of", "get_emulator"]


class Emulator:
    """One emulator instance: config, store, fault injector and request statistics."""

    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.faults = FaultInjector(config.faults)
        self.requests = RequestStats()
        self.uploads = UploadBook(store, config.max_upload_bytes)
        self.permissions = PermissionBook()
        self.presigned = PresignedUploads()

    @property
    def azure(self) -> bool:
        """True when speaking the Azure OpenAI dialect."""
        return self.config.dialect == "azure"

    def render_job(self, job: JobState) -> dict[str, Any]:
        """The job's JSON object in this emulator's dialect."""
        config = self.config
        if config.dialect == "together":
            return together_job(
                job,
                timings=config.timings,
                now=self.store.fleet.now,
                wall=self.store.clock.to_wall,
                canceling_seconds=config.canceling_seconds,
                owner=owner_of(config.organization),
            )
        body = self.store.render_job(job)
        if not self.azure:
            return body
        return azure_job(
            body,
            job,
            self.store.fleet.now,
            self.config.canceling_seconds,
            job.extra,
        )

    def commit(self) -> None:
        """Save what the current request changed.

        Raises:
            StateNotSaved: The state file refused it; memory is back at the last save.
        """
        self.store.flush()

    def set_faults(self, config: FaultConfig) -> None:
        """Replace the fault config at runtime (reseeds the decision RNG)."""
        self.faults.configure(config)

    def reset_stats(self) -> None:
        """Zero request, fault and per-model create counters."""
        self.requests.reset()
        self.faults.reset_counts()
        self.store.quotas.reset()

    def stats(self) -> dict[str, Any]:
        """Counters of API requests served, responses by status, faults injected by kind, jobs
        by status, and per model its creates, active and peak active jobs and refusals by the
        create limits (``limits``, ``models``)."""
        now = self.store.now()
        by_status: Counter[str] = Counter(job.status for job in self.store.jobs())
        return {
            "requests": self.requests.to_dict(),
            "faults": dict(self.faults.counts),
            "faults_config": self.faults.config.to_dict(),
            "jobs": {"total": sum(by_status.values()), "by_status": dict(by_status)},
            "files": self.store.file_count,
            "uploads": self.uploads.by_status(),
            "now": now,
            "speed": self.config.speed,
            **self.store.quotas.to_dict(now),
        }


EMULATOR_KEY = web.AppKey("ftjobs_emulator", Emulator)
"""Application key under which the [Emulator][ftjobs.emulator.Emulator] is stored."""


def get_emulator(app: web.Application) -> Emulator:
    """Return the `Emulator` behind an application made by `create_app`."""
    return app[EMULATOR_KEY]


def emulator_of(request: web.Request) -> Emulator:
    """The `Emulator` serving ``request``."""
    return request.app[EMULATOR_KEY]
