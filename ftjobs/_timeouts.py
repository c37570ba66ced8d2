"""Bounding an awaitable in time without losing a cancellation."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

_T = TypeVar("_T")


async def within(awaitable: Awaitable[_T], seconds: float) -> _T:
    """Await ``awaitable``, raising :class:`asyncio.TimeoutError` after ``seconds``.

    ``asyncio.wait_for`` before Python 3.12 can swallow a cancellation of the caller that
    lands as the inner operation finishes (bpo-42130): a cancelled wait would then go on until
    its own deadline. ``asyncio.timeout`` (3.11+) does not have that race.
    """
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)  # pragma: no cover - Python 3.10
