from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftjobs._errors import FTJobsError, InvalidContinuationToken
from ftjobs.waiting._policy import PollPolicy, PollState
from ftjobs.waiting._token import (
    MAX_TOKEN_LENGTH,
    ContinuationToken,
    base_url_fingerprint,
    is_token,
)

BASE = "https://api.openai.com/v1"


def make_token(**overrides: Any) -> ContinuationToken:
    fields: dict[str, Any] = {
        "job_id": "ftjob-abc123",
        "base_url_fingerprint": base_url_fingerprint(BASE),
        "last_event_id": "ftevent-42",
        "budget_left": 3600.5,
        "last_status": "running",
        "queued_used": 12.25,
        "attempt": 3,
        "issued_at": 1_700_000_000.0,
    }
    fields.update(overrides)
    return ContinuationToken(**fields)


def forge(body: Any, *, prefix: str = "ftjw1", raw: bytes | None = None) -> str:
    """A token with a valid checksum around an arbitrary payload (written independently of
    the module, so the test checks the format rather than mirrors the code)."""
    data = raw if raw is not None else json.dumps(body).encode()
    payload = base64.urlsafe_b64encode(data).decode().rstrip("=")
    signed = f"{prefix}.{payload}"
    return f"{signed}.{hashlib.sha256(signed.encode()).hexdigest()[:8]}"


def good_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "j": "ftjob-abc123",
        "u": base_url_fingerprint(BASE),
        "e": None,
        "b": 10,
        "s": "queued",
        "q": 0,
        "n": 0,
        "t": 1_700_000_000,
        "c": None,
    }
    body.update(overrides)
    return body


# --- fingerprint -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "same",
    [
        "https://api.openai.com/v1/",
        "HTTPS://API.OpenAI.com/v1",
        "https://api.openai.com:443/v1",
        "https://user:sk-secret@api.openai.com/v1",
        "https://api.openai.com/v1?api-version=2024-10-21#frag",
        "  https://api.openai.com/v1  ",
    ],
)
def test_fingerprint_normalises(same: str) -> None:
    assert base_url_fingerprint(same) == base_url_fingerprint(BASE)


@pytest.mark.parametrize(
    "other",
    [
        "http://api.openai.com/v1",
        "https://api.openai.com/v2",
        "https://api.openai.com:8443/v1",
        "https://example.openai.azure.com/openai",
        "https://api.openai.com/V1",
    ],
)
def test_fingerprint_distinguishes(other: str) -> None:
    assert base_url_fingerprint(other) != base_url_fingerprint(BASE)


def test_fingerprint_shape_and_ipv6() -> None:
    fp = base_url_fingerprint("http://[::1]:8080/v1")
    assert len(fp) == 16
    assert int(fp, 16) >= 0
    assert fp != base_url_fingerprint("http://[::1]:8081/v1")
    assert base_url_fingerprint("http://[::1]:80/v1") == base_url_fingerprint("http://[::1]/v1")
    with pytest.raises(ValueError, match="invalid base_url"):
        base_url_fingerprint("http://host:notaport/v1")


# --- round trip ------------------------------------------------------------------------------


def test_round_trip() -> None:
    token = make_token()
    encoded = token.encode()
    assert encoded.startswith("ftjw1.")
    assert encoded.isascii()
    assert len(encoded) < 300
    assert ContinuationToken.decode(encoded, base_url=BASE) == token
    # Copy-paste whitespace is forgiven.
    assert ContinuationToken.decode(f"  {encoded}\n", base_url=BASE) == token


def test_token_carries_no_url_or_secret() -> None:
    url = "https://user:sk-secret@private-gw.internal/v1"
    state = PollState.start(PollPolicy(), now=0.0)
    encoded = ContinuationToken.from_state(
        "ftjob-1", state, now=0.0, wall_now=1e9, base_url=url
    ).encode()
    decoded_payload = base64.urlsafe_b64decode(encoded.split(".")[1] + "==").decode()
    for secret in ("sk-secret", "private-gw", "user"):
        assert secret not in encoded
        assert secret not in decoded_payload


