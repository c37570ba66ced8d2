"""A request budget shared by every waiter of one client, so thousands of waiters never
stampede the API.

The decisions live in `TokenBucket`, a frozen value whose methods take the clock
reading ``now`` and return a new bucket (plus, for `TokenBucket.try_acquire()`, how long to
wait). [`RequestBudget`][ftjobs.waiting.RequestBudget] is the thin async shell around it:
one ``asyncio.Lock`` queues the callers of
[`RequestBudget.acquire()`][ftjobs.waiting.RequestBudget.acquire] in FIFO order, and only
the caller at the head of the queue sleeps until the bucket has a token.

The rate adapts AIMD-style: a 429 multiplies it by ``decrease_factor`` (at most once per
``decrease_cooldown``, because the requests already in flight answer 429 too), empties the
bucket and, with a ``Retry-After``, pauses everyone until then; each success adds
``additive_increase`` requests per second back, up to ``rate``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .. import _validation as check

__all__ = ["RatePolicy", "RequestBudget", "TokenBucket"]

# Float slack so that sleeping exactly the computed wait always yields a whole token.
_EPSILON = 1e-9


@attrs.frozen
class RatePolicy:
    """Shape of the shared request budget.

    Attributes:
        rate: Requests per second when healthy: the starting and the highest rate.
        burst: Bucket capacity: requests that may go out back to back after a quiet spell
            (``>= 1``).
        min_rate: Floor the rate never drops below, however many 429s arrive.
        decrease_factor: Multiplier applied to the rate on a 429, in ``(0, 1)``.
        decrease_cooldown: Seconds after a decrease during which further 429s do not decrease
            the rate again (they still empty the bucket and honour ``Retry-After``).
        additive_increase: Requests per second given back after each success.
        max_pause: Longest ``Retry-After`` honoured as a pause for everyone, in seconds.
    """

    rate: float = attrs.field(default=10.0, validator=check.positive)
    burst: float = attrs.field(default=10.0, validator=check.positive)
    min_rate: float = attrs.field(default=0.2, validator=check.positive)
    decrease_factor: float = attrs.field(default=0.5)
    decrease_cooldown: float = attrs.field(default=2.0, validator=check.non_negative)
    additive_increase: float = attrs.field(default=0.05, validator=check.non_negative)
    max_pause: float = attrs.field(default=60.0, validator=check.non_negative)

    @decrease_factor.validator
    def _check_decrease_factor(self, _attribute: object, value: float) -> None:
        if not 0 < value < 1:
            raise ValueError(f"decrease_factor must be in (0, 1), got {value!r}")

    def __attrs_post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst!r}")
        if self.min_rate > self.rate:
            raise ValueError(f"min_rate ({self.min_rate}) must be <= rate ({self.rate})")


@attrs.frozen
class TokenBucket:
    """The budget's state at ``updated_at``; every method returns a new bucket.

    Attributes:
        policy: The shape of the budget.
        rate: Current refill rate in requests per second (``policy.min_rate``..``policy.rate``).
        tokens: Tokens available at ``updated_at`` (``0``..``policy.burst``).
        updated_at: Clock reading the state refers to.
        paused_until: No token is handed out, nor refilled, before this clock reading.
        last_decrease_at: Clock reading of the last rate decrease, or ``None``.
    """

    policy: RatePolicy
    rate: float
    tokens: float
    updated_at: float
    paused_until: float = -math.inf
    last_decrease_at: float | None = None

    @classmethod
    def full(cls, policy: RatePolicy, *, now: float) -> TokenBucket:
        """A bucket at full rate holding ``policy.burst`` tokens at ``now``."""
        return cls(policy=policy, rate=policy.rate, tokens=policy.burst, updated_at=now)

    def refill(self, now: float) -> TokenBucket:
        """The bucket brought forward to ``now`` (a clock going backwards counts as no time)."""
        now = max(now, self.updated_at)
        accrue_from = max(self.updated_at, self.paused_until)
        tokens = self.tokens
        if now > accrue_from:
            tokens = min(self.policy.burst, tokens + (now - accrue_from) * self.rate)
        return attrs.evolve(self, tokens=tokens, updated_at=now)

    def try_acquire(self, now: float) -> tuple[TokenBucket, float]:
        """Take one token at ``now`` if there is one.

        Returns:
            ``(bucket, 0.0)`` with the token taken, or ``(bucket, wait)``: no token taken,
            and ``wait`` seconds until one will be available at the current rate.
        """
        bucket = self.refill(now)
        now = bucket.updated_at
        if now >= bucket.paused_until and bucket.tokens >= 1 - _EPSILON:
            return attrs.evolve(bucket, tokens=max(bucket.tokens - 1, 0.0)), 0.0
        paused_for = max(bucket.paused_until - now, 0.0)
        shortfall = max(1 - bucket.tokens, 0.0)
        return bucket, paused_for + shortfall / bucket.rate

    def rate_limited(self, now: float, retry_after: float | None = None) -> TokenBucket:
        """Apply a 429 seen at ``now``.

        Empties the bucket, pauses until ``now + retry_after`` (capped at
        ``policy.max_pause``) and decreases the rate unless it was decreased less than
        ``policy.decrease_cooldown`` ago.
        """
        bucket = self.refill(now)
        now = bucket.updated_at
        rate = bucket.rate
        last_decrease_at = bucket.last_decrease_at
        if last_decrease_at is None or now - last_decrease_at >= self.policy.decrease_cooldown:
            rate = max(rate * self.policy.decrease_factor, self.policy.min_rate)
            last_decrease_at = now
        paused_until = bucket.paused_until
        if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
            paused_until = max(paused_until, now + min(retry_after, self.policy.max_pause))
        return attrs.evolve(
            bucket,
            rate=rate,
            tokens=0.0,
            paused_until=paused_until,
            last_decrease_at=last_decrease_at,
        )

    def succeeded(self, now: float) -> TokenBucket:
        """Apply a successful request seen at ``now``: the rate recovers additively."""
        bucket = self.refill(now)
        rate = min(bucket.rate + self.policy.additive_increase, self.policy.rate)
        return attrs.evolve(bucket, rate=rate)


class RequestBudget:
    """The async, shared face of a `TokenBucket`.

    One instance per client; every waiter calls
    [`acquire()`][ftjobs.waiting.RequestBudget.acquire] before each poll and reports the
    outcome with [`on_success()`][ftjobs.waiting.RequestBudget.on_success] or
    [`on_rate_limited()`][ftjobs.waiting.RequestBudget.on_rate_limited].

    Callers are served first come, first served. Cancelling
    [`acquire()`][ftjobs.waiting.RequestBudget.acquire] (directly or through
    ``asyncio.wait_for``) is safe: a token is only taken at the moment it is handed out, so a
    cancelled caller leaves nothing reserved and the next one moves up.

    Args:
        policy: Shape of the budget (defaults: 10 requests/s, burst 10).
        clock: Monotonic clock in seconds.
        sleep: Coroutine function used to wait (inject a fake one in tests).
    """

    def __init__(
        self,
        policy: RatePolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._policy = policy or RatePolicy()
        self._clock = clock
        self._sleep = sleep
        self._bucket = TokenBucket.full(self._policy, now=clock())
        self._lock = asyncio.Lock()

    @property
    def policy(self) -> RatePolicy:
        """The shape of the budget."""
        return self._policy

    @property
    def bucket(self) -> TokenBucket:
        """A snapshot of the current state (for diagnostics and tests)."""
        return self._bucket

    @property
    def rate(self) -> float:
        """Current rate in requests per second."""
        return self._bucket.rate

    async def acquire(self) -> None:
        """Wait for this caller's turn and take one request from the budget."""
        async with self._lock:
            while True:
                self._bucket, wait = self._bucket.try_acquire(self._clock())
                if wait <= 0:
                    return
                # Only the head of the queue sleeps; it re-checks on waking because the rate
                # or a pause may have changed meanwhile.
                await self._sleep(wait)

    def on_rate_limited(self, retry_after: float | None = None) -> None:
        """Report a 429 (with its ``Retry-After`` in seconds, if any): everyone slows down."""
        self._bucket = self._bucket.rate_limited(self._clock(), retry_after)

    def on_success(self) -> None:
        """Report a successful request: the rate recovers a little."""
        self._bucket = self._bucket.succeeded(self._clock())
