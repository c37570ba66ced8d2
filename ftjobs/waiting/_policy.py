"""The pure core of the job waiter: when to poll next, and when to give up.

Nothing here sleeps or talks to the network. A waiter keeps a `PollState` (a frozen
value), feeds it the outcome of each poll (`PollState.after_poll()`,
`PollState.after_failure()`), asks whether a budget ran out (`PollState.exhausted()`),
and otherwise asks `next_delay()` how long to sleep. ``now`` is always a float of seconds
on one monotonic clock (``time.monotonic()``) chosen by the caller; the server's
``estimated_finish`` is a wall-clock timestamp, so it enters as seconds-from-now
(`eta_seconds()`).

The delay, in order (every constant is a [`PollPolicy`][ftjobs.PollPolicy] field):

1. **Base.** With a usable ETA and ``steer_to_eta``: far from the ETA we sleep
   ``eta_fraction`` of the time left (at most ``max_interval``); once that fraction would be
   shorter than ``initial_interval`` we sleep *to* the ETA (at least ``eta_interval``), so a
   poll lands right when the job should finish; past the ETA we poll every ``eta_interval``
   and back off with the lateness (``eta_fraction * lateness``, capped), because an estimate
   that was wrong once may be wrong by a lot. Without an ETA: exponential backoff
   ``initial_interval * multiplier ** attempt`` capped at ``max_interval``, where ``attempt``
   counts successful polls since the status last changed (a change resets it: activity means
   more activity is likely).
2. **Transient failures.** After ``k`` consecutive transient failures the delay is at least
   ``initial_interval * multiplier ** k`` (capped at ``max_interval``).
3. **Rate limited.** After ``k`` consecutive 429s the delay is multiplied by
   ``rate_limit_multiplier ** k``, capped at ``max_rate_limited_interval``.
4. **Jitter.** The delay is scaled by a factor uniform in ``(1 - jitter, 1]`` (the same scheme
   as [`ftjobs.RetryPolicy`][ftjobs.RetryPolicy]; ``jitter=1`` is AWS "full jitter", the
   default 0.25 makes the mean delay 12.5% shorter than the nominal one).
5. **Server hint** (``openai-poll-after-ms`` or ``Retry-After``, capped at ``max_server_hint``)
   is a floor: a shorter delay is raised to ``hint * (1 + jitter * u)`` (``u`` the same uniform
   draw) so waiters that got the same hint do not come back in lockstep.
6. **Budgets.** The delay never sleeps past the total deadline nor, while queued, past the end
   of the queued budget: the last poll happens right at the deadline, a final look before
   giving up.
"""

from __future__ import annotations

import enum
import math
import random
import time
from collections.abc import Callable, Mapping

import attrs

from .. import _validation as check
from .._retry import exponential_backoff, parse_retry_after

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "DEFAULT_WEBHOOK_SAFETY_INTERVAL",
    "QUEUED",
    "QUEUED_STATUSES",
    "PollPolicy",
    "PollState",
    "StopReason",
    "eta_seconds",
    "next_delay",
    "poll_hint",
    "safety_look_due",
    "status_key",
    "webhook_delay",
]

#: Default total budget of one wait: 24 hours. ``timeout=None`` waits forever (explicit opt-in).
DEFAULT_WAIT_TIMEOUT = 24 * 3600.0

#: Default `PollPolicy.webhook_safety_interval`: with webhooks arriving, a wait polls every
#: 5 minutes, so a lost webhook delays the wait's return by at most that.
DEFAULT_WEBHOOK_SAFETY_INTERVAL = 300.0

#: OpenAI's status for a job waiting to start.
QUEUED = "queued"
#: The statuses whose time counts against `PollPolicy.queued_timeout`: ``queued`` and the
#: other dialects' words for "not started yet" (Azure OpenAI's ``created``, ``pending`` and
#: older ``notRunning``).
QUEUED_STATUSES: frozenset[str] = frozenset({QUEUED, "created", "pending", "notRunning"})


