"""ftjobs._gate: the connection-slot gate (free slots taken at once, waits first come first
served, bounded, never losing a slot) and the burst decision."""

from __future__ import annotations

import asyncio

import pytest

from ftjobs._gate import BURST, SlotGate, in_burst


async def test_free_slots_are_taken_at_once_then_none_is_left() -> None:
    gate = SlotGate(2)
    assert gate.try_take() and gate.try_take()
    assert not gate.try_take()
    gate.release()
    assert gate.try_take()


async def test_waiters_get_slots_in_the_order_they_came() -> None:
    gate = SlotGate(1)
    assert gate.try_take()
    served: list[int] = []

    async def call(n: int) -> None:
        await gate.take(None)
        served.append(n)

    tasks = [asyncio.create_task(call(n)) for n in range(5)]
    await asyncio.sleep(0)
    # While any call waits, a newcomer does not jump the queue through the free path.
    assert not gate.try_take()
    for _ in range(5):
        gate.release()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert served == [0, 1, 2, 3, 4]


async def test_a_wait_past_its_timeout_raises_and_leaves_the_queue() -> None:
    gate = SlotGate(1)
    assert gate.try_take()
    with pytest.raises(TimeoutError):
        await gate.take(0.01)
    gate.release()
    assert gate.try_take()  # the slot went back to the free ones, not to the gone waiter


async def test_a_slot_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    gate = SlotGate(1)
    assert gate.try_take()
    first = asyncio.create_task(gate.take(None))
    second = asyncio.create_task(gate.take(None))
    await asyncio.sleep(0)
    gate.release()  # handed to `first`...
    first.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the slot reached the next waiter
    assert not gate.try_take()
    gate.release()
    assert gate.try_take()


async def test_a_burst_is_many_callbacks_ready_at_once() -> None:
    loop = asyncio.get_running_loop()
    assert not in_burst(loop)
    handles = [loop.call_soon(lambda: None) for _ in range(BURST + 1)]
    assert in_burst(loop)
    for handle in handles:
        handle.cancel()


def test_a_loop_whose_ready_queue_cannot_be_read_always_counts_as_a_burst() -> None:
    class OtherLoop(asyncio.AbstractEventLoop):
        pass

    assert in_burst(OtherLoop())
