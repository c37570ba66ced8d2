"""Who a job is in a campaign: what a member's create carries so the server can tell it apart,
and the reading of it back from a job the server lists (pure).

There are two ways, the provider's dialect choosing (`IdentityKind`): ``"metadata"`` (the
OpenAI-shaped APIs) and ``"suffix"`` (Together AI, whose jobs keep no metadata).

The server holds the truth: a member's job carries ``ftjobs_campaign`` (the campaign's name),
``ftjobs_member`` (its index) and ``ftjobs_attempt`` (0 for the first create, then one more per
re-creation after a server-side failure). A resumed campaign finds its members by these keys,
so a member is never created twice, even after the idempotency keys have expired. The key
itself is derived from the same three values, so two processes creating the same attempt at
once get one job from a server that honours ``Idempotency-Key``.

A provider without metadata (``"suffix"``) gets the same three values in the job's ``suffix``,
as a short tag ``c{8 hex of sha256(name)}-m{index}-a{attempt}`` (at most 31 characters, within
Together's 40): a member's own ``suffix`` is then refused, and the campaign's jobs are found by
listing every job (Together's list is one page) and reading the tag back. Such a provider has
no idempotency key either: the one create in flight when a process dies is the window in which
a member could be created twice (find-before-create covers every other case).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

from .._errors import CampaignPlanError
from .._models import FineTuningJob

__all__ = [
    "ATTEMPT_KEY",
    "CAMPAIGN_KEY",
    "MEMBER_KEY",
    "RESERVED_KEYS",
    "IdentityKind",
    "MemberRef",
    "check_own_fields",
    "create_fields",
    "idempotency_key",
    "member_filter",
    "member_metadata",
    "member_of",
    "suffix_tag",
    "tag_member",
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

IdentityKind: TypeAlias = Literal["metadata", "suffix"]
"""Where a member's identity lives on its job: its ``metadata`` (with an idempotency key on
the create) or its ``suffix`` (a provider that keeps no metadata)."""

_TAG = re.compile(r"c([0-9a-f]{8})-m([0-9]{1,9})-a([0-9]{1,9})")


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


def member_of(job: FineTuningJob, name: str, kind: IdentityKind = "metadata") -> MemberRef | None:
    """The (index, attempt) of ``job`` in campaign ``name``, or ``None`` when the job is not
    one of its members (another campaign's, a hand-made one, or an identity that does not
    parse)."""
    if kind == "suffix":
        # The adapter keeps Together's ``suffix`` field, unknown to the model, in ``extra``.
        return tag_member(job.extra.get("suffix"), name)
    metadata = job.metadata or {}
    if metadata.get(CAMPAIGN_KEY) != name:
        return None
    index = _count(metadata.get(MEMBER_KEY))
    attempt = _count(metadata.get(ATTEMPT_KEY))
    if index is None or attempt is None:
        return None
    return index, attempt


def _name_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def suffix_tag(name: str, index: int, attempt: int) -> str:
    """The ``suffix`` of a member's create where the identity is ``"suffix"``:
    ``c{8 hex of sha256(name)}-m{index}-a{attempt}``."""
    return f"c{_name_hash(name)}-m{index}-a{attempt}"


def tag_member(tag: object, name: str) -> MemberRef | None:
    """The (index, attempt) a `suffix_tag` of campaign ``name`` holds, or ``None`` (another
    campaign's tag, a suffix of the user's own, nothing)."""
    if not isinstance(tag, str):
        return None
    match = _TAG.fullmatch(tag)
    if match is None or match[1] != _name_hash(name):
        return None
    index, attempt = _count(match[2]), _count(match[3])
    if index is None or attempt is None:
        return None
    return index, attempt


def check_own_fields(kind: IdentityKind, where: str, create: Mapping[str, Any]) -> None:
    """Refuse a member's create arguments that would overwrite its identity.

    Raises:
        CampaignPlanError: A ``"suffix"`` identity and a member with its own ``suffix``.
    """
    if kind == "suffix" and create.get("suffix") is not None:
        raise CampaignPlanError(
            f"{where}.suffix: this provider keeps no job metadata, so a campaign member's "
            "suffix holds its identity; remove the member's own suffix"
        )


def create_fields(
    kind: IdentityKind, name: str, index: int, attempt: int, create: Mapping[str, Any]
) -> dict[str, Any]:
    """The keywords of a member's ``jobs.create``: its own, plus its identity (metadata and
    idempotency key, or the suffix tag).

    Raises:
        CampaignPlanError: See `check_own_fields`.
    """
    kwargs = dict(create)
    if kind == "suffix":
        check_own_fields(kind, f"members[{index}]", kwargs)
        kwargs["suffix"] = suffix_tag(name, index, attempt)
        return kwargs
    own: Mapping[str, str] | None = kwargs.pop("metadata", None)
    kwargs["metadata"] = member_metadata(name, index, attempt, own)
    kwargs["idempotency_key"] = idempotency_key(name, index, attempt)
    return kwargs


def member_filter(
    kind: IdentityKind, name: str, index: int | None = None, attempt: int | None = None
) -> dict[str, str] | None:
    """The ``metadata`` filter of a ``jobs.find`` for campaign ``name`` (one member's attempt
    when both are given), or ``None`` (every job: a ``"suffix"`` identity cannot be searched
    for on the server, the jobs are told apart by `member_of`)."""
    if kind == "suffix":
        return None
    if index is None or attempt is None:
        return {CAMPAIGN_KEY: name}
    return member_metadata(name, index, attempt)