@attrs.frozen
class PollPolicy:
    """How a waiter paces its polls and how long it is willing to wait.

    Attributes:
        initial_interval: Seconds between polls right after a status change, and near the ETA.
        multiplier: Growth of the interval per unchanged poll (``>= 1``).
        max_interval: Cap on the computed interval (a server hint may exceed it).
        jitter: Fraction of each delay that is randomised, in ``[0, 1]``.
        timeout: Total seconds to wait (default 24 h); ``None`` waits forever.
        queued_timeout: Seconds the job may spend ``queued`` (accumulated; Azure's ``created``
            and ``pending`` count too); ``None``: no limit.
        max_consecutive_failures: Give up after this many transient failures in a row;
            ``None``: no count limit.
        failure_timeout: Give up once transient failures have lasted this many seconds without
            a successful poll in between (default 10 min); ``None``: no time limit.
        steer_to_eta: Use the server's ``estimated_finish`` to pace polls.
        eta_fraction: Fraction of the distance to the ETA slept per poll, in ``(0, 1]``.
        eta_interval: Interval right at and just past the ETA, when the job is most likely
            to finish (never longer than ``initial_interval``).
        rate_limit_multiplier: Extra slow-down per consecutive 429 (``>= 1``).
        max_rate_limited_interval: Cap on a delay slowed down by 429s (``>= max_interval``).
        max_server_hint: Longest server-requested delay honoured; a longer one is cut to this.
        webhook_safety_interval: Once the client receives webhooks, a wait that does not
            follow events polls only this often (default 300 s, the Standard Webhooks
            timestamp tolerance): the webhook wakes it when its job ends, so a lost webhook
            costs at most this much lag, never a lost job. ``None`` keeps the usual pacing.
    """

    initial_interval: float = attrs.field(default=2.0, validator=check.positive)
    multiplier: float = attrs.field(default=1.5)
    max_interval: float = attrs.field(default=60.0, validator=check.positive)
    jitter: float = attrs.field(default=0.25)
    timeout: float | None = attrs.field(
        default=DEFAULT_WAIT_TIMEOUT, validator=check.positive_or_none
    )
    queued_timeout: float | None = attrs.field(default=None, validator=check.positive_or_none)
    max_consecutive_failures: int | None = attrs.field(default=None)
    failure_timeout: float | None = attrs.field(default=600.0, validator=check.positive_or_none)
    steer_to_eta: bool = True
    eta_fraction: float = attrs.field(default=0.5)
    eta_interval: float = attrs.field(default=0.5, validator=check.positive)
    rate_limit_multiplier: float = attrs.field(default=2.0)
    max_rate_limited_interval: float = attrs.field(default=300.0, validator=check.positive)
    max_server_hint: float = attrs.field(default=600.0, validator=check.positive)
    webhook_safety_interval: float | None = attrs.field(
        default=DEFAULT_WEBHOOK_SAFETY_INTERVAL, validator=check.positive_or_none
    )

    @multiplier.validator
    def _check_multiplier(self, _attribute: object, value: float) -> None:
        if not math.isfinite(value) or value < 1:
            raise ValueError(f"multiplier must be a finite number >= 1, got {value!r}")

    @rate_limit_multiplier.validator
    def _check_rate_limit_multiplier(self, _attribute: object, value: float) -> None:
        if not math.isfinite(value) or value < 1:
            raise ValueError(f"rate_limit_multiplier must be a finite number >= 1, got {value!r}")

    @jitter.validator
    def _check_jitter(self, _attribute: object, value: float) -> None:
        if not 0 <= value <= 1:
            raise ValueError(f"jitter must be in [0, 1], got {value!r}")

    @eta_fraction.validator
    def _check_eta_fraction(self, _attribute: object, value: float) -> None:
        if not 0 < value <= 1:
            raise ValueError(f"eta_fraction must be in (0, 1], got {value!r}")

    @max_consecutive_failures.validator
    def _check_max_failures(self, _attribute: object, value: int | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"max_consecutive_failures must be an int >= 1 or None, got {value!r}")

    def __attrs_post_init__(self) -> None:
        if self.max_interval < self.initial_interval:
            raise ValueError(
                f"max_interval ({self.max_interval}) must be >= initial_interval "
                f"({self.initial_interval})"
            )
        if self.max_rate_limited_interval < self.max_interval:
            raise ValueError(
                f"max_rate_limited_interval ({self.max_rate_limited_interval}) must be >= "
                f"max_interval ({self.max_interval})"
            )


class StopReason(enum.Enum):
    """Which budget ran out (see `PollState.exhausted()`)."""

    #: The total budget (`PollPolicy.timeout`, or a resumed token's budget) is spent.
    TIMEOUT = "timeout"
    #: The job has been ``queued`` for longer than `PollPolicy.queued_timeout`.
    QUEUED_TIMEOUT = "queued_timeout"
    #: Transient failures exceeded ``max_consecutive_failures`` or ``failure_timeout``.
    FAILURES = "failures"


def status_key(status: str | enum.Enum) -> str:
    """Return a job status as a plain string (``JobStatus.QUEUED`` -> ``"queued"``)."""
    if isinstance(status, enum.Enum):
        return str(status.value)
    return str(status)


