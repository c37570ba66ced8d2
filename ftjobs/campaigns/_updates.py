"""What a running campaign tells: each member as it ends, the typed updates handed to
``on_update``, and a snapshot of its progress."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from .._models import FineTuningJob
from ._schedule import describe_seconds

__all__ = [
    "CampaignMember",
    "CampaignProgress",
    "CampaignUpdate",
    "MemberCreated",
    "MemberEnded",
    "MemberFound",
    "MemberRetried",
    "OnCampaignUpdate",
    "SlotWait",
]


@attrs.frozen
class CampaignMember:
    """A member whose job ended (for good: a retried attempt is not one).

    Attributes:
        index: The member's index in its campaign.
        params: Its parameters (its grid point).
        job: Its last attempt's job, terminal.
        attempts: The ids of every attempt's job, oldest first.
    """

    index: int
    params: Mapping[str, Any]
    job: FineTuningJob
    attempts: tuple[str, ...]

    @property
    def succeeded(self) -> bool:
        """Whether its job succeeded."""
        return self.job.status == "succeeded"


@attrs.frozen
class MemberCreated:
    """A member's job was created by this run (``attempt`` 0, or a re-creation)."""

    index: int
    attempt: int
    job: FineTuningJob

    def __str__(self) -> str:
        again = f" (attempt {self.attempt})" if self.attempt else ""
        return f"member {self.index}: created {self.job.id}{again}"


@attrs.frozen
class MemberFound:
    """A member's job was found on the server (created earlier, by this process or another):
    it is followed, never created again."""

    index: int
    attempt: int
    job: FineTuningJob

    def __str__(self) -> str:
        return f"member {self.index}: found {self.job.id} ({self.job.status})"


@attrs.frozen
class MemberRetried:
    """A member's job failed for a server-side reason; attempt ``attempt`` will be created."""

    index: int
    attempt: int
    failed: FineTuningJob

    def __str__(self) -> str:
        code = self.failed.error.code if self.failed.error else None
        why = f" [{code}]" if code else ""
        return f"member {self.index}: {self.failed.id} failed{why}; attempt {self.attempt} next"


@attrs.frozen
class MemberEnded:
    """A member ended for good (succeeded, failed without a retry left, or cancelled)."""

    member: CampaignMember

    def __str__(self) -> str:
        return f"member {self.member.index}: {self.member.job.id} {self.member.job.status}"


@attrs.frozen
class SlotWait:
    """The campaign waits for a slot of ``model``.

    Attributes:
        model: The base model whose limit was reached.
        until: When the slot opens (the campaign clock's seconds); ``None`` when the campaign
            waits for one of its own jobs to end.
        reason: ``"daily_limit"`` (the daily quota: waited out, never retried in seconds) or
            ``"active_limit"`` (too many active jobs).
        seconds: How long the wait is from when it began (``None`` with ``until``).
    """

    model: str
    until: float | None
    reason: Literal["daily_limit", "active_limit"]
    seconds: float | None = None

    def __str__(self) -> str:
        if self.seconds is not None:
            return f"next slot for {self.model} in {describe_seconds(self.seconds)}"
        return f"next slot for {self.model} when one of the campaign's active jobs ends"


CampaignUpdate: TypeAlias = MemberCreated | MemberFound | MemberRetried | MemberEnded | SlotWait
"""What ``on_update`` of ``client.jobs.run_campaign`` receives."""

OnCampaignUpdate: TypeAlias = Callable[[CampaignUpdate], Awaitable[None] | None]
"""An ``on_update=`` callback: called (or awaited) with each update, in order."""


@attrs.frozen
class CampaignProgress:
    """A snapshot of a running campaign (``run.progress``).

    Attributes:
        active: Members whose job is not terminal.
        pending: Members not yet submitted by this run (new ones and retries).
        done: Members that ended for good.
        failed: Of those, how many did not succeed.
        next_slot: ``(model, when)`` of the daily slot the run waits for, else ``None``.
    """

    active: int
    pending: int
    done: int
    failed: int
    next_slot: tuple[str, float] | None
