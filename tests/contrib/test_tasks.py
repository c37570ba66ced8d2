"""The engine-neutral core: keys, task ids, the create body, one create, one wait step."""

from __future__ import annotations

import pytest

import ftjobs
from ftjobs.contrib._tasks import (
    KEY_METADATA,
    CreateFailed,
    WaitDone,
    WaitFailed,
    WaitProgress,
    check_key,
    create_body,
    create_once,
    create_task_id,
    error_backoff,
    find_by_key,
    follow_up_task_id,
    job_id_of,
    wait_once,
    wait_task_id,
)
from ftjobs.emulator import EmulatorConfig, ManualClock, serve_emulator
from ftjobs.waiting import ContinuationToken
from ftjobs.waiting._policy import PollState
from tests._support.emulator import chat_file
from tests._support.live import FAST_RETRIES

MODEL = "gpt-4o-mini-2024-07-18"
PARAMS = {"model": MODEL, "training_file": "file-abc"}


# -- pure ---------------------------------------------------------------------------------------


def test_task_ids_are_stable_and_prefixed() -> None:
    assert create_task_id("exp-1") == "ftjobs:create:exp-1"
    assert wait_task_id("ftjob-abc") == "ftjobs:wait:ftjob-abc"
    assert follow_up_task_id("ftjob-abc") == "ftjobs:then:ftjob-abc"


@pytest.mark.parametrize("key", ["", "a b", "x" * 201, "é", None, 7])
def test_check_key_rejects_bad_keys(key: object) -> None:
    with pytest.raises(ValueError):
        check_key(key)


def test_check_key_accepts_the_allowed_alphabet() -> None:
    assert check_key("Run_1.2:3-x") == "Run_1.2:3-x"
    assert check_key("k" * 200) == "k" * 200


def test_create_body_records_the_key_in_metadata_and_header() -> None:
    params = {**PARAMS, "metadata": {"team": "a"}}
    body = create_body(params, "exp-1")
    assert body["metadata"] == {"team": "a", KEY_METADATA: "exp-1"}
    assert body["idempotency_key"] == "exp-1"
    assert params["metadata"] == {"team": "a"}  # the caller's params are not mutated


