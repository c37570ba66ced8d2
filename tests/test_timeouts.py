"""within(): a time bound that never swallows the caller's cancellation."""

from __future__ import annotations

import asyncio

import pytest

from ftjobs._timeouts import within


async def test_returns_the_result_in_time() -> None:
    assert await within(asyncio.sleep(0, result=7), 5) == 7


async def test_times_out() -> None:
    with pytest.raises(asyncio.TimeoutError):
        await within(asyncio.sleep(5), 0.01)


async def test_cancellation_racing_completion_is_kept() -> None:
    # The inner operation finishes in the same loop turn as the caller is cancelled: the
    # cancellation must win (asyncio.wait_for on 3.11 returns the result and loses it).
    inner: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(within(inner, 10))
    await asyncio.sleep(0)
    inner.set_result(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
