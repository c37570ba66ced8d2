"""``Idempotency-Key``: a create or an action runs once per key; a retry gets the same answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._paths import api_path
from ftjobs.emulator._persistence import IdempotencyRecord

__all__ = ["MAX_KEY_LENGTH", "idempotent"]


def _fingerprint(source: Any) -> str:
    text = json.dumps(source, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


#: The longest ``Idempotency-Key`` accepted (Stripe's limit; the SDK's own keys are 43).
MAX_KEY_LENGTH = 255


def idempotent(
    request: web.Request, source: Any, produce: Callable[[], web.Response]
) -> web.Response:
    """Run ``produce`` once per Idempotency-Key; replay its 2xx response for the same request.

    ``source`` identifies the request: the same key with another ``source`` is a 422.
    """
    emulator = emulator_of(request)
    key = request.headers.get("Idempotency-Key")
    if not key:
        return produce()
    if len(key) > MAX_KEY_LENGTH:
        # Kept and echoed back in full, an 8,000-byte key cost the store and every 422 its
        # size; a longer one than aiohttp reads (8 KiB) never reaches here.
        raise ApiError.invalid(
            f"Invalid 'Idempotency-Key': at most {MAX_KEY_LENGTH} characters, got {len(key)}.",
            param="Idempotency-Key",
        )
    if not emulator.config.honor_idempotency:
        return produce()
    if not key.isascii():
        try:
            key.encode()
        except UnicodeEncodeError:
            # aiohttp hands over undecodable header bytes as surrogates, which no store can
            # save: refuse the key rather than acknowledge what cannot be kept.
            raise ApiError.invalid(
                "Invalid 'Idempotency-Key': it must be valid UTF-8.", param="Idempotency-Key"
            ) from None
    scope = f"{request.method} {api_path(request.path)}"
    fingerprint = _fingerprint(source)
    record = emulator.store.idempotency_record(scope, key)
    if record is not None:
        if record.fingerprint != fingerprint:
            raise ApiError(
                422,
                f"Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                param="Idempotency-Key",
                code="idempotency_key_reused",
            )
        emulator.requests.idempotent_replays += 1
        return web.Response(
            body=record.body,
            status=record.status,
            content_type=record.content_type,
            headers={"Idempotent-Replayed": "true"},
        )
    response = produce()
    if 200 <= response.status < 300 and isinstance(response.body, bytes):
        emulator.store.remember_response(
            IdempotencyRecord(
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                status=response.status,
                content_type=response.content_type,
                body=response.body,
            )
        )
    return response
