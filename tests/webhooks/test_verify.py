"""The verifier: the Standard Webhooks reference library's own vectors, cross-checks against
it on generated deliveries, and the cases the issue names (tolerance both ways, several
signatures, a secret never shown)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import standardwebhooks
from hypothesis import given, settings
from hypothesis import strategies as st

import ftjobs
from ftjobs.webhooks import Webhooks, sign, signed_headers
from tests._support.webhooks import EVENT, SECRET

# The reference library's test vector (standard-webhooks, libraries/python/tests).
REF_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REF_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
REF_TIMESTAMP = 1614265330
REF_PAYLOAD = '{"test": 2432232314}'
REF_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = 1_750_000_000


def at(now: float, secret: str | None = SECRET) -> Webhooks:
    return Webhooks(secret, clock=lambda: now)


def delivery(
    body: Any = EVENT, *, timestamp: int = NOW, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    payload = orjson.dumps(body)
    return payload, signed_headers(secret, "wh_1", timestamp, payload)


def test_reference_vector_signs_as_the_reference() -> None:
    key = base64.b64decode(REF_SECRET.removeprefix("whsec_"))
    assert sign(key, REF_ID, REF_TIMESTAMP, REF_PAYLOAD) == REF_SIGNATURE


@pytest.mark.parametrize("secret", [REF_SECRET, REF_SECRET.removeprefix("whsec_")])
def test_reference_vector_verifies_with_and_without_prefix(secret: str) -> None:
    headers = {
        "webhook-id": REF_ID,
        "webhook-timestamp": str(REF_TIMESTAMP),
        "webhook-signature": REF_SIGNATURE,
    }
    at(REF_TIMESTAMP, secret).verify_signature(REF_PAYLOAD, headers)


def test_reference_vector_with_the_last_byte_changed_fails() -> None:
    headers = {
        "webhook-id": REF_ID,
        "webhook-timestamp": str(REF_TIMESTAMP),
        # The reference's "invalid signature" vector: one character off.
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
    }
    with pytest.raises(ftjobs.InvalidWebhookSignatureError, match="no webhook-signature"):
        at(REF_TIMESTAMP, REF_SECRET).verify_signature(REF_PAYLOAD, headers)


def test_the_reference_accepts_what_we_sign() -> None:
    payload, headers = delivery(timestamp=int(datetime.now(UTC).timestamp()))
    assert standardwebhooks.Webhook(SECRET).verify(payload, headers)["id"] == "evt_abc123"


@settings(max_examples=50, deadline=None)
@given(
    body=st.binary(max_size=200),
    webhook_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1),
    key=st.binary(min_size=1, max_size=64),
)
def test_we_sign_exactly_as_the_reference(body: bytes, webhook_id: str, key: bytes) -> None:
    secret = "whsec_" + base64.b64encode(key).decode()
    text = body.decode("latin-1")
    ours = signed_headers(secret, webhook_id, NOW, text)["webhook-signature"]
    theirs = standardwebhooks.Webhook(secret).sign(
        webhook_id, datetime.fromtimestamp(NOW, UTC), text
    )
    assert ours == theirs


def test_we_accept_what_the_reference_signs() -> None:
    payload = orjson.dumps(EVENT).decode()
    reference = standardwebhooks.Webhook(SECRET)
    signature = reference.sign("wh_9", datetime.fromtimestamp(NOW, UTC), payload)
    headers = {"webhook-id": "wh_9", "webhook-timestamp": str(NOW), "webhook-signature": signature}
    assert at(NOW).unwrap(payload, headers).id == "evt_abc123"


def test_unwrap_gives_the_typed_event() -> None:
    event = at(NOW).unwrap(*delivery())
    assert event == ftjobs.WebhookEvent(
        id="evt_abc123",
        type="fine_tuning.job.succeeded",
        created_at=1719168000,
        data=ftjobs.webhooks.WebhookEventData(id="ftjob_abc123"),
    )
    assert event.job_id == "ftjob_abc123"


def test_an_unknown_event_type_is_kept() -> None:
    body = {**EVENT, "type": "fine_tuning.job.exploded", "data": {"id": "x", "why": 1}, "z": 2}
    event = at(NOW).unwrap(*delivery(body))
    assert event.type == "fine_tuning.job.exploded"
    assert event.job_id is None  # not a job event we know, so no job to wake
    assert event.data.extra == {"why": 1}
    assert event.extra == {"z": 2}


@pytest.mark.parametrize(
    "skew", [-301, 301, -10_000, 10_000], ids=["old", "new", "very-old", "very-new"]
)
def test_a_timestamp_outside_the_tolerance_fails_either_way(skew: int) -> None:
    with pytest.raises(ftjobs.InvalidWebhookSignatureError, match=r"too (old|new)"):
        at(NOW).verify_signature(*delivery(timestamp=NOW + skew))


@pytest.mark.parametrize("skew", [-300, 300, 0])
def test_a_timestamp_within_the_tolerance_passes(skew: int) -> None:
    at(NOW).verify_signature(*delivery(timestamp=NOW + skew))


def test_tolerance_is_adjustable() -> None:
    payload, headers = delivery(timestamp=NOW - 30)
    with pytest.raises(ftjobs.InvalidWebhookSignatureError):
        at(NOW).verify_signature(payload, headers, tolerance=10)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_fails_naming_it(missing: str) -> None:
    payload, headers = delivery()
    del headers[missing]
    with pytest.raises(ftjobs.InvalidWebhookSignatureError, match=missing):
        at(NOW).verify_signature(payload, headers)


def test_a_malformed_timestamp_fails() -> None:
    payload, headers = delivery()
    headers["webhook-timestamp"] = "hello"
    with pytest.raises(ftjobs.InvalidWebhookSignatureError, match="timestamp"):
        at(NOW).verify_signature(payload, headers)


def test_any_one_of_several_signatures_is_enough() -> None:
    payload, headers = delivery()
    good = headers["webhook-signature"]
    headers["webhook-signature"] = " ".join(
        ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2," + good[3:], good, "garbage"]
    )
    at(NOW).verify_signature(payload, headers)


def test_a_v2_signature_of_the_right_digest_is_not_accepted() -> None:
    payload, headers = delivery()
    headers["webhook-signature"] = "v2," + headers["webhook-signature"][3:]
    with pytest.raises(ftjobs.InvalidWebhookSignatureError):
        at(NOW).verify_signature(payload, headers)


def test_a_wrong_secret_fails_and_the_call_secret_overrides() -> None:
    other = "whsec_" + base64.b64encode(b"another secret").decode()
    payload, headers = delivery(secret=other)
    with pytest.raises(ftjobs.InvalidWebhookSignatureError):
        at(NOW).verify_signature(payload, headers)
    at(NOW).verify_signature(payload, headers, secret=other)


def test_a_changed_body_fails() -> None:
    payload, headers = delivery()
    with pytest.raises(ftjobs.InvalidWebhookSignatureError):
        at(NOW).verify_signature(payload.replace(b"succeeded", b"cancelled"), headers)


def test_header_names_are_case_insensitive_in_a_plain_dict() -> None:
    payload, headers = delivery()
    at(NOW).verify_signature(payload, {k.title(): v for k, v in headers.items()})


def test_no_secret_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="webhook_secret"):
        at(NOW, None).verify_signature(*delivery())


def test_the_client_takes_the_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    client = ftjobs.AsyncClient(api_key="sk-x")
    payload, headers = delivery(timestamp=int(datetime.now(UTC).timestamp()))
    assert client.webhooks.unwrap(payload, headers).id == "evt_abc123"


@pytest.mark.parametrize("bad", ["whsec_***not base64***", "whsec_", 42])
def test_a_malformed_secret_is_refused_at_construction_without_echo(bad: Any) -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="webhook_secret") as info:
        ftjobs.AsyncClient(api_key="sk-x", webhook_secret=bad)
    assert "not base64" not in str(info.value)


def test_the_secret_never_appears_in_a_repr_log_or_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = ftjobs.AsyncClient(api_key="sk-x", webhook_secret=SECRET)
    key_text = SECRET.removeprefix("whsec_")
    payload, headers = delivery(secret="whsec_" + base64.b64encode(b"other").decode())
    caplog.set_level(logging.DEBUG)
    shown = [repr(client), repr(client.webhooks)]
    for timestamp in (NOW, 0):
        headers["webhook-timestamp"] = str(timestamp)
        with pytest.raises(ftjobs.InvalidWebhookSignatureError) as info:
            client.webhooks.verify_signature(payload, headers)
        shown += [str(info.value), repr(info.value)]
    expected = signed_headers(SECRET, "wh_1", 0, payload)["webhook-signature"]
    for text in [*shown, caplog.text]:
        assert key_text not in text
        assert expected[3:] not in text
