"""A member's jobs on the server: finding them by their identity, and the never-twice create.

`submit_member` is the one way a member's job is created: it looks for the member's job by
its identity (metadata, or the suffix tag where the provider keeps no metadata: see
`ftjobs.campaigns._identity`) first and creates it only when none exists,
so a create repeated by another process, a resumed run or a re-run task queue finds the job
instead of making a second one, even after the server forgot the idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import cast

from .._errors import FTJobsError
from .._models import FineTuningJob
from ._identity import IdentityKind, check_own_fields, create_fields, member_filter, member_of
from ._plan import Campaign
from ._source import CampaignJobs, HasJobs

__all__ = [
    "by_member",
    "campaign_jobs",
    "cancel_jobs",
    "check_identity",
    "create_member",
    "find_member",
    "identity_of",
    "jobs_of",
    "submit_member",
]


def jobs_of(client: HasJobs | CampaignJobs) -> CampaignJobs:
    """``client.jobs`` of a client, or the jobs resource itself."""
    return cast("CampaignJobs", getattr(client, "jobs", client))


def identity_of(jobs: CampaignJobs) -> IdentityKind:
    """Where ``jobs``' provider keeps a member's identity (``jobs.dialect.campaign_identity``);
    ``"metadata"`` for a jobs object that does not say (a test double of the OpenAI shape)."""
    # Read as data, not imported: the campaigns stand below the dialects (docs/design.md).
    kind = getattr(getattr(jobs, "dialect", None), "campaign_identity", "metadata")
    return "suffix" if kind == "suffix" else "metadata"


def check_identity(jobs: CampaignJobs, campaign: Campaign) -> None:
    """Refuse, before any request, a member whose own arguments the identity would overwrite.

    Raises:
        CampaignPlanError: A member sets its own ``suffix`` where the suffix is the identity.
    """
    kind = identity_of(jobs)
    for spec in campaign.members:
        check_own_fields(kind, f"members[{spec.index}]", spec.create_kwargs)


def by_member(
    jobs: Iterable[FineTuningJob], name: str, kind: IdentityKind = "metadata"
) -> dict[int, dict[int, FineTuningJob]]:
    """Campaign ``name``'s jobs by member index, then attempt (pure). Should two jobs claim
    the same attempt (made by hand, or by a server that ignored an idempotency key), the
    oldest is the member's."""
    found: dict[int, dict[int, FineTuningJob]] = {}
    for job in jobs:
        ref = member_of(job, name, kind)
        if ref is None:
            continue
        attempts = found.setdefault(ref[0], {})
        held = attempts.get(ref[1])
        if held is None or (job.created_at, job.id) < (held.created_at, held.id):
            attempts[ref[1]] = job
    return found


async def campaign_jobs(jobs: CampaignJobs, name: str) -> dict[int, dict[int, FineTuningJob]]:
    """Every job of campaign ``name`` on the server, by member and attempt (one search, as
    many pages as it takes)."""
    kind = identity_of(jobs)
    found = jobs.find(metadata=member_filter(kind, name))
    return by_member([job async for job in found], name, kind)


async def find_member(
    jobs: CampaignJobs, name: str, index: int, attempt: int
) -> FineTuningJob | None:
    """The job of the member's attempt, if the server has one."""
    kind = identity_of(jobs)
    found = jobs.find(metadata=member_filter(kind, name, index, attempt))
    held = by_member([job async for job in found], name, kind)
    return held.get(index, {}).get(attempt)


async def create_member(
    jobs: CampaignJobs, campaign: Campaign, index: int, attempt: int
) -> FineTuningJob:
    """Create the member's attempt, without looking first: only for an attempt known to be
    absent (see `submit_member`)."""
    spec = campaign.members[index]
    kind = identity_of(jobs)
    return await jobs.create(
        **create_fields(kind, campaign.name, index, attempt, spec.create_kwargs)
    )


async def submit_member(
    client: HasJobs | CampaignJobs, campaign: Campaign, index: int, attempt: int = 0
) -> FineTuningJob:
    """The job of a campaign member's attempt: the one the server holds (found by its
    identity), else a new one, created with the attempt's identity (and idempotency key,
    where the provider has one).

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
        CampaignPlanError: The member sets its own ``suffix`` on a provider whose suffix
            holds the identity (Together AI).
    """
    if not 0 <= index < len(campaign.members):
        raise IndexError(f"index {index} is not a member of {campaign.name!r}")
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    jobs = jobs_of(client)
    check_identity(jobs, campaign)
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
