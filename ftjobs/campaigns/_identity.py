"""Who a job is in a campaign: the metadata and the idempotency key a member's create carries,
and the reading of them back from a job the server lists (pure).

The server holds the truth: a member's job carries ``ftjobs_campaign`` (the campaign's name),
``ftjobs_member`` (its index) and ``ftjobs_attempt`` (0 for the first create, then one more per
re-creation after a server-side failure). A resumed campaign finds its members by these keys,
so a member is never created twice, even after the idempotency keys have expired. The key
itself is derived from the same three values, so two processes creating the same attempt at
once get one job from a server that honours ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from .._models import FineTuningJob

__all__ = [
    "ATTEMPT_KEY",
    "CAMPAIGN_KEY",
    "MEMBER_KEY",
    "RESERVED_KEYS",
    "MemberRef",
    "idempotency_key",
    "member_metadata",
    "member_of",
]

CAMPAIGN_KEY = "ftjobs_campaign"
"""Metadata key holding the campaign's name."""
MEMBER_KEY = "ftjobs_member"
"""Metadata key holding the member's index (``"0"``, ``"1"``...)."""
ATTEMPT_KEY = "ftjobs_attempt"
"""Metadata key holding the attempt number (``"0"`` for the first create)."""
RESERVED_KEYS = frozenset({CAMPAIGN_KEY, MEMBER_KEY, ATTEMPT_KEY})
"""The metadata keys a campaign sets; a member's own metadata may not use them."""

MemberRef = tuple[int, int]
"""A member's job on the server: (member index, attempt)."""


def member_metadata(
    name: str, index: int, attempt: int, own: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The metadata of a member's create: its own, plus the three campaign keys."""
    return {
        **(own or {}),
        CAMPAIGN_KEY: name,
        MEMBER_KEY: str(index),
        ATTEMPT_KEY: str(attempt),
    }


def idempotency_key(name: str, index: int, attempt: int) -> str:
    """The ``Idempotency-Key`` of a member's create: the same for the same (name, index,
    attempt) in every process, at most 64 characters whatever the name."""
    digest = hashlib.sha256(f"{name}\0{index}\0{attempt}".encode()).hexdigest()[:40]
    return f"ftjobs-campaign-{digest}"


def _count(text: str | None) -> int | None:
    # "0", "17": canonical non-negative decimals only (what member_metadata writes).
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    if text != str(int(text)):
        return None
    return int(text)


def member_of(job: FineTuningJob, name: str) -> MemberRef | None:
    """The (index, attempt) of ``job`` in campaign ``name``, or ``None`` when the job is not
    one of its members (another campaign's, a hand-made one, or metadata that does not
    parse)."""
    metadata = job.metadata or {}
    if metadata.get(CAMPAIGN_KEY) != name:
        return None
    index = _count(metadata.get(MEMBER_KEY))
    attempt = _count(metadata.get(ATTEMPT_KEY))
    if index is None or attempt is None:
        return None
    return index, attempt
