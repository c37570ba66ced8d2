"""The campaign's clock: what its time decisions read and how it sleeps (injected in tests, and
in an emulated day where an emulated hour passes in a real second)."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["CampaignClock", "RealClock"]


class CampaignClock(Protocol):
    """What ``run_campaign(clock=...)`` takes: ``now()`` in Unix seconds (compared with the
    server's ``created_at``) and ``sleep(seconds)`` of that time."""

    def now(self) -> float:
        """The current time, Unix seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of this clock's time."""
        ...


class RealClock:
    """Real time: ``time.time()`` and ``asyncio.sleep`` (the default)."""

    __slots__ = ()

    def now(self) -> float:
        """``time.time()``."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep(seconds)``."""
        await asyncio.sleep(seconds)