@attrs.frozen
class PollState:
    """What a waiter knows between polls. Transitions return a new value.

    Build one with `start()` (or from a continuation token), then replace it with the
    result of `after_poll()` / `after_failure()` after every poll.

    Attributes:
        started_at: ``now`` when this wait (or this resumption) began.
        deadline: ``now`` value at which the total budget runs out; ``None``: never.
        attempt: Successful polls since the status last changed (0 right after a change).
        last_status: Status seen by the last successful poll (``None`` before the first).
        last_poll_at: ``now`` of the last successful poll (``None`` before the first).
        queued_used: Seconds spent ``queued`` up to ``last_poll_at``.
        consecutive_failures: Transient failures since the last successful poll.
        failing_since: ``now`` of the first of those failures, or ``None``.
        rate_limited: 429 answers since the last successful poll.
        last_event_id: Id of the newest event already seen (for ``after=`` cursors).
        last_checkpoint_id: Id of the newest checkpoint already seen.
    """

    started_at: float
    deadline: float | None
    attempt: int = 0
    last_status: str | None = None
    last_poll_at: float | None = None
    queued_used: float = 0.0
    consecutive_failures: int = 0
    failing_since: float | None = None
    rate_limited: int = 0
    last_event_id: str | None = None
    last_checkpoint_id: str | None = None

    @classmethod
    def start(cls, policy: PollPolicy, *, now: float) -> PollState:
        """A fresh wait beginning at ``now`` with ``policy.timeout`` as its total budget."""
        deadline = None if policy.timeout is None else now + policy.timeout
        return cls(started_at=now, deadline=deadline)

    def with_budget(self, budget_left: float | None, *, now: float) -> PollState:
        """The same state with the total budget reset to ``budget_left`` seconds from ``now``."""
        return attrs.evolve(self, deadline=None if budget_left is None else now + budget_left)

    def after_poll(
        self,
        status: str | enum.Enum,
        *,
        now: float,
        last_event_id: str | None = None,
        last_checkpoint_id: str | None = None,
    ) -> PollState:
        """Record a successful poll that saw ``status`` at ``now``.

        Args:
            status: The job's status.
            now: The clock reading when the response arrived.
            last_event_id: Newest event id seen by this poll, if it listed events; ``None``
                keeps the previous one.
            last_checkpoint_id: The same for checkpoints.
        """
        key = status_key(status)
        changed = key != self.last_status
        return attrs.evolve(
            self,
            attempt=0 if changed else self.attempt + 1,
            last_status=key,
            last_poll_at=now,
            queued_used=self.queued_used_at(now),
            consecutive_failures=0,
            failing_since=None,
            rate_limited=0,
            last_event_id=self.last_event_id if last_event_id is None else last_event_id,
            last_checkpoint_id=(
                self.last_checkpoint_id if last_checkpoint_id is None else last_checkpoint_id
            ),
        )

    def after_failure(self, *, now: float, rate_limited: bool = False) -> PollState:
        """Record a failed poll.

        Args:
            now: The clock reading when the failure was seen.
            rate_limited: ``True`` for a 429 (counts toward the slow-down, not toward the
                failure budget: the server is healthy, we are too fast); ``False`` for a
                transient failure (connection error, timeout, 5xx).
        """
        if rate_limited:
            return attrs.evolve(self, rate_limited=self.rate_limited + 1)
        return attrs.evolve(
            self,
            consecutive_failures=self.consecutive_failures + 1,
            failing_since=now if self.failing_since is None else self.failing_since,
        )

    def time_left(self, now: float) -> float | None:
        """Seconds of total budget left at ``now`` (may be negative); ``None``: unbounded."""
        return None if self.deadline is None else self.deadline - now

    def queued_used_at(self, now: float) -> float:
        """Seconds spent queued up to ``now``.

        Only polls are observed, so the time between two polls is charged to the status the
        first of them saw: a job last seen ``queued`` keeps accruing queued time until a poll
        sees otherwise.
        """
        if self.last_status in QUEUED_STATUSES and self.last_poll_at is not None:
            return self.queued_used + max(now - self.last_poll_at, 0.0)
        return self.queued_used

    def exhausted(self, policy: PollPolicy, *, now: float) -> StopReason | None:
        """Which budget has run out at ``now``, or ``None`` to keep going.

        Checked in order: total budget, queued budget (only while the job is ``queued``),
        transient-failure budget.
        """
        left = self.time_left(now)
        if left is not None and left <= 0:
            return StopReason.TIMEOUT
        if (
            policy.queued_timeout is not None
            and self.last_status in QUEUED_STATUSES
            and self.queued_used_at(now) >= policy.queued_timeout
        ):
            return StopReason.QUEUED_TIMEOUT
        if self.consecutive_failures:
            if (
                policy.max_consecutive_failures is not None
                and self.consecutive_failures >= policy.max_consecutive_failures
            ):
                return StopReason.FAILURES
            if (
                policy.failure_timeout is not None
                and self.failing_since is not None
                and now - self.failing_since >= policy.failure_timeout
            ):
                return StopReason.FAILURES
        return None


