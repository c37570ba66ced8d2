"""The Webhooks guide's FastAPI receiver, as printed, driven over ASGI with deliveries signed by
the Standard Webhooks reference library (``unwrap`` + ``notify`` in another framework)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

fastapi = pytest.importorskip("fastapi", reason="the test extra is not installed")
import httpx  # noqa: E402  (FastAPI's test client; installed with the test extra)
import standardwebhooks  # noqa: E402

import ftjobs  # noqa: E402
from tests._support.docs import ROOT, extract_blocks  # noqa: E402
from tests._support.webhooks import EVENT, SECRET  # noqa: E402

GUIDE = "docs/guides/webhooks.md"


def _fastapi_example() -> str:
    blocks = extract_blocks((ROOT / GUIDE).read_text(encoding="utf-8"), GUIDE)
    (block,) = [b for b in blocks if "FastAPI()" in b.source]
    assert block.skip is None  # the docs test runs it too
    return block.source


Receiver = tuple[httpx.AsyncClient, list[ftjobs.WebhookEvent]]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """An HTTP client to the guide's app, and the events its ftjobs client was handed."""
    async with ftjobs.AsyncClient(api_key="sk-x", webhook_secret=SECRET) as client:
        received: list[ftjobs.WebhookEvent] = []
        client.webhooks.subscribe(received.append)
        namespace: dict[str, Any] = {"client": client, "ftjobs": ftjobs}
        exec(compile(_fastapi_example(), GUIDE, "exec"), namespace)
        transport = httpx.ASGITransport(app=namespace["api"])
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            yield http, received


def _signed(body: bytes, webhook_id: str) -> dict[str, str]:
    # Signed by the reference implementation, not by ftjobs.
    now = datetime.fromtimestamp(int(time.time()), tz=UTC)
    signature = standardwebhooks.Webhook(SECRET).sign(webhook_id, now, body.decode())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


async def test_the_fastapi_receiver_verifies_and_hands_each_event_on_once(
    receiver: Receiver,
) -> None:
    http, received = receiver
    body = orjson.dumps(EVENT)
    first = await http.post("/webhooks", content=body, headers=_signed(body, "wh_1"))
    again = await http.post("/webhooks", content=body, headers=_signed(body, "wh_1"))
    assert (first.status_code, again.status_code) == (200, 200)
    assert [e.job_id for e in received] == ["ftjob_abc123"]  # the repeat is ignored


async def test_the_fastapi_receiver_refuses_a_forged_delivery(receiver: Receiver) -> None:
    http, received = receiver
    body = orjson.dumps(EVENT)
    headers = _signed(body, "wh_2")
    tampered = body.replace(b"succeeded", b"cancelled")
    response = await http.post("/webhooks", content=tampered, headers=headers)
    assert response.status_code == 400 and response.json() == {"detail": "invalid signature"}
    assert received == []
