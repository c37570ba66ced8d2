"""A member's identity on the server (pure): the metadata and the suffix tag, each written by
the create and read back from a listed job."""

from __future__ import annotations

import hashlib

import pytest

from ftjobs import CampaignPlanError, FineTuningJob
from ftjobs._converter import structure
from ftjobs.campaigns._identity import (
    create_fields,
    idempotency_key,
    member_filter,
    member_of,
    suffix_tag,
    tag_member,
)


def _job(**fields: object) -> FineTuningJob:
    body = {"id": "ft-1", "object": "fine_tuning.job", "model": "m", "created_at": 1}
    body["status"] = "running"
    return structure({**body, **fields}, FineTuningJob)


def test_the_suffix_tag_is_short_deterministic_and_read_back() -> None:
    tag = suffix_tag("grid-ä", 12, 3)
    head = hashlib.sha256("grid-ä".encode()).hexdigest()[:8]
    assert tag == f"c{head}-m12-a3" == suffix_tag("grid-ä", 12, 3)
    assert tag_member(tag, "grid-ä") == (12, 3)
    # The longest tag fits Together's 40-character suffix.
    assert len(suffix_tag("x" * 500, 999_999_999, 999_999_999)) <= 40
    assert tag_member(suffix_tag("x", 999_999_999, 0), "x") == (999_999_999, 0)


@pytest.mark.parametrize(
    "tag",
    [
        None,
        "bot",
        suffix_tag("other", 1, 0),  # another campaign's
        suffix_tag("grid", 1, 0) + "x",
        suffix_tag("grid", 1, 0).replace("-m1", "-m01"),  # not what the tag writes
        suffix_tag("grid", 1, 0).replace("-a0", "-a"),
        suffix_tag("grid", 1, 0).upper(),
        7,
    ],
)
def test_what_is_not_a_tag_of_the_campaign(tag: object) -> None:
    assert tag_member(tag, "grid") is None


def test_a_together_job_is_read_by_its_suffix_and_not_by_metadata() -> None:
    job = _job(suffix=suffix_tag("grid", 4, 1))
    assert member_of(job, "grid", "suffix") == (4, 1)
    assert member_of(job, "grid") is None  # no metadata
    assert member_of(_job(suffix="mine"), "grid", "suffix") is None
    metadata_job = _job(
        metadata={"ftjobs_campaign": "grid", "ftjobs_member": "4"} | {"ftjobs_attempt": "1"}
    )
    assert member_of(metadata_job, "grid") == (4, 1)
    assert member_of(metadata_job, "grid", "suffix") is None


def test_create_fields_by_identity() -> None:
    own = {"model": "m", "training_file": "f", "metadata": {"team": "a"}}
    assert create_fields("metadata", "grid", 2, 0, own) == {
        "model": "m",
        "training_file": "f",
        "metadata": {"team": "a", "ftjobs_campaign": "grid", "ftjobs_member": "2"}
        | {"ftjobs_attempt": "0"},
        "idempotency_key": idempotency_key("grid", 2, 0),
    }
    bare = {"model": "m", "training_file": "f"}
    assert create_fields("suffix", "grid", 2, 1, bare) == {
        **bare,
        "suffix": suffix_tag("grid", 2, 1),
    }
    assert bare == {"model": "m", "training_file": "f"}  # the member's own are not edited
    with pytest.raises(CampaignPlanError, match=r"members\[2\]\.suffix"):
        create_fields("suffix", "grid", 2, 0, {**bare, "suffix": "mine"})
    # Where the identity is metadata, a member's own suffix is the member's.
    assert create_fields("metadata", "grid", 2, 0, {**bare, "suffix": "mine"})["suffix"] == "mine"


def test_member_filter_by_identity() -> None:
    assert member_filter("metadata", "grid") == {"ftjobs_campaign": "grid"}
    assert member_filter("metadata", "grid", 1, 2) == {
        "ftjobs_campaign": "grid",
        "ftjobs_member": "1",
        "ftjobs_attempt": "2",
    }
    assert member_filter("suffix", "grid") is None  # every job, told apart by the tag
    assert member_filter("suffix", "grid", 1, 2) is None
