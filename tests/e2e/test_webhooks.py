"""The emulator delivers signed webhooks to `client.webhooks.handler`, over loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

import ftjobs
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, Outcome, serve_emulator
from ftjobs.emulator._webhooks import WEBHOOKS_KEY, WebhookSender
from tests._support.emulator import new_job
from tests._support.live import FAST_RETRIES, eventually, serve_app
from tests._support.webhooks import SECRET


@contextlib.asynccontextmanager
async def _wired(
    *, faults: str | None = None, receiver_secret: str = SECRET, attempts: int = 5
) -> AsyncIterator[
    tuple[ftjobs.AsyncClient, EmulatorHandle, ManualClock, list[ftjobs.WebhookEvent]]
]:
    """A client whose webhook handler listens on loopback, and an emulator sending to it."""
    received: list[ftjobs.WebhookEvent] = []
    clock = ManualClock()
    receiver = ftjobs.AsyncClient(api_key="unused", webhook_secret=receiver_secret)
    receiver.webhooks.subscribe(received.append)
    app = web.Application()
    app.router.add_post("/hooks", receiver.webhooks.handler)
    async with serve_app(app) as url:
        config = EmulatorConfig(
            webhook_url=url + "/hooks",
            webhook_secret=SECRET,
            webhook_faults=faults,
            webhook_max_attempts=attempts,
            webhook_backoff=0.01,
        )
        async with (
            serve_emulator(config, clock=clock) as handle,
            ftjobs.AsyncClient(
                api_key=handle.api_key, base_url=handle.base_url, retry_policy=FAST_RETRIES
            ) as client,
        ):
            yield client, handle, clock, received
    await receiver.close()


def _sender(handle: EmulatorHandle) -> WebhookSender:
    return handle.app[WEBHOOKS_KEY]


async def test_each_ending_is_delivered_once_with_its_type() -> None:
    async with _wired() as (client, handle, clock, received):
        handle.store.script_next_jobs(Outcome(), Outcome.failure(message="bad file"), Outcome())
        ok, failed, cancelled = [await new_job(client) for _ in range(3)]
        await client.jobs.cancel(cancelled)
        clock.advance(3600)
        await eventually(lambda: len(received) == 3)
        by_job = {e.job_id: e.type for e in received}
        assert by_job == {
            ok: "fine_tuning.job.succeeded",
            failed: "fine_tuning.job.failed",
            cancelled: "fine_tuning.job.cancelled",
        }
        job = await client.jobs.retrieve(ok)
        event = next(e for e in received if e.job_id == ok)
        assert event.created_at == job.finished_at


async def test_a_bad_signature_is_refused_and_the_retry_gets_through() -> None:
    async with _wired(faults="bad_signature=1,seed=1") as (client, handle, clock, received):
        # Every attempt is signed wrongly: all refused with 400, then given up.
        await new_job(client)
        clock.advance(3600)
        await eventually(lambda: _sender(handle).counts["given_up"] == 1)
        assert _sender(handle).counts["answered_400"] == 5
        assert received == []
    async with _wired(faults="bad_signature=0.5,seed=3") as (client, handle, clock, received):
        ids = [await new_job(client) for _ in range(4)]
        clock.advance(3600)
        await eventually(lambda: len(received) == 4)
        assert _sender(handle).counts["answered_400"] > 0  # some attempts were refused
        assert sorted(e.job_id or "" for e in received) == sorted(ids)


async def test_dropped_and_duplicated_deliveries() -> None:
    spec = "drop=0.3,duplicate=0.3,seed=5"
    async with _wired(faults=spec) as (client, handle, clock, received):
        ids = [await new_job(client) for _ in range(10)]
        clock.advance(3600)
        sender = _sender(handle)
        await eventually(lambda: sender.counts["deliveries"] == 10)
        expected = 10 - sender.counts["dropped"]
        await eventually(
            lambda: sender.counts["delivered"] == expected + sender.counts["duplicated"]
        )
        assert 0 < sender.counts["dropped"] < 10 and sender.counts["duplicated"] > 0
        # Every duplicate reached the handler and was acknowledged, and handed on once.
        assert len(received) == expected == len({e.job_id for e in received})
        assert {e.job_id for e in received} <= set(ids)


async def test_a_receiver_with_another_secret_makes_the_sender_give_up() -> None:
    other = "whsec_" + "c29tZW9uZSBlbHNlJ3Mgc2VjcmV0"
    async with _wired(receiver_secret=other, attempts=3) as (client, handle, clock, received):
        await new_job(client)
        clock.advance(3600)
        await eventually(lambda: _sender(handle).counts["given_up"] == 1)
        assert _sender(handle).counts["attempts"] == 3
        assert received == []


def test_config_needs_url_and_secret_together_and_a_real_secret() -> None:
    with pytest.raises(ValueError, match="together"):
        EmulatorConfig(webhook_url="http://127.0.0.1:1/x")
    with pytest.raises(ValueError, match="webhook_secret"):
        EmulatorConfig(webhook_url="http://127.0.0.1:1/x", webhook_secret="whsec_!!")


@contextlib.asynccontextmanager
async def _receiving(
    faults: str | None = None,
) -> AsyncIterator[tuple[ftjobs.AsyncClient, EmulatorHandle, ManualClock]]:
    """One client that waits on the emulator's jobs and receives its webhooks (its handler
    is mounted before the emulator starts, so it finds the client once there is one)."""
    clock = ManualClock()
    clients: list[ftjobs.AsyncClient] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        return await clients[0].webhooks.handler(request)

    app = web.Application()
    app.router.add_post("/hooks", handler)
    async with serve_app(app) as url:
        config = EmulatorConfig(
            webhook_url=url + "/hooks", webhook_secret=SECRET, webhook_faults=faults
        )
        async with (
            serve_emulator(config, clock=clock) as handle,
            ftjobs.AsyncClient(
                api_key=handle.api_key,
                base_url=handle.base_url,
                retry_policy=FAST_RETRIES,
                webhook_secret=SECRET,
            ) as client,
        ):
            clients.append(client)
            yield client, handle, clock


async def test_a_webhook_ends_the_waits_with_one_confirmation_each() -> None:
    # Polls 5 minutes apart: only the webhooks can end these waits within the test.
    slow = ftjobs.PollPolicy(initial_interval=300, max_interval=300, jitter=0)
    async with _receiving() as (client, handle, clock):
        ids = [await new_job(client) for _ in range(5)]
        before = handle.stats()["requests"]["total"]
        waits = asyncio.gather(*(client.jobs.wait_until_terminal(i, poll=slow) for i in ids))
        # The first look, seen before the jobs end.
        await eventually(lambda: all(client.jobs.watcher.last_seen(i) for i in ids))
        clock.advance(3600)
        done = await asyncio.wait_for(waits, 10)
        assert {str(j.status) for j in done} == {"succeeded"}
        spent = handle.stats()["requests"]["total"] - before
        # One list page for the first look, then at most one GET per job to confirm.
        assert spent <= 1 + len(ids)
        assert client.jobs.watcher.webhooks_arriving


async def test_lost_and_repeated_webhooks_cost_lag_not_jobs() -> None:
    policy = ftjobs.PollPolicy(
        initial_interval=0.05, max_interval=0.2, webhook_safety_interval=0.3, timeout=30
    )
    async with _receiving("drop=0.5,duplicate=0.3,seed=2") as (client, handle, clock):
        ids = [await new_job(client) for _ in range(8)]
        waits = asyncio.gather(*(client.jobs.wait_until_terminal(i, poll=policy) for i in ids))
        await eventually(lambda: all(client.jobs.watcher.last_seen(i) for i in ids))
        clock.advance(3600)
        done = await asyncio.wait_for(waits, 20)
        assert sorted(j.id for j in done) == sorted(ids)
        counts = handle.app[WEBHOOKS_KEY].counts
        assert counts["dropped"] > 0 and counts["duplicated"] > 0


async def test_webhooks_wake_wait_many_and_as_completed() -> None:
    slow = ftjobs.PollPolicy(initial_interval=300, max_interval=300, jitter=0)
    async with _receiving() as (client, handle, clock):
        ids = [await new_job(client) for _ in range(4)]
        before = handle.stats()["requests"]["total"]
        many = asyncio.ensure_future(client.jobs.wait_many(ids[:2], poll=slow))
        collected: list[str] = []

        async def collect() -> None:
            async for job in client.jobs.as_completed(ids[2:], poll=slow):
                collected.append(job.id)

        completed = asyncio.ensure_future(collect())
        # A single wait on a job of the first group shares its views (one watcher).
        single = asyncio.ensure_future(client.jobs.wait_until_terminal(ids[0], poll=slow))
        await eventually(lambda: all(client.jobs.watcher.last_seen(i) for i in ids))
        clock.advance(3600)  # every job ends; only the webhooks can tell the waits in time
        result = await asyncio.wait_for(many, 10)
        await asyncio.wait_for(completed, 10)
        assert (await asyncio.wait_for(single, 10)).status == "succeeded"
        assert sorted(result.done) == sorted(ids[:2]) and not result.pending
        assert sorted(collected) == sorted(ids[2:])
        spent = handle.stats()["requests"]["total"] - before
        # One list page for everybody's first look, then at most one request per job to
        # confirm its webhook (one page, when they come in a burst).
        assert spent <= 1 + len(ids), spent
