"""The emulator sends fine-tuning webhooks, as OpenAI does, to ``EmulatorConfig.webhook_url``.

When a job reaches ``succeeded``, ``failed`` or ``cancelled``, a ``fine_tuning.job.<status>``
event is POSTed, signed with ``webhook_secret`` under the Standard Webhooks scheme (the same
[`signed_headers`][ftjobs.webhooks.signed_headers] a receiver's tests would use). A delivery
answered with anything but a 2xx (or not answered) is retried with exponential backoff, up to
``webhook_max_attempts`` attempts; every attempt keeps the delivery's ``webhook-id``.

The emulator's clock is lazy (time moves when someone asks), so a background task asks every
`TICK` real seconds: a job ending between two requests is announced within a tick.

Webhook faults (``--webhook-faults``: drop, duplicate, bad_signature, delay) are
[`WebhookFaults`][ftjobs.emulator.WebhookFaults], parsed in `ftjobs.emulator._faults`; this
module applies them.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from ftjobs._signing import signed_headers
from ftjobs.emulator._ids import derived_id
from ftjobs.emulator._instance import Emulator
from ftjobs.emulator._lifecycle import JobState

__all__ = [
    "TICK",
    "WEBHOOKS_KEY",
    "WebhookSender",
    "add_webhook_sender",
    "job_event",
]

_log = logging.getLogger("ftjobs.emulator.webhooks")

#: Real seconds between two looks at the clock for jobs that ended.
TICK = 0.01
_EVENT_TYPES = {
    "succeeded": "fine_tuning.job.succeeded",
    "failed": "fine_tuning.job.failed",
    "cancelled": "fine_tuning.job.cancelled",
}
# Deliveries in flight at once: a burst of endings must not open a thousand connections.
_CONCURRENCY = 64
_WRONG_SECRET = "whsec_" + base64.b64encode(b"not the endpoint's secret").decode()


def job_event(job: JobState) -> tuple[str, dict[str, Any]] | None:
    """The ``webhook-id`` and event body announcing that ``job`` ended (``None`` if it has
    not). Both are derived from the job, so a restarted emulator would announce it alike."""
    kind = _EVENT_TYPES.get(job.status)
    if kind is None:
        return None
    at = job.finished_at if job.finished_at is not None else job.phase_started_at
    body = {
        "id": derived_id("evt_", job.id, job.status),
        "object": "event",
        "type": kind,
        "created_at": int(at),
        "data": {"id": job.id},
    }
    return derived_id("wh_", job.id, job.status), body


class WebhookSender:
    """Watches the emulator's jobs end and delivers their events (see the module docstring).

    Attributes:
        counts: Deliveries, attempts, answers and faults, by name (for tests and benches).
        sent_at: Real time (``time.monotonic``) of each event's first attempt, by event id.
    """

    def __init__(
        self,
        emulator: Emulator,
        *,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        config = emulator.config
        assert config.webhook_url is not None and config.webhook_secret is not None
        self._emulator = emulator
        self._url = config.webhook_url
        self._secret = config.webhook_secret
        self._max_attempts = config.webhook_max_attempts
        self._backoff = config.webhook_backoff
        self._faults = config.webhook_faults
        self._rng = random.Random(self._faults.seed)
        self._sleep = sleep
        self._pending: list[JobState] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(_CONCURRENCY)
        self.counts: Counter[str] = Counter()
        self.sent_at: dict[str, float] = {}
        emulator.store.on_terminal.append(self._pending.append)

    async def run(self, session: aiohttp.ClientSession) -> None:
        """Look for ended jobs every `TICK` and start their deliveries (until cancelled)."""
        while True:
            self._emulator.store.now()
            if self._pending:
                ended = list(self._pending)
                self._pending.clear()
                try:
                    # Announce only what is saved: a job the state file refused to record
                    # as ended ends again (and is announced) after the reload.
                    self._emulator.commit()
                except Exception:
                    _log.exception("state not saved; the endings are announced once saved")
                    ended = []
                for job in ended:
                    self._start(session, job)
            await asyncio.sleep(TICK)

    async def close(self) -> None:
        """Stop every delivery in flight."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(self, session: aiohttp.ClientSession, job: JobState) -> None:
        announced = job_event(job)
        if announced is None:
            return
        self.counts["deliveries"] += 1
        draw = self._rng.random()
        if draw < self._faults.drop:
            self.counts["dropped"] += 1
            return
        copies = 2 if draw < self._faults.drop + self._faults.duplicate else 1
        if copies == 2:
            self.counts["duplicated"] += 1
        delay = 0.0
        if self._faults.delay_rate and self._rng.random() < self._faults.delay_rate:
            self.counts["delayed"] += 1
            delay = self._faults.delay_seconds
        for _ in range(copies):
            task = asyncio.create_task(self._deliver(session, *announced, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, session: aiohttp.ClientSession, webhook_id: str, body: dict[str, Any], delay: float
    ) -> None:
        if delay:
            await self._sleep(delay)
        payload = orjson.dumps(body)
        for attempt in range(self._max_attempts):
            if attempt:
                await self._sleep(self._backoff * 2 ** (attempt - 1))
            bad = self._faults.bad_signature and self._rng.random() < self._faults.bad_signature
            secret = _WRONG_SECRET if bad else self._secret
            headers = signed_headers(secret, webhook_id, int(time.time()), payload)
            headers["content-type"] = "application/json"
            self.counts["attempts"] += 1
            self.counts["bad_signature"] += bool(bad)
            self.sent_at.setdefault(body["id"], time.monotonic())
            try:
                async with self._slots, session.post(self._url, data=payload, headers=headers) as r:
                    await r.read()
                    if 200 <= r.status < 300:
                        self.counts["delivered"] += 1
                        return
                    self.counts[f"answered_{r.status}"] += 1
            except (TimeoutError, aiohttp.ClientError) as exc:
                self.counts["unreachable"] += 1
                _log.debug("webhook %s not delivered: %s", webhook_id, exc)
        self.counts["given_up"] += 1


WEBHOOKS_KEY = web.AppKey("ftjobs_emulator_webhooks", WebhookSender)
"""Application key of the running `WebhookSender` (present when ``webhook_url`` is set)."""


def add_webhook_sender(app: web.Application, emulator: Emulator) -> None:
    """Make ``app`` deliver ``emulator``'s webhooks while it runs (``webhook_url`` is set)."""
    sender = app[WEBHOOKS_KEY] = WebhookSender(emulator)

    async def context(_app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            loop = asyncio.create_task(sender.run(session))
            yield
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
            await sender.close()

    app.cleanup_ctx.append(context)