def test_create_body_keeps_room_for_the_key() -> None:
    full = {f"k{i}": "v" for i in range(16)}
    with pytest.raises(ValueError, match="at most 15"):
        create_body({**PARAMS, "metadata": full}, "exp-1")
    assert (
        len(create_body({**PARAMS, "metadata": dict(list(full.items())[:15])}, "e")["metadata"])
        == 16
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({**PARAMS, "idempotency_key": "x"}, "idempotency_key"),
        ({**PARAMS, "metadata": {KEY_METADATA: "other"}}, "not the key"),
        ({"model": MODEL}, "training_file"),
    ],
)
def test_create_body_refuses_conflicting_params(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_body(params, "exp-1")


def test_job_id_of_reads_ids_and_tokens() -> None:
    state = PollState.start(ftjobs.PollPolicy(), now=0.0)
    token = ContinuationToken.from_state(
        "ftjob-xyz", state, now=0.0, wall_now=1_700_000_000.0, base_url="https://api.test/v1"
    ).encode()
    assert job_id_of(token) == "ftjob-xyz"
    assert job_id_of("ftjob-abc") == "ftjob-abc"
    with pytest.raises(ftjobs.InvalidContinuationToken):
        job_id_of("ftjw1.!!!.00000000")
    with pytest.raises(ValueError):
        job_id_of("not a job id")


def test_error_backoff_doubles_up_to_the_cap() -> None:
    assert [error_backoff(n, initial=1, cap=5) for n in (1, 2, 3, 4, 100)] == [1, 2, 4, 5, 5]
    with pytest.raises(ValueError):
        error_backoff(0)


def test_failures_round_trip_as_json_ready_dicts() -> None:
    failed = WaitFailed("ftjob-1", "timeout", "spent", token="ftjw1.x.y")
    again = WaitFailed.from_dict(failed.to_dict())
    assert (again.job_id, again.reason, again.token, again.status_code) == (
        "ftjob-1",
        "timeout",
        "ftjw1.x.y",
        None,
    )
    refused = CreateFailed.from_dict(CreateFailed("k", 400, "bad").to_dict())
    assert (refused.key, refused.status_code, refused.message) == ("k", 400, "bad")


# -- against the emulator (manual clock) --------------------------------------------------------


async def _training(client: ftjobs.AsyncClient) -> str:
    return (await client.files.upload(chat_file(10), filename="t.jsonl")).id


async def test_create_once_twice_makes_one_job(live_client: ftjobs.AsyncClient) -> None:
    params = {"model": MODEL, "training_file": await _training(live_client)}
    first = await create_once(live_client, params, "exp-1")
    second = await create_once(live_client, params, "exp-1")
    assert first.id == second.id
    assert first.metadata == {KEY_METADATA: "exp-1"}
    assert (await find_by_key(live_client, "exp-1")) is not None
    assert await find_by_key(live_client, "exp-2") is None


async def test_create_once_finds_the_job_on_a_server_ignoring_the_header() -> None:
    config = EmulatorConfig(honor_idempotency=False)
    async with (
        serve_emulator(config, clock=ManualClock(1_700_000_000.0)) as emu,
        ftjobs.AsyncClient(
            api_key=emu.api_key, base_url=emu.base_url, retry_policy=FAST_RETRIES
        ) as client,
    ):
        params = {"model": MODEL, "training_file": await _training(client)}
        first = await create_once(client, params, "exp-1")
        assert (await create_once(client, params, "exp-1")).id == first.id
        # Without the lookup, the same key makes a second job here: the lookup did the work.
        assert (await create_once(client, params, "exp-1", lookup=False)).id != first.id


async def test_create_once_refused_for_good_raises_create_failed(
    live_client: ftjobs.AsyncClient,
) -> None:
    with pytest.raises(CreateFailed) as info:
        await create_once(live_client, {"model": MODEL, "training_file": "file-nope"}, "k")
    assert info.value.status_code in (400, 404)


async def test_wait_once_steps_to_done_delivering_each_event_once(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    params = {"model": MODEL, "training_file": await _training(live_client)}
    job = await create_once(live_client, params, "exp-1")
    seen: list[str] = []
    position = job.id
    for _ in range(50):
        outcome = await wait_once(live_client, position)
        seen += [event_id for event_id, _ in outcome.events]
        if isinstance(outcome, WaitDone):
            break
        assert isinstance(outcome, WaitProgress) and outcome.delay > 0
        position = outcome.token
        emulator_clock.advance(7)
    assert isinstance(outcome, WaitDone) and outcome.job.status is ftjobs.JobStatus.SUCCEEDED
    on_server = [e.id async for e in live_client.jobs.list_events(job.id, limit=100)]
    assert seen == on_server[::-1]
    assert len(set(seen)) == len(seen)


async def test_wait_once_on_a_missing_job_is_a_typed_failure(
    live_client: ftjobs.AsyncClient,
) -> None:
    with pytest.raises(WaitFailed) as info:
        await wait_once(live_client, "ftjob-missing")
    assert (info.value.reason, info.value.status_code) == ("not_found", 404)


async def test_wait_once_with_a_bad_api_key_is_a_typed_failure(
    live_client: ftjobs.AsyncClient,
) -> None:
    async with ftjobs.AsyncClient(api_key="sk-wrong", base_url=live_client.base_url) as client:
        with pytest.raises(WaitFailed) as info:
            await wait_once(client, "ftjob-any")
    assert (info.value.reason, info.value.status_code) == ("auth", 401)


async def test_wait_once_with_a_spent_budget_hands_back_a_token_losing_no_event(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    params = {"model": MODEL, "training_file": await _training(live_client)}
    job = await create_once(live_client, params, "exp-1")
    with pytest.raises(WaitFailed) as info:
        await wait_once(live_client, job.id, poll=ftjobs.PollPolicy(timeout=1e-9))
    assert info.value.reason == "timeout" and info.value.token is not None
    assert job_id_of(info.value.token) == job.id
    # The step that ran out of budget had fetched events; the token must not skip them.
    seen: list[str] = []
    outcome = await wait_once(live_client, info.value.token, timeout=60)
    for _ in range(50):
        seen += [event_id for event_id, _ in outcome.events]
        if isinstance(outcome, WaitDone):
            break
        emulator_clock.advance(7)
        outcome = await wait_once(live_client, outcome.token)
    on_server = [e.id async for e in live_client.jobs.list_events(job.id, limit=100)]
    assert seen == on_server[::-1]
