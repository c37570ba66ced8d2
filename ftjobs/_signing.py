"""The Standard Webhooks signing scheme, as pure functions (no I/O, the clock injected), and
where a webhook secret comes from.

A signature is ``v1,`` + base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")),
where the key is the base64 part of a ``whsec_`` secret. The ``webhook-signature`` header may
hold several space-separated signatures (a sender rotating its secret signs with both); one
match is enough. See https://www.standardwebhooks.com.

Shared by the receiver (`ftjobs.webhooks`, the CLI, ``ftjobs.contrib.arq``) and the sender (the
emulator), so it imports neither aiohttp nor cattrs: the emulator takes its signing from here
without loading the client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import os
import re
from collections.abc import Mapping
from typing import overload

from ._errors import ConfigurationError, InvalidWebhookSignatureError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SECRET_ENV",
    "SECRET_PREFIX",
    "decode_secret",
    "missing_secret",
    "resolve_secret",
    "sign",
    "signed_headers",
    "verify",
]

#: The prefix of a Standard Webhooks secret (``whsec_`` then base64); stripped before decoding.
SECRET_PREFIX = "whsec_"
#: Seconds a webhook's timestamp may differ from the receiver's clock, either way (the
#: scheme's five minutes): old enough to absorb clock skew, short enough that a captured
#: request cannot be replayed later.
DEFAULT_TOLERANCE = 300.0
#: Where a secret is read from when none is given.
SECRET_ENV = "OPENAI_WEBHOOK_SECRET"


#: A ``webhook-timestamp``: unix seconds in ASCII digits, at most 12 (the year 33658); no sign,
#: space, underscore or other digit, which ``int()`` would all accept.
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}", re.ASCII)


def missing_secret(option: str) -> ConfigurationError:
    """The error for "no secret anywhere": it says to pass ``option`` or set `SECRET_ENV`."""
    return ConfigurationError(f"no webhook secret: pass {option} or set ${SECRET_ENV}")


@overload
def resolve_secret(secret: str | None, *, option: str) -> str: ...
@overload
def resolve_secret(secret: str | None, *, option: None = None) -> str | None: ...
def resolve_secret(secret: str | None, *, option: str | None = None) -> str | None:
    """The webhook secret to use: ``secret`` when given (not empty), else `SECRET_ENV`'s value.

    Args:
        secret: The secret given explicitly (an argument, a CLI option), or None.
        option: How a caller gives one (``"secret="``, ``"--secret whsec_..."``): when set, a
            secret is required and its absence raises naming it; when None, the absence is
            returned as None.

    Raises:
        ConfigurationError: ``option`` is set and there is no secret (`missing_secret`).
    """
    found = secret or os.environ.get(SECRET_ENV) or None
    if found is None and option is not None:
        raise missing_secret(option)
    return found


def decode_secret(secret: str, *, name: str = f"webhook_secret (or ${SECRET_ENV})") -> bytes:
    """The HMAC key of a ``whsec_...`` secret (the prefix is optional, as in the scheme).

    Raises:
        ConfigurationError: ``secret`` is not a string of base64 (the message names ``name``
            and never shows the value).
    """
    if not isinstance(secret, str):
        raise ConfigurationError(f"{name} must be a str, got {type(secret).__name__}")
    # Unpadded secrets exist in the wild: the padding is restored before decoding.
    body = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            f"{name} is not a webhook secret: expected 'whsec_' followed by base64"
        ) from None
    if not key:
        raise ConfigurationError(f"{name} is empty")
    return key


def _body_bytes(payload: bytes | str) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def sign(key: bytes, webhook_id: str, timestamp: int | str, payload: bytes | str) -> str:
    """The ``v1,...`` signature of ``payload`` sent as ``webhook_id`` at ``timestamp``.

    ``timestamp`` is signed as the ``webhook-timestamp`` header spells it (an int is spelled
    in decimal): a verifier signs the header exactly as it arrived.
    """
    signed = f"{webhook_id}.{timestamp}.".encode() + _body_bytes(payload)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, webhook_id: str, timestamp: int, payload: bytes | str
) -> dict[str, str]:
    """The three ``webhook-*`` headers a sender attaches to ``payload``.

    For tests and local senders (the emulator signs its deliveries with it).
    """
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(decode_secret(secret), webhook_id, timestamp, payload),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        # A plain dict from another framework may keep the sender's capitalisation.
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if not value:
        raise InvalidWebhookSignatureError(f"missing {name} header")
    return value


def verify(
    key: bytes,
    payload: bytes | str,
    headers: Mapping[str, str],
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> str:
    """Check ``payload`` against its ``webhook-*`` headers; return its ``webhook-id``.

    Args:
        key: The HMAC key (`decode_secret`).
        payload: The raw request body, exactly as received.
        headers: The request's headers (names matched case-insensitively).
        now: Unix seconds of the receiver's clock.
        tolerance: Largest accepted difference between ``webhook-timestamp`` and ``now``.

    Raises:
        InvalidWebhookSignatureError: A header is missing or malformed, the timestamp is
            outside the tolerance, or no ``v1`` signature matches.
    """
    webhook_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not _UNIX_SECONDS.fullmatch(raw_timestamp):
        # int() would take "+T", " T", "1_7", Arabic-Indic digits, or 400 digits that no
        # float holds (OverflowError before any signature check).
        raise InvalidWebhookSignatureError(
            "webhook-timestamp is not unix seconds (ASCII digits only)"
        )
    timestamp = int(raw_timestamp)
    if not math.isfinite(tolerance) or abs(now - timestamp) > tolerance:
        direction = "old" if timestamp < now else "new"
        raise InvalidWebhookSignatureError(
            f"webhook-timestamp is too {direction} (more than {tolerance:g} s from now)"
        )
    # Signed as sent, as the scheme says: a header rewritten to another spelling of the
    # same moment ("01700000000") is another message.
    expected = sign(key, webhook_id, raw_timestamp, payload).encode()
    matched = False
    for candidate in signatures.split():
        # Every candidate is compared (no early exit) so the time taken says nothing about
        # which of them matched.
        matched |= hmac.compare_digest(candidate.encode(), expected)
    if not matched:
        raise InvalidWebhookSignatureError("no webhook-signature matches the secret")
    return webhook_id
