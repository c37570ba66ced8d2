"""The per-request retry decision, kept pure so it is testable without a socket or a sleep.

The transport asks two questions of this module after each failed attempt: *should this be
retried?* ([`should_retry()`][ftjobs._retry.should_retry]) and *how long to wait first?*
([`retry_delay()`][ftjobs._retry.retry_delay]). Both are functions of the failure, the response
headers, the attempt number, an injected random number generator and an injected wall clock.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping

import attrs

__all__ = [
    "GATEWAY_RETRY_COUNT_HEADER",
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "exponential_backoff",
    "gateway_exhausted",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

#: Statuses retried by default: request timeout, conflict (a lock held by a concurrent request
#: with the same idempotency key), rate limit, and every server error.
RETRYABLE_STATUSES = frozenset({408, 409, 429})

#: Portkey's count of the retries it made; ``-1`` means it made all it was allowed and failed.
GATEWAY_RETRY_COUNT_HEADER = "x-portkey-retry-attempt-count"


@attrs.frozen
class RetryPolicy:
    """How failed requests are retried.

    The wait before retry ``n`` (1-based) is ``min(initial_delay * multiplier**(n-1), max_delay)``
    scaled by a random factor in ``[1 - jitter, 1]``, unless the server asked for a specific
    wait with ``retry-after-ms`` or ``Retry-After`` no longer than ``max_retry_after``.

    Attributes:
        max_retries: Retries after the first attempt (``0`` disables retrying).
        initial_delay: Seconds before the first retry.
        multiplier: Growth factor of the delay per retry.
        max_delay: Upper bound on a computed delay, in seconds.
        jitter: Fraction of the delay that is randomised (0 = none, 1 = full jitter).
        max_retry_after: Longest server-requested wait honoured; a longer one falls back to
            the computed delay (a proxy's "come back in an hour" should not stall a request).
    """

    max_retries: int = attrs.field(default=2)
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    @max_retries.validator
    def _check_max_retries(self, _attribute: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"max_retries must be an int >= 0, got {value!r}")


def exponential_backoff(initial: float, multiplier: float, exponent: int, cap: float) -> float:
    """``min(initial * multiplier ** exponent, cap)``: the one backoff formula of the package.

    Request retries, poll pacing (unchanged polls, failure and 429 streaks) and the task-queue
    helpers' re-runs all grow their delays with it. A streak long enough to overflow a float
    gives ``cap``.
    """
    try:
        return min(initial * multiplier**exponent, cap)
    except OverflowError:
        return cap


def gateway_exhausted(headers: Mapping[str, str] | None) -> bool:
    """True when a gateway in front of the API already retried this request until it gave up
    (Portkey's ``x-portkey-retry-attempt-count: -1``)."""
    if not headers:
        return False
    return headers.get(GATEWAY_RETRY_COUNT_HEADER, "").strip() == "-1"


def should_retry(
    status: int | None,
    headers: Mapping[str, str] | None = None,
    *,
    gateway_retries: bool = True,
) -> bool:
    """Decide whether a failed attempt is worth another try.

    Args:
        status: The HTTP status, or ``None`` for a connection failure, a timeout, or a 2xx body
            that could not be read (all transient).
        headers: Response headers. A gateway that exhausted its own retries
            ([`gateway_exhausted()`][ftjobs._retry.gateway_exhausted]) means no retry on top of it;
            otherwise ``x-should-retry: true|false`` from the server overrides the status rule.
        gateway_retries: ``False`` ignores the gateway's verdict and answers "is this failure
            transient?" (a poll a while later is a new request, not a retry multiplied).
    """
    if headers is not None:
        if gateway_retries and gateway_exhausted(headers):
            return False
        hint = headers.get("x-should-retry", "").strip().lower()
        if hint == "true":
            return True
        if hint == "false":
            return False
    if status is None:
        return True
    return status in RETRYABLE_STATUSES or status >= 500


def parse_retry_after(headers: Mapping[str, str] | None, now: Callable[[], float]) -> float | None:
    """Return the wait the server asked for, in seconds, or ``None``.

    ``retry-after-ms`` wins over ``Retry-After``; ``Retry-After`` may be a number of seconds or
    an HTTP date (resolved against ``now()``, a unix timestamp).
    """
    if not headers:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - now(), 0.0)


def retry_delay(
    policy: RetryPolicy,
    retry_number: int,
    headers: Mapping[str, str] | None = None,
    *,
    rng: random.Random | None = None,
    now: Callable[[], float] = time.time,
) -> float:
    """Seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
    server_wait = parse_retry_after(headers, now)
    if server_wait is not None and server_wait <= policy.max_retry_after:
        return server_wait
    base = exponential_backoff(
        policy.initial_delay, policy.multiplier, retry_number - 1, policy.max_delay
    )
    factor = 1.0 - policy.jitter * (rng or random).random()
    return base * factor
