"""The bookkeeping every poll loop shares (one job's waiter, a group's ticks): `Pacer`, and
the rule that tells a transient poll failure from a permanent one (`is_transient`).

It sits below everything else in ``ftjobs.waiting`` that polls: the waiter, the group and the
refresher all classify failures the same way, and the waiter and the watcher give a poll the
same grace past its deadline.
"""

from __future__ import annotations

import asyncio
import enum
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from .._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    ResponseValidationError,
    WaitTimeout,
)
from .._retry import should_retry
from ._policy import PollPolicy, PollState, StopReason, eta_seconds, next_delay, poll_hint

__all__ = ["DEADLINE_GRACE", "Pacer", "is_transient"]

#: Seconds a poll may run past the wait's deadline (the final look) before it is abandoned.
DEADLINE_GRACE = 1.0
_T = TypeVar("_T")


def is_transient(exc: BaseException) -> bool:
    """A poll failure that should not end a wait (the server may answer next time).

    A 2xx answer that does not fit (a truncated body, ``status: 3``, another job's id) is
    one, like a 5xx: one odd answer from a proxy or a deploy in progress must not end a wait
    of hours, and one that keeps coming ends it after ``failure_timeout``.
    """
    if isinstance(exc, APIStatusError):
        return should_retry(exc.status_code, exc.headers, gateway_retries=False)
    return isinstance(exc, (APIConnectionError, ResponseValidationError))


class Pacer:
    """The bookkeeping every poll loop shares (one job's waiter, a group's ticks).

    It wraps the pure `PollState` with the clocks, the server's hint
    and the failure rules: a permanent failure raises at once, a transient one is absorbed
    (with a 429 counted as "too fast" rather than as a failure), and a spent budget raises
    [`WaitTimeout`][ftjobs.WaitTimeout] (or, for the failure budget, the last error itself).

    Args:
        policy: Pacing and budgets.
        state: Where to start (a fresh `PollState.start()` or a resumed token's state).
        clock, wall_clock, rng: Monotonic seconds, unix seconds, jitter source.
    """

    def __init__(
        self,
        policy: PollPolicy,
        state: PollState,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self.state = state
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng
        self._hint: float | None = None
        self._error: Exception | None = None

    def now(self) -> float:
        """The pacer's monotonic clock."""
        return self._clock()

    def wall_now(self) -> float:
        """The pacer's wall clock (unix seconds)."""
        return self._wall_clock()

    def with_budget(self, budget_left: float | None) -> None:
        """Reset the total budget to ``budget_left`` seconds from now (``None``: none)."""
        self.state = self.state.with_budget(budget_left, now=self._clock())

    def succeeded(
        self,
        status: str | enum.Enum,
        *,
        headers: Mapping[str, str] | None = None,
        last_event_id: str | None = None,
        last_checkpoint_id: str | None = None,
    ) -> None:
        """Record a successful poll that saw ``status`` (``headers`` may carry a hint)."""
        self._hint = poll_hint(headers, self._wall_clock)
        self._error = None
        self.state = self.state.after_poll(
            status,
            now=self._clock(),
            last_event_id=last_event_id,
            last_checkpoint_id=last_checkpoint_id,
        )

    async def bounded(self, poll: Awaitable[_T]) -> _T:
        """Await ``poll``, abandoning it `DEADLINE_GRACE` seconds after the deadline.

        A stalled server (a per-attempt timeout of a minute, times the retries) cannot hold
        a wait long past its budget; the abandoned poll raises
        [`APITimeoutError`][ftjobs.APITimeoutError] (transient, so the budget check that follows
        reports the timeout).
        """
        left = self.state.time_left(self._clock())
        if left is None:
            return await poll
        try:
            async with asyncio.timeout(max(left, 0.0) + DEADLINE_GRACE):
                return await poll
        except TimeoutError:
            raise APITimeoutError("the poll outlived the wait's deadline") from None

    def failed(self, exc: Exception) -> None:
        """Record a failed poll; re-raise ``exc`` unless it is transient."""
        if not is_transient(exc):
            raise exc
        headers = exc.headers if isinstance(exc, APIStatusError) else None
        self._hint = poll_hint(headers, self._wall_clock)
        self._error = exc
        limited = isinstance(exc, RateLimitError)
        self.state = self.state.after_failure(now=self._clock(), rate_limited=limited)

    def check(self, describe: Callable[[StopReason], WaitTimeout]) -> None:
        """Raise if a budget ran out: the last error for the failure budget, else the
        [`WaitTimeout`][ftjobs.WaitTimeout] built by ``describe``."""
        reason = self.state.exhausted(self.policy, now=self._clock())
        if reason is None:
            return
        if reason is StopReason.FAILURES and self._error is not None:
            raise self._error
        raise describe(reason)

    def delay(self, estimated_finish: float | None = None) -> float:
        """Seconds to sleep before the next poll, given the job's ``estimated_finish``."""
        return next_delay(
            self.policy,
            self.state,
            now=self._clock(),
            eta=eta_seconds(estimated_finish, wall_now=self._wall_clock()),
            server_hint=self._hint,
            rng=self._rng,
        )
