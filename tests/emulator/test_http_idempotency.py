"""Idempotency-Key handling over loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator
from tests._support.emulator import (
    Api,
    auth,
    chat_file,
    raw_exchange,
    raw_request,
    split_response,
    upload,
)


async def test_same_key_same_body_returns_the_same_job(api: Api) -> None:
    training = await api.upload()
    body = {"model": "gpt-4o-mini", "training_file": training["id"], "metadata": {"a": "1"}}
    headers = {**api.headers, "Idempotency-Key": "key-1"}
    url = api.base + "/fine_tuning/jobs"
    async with api.session.post(url, json=body, headers=headers) as first:
        first_body = await first.json()
        assert first.status == 200 and "Idempotent-Replayed" not in first.headers
    # same body with keys in another order still counts as the same request
    reordered = dict(reversed(list(body.items())))
    async with api.session.post(url, json=reordered, headers=headers) as second:
        assert second.status == 200
        assert second.headers["Idempotent-Replayed"] == "true"
        assert await second.json() == first_body
    assert [j.id for j in api.handle.store.jobs()] == [first_body["id"]]
    assert api.handle.stats()["requests"]["idempotent_replays"] == 1


async def test_same_key_different_body_is_422(api: Api) -> None:
    training = await api.upload()
    headers = {"Idempotency-Key": "key-2"}
    body = {"model": "gpt-4o-mini", "training_file": training["id"]}
    status, _ = await api.call("POST", "/fine_tuning/jobs", json=body, headers=headers)
    assert status == 200
    status, error = await api.call(
        "POST", "/fine_tuning/jobs", json={**body, "suffix": "other"}, headers=headers
    )
    assert status == 422
    assert error["error"]["code"] == "idempotency_key_reused"
    assert error["error"]["type"] == "invalid_request_error"
    assert len(list(api.handle.store.jobs())) == 1


async def test_keys_are_scoped_per_endpoint(api: Api) -> None:
    training = await api.upload(headers={"Idempotency-Key": "shared"})
    status, _ = await api.call(
        "POST",
        "/fine_tuning/jobs",
        json={"model": "gpt-4o-mini", "training_file": training["id"]},
        headers={"Idempotency-Key": "shared"},
    )
    assert status == 200


async def test_upload_replay_ignores_the_multipart_boundary(api: Api) -> None:
    content = chat_file(12)
    first = await upload(
        api.session, api.base, api.handle.api_key, content, headers={"Idempotency-Key": "up"}
    )
    second = await upload(
        api.session, api.base, api.handle.api_key, content, headers={"Idempotency-Key": "up"}
    )
    assert first.status == second.status == 200
    assert (await first.json())["id"] == (await second.json())["id"]
    assert api.handle.store.file_count == 1
    third = await upload(
        api.session, api.base, api.handle.api_key, b"other", headers={"Idempotency-Key": "up"}
    )
    assert third.status == 422


async def test_errors_are_not_remembered(api: Api) -> None:
    headers = {"Idempotency-Key": "k-err"}
    body = {"model": "gpt-4o-mini", "training_file": "file-missing"}
    status, _ = await api.call("POST", "/fine_tuning/jobs", json=body, headers=headers)
    assert status == 400
    status, _ = await api.call("POST", "/fine_tuning/jobs", json=body, headers=headers)
    assert status == 400  # replayed errors would be 400 too; it is re-evaluated, not a 422


async def test_cancel_with_a_key_replays_instead_of_failing(api: Api) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    headers = {"Idempotency-Key": "cancel-1"}
    path = f"/fine_tuning/jobs/{job['id']}/cancel"
    first = await api.call("POST", path, headers=headers)
    second = await api.call("POST", path, headers=headers)
    assert first == second and first[0] == 200
    status, _ = await api.call("POST", path)
    assert status == 400  # without the key the second cancel is an impossible transition


async def test_retry_after_a_lost_response_finds_the_committed_job(api: Api) -> None:
    training = await api.upload()
    emu = api.handle
    emu.set_faults("drop_after=1")
    body = f'{{"model": "gpt-4o-mini", "training_file": "{training["id"]}"}}'.encode()
    headers = {**auth(emu.api_key), "Idempotency-Key": "lost", "Content-Type": "application/json"}
    raw = await raw_request(
        emu.host, emu.port, "POST", "/v1/fine_tuning/jobs", headers=headers, body=body
    )
    assert raw == b""  # the response was lost...
    (created,) = list(emu.store.jobs())  # ...but the job exists
    emu.set_faults(None)
    status, job = await api.call(
        "POST",
        "/fine_tuning/jobs",
        json={"model": "gpt-4o-mini", "training_file": training["id"]},
        headers={"Idempotency-Key": "lost"},
    )
    assert status == 200 and job["id"] == created.id
    assert len(list(emu.store.jobs())) == 1


@pytest.fixture
async def careless() -> AsyncIterator[EmulatorHandle]:
    config = EmulatorConfig(api_key="sk-test", honor_idempotency=False)
    async with serve_emulator(config, clock=ManualClock()) as handle:
        yield handle


async def test_disabled_idempotency_creates_duplicates(
    http: aiohttp.ClientSession, careless: EmulatorHandle
) -> None:
    api = Api(http, careless)
    training = await api.upload()
    body = {"model": "gpt-4o-mini", "training_file": training["id"]}
    headers = {"Idempotency-Key": "same"}
    _, first = await api.call("POST", "/fine_tuning/jobs", json=body, headers=headers)
    status, second = await api.call(
        "POST", "/fine_tuning/jobs", json={**body, "suffix": "x"}, headers=headers
    )
    assert status == 200 and first["id"] != second["id"]
    assert len(list(careless.store.jobs())) == 2


async def test_a_key_that_is_not_utf8_is_a_400(api: Api) -> None:
    training = await api.upload()
    body = json.dumps({"model": "gpt-4o-mini", "training_file": training["id"]}).encode()
    handle = api.handle
    head = (
        f"POST /v1/fine_tuning/jobs HTTP/1.1\r\nHost: 127.0.0.1:{handle.port}\r\n"
        f"Authorization: Bearer {handle.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode()
    for _ in range(2):  # a retry is refused the same way: nothing was remembered
        raw = await raw_exchange(
            handle.host, handle.port, head + b"Idempotency-Key: k\xff\xfe1\r\n\r\n" + body
        )
        status, _, answer = split_response(raw)
        assert status == 400
        assert json.loads(answer)["error"]["param"] == "Idempotency-Key"
    assert list(handle.store.jobs()) == []