@settings(max_examples=100, deadline=None)
@given(
    job_id=st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.:-]{0,40}", fullmatch=True),
    event=st.none() | st.from_regex(r"ftevent-[A-Za-z0-9]{1,30}", fullmatch=True),
    budget=st.none() | st.floats(0, 1e9).map(lambda x: round(x, 3)),
    status=st.none() | st.sampled_from(["queued", "running", "notRunning", "paused"]),
    queued=st.floats(0, 1e7).map(lambda x: round(x, 3)),
    attempt=st.integers(0, 1_000_000),
)
def test_round_trip_property(
    job_id: str,
    event: str | None,
    budget: float | None,
    status: str | None,
    queued: float,
    attempt: int,
) -> None:
    token = make_token(
        job_id=job_id,
        last_event_id=event,
        budget_left=budget,
        last_status=status,
        queued_used=queued,
        attempt=attempt,
    )
    assert ContinuationToken.decode(token.encode(), base_url=BASE) == token


def test_state_round_trip_charges_the_gap() -> None:
    policy = PollPolicy(timeout=1000.0)
    state = PollState.start(policy, now=100.0)
    state = state.after_poll("queued", now=100.0, last_event_id="ftevent-1")
    state = state.after_poll("queued", now=160.0)
    token = ContinuationToken.from_state(
        "ftjob-1", state, now=200.0, wall_now=5_000.0, base_url=BASE
    )
    assert token.budget_left == 900.0
    assert token.queued_used == 100.0
    assert (token.last_status, token.attempt, token.last_event_id) == ("queued", 1, "ftevent-1")

    # Resumed in another process 50 wall seconds later, on a different monotonic clock.
    decoded = ContinuationToken.decode(token.encode(), base_url=BASE)
    resumed = decoded.to_state(now=7.0, wall_now=5_050.0)
    assert resumed.time_left(7.0) == 850.0
    assert resumed.queued_used_at(7.0) == 150.0
    assert resumed.attempt == 1
    assert resumed.last_event_id == "ftevent-1"
    assert resumed.consecutive_failures == 0
    assert resumed.after_poll("queued", now=8.0).attempt == 2
    # A wall clock behind the issuer's never adds budget.
    assert decoded.to_state(now=0.0, wall_now=4_000.0).time_left(0.0) == 900.0


def test_both_cursors_ride_in_the_state_and_the_token() -> None:
    state = PollState.start(PollPolicy(), now=0.0)
    state = state.after_poll("running", now=1.0, last_event_id="ftevent-1", last_checkpoint_id="c1")
    state = state.after_poll("running", now=2.0)  # a poll that saw nothing new keeps both
    token = ContinuationToken.from_state("ftjob-1", state, now=3.0, wall_now=10.0, base_url=BASE)
    assert (token.last_event_id, token.last_checkpoint_id) == ("ftevent-1", "c1")
    resumed = ContinuationToken.decode(token.encode(), base_url=BASE).to_state(
        now=0.0, wall_now=10.0
    )
    assert (resumed.last_event_id, resumed.last_checkpoint_id) == ("ftevent-1", "c1")


def test_state_round_trip_unbounded_and_expired() -> None:
    forever = PollState.start(PollPolicy(timeout=None), now=0.0)
    token = ContinuationToken.from_state("ftjob-1", forever, now=5.0, wall_now=1.0, base_url=BASE)
    assert token.budget_left is None
    assert token.last_status is None
    resumed = token.to_state(now=0.0, wall_now=99.0)
    assert resumed.deadline is None
    assert resumed.last_poll_at is None

    spent = PollState.start(PollPolicy(timeout=10.0), now=0.0)
    token = ContinuationToken.from_state("ftjob-1", spent, now=50.0, wall_now=1.0, base_url=BASE)
    assert token.budget_left == 0.0


# --- invalid tokens --------------------------------------------------------------------------


def assert_invalid(token: object, match: str, base_url: str = BASE) -> None:
    with pytest.raises(InvalidContinuationToken, match=match) as info:
        ContinuationToken.decode(token, base_url=base_url)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, FTJobsError)


def test_other_base_url() -> None:
    assert_invalid(make_token().encode(), "different base URL", "https://gw.example.com/v1")


@pytest.mark.parametrize("value", [None, 42, b"ftjw1.abc.def"])
def test_not_a_string(value: object) -> None:
    assert_invalid(value, "must be a str")


def test_too_long() -> None:
    assert_invalid("ftjw1." + "A" * MAX_TOKEN_LENGTH, "too long")


@pytest.mark.parametrize("value", ["", "hello", "ftjw.abc.def", "sk-abc.def.ghi", "FTJW1.a.b"])
def test_not_a_token(value: str) -> None:
    assert_invalid(value, "not an ftjobs continuation token")


