"""What the waiting package needs from the API: fetch a job, a page of jobs, a job's events
and checkpoints. ``client.jobs`` is one; a test or another transport can be another."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .._models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from .._pagination import AsyncPaginator
from ._ratelimit import RequestBudget

__all__ = ["JobSource"]


class JobSource(Protocol):
    """The fetches every wait is made of (``client.jobs`` implements them)."""

    @property
    def base_url(self) -> str:
        """The API root (continuation tokens are bound to it)."""
        ...

    @property
    def budget(self) -> RequestBudget:
        """The request budget every wait of the client shares."""
        ...

    async def retrieve(self, job_id: str) -> FineTuningJob:
        """One job."""
        ...

    async def retrieve_with_headers(self, job_id: str) -> tuple[FineTuningJob, Mapping[str, str]]:
        """One job, and the response headers (they may carry a pacing hint)."""
        ...

    def list(
        self, *, after: str | None = None, limit: int | None = None
    ) -> AsyncPaginator[FineTuningJob]:
        """Jobs, newest first (older than the job ``after``, when given)."""
        ...

    def list_events(
        self, job_id: str, *, limit: int | None = None
    ) -> AsyncPaginator[FineTuningJobEvent]:
        """A job's events, newest first."""
        ...

    def list_checkpoints(
        self, job_id: str, *, limit: int | None = None
    ) -> AsyncPaginator[FineTuningJobCheckpoint]:
        """A job's checkpoints, newest first."""
        ...
