"""What a campaign needs of ``client.jobs`` (the `CampaignJobs` protocol), so the campaigns
package depends on no resource: ``client.jobs`` is one, a test double can be another."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Protocol

from .._models import FineTuningJob, FineTuningJobCheckpoint
from ..metrics import StepMetrics
from ..waiting import JobWaiter, PollPolicy

__all__ = ["CampaignJobs", "HasJobs"]


class CampaignJobs(Protocol):
    """The calls of ``client.jobs`` a campaign makes."""

    @property
    def create(self) -> Callable[..., Awaitable[FineTuningJob]]:
        """``client.jobs.create``."""
        ...

    async def retrieve(self, job_id: str | FineTuningJob) -> FineTuningJob:
        """``client.jobs.retrieve``."""
        ...

    def find(
        self,
        *,
        model: str | None = None,
        created_after: datetime | float | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncIterator[FineTuningJob]:
        """``client.jobs.find``."""
        ...

    async def cancel(self, job_id: str | FineTuningJob) -> FineTuningJob:
        """``client.jobs.cancel``."""
        ...

    def waiter(
        self,
        job_or_token: str | FineTuningJob,
        *,
        poll: PollPolicy | None = None,
        timeout: float | None = None,
    ) -> JobWaiter:
        """``client.jobs.waiter``."""
        ...

    async def metrics(self, job_or_id: str | FineTuningJob) -> tuple[StepMetrics, ...]:
        """``client.jobs.metrics``."""
        ...

    async def best_checkpoint(
        self, job_or_id: str | FineTuningJob, metric: str = "valid_loss"
    ) -> FineTuningJobCheckpoint | None:
        """``client.jobs.best_checkpoint``."""
        ...


class HasJobs(Protocol):
    """A client: something with a ``jobs`` (`ftjobs.AsyncClient` is one)."""

    @property
    def jobs(self) -> CampaignJobs:
        """Its jobs resource."""
        ...
