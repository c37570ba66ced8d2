"""The per-model create limits: the rolling daily window, the active bound and their counters,
decided on a manual clock (no sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftjobs.emulator import EmulatorConfig, ManualClock, Outcome, Store, open_store
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._quotas import DAY_SECONDS, Quotas, next_daily_slot
from tests._support.emulator import chat_file, job_request

START = 1_700_000_000.0
MODEL = "gpt-4o-mini-2024-07-18"


def test_the_next_slot_opens_a_day_after_the_oldest_create_in_the_window() -> None:
    assert next_daily_slot([], 1, START) is None
    assert next_daily_slot([START - 10], 2, START) is None
    assert next_daily_slot([START - 10, START - 5], 2, START) == START - 10 + DAY_SECONDS
    # A create exactly a day old has left the window.
    assert next_daily_slot([START - DAY_SECONDS, START - 5], 2, START) is None
    # Over the limit (a quota lowered on restart): enough of them must leave for one more
    # (here three of four), whatever order the times come in.
    times = [START - 1, START - 300, START - 200, START - 100]
    assert next_daily_slot(times, 2, START) == START - 100 + DAY_SECONDS
    assert next_daily_slot(times, 4, START, window=250) is None  # START - 300 is out
    assert next_daily_slot(times, 2, START, window=250) == START - 100 + 250


def _store(clock: ManualClock, **limits: int | None) -> tuple[Store, str]:
    store = open_store(EmulatorConfig(max_running_jobs=8, **limits), clock)
    training = store.add_file("train.jsonl", "fine-tune", chat_file(12))
    return store, training.id


def _refused(store: Store, training: str, *, model: str = MODEL) -> ApiError:
    with pytest.raises(ApiError) as caught:
        store.create_job(job_request(model=model, training_file=training))
    assert caught.value.status == 429
    return caught.value


def test_a_create_past_the_daily_limit_is_the_services_429_until_the_oldest_leaves() -> None:
    clock = ManualClock(START)
    store, training = _store(clock, daily_job_limit=2)
    first = store.create_job(job_request(model=MODEL, training_file=training))
    store.act(first.id, "cancel")  # cancelled (or failed) jobs were created: they count
    clock.advance(3600)
    store.create_job(job_request(model=MODEL, training_file=training))
    clock.advance(3600)

    error = _refused(store, training)
    assert error.body() == {
        "error": {
            "message": "This fine-tune request has been rate-limited. Your organization has "
            "reached the maximum of 2 fine-tuning requests per day for the model "
            f"'{MODEL}'.",
            "type": "invalid_request_error",
            "param": None,
            "code": "daily_rate_limit_exceeded",
        }
    }
    assert store.quotas.next_slot(MODEL, store.now()) == START + DAY_SECONDS
    # Another model has its own quota.
    store.create_job(job_request(model="gpt-4.1-mini-2025-04-14", training_file=training))

    clock.set(START + DAY_SECONDS - 1)
    _refused(store, training)
    clock.advance(1)  # the first create is now a day old
    store.create_job(job_request(model=MODEL, training_file=training))
    _refused(store, training)  # and the window is full again until the second one leaves

    models = store.quotas.to_dict(store.now())["models"]
    assert models[MODEL]["creates"] == 3
    assert models[MODEL]["daily_limit_refusals"] == 3
    assert models[MODEL]["created_last_24h"] == 2
    assert models[MODEL]["next_slot"] == START + 3600 + DAY_SECONDS
    assert models["gpt-4.1-mini-2025-04-14"]["daily_limit_refusals"] == 0


def test_a_create_while_n_jobs_of_the_model_are_active_is_refused_until_one_ends() -> None:
    clock = ManualClock(START)
    store, training = _store(clock, max_active_jobs=2)
    store.script_next_jobs(Outcome.failure(at_step=1))
    failing = store.create_job(job_request(model=MODEL, training_file=training))
    paused = store.create_job(job_request(model=MODEL, training_file=training))

    error = _refused(store, training)
    assert error.code == "rate_limit_exceeded" and error.type == "invalid_request_error"
    assert f"active fine-tuning jobs for the model '{MODEL}'" in error.message
    assert "maximum of 2 active" in error.message

    clock.advance(8)  # both running; the first fails at its first step
    assert store.get_job(failing.id).status == "failed"
    assert store.act(paused.id, "pause").status == "paused"
    third = store.create_job(job_request(model=MODEL, training_file=training))
    _refused(store, training)  # a paused job is still active
    store.act(third.id, "cancel")
    store.create_job(job_request(model=MODEL, training_file=training))

    counters = store.quotas.to_dict(store.now())["models"][MODEL]
    assert counters["creates"] == 4 and counters["active"] == 2
    assert counters["peak_active"] == 2 and counters["active_limit_refusals"] == 2


def test_the_peak_counts_jobs_active_at_one_instant_not_jobs_created() -> None:
    clock = ManualClock(START)
    store, training = _store(clock)
    for _ in range(3):
        store.create_job(job_request(model=MODEL, training_file=training))
    clock.advance(10_000)  # all three done
    for _ in range(2):
        store.create_job(job_request(model=MODEL, training_file=training))
    counters = store.quotas.to_dict(store.now())["models"][MODEL]
    assert counters == {
        "creates": 5,
        "peak_active": 3,
        "daily_limit_refusals": 0,
        "active_limit_refusals": 0,
        "active": 2,
        "created_last_24h": 5,
        "next_slot": None,
    }
    store.quotas.reset()
    counters = store.quotas.to_dict(store.now())["models"][MODEL]
    assert counters["creates"] == 0 and counters["peak_active"] == 2


def test_unlimited_creates_are_refused_by_neither_limit() -> None:
    quotas = Quotas(None, None)
    quotas.admit(MODEL, START)
    assert quotas.next_slot(MODEL, START) is None
    assert quotas.to_dict(START)["limits"] == {"daily_job_limit": None, "max_active_jobs": None}


def test_jobs_read_back_from_a_state_file_count_toward_both_limits(tmp_path: Path) -> None:
    clock = ManualClock(START)
    config = EmulatorConfig(state_path=tmp_path / "state.db", daily_job_limit=3, max_active_jobs=1)
    store = open_store(config, clock)
    training = store.add_file("train.jsonl", "fine-tune", chat_file(12)).id
    store.create_job(job_request(model=MODEL, training_file=training))
    store.close()

    clock.advance(10)  # still validating
    store = open_store(config, clock)
    assert _refused(store, training).code == "rate_limit_exceeded"
    clock.advance(10_000)  # the job has ended
    store.create_job(job_request(model=MODEL, training_file=training))
    assert _refused(store, training).code == "rate_limit_exceeded"
    clock.advance(10_000)
    store.create_job(job_request(model=MODEL, training_file=training))
    clock.advance(10_000)
    assert _refused(store, training).code == "daily_rate_limit_exceeded"  # 3 since the first
    store.close()


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"daily_job_limit": 0}, "daily_job_limit must be >= 1"),
        ({"max_active_jobs": -3}, "max_active_jobs must be >= 1"),
        ({"max_active_jobs": True}, "max_active_jobs must be >= 1"),
    ],
)
def test_a_limit_below_one_is_refused(limits: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EmulatorConfig(**limits)
