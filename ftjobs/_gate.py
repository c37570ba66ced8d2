"""The connection-slot gate of the transport, and the one decision of when a call yields.

Why not `asyncio.Semaphore`: a free slot is the common case (every sequential call, most
concurrent ones), and taking it should cost a comparison, not a coroutine (an acquire/release
pair of the semaphore cost about 8,000 instructions a request). Waiting, when every slot is
taken, is first come first served and bounded by a timeout, as the semaphore's was.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["BURST", "SlotGate", "in_burst"]

#: More callbacks than this ready to run at once is a burst (thousands of calls started
#: together). Below it, the work that runs before an attempt's I/O is a few milliseconds
#: (~50 µs a callback); above it, it can be seconds on a loaded machine (3,000 calls at once
#: spent up to 0.9 s), which must not count against the first attempts' timeouts. A steady
#: 64 calls in flight stays well under it.
BURST = 256


def in_burst(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether many callbacks wait to run in this turn of ``loop`` (a burst of calls).

    Read from the ready queue of asyncio's own loops; another loop (uvloop) has no such
    queue to read, and always counts as a burst: it then yields every time, as before.
    """
    ready = getattr(loop, "_ready", None)
    return ready is None or len(ready) > BURST


class SlotGate:
    """``size`` slots, taken without waiting while one is free, else waited for in order."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        """Take a free slot now, if there is one and no earlier call waits for it."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self, timeout: float | None) -> None:
        """Wait for a slot, first come first served; ``TimeoutError`` after ``timeout`` s."""
        if self.try_take():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as the wait ended: pass it on
            elif waiter in self._waiters:  # (a release may have dropped it already)
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the longest waiter, if any, else to the free ones."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