def eta_seconds(estimated_finish: float | None, *, wall_now: float) -> float | None:
    """Seconds from ``wall_now`` (unix time) to the job's ``estimated_finish``.

    Negative when the job is late. ``None`` when there is no usable estimate: ``None`` or a
    non-positive timestamp (the API's examples show ``0`` for "unknown").
    """
    if estimated_finish is None or isinstance(estimated_finish, bool) or estimated_finish <= 0:
        return None
    return float(estimated_finish) - wall_now


def poll_hint(
    headers: Mapping[str, str] | None, now: Callable[[], float] = time.time
) -> float | None:
    """The delay the server asked for, in seconds, or ``None``.

    ``openai-poll-after-ms`` wins; otherwise ``retry-after-ms`` / ``Retry-After`` (seconds or
    an HTTP date resolved against ``now()``, a unix timestamp). Header names are matched
    case-insensitively even in a plain ``dict``; a value that is not a plain non-negative
    number (or date) is ignored, never raised on.
    """
    return parse_retry_after(headers, now, poll=True)


def _base_delay(policy: PollPolicy, state: PollState, eta: float | None) -> float:
    if policy.steer_to_eta and eta is not None and math.isfinite(eta):
        closest = min(policy.eta_interval, policy.initial_interval)
        if eta > 0:
            delay = policy.eta_fraction * eta
            if delay < policy.initial_interval:
                # Creeping up on the ETA in ever smaller steps costs polls; land on it.
                delay = max(eta, closest)
            return min(delay, policy.max_interval)
        return min(max(policy.eta_fraction * -eta, closest), policy.max_interval)
    return exponential_backoff(
        policy.initial_interval, policy.multiplier, state.attempt, policy.max_interval
    )


def next_delay(
    policy: PollPolicy,
    state: PollState,
    *,
    now: float,
    eta: float | None = None,
    server_hint: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to sleep before the next poll (see the module docstring for the rules).

    Call it after `PollState.exhausted()` returned ``None``.

    Args:
        policy: The pacing and budgets.
        state: The state after the last poll (its outcome, status, failure streaks).
        now: The current clock reading (same clock as the state's).
        eta: Seconds until the job's estimated finish (`eta_seconds()`), or ``None``.
        server_hint: Minimum delay the server asked for (`poll_hint()`), or ``None``.
        rng: Source of jitter (``random`` module when omitted); inject a seeded one in tests.
    """
    delay = _base_delay(policy, state, eta)
    if state.consecutive_failures:
        failure_delay = exponential_backoff(
            policy.initial_interval,
            policy.multiplier,
            state.consecutive_failures,
            policy.max_interval,
        )
        delay = max(delay, failure_delay)
    if state.rate_limited:
        delay = exponential_backoff(
            delay,
            policy.rate_limit_multiplier,
            state.rate_limited,
            policy.max_rate_limited_interval,
        )
    u = (rng or random).random()
    delay *= 1.0 - policy.jitter * u
    if server_hint is not None and math.isfinite(server_hint) and server_hint > 0:
        floor = min(server_hint, policy.max_server_hint)
        if delay < floor:
            delay = floor * (1.0 + policy.jitter * u)
    left = state.time_left(now)
    if left is not None:
        delay = min(delay, left)
    if policy.queued_timeout is not None and state.last_status in QUEUED_STATUSES:
        delay = min(delay, policy.queued_timeout - state.queued_used_at(now))
    return max(delay, 0.0)


def safety_look_due(delay: float, *, asked_at: float | None, now: float) -> float:
    """When a wait that webhooks wake takes its next look, ``delay`` being its safety delay.

    A job that ends just after the server answered the last look, and whose webhook is lost,
    must be seen within ``delay``: so the next look is due ``delay`` after the last one was
    asked for, less the round trip the last one took (the next will take about as long).
    ``asked_at`` is when the last look's request started (``None``: unknown, count from
    ``now``, when it was answered). Never earlier than ``now``.
    """
    if asked_at is None:
        return now + delay
    round_trip = max(now - asked_at, 0.0)
    return max(asked_at + delay - round_trip, now)


def webhook_delay(policy: PollPolicy, delay: float, *, time_left: float | None) -> float:
    """The delay before the next poll of a wait that a webhook will wake: at least the
    policy's ``webhook_safety_interval``, never past the wait's deadline (``time_left``)."""
    if policy.webhook_safety_interval is not None:
        delay = max(delay, policy.webhook_safety_interval)
    if time_left is not None:
        delay = min(delay, max(time_left, 0.0))
    return delay
