from __future__ import annotations

import math
import random

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftjobs._models import JobStatus
from ftjobs.waiting._policy import (
    DEFAULT_WAIT_TIMEOUT,
    QUEUED,
    PollPolicy,
    PollState,
    StopReason,
    eta_seconds,
    next_delay,
    poll_hint,
    status_key,
)

NO_JITTER = PollPolicy(jitter=0.0)


class FixedRandom(random.Random):
    """An rng whose ``random()`` always returns ``value``: pins the jitter draw."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def polled(policy: PollPolicy, statuses: list[str], *, start: float = 0.0) -> PollState:
    state = PollState.start(policy, now=start)
    for i, status in enumerate(statuses):
        state = state.after_poll(status, now=start + i)
    return state


# --- policy ---------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = PollPolicy()
    assert policy.timeout == DEFAULT_WAIT_TIMEOUT == 86400.0
    assert policy.queued_timeout is None
    assert (policy.initial_interval, policy.multiplier, policy.max_interval) == (2.0, 1.5, 60.0)
    assert policy.jitter == 0.25


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_interval": 0},
        {"initial_interval": math.nan},
        {"multiplier": 0.5},
        {"max_interval": 1.0, "initial_interval": 2.0},
        {"jitter": 1.5},
        {"jitter": -0.1},
        {"timeout": 0},
        {"timeout": -1.0},
        {"queued_timeout": math.inf},
        {"max_consecutive_failures": 0},
        {"max_consecutive_failures": True},
        {"failure_timeout": 0},
        {"eta_fraction": 0},
        {"eta_fraction": 1.5},
        {"rate_limit_multiplier": 0.9},
        {"max_rate_limited_interval": 30.0},
        {"max_server_hint": 0},
    ],
)
def test_policy_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PollPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_timeout_none_is_allowed() -> None:
    state = PollState.start(PollPolicy(timeout=None), now=5.0)
    assert state.deadline is None
    assert state.time_left(1e12) is None
    assert state.exhausted(PollPolicy(timeout=None), now=1e12) is None


# --- status and eta helpers ------------------------------------------------------------------


def test_status_key_accepts_enum_and_str() -> None:
    assert status_key(JobStatus.QUEUED) == "queued"
    assert status_key("pending") == "pending"
    state = PollState.start(NO_JITTER, now=0).after_poll(JobStatus.QUEUED, now=0)
    assert state.last_status == QUEUED
    # The enum and its string are the same status: no reset.
    assert state.after_poll("queued", now=1).attempt == 1


@pytest.mark.parametrize(
    ("estimated_finish", "expected"),
    [(None, None), (0, None), (-5, None), (True, None), (1_000_100, 100.0), (999_990, -10.0)],
)
def test_eta_seconds(estimated_finish: int | None, expected: float | None) -> None:
    assert eta_seconds(estimated_finish, wall_now=1_000_000.0) == expected


# --- backoff ---------------------------------------------------------------------------------


def test_backoff_grows_geometrically_then_caps() -> None:
    state = PollState.start(NO_JITTER, now=0)
    delays = []
    for i in range(15):
        state = state.after_poll("running", now=float(i))
        delays.append(next_delay(NO_JITTER, state, now=float(i)))
    assert delays[:4] == [2.0, 3.0, 4.5, 6.75]
    assert max(delays) == 60.0
    assert delays[-1] == 60.0
    assert delays == sorted(delays)


def test_backoff_survives_huge_attempt_counts() -> None:
    state = attrs.evolve(polled(NO_JITTER, ["running"]), attempt=10**9)
    assert next_delay(NO_JITTER, state, now=0.0) == 60.0


def test_status_change_resets_backoff() -> None:
    state = polled(NO_JITTER, ["queued"] * 10)
    assert next_delay(NO_JITTER, state, now=9.0) > NO_JITTER.initial_interval
    state = state.after_poll("running", now=10.0)
    assert state.attempt == 0
    assert next_delay(NO_JITTER, state, now=10.0) == NO_JITTER.initial_interval
    state = state.after_poll("running", now=12.0)
    assert next_delay(NO_JITTER, state, now=12.0) == 3.0


def test_new_event_alone_does_not_reset_backoff() -> None:
    state = polled(NO_JITTER, ["running"] * 5)
    after = state.after_poll("running", now=6.0, last_event_id="ftevent-9")
    assert after.attempt == state.attempt + 1
    assert after.last_event_id == "ftevent-9"
    # A poll that saw no events keeps the last id.
    assert after.after_poll("running", now=7.0).last_event_id == "ftevent-9"


# --- jitter ----------------------------------------------------------------------------------


@pytest.mark.parametrize("jitter", [0.25, 1.0])
def test_jitter_stays_within_bounds_and_spreads(jitter: float) -> None:
    policy = PollPolicy(jitter=jitter)
    state = polled(policy, ["running"] * 4)  # attempt 3: nominal 2 * 1.5**3 = 6.75
    rng = random.Random(1234)
    delays = [next_delay(policy, state, now=3.0, rng=rng) for _ in range(2000)]
    assert all(6.75 * (1 - jitter) <= d <= 6.75 for d in delays)
    assert max(delays) - min(delays) > 0.9 * 6.75 * jitter
    mean = sum(delays) / len(delays)
    assert mean == pytest.approx(6.75 * (1 - jitter / 2), rel=0.03)


def test_jitter_is_deterministic_with_a_seeded_rng() -> None:
    state = polled(PollPolicy(), ["running"] * 3)
    first = [next_delay(PollPolicy(), state, now=2.0, rng=random.Random(7)) for _ in range(3)]
    assert len(set(first)) == 1


# --- eta steering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eta", "expected"),
    [
        (3600.0, 60.0),  # far: a fraction of the time left, capped
        (40.0, 20.0),  # mid-range: half the time left
        (5.0, 2.5),  # half the time left is still >= the initial interval
        (3.0, 3.0),  # close: sleep right to the ETA rather than creep up on it
        (0.2, 0.5),  # at the ETA: eta_interval
        (0.0, 0.5),
        (-0.5, 0.5),  # just late: still quick
        (-4.0, 2.0),
        (-30.0, 15.0),  # late: backs off with the lateness
        (-10_000.0, 60.0),
    ],
)
def test_eta_steering(eta: float, expected: float) -> None:
    state = polled(NO_JITTER, ["running"])
    assert next_delay(NO_JITTER, state, now=0.0, eta=eta) == expected


def test_eta_overrides_attempt_backoff_both_ways() -> None:
    fresh = polled(NO_JITTER, ["running"])  # backoff would say 2
    assert next_delay(NO_JITTER, fresh, now=0.0, eta=600.0) == 60.0
    stale = polled(NO_JITTER, ["running"] * 20)  # backoff would say 60
    assert next_delay(NO_JITTER, stale, now=19.0, eta=5.0) == 2.5


def test_eta_fraction_and_steering_switch() -> None:
    state = polled(NO_JITTER, ["running"] * 3)
    quarter = PollPolicy(jitter=0.0, eta_fraction=0.25)
    assert next_delay(quarter, state, now=2.0, eta=40.0) == 10.0
    off = PollPolicy(jitter=0.0, steer_to_eta=False)
    assert next_delay(off, state, now=2.0, eta=40.0) == 4.5
    assert next_delay(NO_JITTER, state, now=2.0, eta=math.nan) == 4.5


def test_converges_on_the_eta() -> None:
    # Simulated run: the delays shrink as the ETA approaches and polls land near it.
    finish = 500.0
    now = 0.0
    state = polled(NO_JITTER, ["running"])
    polls = []
    while now < finish:
        now += next_delay(NO_JITTER, state, now=now, eta=finish - now)
        state = state.after_poll("running", now=now)
        polls.append(now)
    assert polls[-1] - finish <= NO_JITTER.eta_interval
    assert len(polls) < 25


def test_eta_interval_never_exceeds_the_initial_interval() -> None:
    fast = PollPolicy(initial_interval=0.02, max_interval=0.2, jitter=0.0)
    state = polled(fast, ["running"])
    assert next_delay(fast, state, now=0.0, eta=0.0) == 0.02
    assert next_delay(fast, state, now=0.0, eta=-0.01) == 0.02
    assert next_delay(fast, state, now=0.0, eta=0.03) == 0.03


def test_late_job_costs_logarithmically_many_polls() -> None:
    # A job 10 minutes late after its ETA: polls back off with the lateness.
    now, eta_at, finish = 0.0, 0.0, 600.0
    state = polled(NO_JITTER, ["running"])
    polls = 0
    while now < finish:
        now += next_delay(NO_JITTER, state, now=now, eta=eta_at - now)
        state = state.after_poll("running", now=now)
        polls += 1
    assert polls <= 25


# --- server hint -----------------------------------------------------------------------------


def test_server_hint_is_a_floor() -> None:
    state = polled(NO_JITTER, ["running"])  # nominal 2
    assert next_delay(NO_JITTER, state, now=0.0, server_hint=10.0) == 10.0
    assert next_delay(NO_JITTER, state, now=0.0, server_hint=1.0) == 2.0
    # A hint may exceed the cap ...
    assert next_delay(NO_JITTER, state, now=0.0, server_hint=120.0) == 120.0
    # ... up to max_server_hint.
    assert next_delay(NO_JITTER, state, now=0.0, server_hint=10_000.0) == 600.0
    for bad in (0.0, -3.0, math.nan, math.inf):
        assert next_delay(NO_JITTER, state, now=0.0, server_hint=bad) == 2.0


def test_server_hint_jitter_only_goes_up() -> None:
    policy = PollPolicy()
    state = polled(policy, ["running"])
    rng = random.Random(99)
    delays = [next_delay(policy, state, now=0.0, server_hint=30.0, rng=rng) for _ in range(500)]
    assert all(30.0 <= d <= 30.0 * 1.25 for d in delays)
    assert max(delays) - min(delays) > 5.0


def test_poll_hint_parsing() -> None:
    assert poll_hint(None) is None
    assert poll_hint({}) is None
    assert poll_hint({"openai-poll-after-ms": "2500"}) == 2.5
    assert poll_hint({"OpenAI-Poll-After-Ms": "2500", "Retry-After": "9"}) == 2.5
    assert poll_hint({"Retry-After": "7"}) == 7.0
    assert poll_hint({"retry-after-ms": "1500"}) == 1.5
    assert poll_hint({"openai-poll-after-ms": "soon", "Retry-After": "4"}) == 4.0
    assert poll_hint({"openai-poll-after-ms": "nan", "Retry-After": "4"}) == 4.0
    assert poll_hint({"Retry-After": "tomorrow"}) is None
    assert (
        poll_hint({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=lambda: 1445412480.0)
        == 10.0
    )


# --- failures --------------------------------------------------------------------------------


def test_rate_limit_slows_down_and_success_recovers() -> None:
    state = polled(NO_JITTER, ["running"] * 3)  # nominal 4.5
    once = state.after_failure(now=3.0, rate_limited=True)
    twice = once.after_failure(now=4.0, rate_limited=True)
    assert next_delay(NO_JITTER, once, now=3.0) == 9.0
    assert next_delay(NO_JITTER, twice, now=4.0) == 18.0
    many = attrs.evolve(twice, rate_limited=50)
    assert next_delay(NO_JITTER, many, now=4.0) == NO_JITTER.max_rate_limited_interval
    # The 429's Retry-After is honoured when longer than the slow-down.
    assert next_delay(NO_JITTER, once, now=3.0, server_hint=30.0) == 30.0
    # 429s are not transient failures: they never exhaust the failure budget.
    assert many.consecutive_failures == 0
    assert many.exhausted(NO_JITTER, now=4.0) is None
    recovered = many.after_poll("running", now=5.0)
    assert recovered.rate_limited == 0
    assert next_delay(NO_JITTER, recovered, now=5.0) == 2.0 * 1.5**3


def test_transient_failures_back_off_without_speeding_up() -> None:
    near_eta = polled(NO_JITTER, ["running"])
    failed = near_eta.after_failure(now=1.0)
    assert failed.consecutive_failures == 1
    # Near the ETA we would poll within 1 s; a failure still backs off (2 * 1.5).
    assert next_delay(NO_JITTER, failed, now=1.0, eta=1.0) == 3.0
    failed = failed.after_failure(now=4.0).after_failure(now=9.0)
    assert next_delay(NO_JITTER, failed, now=9.0, eta=1.0) == 2.0 * 1.5**3
    assert failed.failing_since == 1.0
    # A slow cadence is not shortened by a failure.
    slow = polled(NO_JITTER, ["running"] * 20).after_failure(now=30.0)
    assert next_delay(NO_JITTER, slow, now=30.0) == 60.0


def test_failure_budget_by_count() -> None:
    policy = PollPolicy(jitter=0.0, max_consecutive_failures=3, failure_timeout=None)
    state = polled(policy, ["running"])
    for i in range(2):
        state = state.after_failure(now=1.0 + i)
        assert state.exhausted(policy, now=1.0 + i) is None
    state = state.after_failure(now=10.0)
    assert state.exhausted(policy, now=10.0) is StopReason.FAILURES
    assert state.after_poll("running", now=11.0).exhausted(policy, now=11.0) is None


def test_failure_budget_by_time() -> None:
    policy = PollPolicy(failure_timeout=100.0)
    state = polled(policy, ["running"]).after_failure(now=50.0)
    assert state.exhausted(policy, now=149.9) is None
    assert state.exhausted(policy, now=150.0) is StopReason.FAILURES
    # A success in between restarts the clock.
    state = state.after_poll("running", now=120.0).after_failure(now=140.0)
    assert state.exhausted(policy, now=200.0) is None


# --- total budget ----------------------------------------------------------------------------


def test_last_sleep_is_clamped_to_the_deadline() -> None:
    policy = PollPolicy(jitter=0.0, timeout=100.0)
    state = polled(policy, ["running"] * 20, start=0.0)  # nominal 60
    assert next_delay(policy, state, now=19.0) == 60.0
    assert next_delay(policy, state, now=70.0) == 30.0
    # Even a server hint does not push the sleep past the deadline.
    assert next_delay(policy, state, now=95.0, server_hint=50.0) == 5.0
    assert state.exhausted(policy, now=99.9) is None
    assert state.exhausted(policy, now=100.0) is StopReason.TIMEOUT
    assert next_delay(policy, state, now=150.0) == 0.0


def test_with_budget_replaces_the_deadline() -> None:
    state = PollState.start(PollPolicy(timeout=10.0), now=0.0)
    assert state.time_left(4.0) == 6.0
    assert state.with_budget(100.0, now=4.0).time_left(4.0) == 100.0
    assert state.with_budget(None, now=4.0).deadline is None


# --- queued budget ---------------------------------------------------------------------------


def test_queued_time_is_accounted_between_polls() -> None:
    state = PollState.start(PollPolicy(), now=0.0)
    state = state.after_poll("validating_files", now=0.0)
    state = state.after_poll("queued", now=10.0)  # 0..10 was validating: not queued
    assert state.queued_used == 0.0
    assert state.queued_used_at(25.0) == 15.0
    state = state.after_poll("queued", now=30.0)
    assert state.queued_used == 20.0
    state = state.after_poll("running", now=45.0)  # last seen queued at 30: charged
    assert state.queued_used == 35.0
    state = state.after_poll("running", now=100.0)
    assert state.queued_used_at(500.0) == 35.0
    # Failures do not stop the accounting clock.
    queued = PollState.start(PollPolicy(), now=0.0).after_poll("queued", now=0.0)
    assert queued.after_failure(now=5.0).queued_used_at(8.0) == 8.0


def test_queued_budget_exhaustion_and_clamp() -> None:
    policy = PollPolicy(jitter=0.0, queued_timeout=100.0)
    state = polled(policy, ["queued"] * 30)  # nominal 60, 29 s queued so far
    assert state.exhausted(policy, now=29.0) is None
    assert next_delay(policy, state, now=29.0) == 60.0
    assert next_delay(policy, state, now=80.0) == 20.0
    assert state.exhausted(policy, now=100.0) is StopReason.QUEUED_TIMEOUT
    # Once running, time queued no longer matters.
    running = state.after_poll("running", now=99.0)
    assert running.queued_used == 99.0
    assert running.exhausted(policy, now=500.0) is None
    assert next_delay(policy, running, now=99.0) == 2.0


@pytest.mark.parametrize("status", ["created", "pending", "notRunning"])
def test_azure_not_started_statuses_count_as_queued(status: str) -> None:
    # Azure says "created"/"pending" where OpenAI says "queued": a job stuck there must meet
    # the queued budget too (it used to wait out the whole 24 h).
    policy = PollPolicy(jitter=0.0, queued_timeout=100.0)
    state = polled(policy, [status] * 30)
    assert state.exhausted(policy, now=100.0) is StopReason.QUEUED_TIMEOUT


def test_total_timeout_takes_precedence() -> None:
    policy = PollPolicy(timeout=50.0, queued_timeout=50.0, max_consecutive_failures=1)
    state = polled(policy, ["queued"]).after_failure(now=10.0)
    assert state.exhausted(policy, now=10.0) is StopReason.FAILURES
    assert state.exhausted(policy, now=50.0) is StopReason.TIMEOUT


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    attempt=st.integers(0, 200),
    failures=st.integers(0, 30),
    limited=st.integers(0, 30),
    status=st.sampled_from(["queued", "running", "validating_files", "paused"]),
    eta=st.none() | st.floats(-1e7, 1e7),
    hint=st.none() | st.floats(0.0, 1e5),
    elapsed=st.floats(0.0, 2e5),
    jitter=st.floats(0.0, 1.0),
    u=st.floats(0.0, 0.999999),
)
def test_delay_is_bounded(
    attempt: int,
    failures: int,
    limited: int,
    status: str,
    eta: float | None,
    hint: float | None,
    elapsed: float,
    jitter: float,
    u: float,
) -> None:
    policy = PollPolicy(jitter=jitter, queued_timeout=7200.0)
    state = attrs.evolve(
        PollState.start(policy, now=0.0).after_poll(status, now=0.0),
        attempt=attempt,
        consecutive_failures=failures,
        failing_since=0.0 if failures else None,
        rate_limited=limited,
    )
    if state.exhausted(policy, now=elapsed) is StopReason.TIMEOUT:
        return
    delay = next_delay(policy, state, now=elapsed, eta=eta, server_hint=hint, rng=FixedRandom(u))
    left = state.time_left(elapsed)
    assert left is not None
    assert 0.0 <= delay <= left
    assert delay <= max(policy.max_rate_limited_interval, policy.max_server_hint * (1 + jitter))
    if status == QUEUED:
        assert delay <= max(policy.queued_timeout - elapsed, 0.0)  # type: ignore[operator]
    if hint is not None and min(hint, policy.max_server_hint) <= left and status != QUEUED:
        assert delay >= min(hint, policy.max_server_hint)


def test_a_large_multiplier_and_a_long_streak_do_not_overflow_polling() -> None:
    policy = PollPolicy(multiplier=3.0, jitter=0.0, timeout=None)
    state = PollState.start(policy, now=0.0)
    for _ in range(700):
        state = state.after_poll("running", now=0.0)
    assert next_delay(policy, state, now=0.0) == policy.max_interval
