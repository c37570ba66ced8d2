"""The pure decisions of a distributed campaign's member task."""

from __future__ import annotations

import math

import pytest

from ftjobs.contrib._members import (
    check_max_active,
    check_retry_failed,
    lease_hold,
    member_of_task,
    member_task_id,
    quota_defer,
)


def test_a_member_task_id_names_its_campaign_and_index_and_reads_back() -> None:
    assert member_task_id("lr-sweep", 7) == "ftjobs:member:lr-sweep:7"
    assert member_of_task(member_task_id("a:b c", 12)) == ("a:b c", 12)


@pytest.mark.parametrize(
    "task_id", ["ftjobs:wait:ftjob-1", "ftjobs:member:x", "ftjobs:member::3", "ftjobs:member:x:³"]
)
def test_other_task_ids_are_no_member(task_id: str) -> None:
    assert member_of_task(task_id) is None


def test_a_lease_outlasts_the_next_step_by_the_grace() -> None:
    assert lease_hold(5.0, 60.0) == 65.0
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="delay"):
            lease_hold(bad, 60.0)


def test_a_quota_defers_until_its_time_and_not_after() -> None:
    assert quota_defer(None, 1_000) is None
    assert quota_defer(1_000, 1_000) is None
    assert quota_defer(4_500, 1_000) == 3.5


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3", None])
def test_max_active_is_a_positive_int(value: object) -> None:
    with pytest.raises(ValueError, match="max_active"):
        check_max_active(value)
    assert check_max_active(3) == 3


@pytest.mark.parametrize("value", [-1, 0.5, False, "1"])
def test_retry_failed_is_a_non_negative_int(value: object) -> None:
    with pytest.raises(ValueError, match="retry_failed"):
        check_retry_failed(value)
    assert check_retry_failed(0) == 0
