"""Identifiers shaped like the real service's (``ftjob-...``, ``file-...``, ...).

Random ids come from `secrets`; ids of things the lifecycle produces (events,
checkpoints, result files) are derived from their job id so the lifecycle stays a pure,
reproducible function.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = [
    "derived_id",
    "random_id",
    "short_code",
]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LEN = 24


def _encode(raw: bytes, length: int) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rem])
    return "".join(chars)


def random_id(prefix: str) -> str:
    """Return ``prefix`` followed by 24 random base62 characters."""
    return prefix + _encode(secrets.token_bytes(24), _BODY_LEN)


def derived_id(prefix: str, *parts: object) -> str:
    """Return ``prefix`` plus 24 base62 characters derived from ``parts`` (deterministic)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return prefix + _encode(digest, _BODY_LEN)


def short_code(*parts: object, length: int = 8) -> str:
    """Return a short deterministic base62 code, like the tail of a fine-tuned model name."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return _encode(digest, length)
