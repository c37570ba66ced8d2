"""The pure retry decision: which failures are retried and how long to wait."""

from __future__ import annotations

import email.utils
import random

import pytest

from ftjobs._retry import (
    RetryPolicy,
    exponential_backoff,
    gateway_exhausted,
    parse_http_date,
    parse_retry_after,
    parse_seconds,
    retry_delay,
    should_retry,
)

NOW = 1_700_000_000.0


def clock() -> float:
    return NOW


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(status: int) -> None:
    assert should_retry(status, {})


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    assert not should_retry(status, {})


def test_connection_failures_are_retried() -> None:
    assert should_retry(None)


def test_x_should_retry_overrides_status() -> None:
    assert should_retry(400, {"x-should-retry": "true"})
    assert not should_retry(503, {"x-should-retry": "false"})
    assert should_retry(503, {"x-should-retry": "maybe"})


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}, clock) == 1.5


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after({"retry-after": "3"}, clock) == 3.0
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    assert parse_retry_after({"retry-after": date}, clock) == pytest.approx(7.0)
    assert parse_retry_after({"retry-after": "garbage"}, clock) is None
    assert parse_retry_after({}, clock) is None


def test_delay_honours_retry_after_within_cap() -> None:
    policy = RetryPolicy()
    assert retry_delay(policy, 1, {"retry-after": "4"}, now=clock) == 4.0


def test_delay_ignores_retry_after_beyond_cap() -> None:
    policy = RetryPolicy(max_retry_after=10)
    delay = retry_delay(policy, 1, {"retry-after": "3600"}, rng=random.Random(1), now=clock)
    assert delay <= policy.initial_delay


def test_exponential_backoff_with_jitter_and_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=8, jitter=0.25)
    rng = random.Random(42)
    for n, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delay = retry_delay(policy, n, None, rng=rng, now=clock)
        assert base * 0.75 <= delay <= base


def test_no_jitter_is_exact() -> None:
    policy = RetryPolicy(jitter=0)
    assert retry_delay(policy, 3, None, now=clock) == 2.0


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_max_retries_must_be_a_natural_number(bad: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=bad)  # type: ignore[arg-type]


def test_gateway_exhausted_means_no_retry() -> None:
    exhausted = {"x-portkey-retry-attempt-count": "-1"}
    assert gateway_exhausted(exhausted)
    assert not gateway_exhausted({"x-portkey-retry-attempt-count": "3"})
    assert not gateway_exhausted(None)
    for status in (429, 500, 503, None):
        assert not should_retry(status, exhausted)
    # The gateway's verdict wins over a retry hint it passed through from upstream.
    assert not should_retry(503, {**exhausted, "x-should-retry": "true"})
    # A gateway that retried some and still answered 503 leaves the decision to us.
    assert should_retry(503, {"x-portkey-retry-attempt-count": "2"})


def test_gateway_verdict_can_be_ignored_for_transience() -> None:
    exhausted = {"x-portkey-retry-attempt-count": "-1"}
    assert should_retry(503, exhausted, gateway_retries=False)
    assert not should_retry(400, exhausted, gateway_retries=False)


def test_exponential_backoff_grows_then_caps_and_never_overflows() -> None:
    assert [exponential_backoff(0.5, 2.0, n, 3.0) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert exponential_backoff(1.0, 3.0, 10_000, 60.0) == 60.0


@pytest.mark.parametrize(
    "raw",
    ["1e3", "-5", "+5", "1_000", "inf", "nan", "\u0663", "9" * 400, "", "5 s", "0x10"],
)
def test_only_plain_ascii_numbers_are_seconds(raw: str) -> None:
    assert parse_seconds(raw) is None
    assert parse_retry_after({"retry-after": raw}, clock) is None


def test_plain_numbers_are_seconds_in_their_unit() -> None:
    assert parse_seconds(" 7 ") == 7.0
    assert parse_seconds("2.5") == 2.5
    assert parse_seconds("2500", 0.001) == 2.5


@pytest.mark.parametrize(
    "raw",
    [
        "Mon, 01 Jan 2024 00:00:00 +9999999999999",
        "Sat, 01 Jan 10000 00:00:00 GMT",
        "Mon, 99 Jan 2024 00:00:00 GMT",
        "tomorrow",
    ],
)
def test_an_unrepresentable_date_is_no_date(raw: str) -> None:
    assert parse_http_date(raw, clock) is None
    assert parse_retry_after({"Retry-After": raw}, clock) is None


def test_a_date_without_a_zone_is_gmt_and_a_past_date_is_now() -> None:
    date = email.utils.formatdate(NOW + 7, usegmt=True).replace("GMT", "-0000")
    assert parse_http_date(date, clock) == pytest.approx(7.0)
    assert parse_http_date(email.utils.formatdate(NOW - 60, usegmt=True), clock) == 0.0


def test_a_bad_first_header_falls_back_to_the_next() -> None:
    headers = {"retry-after-ms": "soon", "Retry-After": "4"}
    assert parse_retry_after(headers, clock) == 4.0
    assert parse_retry_after({"OpenAI-Poll-After-Ms": "nan", **headers}, clock, poll=True) == 4.0
