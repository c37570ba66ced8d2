"""Campaigns: many fine-tuning jobs run to completion under the provider's limits, resumable
from their name alone, with their results side by side.

A [`Campaign`][ftjobs.Campaign] is a name and its members (each the arguments of one
``client.jobs.create``); ``client.jobs.run_campaign(campaign, max_active=3)`` runs it and
gives a [`CampaignRun`][ftjobs.CampaignRun]; its [`CampaignReport`][ftjobs.CampaignReport]
has one row per member. Every member's job carries the campaign's name, its index and its
attempt in its ``metadata`` (in a tag in its ``suffix`` on Together AI, which keeps no job
metadata), so the same call from any process finds what was created and never creates a
member twice. ``ftjobs`` re-exports `Campaign`, `CampaignRun`,
`CampaignReport`; the rest lives here.
"""

from ._clock import CampaignClock, RealClock
from ._identity import (
    ATTEMPT_KEY,
    CAMPAIGN_KEY,
    MEMBER_KEY,
    RESERVED_KEYS,
    idempotency_key,
    member_metadata,
)
from ._members import submit_member
from ._plan import CREATE_KEYS, HYPERPARAMETER_NAMES, MAX_NAME, Campaign, CampaignMemberSpec
from ._remote import campaign_report, cancel_campaign
from ._report import BEST_METRICS, CampaignReport, CampaignRow
from ._run import CampaignRun
from ._schedule import DATA_ERROR_CODES, DAY, is_data_error, next_daily_slot
from ._source import CampaignJobs
from ._updates import (
    CampaignMember,
    CampaignProgress,
    CampaignUpdate,
    MemberCreated,
    MemberEnded,
    MemberFound,
    MemberRetried,
    OnCampaignUpdate,
    SlotWait,
)

__all__ = [
    "ATTEMPT_KEY",
    "BEST_METRICS",
    "CAMPAIGN_KEY",
    "CREATE_KEYS",
    "DATA_ERROR_CODES",
    "DAY",
    "HYPERPARAMETER_NAMES",
    "MAX_NAME",
    "MEMBER_KEY",
    "RESERVED_KEYS",
    "Campaign",
    "CampaignClock",
    "CampaignJobs",
    "CampaignMember",
    "CampaignMemberSpec",
    "CampaignProgress",
    "CampaignReport",
    "CampaignRow",
    "CampaignRun",
    "CampaignUpdate",
    "MemberCreated",
    "MemberEnded",
    "MemberFound",
    "MemberRetried",
    "OnCampaignUpdate",
    "RealClock",
    "SlotWait",
    "campaign_report",
    "cancel_campaign",
    "idempotency_key",
    "is_data_error",
    "member_metadata",
    "next_daily_slot",
    "submit_member",
]
