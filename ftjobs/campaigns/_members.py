"""A member's jobs on the server: finding them by metadata, and the never-twice create.

`submit_member` is the one way a member's job is created: it looks for the member's job by
its metadata first and creates it (with the member's idempotency key) only when none exists,
so a create repeated by another process, a resumed run or a re-run task queue finds the job
instead of making a second one, even after the server forgot the idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from typing import Any, cast

from .._errors import FTJobsError
from .._models import FineTuningJob
from ._identity import CAMPAIGN_KEY, idempotency_key, member_metadata, member_of
from ._plan import Campaign
from ._source import CampaignJobs, HasJobs

__all__ = [
    "by_member",
    "campaign_jobs",
    "cancel_jobs",
    "create_member",
    "find_member",
    "jobs_of",
    "submit_member",
]


def jobs_of(client: HasJobs | CampaignJobs) -> CampaignJobs:
    """``client.jobs`` of a client, or the jobs resource itself."""
    return cast("CampaignJobs", getattr(client, "jobs", client))


def by_member(jobs: Iterable[FineTuningJob], name: str) -> dict[int, dict[int, FineTuningJob]]:
    """Campaign ``name``'s jobs by member index, then attempt (pure). Should two jobs claim
    the same attempt (made by hand, or by a server that ignored an idempotency key), the
    oldest is the member's."""
    found: dict[int, dict[int, FineTuningJob]] = {}
    for job in jobs:
        ref = member_of(job, name)
        if ref is None:
            continue
        attempts = found.setdefault(ref[0], {})
        held = attempts.get(ref[1])
        if held is None or (job.created_at, job.id) < (held.created_at, held.id):
            attempts[ref[1]] = job
    return found


async def campaign_jobs(jobs: CampaignJobs, name: str) -> dict[int, dict[int, FineTuningJob]]:
    """Every job of campaign ``name`` on the server, by member and attempt (one metadata
    search, as many pages as it takes)."""
    return by_member([job async for job in jobs.find(metadata={CAMPAIGN_KEY: name})], name)


async def find_member(
    jobs: CampaignJobs, name: str, index: int, attempt: int
) -> FineTuningJob | None:
    """The job of the member's attempt, if the server has one."""
    found = jobs.find(metadata=member_metadata(name, index, attempt))
    held = by_member([job async for job in found], name)
    return held.get(index, {}).get(attempt)


async def create_member(
    jobs: CampaignJobs, campaign: Campaign, index: int, attempt: int
) -> FineTuningJob:
    """Create the member's attempt, without looking first: only for an attempt known to be
    absent (see `submit_member`)."""
    spec = campaign.members[index]
    kwargs: dict[str, Any] = dict(spec.create_kwargs)
    own: Mapping[str, str] | None = kwargs.pop("metadata", None)
    return await jobs.create(
        **kwargs,
        metadata=member_metadata(campaign.name, index, attempt, own),
        idempotency_key=idempotency_key(campaign.name, index, attempt),
    )


async def submit_member(
    client: HasJobs | CampaignJobs, campaign: Campaign, index: int, attempt: int = 0
) -> FineTuningJob:
    """The job of a campaign member's attempt: the one the server holds (found by its
    metadata), else a new one, created with the attempt's idempotency key.

    Safe to call again from any process at any moment (a re-run task, a resumed campaign):
    the member's job is never created twice.

    Args:
        client: An [`AsyncClient`][ftjobs.AsyncClient] (or its ``jobs``).
        campaign: The [`Campaign`][ftjobs.Campaign].
        index: The member's index.
        attempt: 0 for the first create; one more for each re-creation after a failure.

    Raises:
        IndexError: No such member.
        ValueError: ``attempt`` is negative.
    """
    if not 0 <= index < len(campaign.members):
        raise IndexError(f"index {index} is not a member of {campaign.name!r}")
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    jobs = jobs_of(client)
    held = await find_member(jobs, campaign.name, index, attempt)
    if held is not None:
        return held
    return await create_member(jobs, campaign, index, attempt)


async def cancel_jobs(jobs: CampaignJobs, targets: Iterable[FineTuningJob]) -> list[FineTuningJob]:
    """Cancel ``targets`` at once; the jobs as the server answered (one that could not be
    cancelled, having ended meanwhile, is left out)."""

    async def one(job: FineTuningJob) -> FineTuningJob | None:
        with contextlib.suppress(FTJobsError):
            return await jobs.cancel(job.id)
        return None

    answers = await asyncio.gather(*(one(job) for job in targets))
    return [job for job in answers if job is not None]
