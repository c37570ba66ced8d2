"""Clocks that drive the emulator's job lifecycle.

All lifecycle decisions take the current *emulated* time as an argument; a clock is only
the thing that says what that time is. Emulated time is unix seconds (float). At speed 1.0
it equals wall-clock time; at speed ``s`` it runs ``s`` times faster from its origin.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Source of emulated time (unix seconds)."""

    def now(self) -> float:
        """Return the current emulated time."""
        ...

    def advance(self, seconds: float) -> None:
        """Jump emulated time forward by ``seconds`` (never backwards)."""
        ...

    def to_wall(self, emulated: float) -> float:
        """The unix time at which ``emulated`` happens(ed) for an observer of the API."""
        ...


class SystemClock:
    """Wall-clock based emulated time running ``speed`` times faster than real time.

    ``now() = origin_emulated + (time.time() - origin_wall) * speed``;
    [`advance()`][ftjobs.emulator.SystemClock.advance] moves ``origin_emulated``. Passing the
    origin of a previous run lets a restarted emulator continue the same timeline.
    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        origin_wall: float | None = None,
        origin_emulated: float | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        wall = time.time() if origin_wall is None else origin_wall
        self.speed = float(speed)
        self.origin_wall = wall
        self.origin_emulated = wall if origin_emulated is None else origin_emulated

    def now(self) -> float:
        """Return the current emulated time."""
        return self.origin_emulated + (time.time() - self.origin_wall) * self.speed

    def advance(self, seconds: float) -> None:
        """Jump emulated time forward by ``seconds`` (moves the origin)."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self.origin_emulated += seconds

    def to_wall(self, emulated: float) -> float:
        """Map emulated time back to wall time.

        Timestamps in responses are reported this way so that a client's wall clock agrees
        with them: at speed 100 a job's ``estimated_finish`` is when it will really finish,
        which is what a waiter steering by the ETA needs.
        """
        return self.origin_wall + (emulated - self.origin_emulated) / self.speed


class ManualClock:
    """A clock that only moves when told to: for tests with no real sleeping."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        """Return the current emulated time."""
        return self._now

    def to_wall(self, emulated: float) -> float:
        """Manual time is reported as it is (tests reason in emulated seconds)."""
        return emulated

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds

    def set(self, when: float) -> None:
        """Move time forward to ``when`` (an absolute emulated time)."""
        if when < self._now:
            raise ValueError("a clock cannot go backwards")
        self._now = float(when)
