"""The per-model create limits over real loopback sockets (manual clock): the service's daily
429, the active-jobs 429, idempotent replays, the statistics, the Azure dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, ManualClock, serve_emulator
from tests._support.emulator import Api

MODEL = "gpt-4o-mini-2024-07-18"
DAY = 86_400


@pytest.fixture
async def limited(
    http: aiohttp.ClientSession, emulator_clock: ManualClock
) -> AsyncIterator[tuple[Api, str]]:
    """An emulator allowing 3 creates a day and 2 active jobs per model; a training file."""
    config = EmulatorConfig(daily_job_limit=3, max_active_jobs=2, max_running_jobs=8)
    async with serve_emulator(config, clock=emulator_clock) as handle:
        api = Api(http, handle)
        training = await api.upload()
        yield api, training["id"]


async def _create(api: Api, training: str, key: str | None = None) -> tuple[int, Any]:
    headers = {"Idempotency-Key": key} if key else None
    body = {"model": MODEL, "training_file": training}
    return await api.call("POST", "/fine_tuning/jobs", json=body, headers=headers)


async def _stats(api: Api) -> dict[str, Any]:
    url = api.handle.root_url + "/_emulator/stats"
    async with api.session.get(url, headers=api.handle.admin_headers) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def test_the_daily_limit_is_the_services_429_and_a_replay_is_not_a_create(
    limited: tuple[Api, str], emulator_clock: ManualClock
) -> None:
    api, training = limited
    status, first = await _create(api, training, key="member-0")
    assert status == 200
    for _ in range(2):
        emulator_clock.advance(600)  # each job done before the next: only the day's quota binds
        status, _ = await _create(api, training)
        assert status == 200
    emulator_clock.advance(600)

    status, body = await _create(api, training, key="member-3")
    assert status == 429
    assert body == {
        "error": {
            "message": "This fine-tune request has been rate-limited. Your organization has "
            "reached the maximum of 3 fine-tuning requests per day for the model "
            "'gpt-4o-mini-2024-07-18'.",
            "type": "invalid_request_error",
            "param": None,
            "code": "daily_rate_limit_exceeded",
        }
    }
    # The first create replayed by its key: the same job again, not a fourth create.
    status, replay = await _create(api, training, key="member-0")
    assert status == 200 and replay["id"] == first["id"]

    stats = await _stats(api)
    assert stats["limits"] == {"daily_job_limit": 3, "max_active_jobs": 2}
    counters = stats["models"][MODEL]
    assert counters["creates"] == 3 and counters["daily_limit_refusals"] == 1
    assert counters["next_slot"] == emulator_clock.now() - 1800 + DAY
    assert stats["requests"]["idempotent_replays"] == 1
    assert api.handle.stats()["models"] == stats["models"]  # the Python handle says the same

    # A refusal is not remembered under its key: the same request creates once a slot opens.
    emulator_clock.set(first["created_at"] + DAY)
    status, created = await _create(api, training, key="member-3")
    assert status == 200 and created["id"] != first["id"]
    assert api.handle.stats()["models"][MODEL]["created_last_24h"] == 3


async def test_the_active_limit_refuses_until_a_job_ends_and_the_peak_is_reported(
    limited: tuple[Api, str], emulator_clock: ManualClock
) -> None:
    api, training = limited
    status, _ = await _create(api, training)
    assert status == 200
    emulator_clock.advance(10)
    status, second = await _create(api, training)
    assert status == 200

    status, body = await _create(api, training)
    assert status == 429
    assert body["error"]["code"] == "rate_limit_exceeded"
    assert body["error"]["param"] is None and body["error"]["type"] == "invalid_request_error"
    assert f"Too many active fine-tuning jobs for the model '{MODEL}'" in body["error"]["message"]

    status, _ = await api.call("POST", f"/fine_tuning/jobs/{second['id']}/cancel")
    assert status == 200
    status, _ = await _create(api, training)
    assert status == 200

    counters = (await _stats(api))["models"][MODEL]
    assert counters["peak_active"] == 2 and counters["active"] == 2
    assert counters["active_limit_refusals"] == 1 and counters["creates"] == 3

    url = api.handle.root_url + "/_emulator/stats/reset"
    async with api.session.post(url, json={}, headers=api.handle.admin_headers) as response:
        reset = await response.json()
    assert reset["models"][MODEL]["creates"] == 0
    assert reset["models"][MODEL]["active_limit_refusals"] == 0
    assert reset["models"][MODEL]["peak_active"] == 2  # the two still active


async def test_seeded_jobs_count_toward_the_limits_but_are_never_refused(
    limited: tuple[Api, str],
) -> None:
    api, training = limited
    url = api.handle.root_url + "/_emulator/seed"
    async with api.session.post(
        url, json={"jobs": 5, "model": MODEL}, headers=api.handle.admin_headers
    ) as response:
        assert response.status == 200
    status, body = await _create(api, training)
    assert status == 429 and body["error"]["code"] == "daily_rate_limit_exceeded"
    counters = api.handle.stats()["models"][MODEL]
    assert counters["creates"] == 5 and counters["peak_active"] == 5


@pytest.mark.parametrize("prefix", ["/openai", "/openai/v1"])
async def test_the_azure_dialect_holds_the_same_limits(
    http: aiohttp.ClientSession, emulator_clock: ManualClock, prefix: str
) -> None:
    config = EmulatorConfig(dialect="azure", daily_job_limit=1, max_running_jobs=8)
    async with serve_emulator(config, clock=emulator_clock) as handle:
        api = Api(http, handle)
        training = (await api.upload())["id"]
        api.base = handle.root_url + prefix
        query = "?api-version=2024-10-21"
        body = {"model": MODEL, "training_file": training, "trainingType": "Standard"}
        status, job = await api.call("POST", "/fine_tuning/jobs" + query, json=body)
        assert status == 200 and job["status"] == "pending" and job["trainingType"] == "Standard"
        status, refused = await api.call("POST", "/fine_tuning/jobs" + query, json=body)
        assert status == 429
        assert refused["error"]["code"] == "daily_rate_limit_exceeded"
        assert "maximum of 1 fine-tuning requests per day" in refused["error"]["message"]
        assert handle.stats()["models"][MODEL]["daily_limit_refusals"] == 1