def test_unknown_version() -> None:
    assert_invalid(forge(good_body(), prefix="ftjw2"), "unsupported continuation token version 2")
    assert_invalid("ftjw0.abc.12345678", "version 0")


def test_truncated() -> None:
    encoded = make_token().encode()
    for cut in (len(encoded) - 1, len(encoded) - 9, len(encoded) // 2, 6):
        with pytest.raises(InvalidContinuationToken, match="malformed"):
            ContinuationToken.decode(encoded[:cut], base_url=BASE)


def test_tampered() -> None:
    encoded = make_token().encode()
    prefix, payload, check = encoded.split(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    assert_invalid(f"{prefix}.{flipped}.{check}", "checksum mismatch")
    # Editing the payload and recomputing the checksum is possible (it is not a signature),
    # but the content is still checked: a budget cannot be made negative, for instance.
    assert_invalid(forge(good_body(b=-1)), "budget_left")


@pytest.mark.parametrize(
    "value",
    [
        "ftjw1.abc$def.12345678",
        "ftjw1.abc.XYZ",
        "ftjw1.abc.def.12345678",
        "ftjw1..12345678",
    ],
)
def test_malformed(value: str) -> None:
    assert_invalid(value, "malformed")


def test_garbage_payloads() -> None:
    assert_invalid(forge(None, raw=b"\xff\xfe not utf-8"), "not valid JSON")
    assert_invalid(forge(None, raw=b"{not json"), "not valid JSON")
    assert_invalid(forge(None, raw=b'{"j": NaN}'), "not valid JSON")
    assert_invalid(forge(None, raw=b'{"j": "a", "j": "b"}'), "duplicate key")
    assert_invalid(forge(["ftjob-1"]), "must be a JSON object")
    # A one-character payload (4n+1 characters) is never valid base64.
    signed = "ftjw1.A"
    assert_invalid(f"{signed}.{hashlib.sha256(signed.encode()).hexdigest()[:8]}", "base64")


def test_unknown_and_missing_keys() -> None:
    assert_invalid(forge(good_body(api_key="sk-123")), r"unknown keys \['api_key'\]")
    body = good_body()
    del body["u"]
    assert_invalid(forge(body), r"lacks keys \['u'\]")


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"j": 123}, "job_id"),
        ({"j": ""}, "job_id"),
        ({"j": "../files/file-1"}, "job_id"),
        ({"j": "ftjob 1"}, "job_id"),
        ({"j": "x" * 300}, "job_id"),
        ({"u": "ABCDEF0123456789"}, "base_url_fingerprint"),
        ({"u": 7}, "base_url_fingerprint"),
        ({"e": 5}, "last_event_id"),
        ({"e": "a/b"}, "last_event_id"),
        ({"b": "100"}, "budget_left"),
        ({"b": True}, "budget_left"),
        ({"s": 3}, "last_status"),
        ({"s": "run ning"}, "last_status"),
        ({"q": None}, "queued_used"),
        ({"q": -0.5}, "queued_used"),
        ({"n": 1.0}, "attempt"),
        ({"n": False}, "attempt"),
        ({"n": -1}, "attempt"),
        ({"n": 10**7}, "attempt"),
        ({"t": None}, "issued_at"),
        ({"t": [1]}, "issued_at"),
    ],
)
def test_wrong_types(override: dict[str, Any], match: str) -> None:
    assert_invalid(forge(good_body(**override)), match)


def test_overflowing_number() -> None:
    raw = json.dumps(good_body(b=123)).replace("123", "1e400").encode()
    assert_invalid(forge(None, raw=raw), "budget_left")


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="job_id"):
        make_token(job_id="a b")
    with pytest.raises(ValueError, match="queued_used"):
        make_token(queued_used=float("nan"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ftjw1.abc.12345678", True),
        ("ftjw9.abc.12345678", True),  # another version: decoding says so, not a 404
        ("ftjw1.", True),
        ("ftjob-abc", False),
        ("ftjw1", False),
        ("ftjw.abc.def", False),
        ("FTJW1.a.b", False),
    ],
)
def test_is_token_looks_only_at_the_versioned_prefix(value: str, expected: bool) -> None:
    assert is_token(value) is expected


def test_parse_checks_everything_but_the_base_url() -> None:
    token = make_token().encode()
    assert ContinuationToken.parse(token) == ContinuationToken.decode(token, base_url=BASE)
    with pytest.raises(InvalidContinuationToken, match="checksum"):
        ContinuationToken.parse(token[:-1] + ("0" if token[-1] != "0" else "1"))
