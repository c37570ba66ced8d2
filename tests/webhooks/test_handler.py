"""Receiving: `client.webhooks.handler` mounted in an aiohttp app on loopback, and `notify`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import attrs
import orjson
import pytest
from aiohttp import web

import ftjobs
from ftjobs.webhooks import signed_headers
from tests._support.live import serve_app
from tests._support.webhooks import EVENT, SECRET


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[ftjobs.AsyncClient, str, list[ftjobs.WebhookEvent]]]:
    client = ftjobs.AsyncClient(api_key="sk-x", webhook_secret=SECRET)
    received: list[ftjobs.WebhookEvent] = []
    client.webhooks.subscribe(received.append)
    app = web.Application()
    app.router.add_post("/webhooks", client.webhooks.handler)
    async with serve_app(app) as url:
        yield client, url + "/webhooks", received
    await client.close()


async def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status


def _signed(body: bytes, webhook_id: str = "wh_1", secret: str = SECRET) -> dict[str, str]:
    return signed_headers(secret, webhook_id, int(time.time()), body)


async def test_an_authentic_delivery_is_acknowledged_and_handed_on(
    receiver: tuple[ftjobs.AsyncClient, str, list[ftjobs.WebhookEvent]],
) -> None:
    _, url, received = receiver
    body = orjson.dumps(EVENT)
    assert await _post(url, body, _signed(body)) == 200
    assert [e.job_id for e in received] == ["ftjob_abc123"]


async def test_a_bad_signature_is_400_and_handed_on_to_no_one(
    receiver: tuple[ftjobs.AsyncClient, str, list[ftjobs.WebhookEvent]],
) -> None:
    _, url, received = receiver
    body = orjson.dumps(EVENT)
    other = "whsec_" + "b3RoZXIgc2VjcmV0"
    assert await _post(url, body, _signed(body, secret=other)) == 400
    assert await _post(url, body, {}) == 400
    assert received == []


async def test_a_redelivery_is_acknowledged_and_ignored(
    receiver: tuple[ftjobs.AsyncClient, str, list[ftjobs.WebhookEvent]],
) -> None:
    _, url, received = receiver
    body = orjson.dumps(EVENT)
    for _ in range(3):
        assert await _post(url, body, _signed(body, "wh_same")) == 200
    # The same event under another webhook-id (two senders, a replayed queue) is one event too.
    assert await _post(url, body, _signed(body, "wh_other")) == 200
    assert len(received) == 1


async def test_an_authentic_body_that_is_not_an_event_is_400(
    receiver: tuple[ftjobs.AsyncClient, str, list[ftjobs.WebhookEvent]],
) -> None:
    _, url, received = receiver
    for body in (b"not json", orjson.dumps({"id": "evt_1"})):
        assert await _post(url, body, _signed(body)) == 400
    assert received == []


def test_notify_hands_each_event_on_once_and_says_so() -> None:
    client = ftjobs.AsyncClient(api_key="sk-x")
    received: list[ftjobs.WebhookEvent] = []
    unsubscribe = client.webhooks.subscribe(received.append)
    event = ftjobs.WebhookEvent(
        id="evt_1",
        type="fine_tuning.job.failed",
        created_at=1,
        data=ftjobs.webhooks.WebhookEventData(id="ftjob_1"),
    )
    assert client.webhooks.notify(event) is True
    assert client.webhooks.notify(event) is False
    unsubscribe()
    assert client.webhooks.notify(attrs.evolve(event, id="evt_2")) is True
    assert received == [event]
