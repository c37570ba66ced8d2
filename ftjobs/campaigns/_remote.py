"""A campaign known by its name only: its report and its cancellation, from the server alone
(``ftjobs campaign status|report|cancel NAME``): the jobs are found by their identity
(metadata, or the suffix tag where the provider keeps no metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._models import FineTuningJob
from ._identity import member_filter
from ._members import by_member, campaign_jobs, cancel_jobs, identity_of, jobs_of
from ._plan import Campaign
from ._report import CampaignReport, build_report
from ._source import CampaignJobs, HasJobs

__all__ = ["campaign_report", "cancel_campaign", "members_of"]


def members_of(
    campaign: Campaign | None, found: Mapping[int, Mapping[int, FineTuningJob]]
) -> list[tuple[int, Mapping[str, Any], FineTuningJob | None, int]]:
    """The report's members from a campaign (if known) and the jobs found on the server."""
    indexes = [spec.index for spec in campaign.members] if campaign is not None else sorted(found)
    members: list[tuple[int, Mapping[str, Any], FineTuningJob | None, int]] = []
    for index in indexes:
        attempts = found.get(index, {})
        last = attempts[max(attempts)] if attempts else None
        params: Mapping[str, Any] = (
            campaign.members[index].params if campaign is not None else _params_of(last)
        )
        members.append((index, params, last, len(attempts)))
    return members


def _params_of(job: FineTuningJob | None) -> Mapping[str, Any]:
    """Without the plan, a member's parameters are its job's hyperparameters."""
    if job is None or job.method is None:
        return {}
    inner = getattr(job.method, str(job.method.type), None)
    hyper = getattr(inner, "hyperparameters", None)
    if hyper is None:
        return {}
    values = {
        name: getattr(hyper, name)
        for name in ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")
        if getattr(hyper, name, None) is not None
    }
    return values


async def campaign_report(
    client: HasJobs | CampaignJobs, name: str, campaign: Campaign | None = None
) -> CampaignReport:
    """The [`CampaignReport`][ftjobs.CampaignReport] of campaign ``name`` as the server has it.

    Args:
        client: An [`AsyncClient`][ftjobs.AsyncClient] (or its ``jobs``).
        name: The campaign's name.
        campaign: Its plan, when at hand: the rows then follow the plan (members never
            created read ``pending``) and carry its parameters; without it, one row per member
            found, its parameters read from its job's hyperparameters.

    Raises:
        ValueError: ``campaign`` is another campaign than ``name``.
    """
    if campaign is not None and campaign.name != name:
        raise ValueError(f"campaign is {campaign.name!r}, not {name!r}")
    jobs = jobs_of(client)
    found = await campaign_jobs(jobs, name)
    return await build_report(jobs, name, members_of(campaign, found))


async def cancel_campaign(client: HasJobs | CampaignJobs, name: str) -> list[FineTuningJob]:
    """Cancel every job of campaign ``name`` that has not ended; returns them as the server
    answered the cancel (a job that ended meanwhile is left out).

    A run of the campaign still going elsewhere keeps submitting: stop it there
    (``run.cancel()``, Ctrl-C).
    """
    jobs = jobs_of(client)
    kind = identity_of(jobs)
    listed = jobs.find(metadata=member_filter(kind, name))
    found = by_member([job async for job in listed if not job.is_terminal], name, kind)
    targets = [job for attempts in found.values() for job in attempts.values()]
    return await cancel_jobs(jobs, targets)
