"""Receiving OpenAI's fine-tuning webhooks: verify, unwrap, and wake the waits they concern.

``client.webhooks`` (a `Webhooks`) checks a delivery's Standard Webhooks signature against the
client's ``webhook_secret``, turns it into a typed [`WebhookEvent`][ftjobs.WebhookEvent], and
passes it to the client's waits: a wait on the job returns as soon as one GET confirms what
the webhook said. Mount `Webhooks.handler` in an aiohttp app, or call `Webhooks.notify` from
any other framework after `Webhooks.unwrap`.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import orjson

from .._converter import structure
from .._errors import InvalidWebhookSignatureError, ResponseValidationError
from .._signing import (
    DEFAULT_TOLERANCE,
    SECRET_ENV,
    SECRET_PREFIX,
    decode_secret,
    missing_secret,
    sign,
    signed_headers,
    verify,
)
from ._events import JOB_EVENT_TYPES, WebhookEvent, WebhookEventData

if TYPE_CHECKING:
    # aiohttp's server half is imported only by the handler that answers with it: a client
    # that never serves webhooks does not load it (about 2 MiB of memory, and import time).
    from aiohttp import web

__all__ = [
    "DEFAULT_TOLERANCE",
    "JOB_EVENT_TYPES",
    "SECRET_ENV",
    "SECRET_PREFIX",
    "WebhookEvent",
    "WebhookEventData",
    "Webhooks",
    "decode_secret",
    "sign",
    "signed_headers",
]

_log = logging.getLogger("ftjobs.webhooks")
#: Ids remembered to ignore a redelivery. A sender retries one delivery for hours, not for
#: ten thousand deliveries, so a redelivery older than that is not expected.
_REMEMBERED = 10_000

Listener = Callable[[WebhookEvent], None]


class _Seen:
    """A bounded set of recently seen ids, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self._ids: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._size = size

    def add(self, key: str) -> bool:
        """Remember ``key``; False if it was already remembered."""
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class Webhooks:
    """``client.webhooks``: verification and delivery of webhook events.

    Args:
        secret: The endpoint's signing secret (``whsec_...``); ``None`` leaves every method to
            need ``secret=``.
        clock: Unix seconds (injected in tests) for the timestamp tolerance.
    """

    def __init__(self, secret: str | None = None, *, clock: Callable[[], float] = time.time):
        self._key = None if secret is None else decode_secret(secret)
        self._clock = clock
        self._listeners: list[Listener] = []
        self._seen = _Seen(_REMEMBERED)

    def __repr__(self) -> str:
        return f"Webhooks(secret={'***' if self._key is not None else None})"

    def _key_for(self, secret: str | None) -> bytes:
        if secret is not None:
            return decode_secret(secret, name="secret")
        if self._key is None:
            raise missing_secret("secret= (or webhook_secret= to the client)")
        return self._key

    def verify_signature(
        self,
        payload: bytes | str,
        headers: Mapping[str, str],
        *,
        secret: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        """Check a delivery's signature; return nothing, raise if it is not authentic.

        Args:
            payload: The raw request body, exactly as received (not re-serialised JSON).
            headers: The request's headers (``webhook-id``, ``webhook-timestamp``,
                ``webhook-signature``; names matched case-insensitively).
            secret: Overrides the client's ``webhook_secret``.
            tolerance: Seconds the ``webhook-timestamp`` may differ from now, either way.

        Raises:
            InvalidWebhookSignatureError: Missing or malformed headers, a signature made with
                another secret, or a timestamp outside the tolerance.
            ConfigurationError: No secret was configured or given.
        """
        verify(self._key_for(secret), payload, headers, now=self._clock(), tolerance=tolerance)

    def unwrap(
        self, payload: bytes | str, headers: Mapping[str, str], *, secret: str | None = None
    ) -> WebhookEvent:
        """Verify a delivery (as `verify_signature`) and return its typed event.

        Raises:
            InvalidWebhookSignatureError: The delivery is not authentic.
            ResponseValidationError: It is authentic but its body is not an event.
        """
        self.verify_signature(payload, headers, secret=secret)
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise ResponseValidationError("WebhookEvent", ["$: not JSON"]) from None
        return structure(data, WebhookEvent)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every new event (after the client's own waits are told).

        Returns a function that unsubscribes it.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def notify(self, event: WebhookEvent) -> bool:
        """Hand a verified event to the client's waits and listeners.

        For frameworks other than aiohttp: verify and parse with `unwrap`, then call this.
        A wait on the event's job wakes at once and confirms with one GET (a webhook alone is
        never trusted). An event seen before (a redelivery) is ignored.

        Returns:
            True if the event was new, False for a repeat.
        """
        if not self._seen.add(event.id):
            return False
        for listener in list(self._listeners):
            listener(event)
        return True

    async def read(self, request: web.Request) -> WebhookEvent:
        """Verify an aiohttp request (as `unwrap`) and return its typed event.

        For handlers of your own that do more than `handler` does before answering.

        Raises:
            InvalidWebhookSignatureError: The delivery is not authentic.
            ResponseValidationError: It is authentic but its body is not an event.
        """
        return self.unwrap(await request.read(), request.headers)

    async def handler(self, request: web.Request) -> web.Response:
        """An aiohttp handler: ``app.router.add_post("/webhooks", client.webhooks.handler)``.

        Answers 400 to a delivery that fails verification (the sender gives up on it) and
        200 to an authentic one, including a redelivery of a ``webhook-id`` already handled
        (ignored, so the sender stops retrying).
        """
        from aiohttp import web

        try:
            event = await self.read(request)
        except (InvalidWebhookSignatureError, ResponseValidationError) as exc:
            _log.warning("webhook rejected: %s", exc)
            return web.Response(status=400, text=f"{exc}\n")
        if self._seen.add("webhook-id:" + request.headers["webhook-id"]):
            self.notify(event)
        return web.Response(status=200)
