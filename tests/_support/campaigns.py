"""Campaigns under the emulator's limits: a manual-clock emulator whose emulated time flows
thousands of times faster than real time (an emulated day in seconds, every timestamp exact),
and the campaign clock that reads and sleeps on it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator

#: Emulated seconds added every ``TICK`` real seconds (about 12,000x: a day in ~7 s).
STEP = 60.0
TICK = 0.005


class EmulatedClock:
    """A campaign clock on the emulator's time: ``now()`` is the emulated time the server's
    ``created_at`` are written in; ``sleep(s)`` lasts until ``s`` emulated seconds passed,
    however fast (or, on a loaded machine, slowly) they pass."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self.slept = 0.0

    def now(self) -> float:
        return self._clock.now()

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        target = self._clock.now() + seconds
        # The ticker moves the clock without telling anyone: look at it each tick.
        while self._clock.now() < target:  # noqa: ASYNC110
            await asyncio.sleep(TICK)


@contextlib.asynccontextmanager
async def flowing_emulator(
    step: float = STEP, **config: Any
) -> AsyncIterator[tuple[EmulatorHandle, ManualClock]]:
    """The emulator (``EmulatorConfig(**config)``) on a manual clock a background task moves
    ``step`` emulated seconds every ``TICK`` real seconds."""
    clock = ManualClock(1_800_000_000.0)
    async with serve_emulator(EmulatorConfig(max_running_jobs=8, **config), clock=clock) as handle:

        async def flow() -> None:
            while True:
                await asyncio.sleep(TICK)
                clock.advance(step)

        ticker = asyncio.create_task(flow())
        try:
            yield handle, clock
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
