"""The per-request retry decision, kept pure so it is testable without a socket or a sleep.

The transport asks two questions of this module after each failed attempt: *should this be
retried?* ([`should_retry()`][ftjobs._retry.should_retry]) and *how long to wait first?*
([`retry_delay()`][ftjobs._retry.retry_delay]). Both are functions of the failure, the response
headers, the attempt number, an injected random number generator and an injected wall clock.
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC

import attrs

__all__ = [
    "GATEWAY_RETRY_COUNT_HEADER",
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "exponential_backoff",
    "gateway_exhausted",
    "parse_http_date",
    "parse_retry_after",
    "parse_seconds",
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


#: A server-sent number of seconds (or milliseconds): ASCII digits with an optional fraction.
#: No sign, exponent, underscore, ``inf``/``nan`` or non-ASCII digit, all of which ``float()``
#: would accept; the length bound keeps a hostile header from costing more than a glance.
_NUMBER = re.compile(r"[0-9]{1,20}(?:\.[0-9]{0,9})?", re.ASCII)

#: The headers a server uses to ask for a wait, in order of precedence, with their unit.
_WAIT_HEADERS = (("retry-after-ms", 0.001), ("retry-after", 1.0))
_POLL_HEADERS = (("openai-poll-after-ms", 0.001), *_WAIT_HEADERS)


def parse_seconds(raw: str | None, unit: float = 1.0) -> float | None:
    """A non-negative finite number of ``unit`` seconds from a header value, or ``None``.

    The one reader of server-sent numbers of seconds: it never raises, whatever the value.
    """
    if raw is None:
        return None
    text = raw.strip(" \t")
    if not _NUMBER.fullmatch(text):
        return None
    return float(text) * unit


def parse_http_date(raw: str | None, now: Callable[[], float]) -> float | None:
    """Seconds from ``now()`` (unix time) until the HTTP date ``raw`` (``0.0`` if it has
    passed), or ``None`` if ``raw`` is not a date that can be represented.

    Never raises: a zone offset of thirteen digits (``OverflowError`` inside the standard
    library) is simply not a date.
    """
    if raw is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw)
        if when.tzinfo is None:  # "-0000": the zone is unknown; HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        left = when.timestamp() - now()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(left, 0.0) if math.isfinite(left) else None


def parse_retry_after(
    headers: Mapping[str, str] | None, now: Callable[[], float], *, poll: bool = False
) -> float | None:
    """Return the wait the server asked for, in seconds, or ``None``.

    ``retry-after-ms`` wins over ``Retry-After``; ``Retry-After`` may be a number of seconds or
    an HTTP date (resolved against ``now()``, a unix timestamp). With ``poll``, OpenAI's
    ``openai-poll-after-ms`` wins over both. Header names match case-insensitively even in a
    plain ``dict``. A value that is not a plain non-negative number (or, for ``Retry-After``,
    a representable date) is ignored, and the next header is read: this never raises.
    """
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    for name, unit in _POLL_HEADERS if poll else _WAIT_HEADERS:
        raw = lowered.get(name)
        wait = parse_seconds(raw, unit)
        if wait is None and name == "retry-after":
            wait = parse_http_date(raw, now)
        if wait is not None:
            return wait
    return None


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
