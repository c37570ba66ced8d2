"""Issue 22, items 5 and 6: a ``webhook-timestamp`` is ASCII digits, signed as sent.

5. A timestamp of 400 digits made ``verify`` raise ``OverflowError`` before any signature
   check: the handler (the one endpoint exposed to the internet) answered 500 with a logged
   traceback, and ``unwrap``/``verify_signature`` raised outside
   `InvalidWebhookSignatureError`.
6. The signature was computed over ``int(timestamp)``, not the header as sent: ``+T``, ``0T``,
   ``1_7...``, surrounding spaces and non-ASCII digits all verified after the header was
   rewritten. The Standard Webhooks scheme signs the raw header.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
import orjson
import pytest
import standardwebhooks
from aiohttp import web

import ftjobs
from ftjobs.webhooks import decode_secret, sign, signed_headers
from tests._support.live import serve_app
from tests._support.webhooks import EVENT, SECRET

BODY = orjson.dumps(EVENT)


def _rewritten(now: int, timestamp: str) -> dict[str, str]:
    """A delivery signed at ``now``, its timestamp header then rewritten to ``timestamp``."""
    headers = signed_headers(SECRET, "wh_1", now, BODY)
    return {**headers, "webhook-timestamp": timestamp}


def _digits_from(zero: int) -> Callable[[str], str]:
    """Spell a number in the ten digits starting at code point ``zero`` (int() reads them)."""
    return lambda number: "".join(chr(zero + int(d)) for d in number)


# Each rewrites the header of a delivery signed now (taken when the test runs: the tolerance
# is 5 minutes, less than a loaded suite takes).
REWRITES: dict[str, Callable[[str], str]] = {
    "plus sign": lambda t: f"+{t}",
    "leading zero": lambda t: f"0{t}",
    "underscores": "_".join,
    "leading space": lambda t: f" {t}",
    "trailing space": lambda t: f"{t} ",
    "Arabic-Indic digits": _digits_from(0x0660),
    "fullwidth digits": _digits_from(0xFF10),
}


@pytest.mark.parametrize("rewrite", list(REWRITES.values()), ids=list(REWRITES))
def test_a_rewritten_timestamp_no_longer_verifies(rewrite: Callable[[str], str]) -> None:
    now = int(time.time())
    client = ftjobs.AsyncClient(api_key="k", webhook_secret=SECRET)
    with pytest.raises(ftjobs.InvalidWebhookSignatureError):
        client.webhooks.unwrap(BODY, _rewritten(now, rewrite(str(now))))
    # The delivery as sent still does.
    assert client.webhooks.unwrap(BODY, _rewritten(now, str(now))).id == EVENT["id"]


@pytest.mark.parametrize("digits", [400, 5000])
def test_a_huge_timestamp_is_refused_as_not_authentic(digits: int) -> None:
    huge = "9" * digits
    # Even signed over exactly that header, with the right secret.
    headers = {
        "webhook-id": "wh_1",
        "webhook-timestamp": huge,
        "webhook-signature": sign(decode_secret(SECRET), "wh_1", huge, BODY),
    }
    client = ftjobs.AsyncClient(api_key="k", webhook_secret=SECRET)
    with pytest.raises(ftjobs.InvalidWebhookSignatureError, match="unix seconds"):
        client.webhooks.unwrap(BODY, headers)
    with pytest.raises(ftjobs.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(BODY, headers)


async def test_the_handler_answers_400_to_hostile_timestamps_and_200_to_the_real_one() -> None:
    client = ftjobs.AsyncClient(api_key="k", webhook_secret=SECRET)
    app = web.Application()
    app.router.add_post("/webhooks", client.webhooks.handler)
    now = int(time.time())
    hostile = [*(rewrite(str(now)) for rewrite in REWRITES.values()), "9" * 400]
    async with serve_app(app) as root, aiohttp.ClientSession() as session:
        statuses = []
        for timestamp in hostile:
            headers = _rewritten(now, timestamp)
            # Spaces around a header value do not survive HTTP, nor non-ASCII characters.
            sent = headers["webhook-timestamp"].strip()
            if sent == str(now) or not sent.isascii():
                continue
            headers["webhook-timestamp"] = sent
            async with session.post(root + "/webhooks", data=BODY, headers=headers) as answer:
                statuses.append(answer.status)
        async with session.post(
            root + "/webhooks", data=BODY, headers=_rewritten(now, str(now))
        ) as answer:
            authentic = answer.status
    await client.close()
    assert statuses and set(statuses) == {400}, statuses
    assert authentic == 200


def test_signing_the_raw_header_agrees_with_the_reference() -> None:
    now = int(time.time())
    reference = standardwebhooks.Webhook(SECRET)
    ours = sign(decode_secret(SECRET), "wh_1", str(now), BODY)
    assert ours == sign(decode_secret(SECRET), "wh_1", now, BODY)
    from datetime import UTC, datetime

    theirs = reference.sign("wh_1", datetime.fromtimestamp(now, tz=UTC), BODY.decode())
    assert ours == theirs
    # And what the reference signs verifies here.
    headers = {"webhook-id": "wh_1", "webhook-timestamp": str(now), "webhook-signature": theirs}
    client = ftjobs.AsyncClient(api_key="k", webhook_secret=SECRET)
    assert client.webhooks.unwrap(BODY, headers).id == EVENT["id"]
