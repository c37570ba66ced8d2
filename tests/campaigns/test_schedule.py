"""The campaign's pure decisions: slots, caps, the next member, retries, backoff."""

from __future__ import annotations

import pytest

import ftjobs
from ftjobs import DailyLimitError, RateLimitError
from ftjobs.campaigns import _schedule as plan
from ftjobs.types import JobError

DAY = plan.DAY
NOW = 1_800_000_000.0


def test_the_next_daily_slot_is_a_day_after_the_oldest_create_in_the_window() -> None:
    creates = [NOW - DAY - 5, NOW - 6 * 3600, NOW - 3600, NOW - 60]  # the first is outside
    assert plan.next_daily_slot(creates, now=NOW) == NOW - 6 * 3600 + DAY + plan.SLOT_MARGIN
    # Order does not matter; creates "after now" (clock skew) are ignored.
    assert plan.next_daily_slot(reversed(creates), now=NOW) == plan.next_daily_slot(
        creates, now=NOW
    )
    assert plan.next_daily_slot([NOW + 30, NOW - 10], now=NOW) == NOW - 10 + DAY + 1
    # None seen (the quota counts jobs this key cannot list): look again later.
    assert plan.next_daily_slot([], now=NOW) == NOW + plan.UNKNOWN_SLOT_WAIT
    # A create on the window's edge is out of it.
    assert plan.next_daily_slot([NOW - DAY], now=NOW) == NOW + plan.UNKNOWN_SLOT_WAIT


def test_the_active_cap_and_leave_free() -> None:
    assert plan.active_cap(3, 0, 3, first_batch_done=True) == 3
    assert plan.active_cap(3, 1, 3, first_batch_done=False) == 3  # the first batch runs whole
    assert plan.active_cap(3, 1, 3, first_batch_done=True) == 2
    assert plan.active_cap(5, 1, 3, first_batch_done=True) == 2  # observed slots, not max_active
    assert plan.active_cap(2, 1, 5, first_batch_done=True) == 2  # max_active still bounds it
    assert plan.active_cap(3, 3, 2, first_batch_done=True) == 1  # never below one
    assert plan.active_cap(3, 1, 0, first_batch_done=True) == 3  # nothing observed yet
    assert plan.submit_count(active=1, pending=5, cap=3) == 2
    assert plan.submit_count(active=1, pending=1, cap=3) == 1
    assert plan.submit_count(active=4, pending=5, cap=3) == 0


def test_the_next_member_skips_models_waiting_for_their_daily_slot() -> None:
    models = {0: "a", 1: "a", 2: "b"}
    assert plan.next_member([0, 1, 2], models, {}, now=NOW) == 0
    assert plan.next_member([0, 1, 2], models, {"a": NOW + 1}, now=NOW) == 2
    assert plan.next_member([0, 1], models, {"a": NOW + 1}, now=NOW) is None
    assert plan.next_member([0, 1], models, {"a": NOW}, now=NOW) == 0  # the slot has opened
    assert plan.next_member([], models, {}, now=NOW) is None


@pytest.mark.parametrize(
    ("code", "param", "data"),
    [
        ("invalid_training_file", "training_file", True),
        ("invalid_file_format", None, True),
        ("invalid_anything", None, True),
        ("file_too_large", None, True),
        ("some_code", "validation_file", True),
        ("internal_error", None, False),
        ("server_error", None, False),
        (None, None, False),
    ],
)
def test_data_errors(code: str | None, param: str | None, data: bool) -> None:
    assert plan.is_data_error(JobError(code=code, param=param)) is data


def test_which_ended_members_are_created_again() -> None:
    server = JobError(code="internal_error")
    data = JobError(code="invalid_training_file", param="training_file")
    assert plan.retry_member("failed", server, 0, 1, stopping=False)
    assert not plan.retry_member("failed", server, 1, 1, stopping=False)  # no retry left
    assert not plan.retry_member("failed", server, 0, 0, stopping=False)
    assert not plan.retry_member("failed", data, 0, 5, stopping=False)
    assert not plan.retry_member("cancelled", None, 0, 5, stopping=False)
    assert not plan.retry_member("succeeded", None, 0, 5, stopping=False)
    assert not plan.retry_member("failed", server, 0, 5, stopping=True)
    assert plan.retry_member("failed", None, 0, 1, stopping=False)  # no error: server-side


def test_active_limits_and_their_backoff() -> None:
    daily = DailyLimitError("quota", status_code=429, code="daily_rate_limit_exceeded")
    busy = RateLimitError("busy", status_code=429, code="rate_limit_exceeded")
    assert plan.is_active_limit(busy) and not plan.is_active_limit(daily)
    assert not plan.is_active_limit(ValueError("x"))
    assert [plan.active_backoff(n) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert plan.active_backoff(50) == plan.ACTIVE_BACKOFF_CAP


def test_waits_read_like_people_write_them() -> None:
    assert plan.describe_seconds(6 * 3600 + 12 * 60 + 29) == "6 h 12 min"
    assert plan.describe_seconds(2 * 3600) == "2 h"
    assert plan.describe_seconds(12 * 60 + 5) == "12 min"
    assert plan.describe_seconds(40.4) == "40 s"
    assert plan.describe_seconds(-3) == "0 s"


def test_transient_create_failures_and_their_backoff() -> None:
    assert plan.is_transient(ftjobs.APIConnectionError("reset"))
    assert plan.is_transient(ftjobs.APITimeoutError("slow"))
    assert plan.is_transient(ftjobs.InternalServerError("x", status_code=503))
    assert plan.is_transient(ftjobs.ConflictError("in flight", status_code=409))
    assert not plan.is_transient(ftjobs.BadRequestError("bad", status_code=400))
    assert not plan.is_transient(ftjobs.RateLimitError("busy", status_code=429))
    assert [plan.transient_backoff(n) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert plan.transient_backoff(40) == plan.ACTIVE_BACKOFF_CAP
