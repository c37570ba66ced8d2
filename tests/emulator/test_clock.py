"""Clocks."""

from __future__ import annotations

import time

import pytest

from ftjobs.emulator._clock import Clock, ManualClock, SystemClock


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(100.0)
    assert clock.now() == 100.0
    clock.advance(2.5)
    clock.set(110.0)
    assert clock.now() == 110.0
    with pytest.raises(ValueError):
        clock.set(50.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert isinstance(clock, Clock)


def test_system_clock_runs_at_speed() -> None:
    clock = SystemClock(1000.0, origin_wall=time.time(), origin_emulated=0.0)
    first = clock.now()
    time.sleep(0.01)
    assert clock.now() - first >= 9.0  # 10 ms real -> ~10 s emulated
    clock.advance(3600)
    assert clock.now() >= 3600
    assert isinstance(clock, Clock)


def test_system_clock_at_speed_one_is_wall_time() -> None:
    assert abs(SystemClock().now() - time.time()) < 1.0
    with pytest.raises(ValueError):
        SystemClock(0)
