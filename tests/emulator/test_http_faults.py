"""Fault injection observed by a raw HTTP client (fixed seeds), and /_emulator/stats."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator
from tests._support.emulator import auth, raw_request, split_response


async def set_faults(emulator: EmulatorHandle, spec: str) -> dict[str, object]:
    async with (
        aiohttp.ClientSession(headers=emulator.admin_headers) as session,
        session.post(emulator.root_url + "/_emulator/faults", json={"spec": spec}) as r,
    ):
        assert r.status == 200
        body: dict[str, object] = await r.json()
        return body


async def get(emulator: EmulatorHandle, path: str = "/v1/files") -> bytes:
    return await raw_request(
        emulator.host, emulator.port, "GET", path, headers=auth(emulator.api_key)
    )


async def create(emulator: EmulatorHandle, training_file: str) -> bytes:
    body = json.dumps({"model": "gpt-4o-mini", "training_file": training_file}).encode()
    headers = {**auth(emulator.api_key), "Content-Type": "application/json"}
    return await raw_request(
        emulator.host, emulator.port, "POST", "/v1/fine_tuning/jobs", headers=headers, body=body
    )


async def training_file(emulator: EmulatorHandle) -> str:
    from tests._support.emulator import chat_file

    return emulator.store.add_file("t.jsonl", "fine-tune", chat_file()).id


async def test_429_has_retry_after(emulator: EmulatorHandle) -> None:
    await set_faults(emulator, "429=1,retry_after=2")
    status, headers, body = split_response(await get(emulator))
    assert status == 429
    assert headers["retry-after"] == "2" and headers["retry-after-ms"] == "2000"
    assert json.loads(body)["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(("kind", "type_"), [("500", "server_error"), ("503", "server_error")])
async def test_5xx_have_the_error_body(emulator: EmulatorHandle, kind: str, type_: str) -> None:
    await set_faults(emulator, f"{kind}=1")
    status, headers, body = split_response(await get(emulator))
    assert status == int(kind)
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["type"] == type_ and set(error) == {"message", "type", "param", "code"}


async def test_html_gateway_page(emulator: EmulatorHandle) -> None:
    await set_faults(emulator, "html=1")
    status, headers, body = split_response(await get(emulator))
    assert status == 502 and headers["content-type"].startswith("text/html")
    assert b"502 Bad Gateway" in body


async def test_drop_before_the_handler_loses_the_effect(emulator: EmulatorHandle) -> None:
    file_id = await training_file(emulator)
    await set_faults(emulator, "drop=1")
    assert await create(emulator, file_id) == b""
    assert list(emulator.store.jobs()) == []


async def test_drop_after_the_handler_keeps_the_effect(emulator: EmulatorHandle) -> None:
    file_id = await training_file(emulator)
    await set_faults(emulator, "drop_after=1")
    assert await create(emulator, file_id) == b""
    assert len(list(emulator.store.jobs())) == 1


async def test_malformed_body_with_200_after_the_effect(emulator: EmulatorHandle) -> None:
    file_id = await training_file(emulator)
    await set_faults(emulator, "malformed=1")
    status, headers, body = split_response(await create(emulator, file_id))
    assert status == 200 and headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(body)
    assert body.startswith(b'{"object":"fine_tuning.job"')
    assert len(list(emulator.store.jobs())) == 1


async def test_latency(emulator: EmulatorHandle) -> None:
    await set_faults(emulator, "latency=1:0.2")
    started = time.monotonic()
    status, _, _ = split_response(await get(emulator))
    assert status == 200 and time.monotonic() - started >= 0.2
    assert emulator.stats()["faults"]["latency"] == 1


async def test_admin_routes_are_never_faulted_or_counted(emulator: EmulatorHandle) -> None:
    await set_faults(emulator, "drop=1")
    for _ in range(3):
        status, _, body = split_response(await get(emulator, "/_emulator/stats"))
        assert status == 200
    stats = json.loads(body)
    assert stats["requests"]["total"] == 0 and stats["faults"]["drop"] == 0


async def test_bad_fault_config_is_a_400(emulator: EmulatorHandle) -> None:
    async with aiohttp.ClientSession(headers=emulator.admin_headers) as session:
        async with session.post(
            emulator.root_url + "/_emulator/faults", json={"spec": "429=2"}
        ) as r:
            assert r.status == 400
            assert "within [0, 1]" in (await r.json())["error"]["message"]
        async with session.get(emulator.root_url + "/_emulator/faults") as r:
            assert (await r.json())["rate_429"] == 0.0


SPEC = "429=0.15,500=0.1,503=0.1,drop=0.1,drop_after=0.1,malformed=0.1,html=0.1,seed=7"


def outcome(raw: bytes) -> str:
    if raw == b"":
        return "dropped"
    status, _, body = split_response(raw)
    if status == 200:
        try:
            json.loads(body)
        except ValueError:
            return "malformed"
    return str(status)


async def observe(spec: str, n: int) -> tuple[list[str], dict[str, object]]:
    config = EmulatorConfig(api_key="sk-test", faults=spec)
    async with serve_emulator(config, clock=ManualClock()) as emu:
        seen = [outcome(await get(emu)) for _ in range(n)]
        return seen, emu.stats()


async def test_same_seed_same_faults_and_stats_count_them() -> None:
    first, stats = await observe(SPEC, 60)
    second, _ = await observe(SPEC, 60)
    assert first == second
    assert {"200", "429", "500", "503", "502", "dropped", "malformed"} <= set(first)
    other, _ = await observe(SPEC.replace("seed=7", "seed=8"), 60)
    assert other != first

    requests = stats["requests"]
    faults = stats["faults"]
    assert isinstance(requests, dict) and isinstance(faults, dict)
    assert requests["total"] == 60
    assert faults["429"] == first.count("429")
    assert faults["500"] == first.count("500")
    assert faults["503"] == first.count("503")
    assert faults["html"] == first.count("502")
    assert faults["malformed"] == first.count("malformed")
    assert faults["drop"] + faults["drop_after"] == first.count("dropped")
    assert requests["by_status"]["dropped"] == first.count("dropped")
    assert requests["by_status"]["200"] == first.count("200") + first.count("malformed")


async def test_stats_reset(emulator: EmulatorHandle) -> None:
    await get(emulator)
    async with (
        aiohttp.ClientSession(headers=emulator.admin_headers) as session,
        session.post(emulator.root_url + "/_emulator/stats/reset", json={}) as r,
    ):
        assert (await r.json())["requests"]["total"] == 0


async def test_garbled_body_with_200_after_the_effect(emulator: EmulatorHandle) -> None:
    file_id = await training_file(emulator)
    await set_faults(emulator, "garbled=1")
    status, headers, body = split_response(await create(emulator, file_id))
    assert status == 200 and headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(body)
    # The whole body is there, behind the prefix: not a truncation.
    prefix = b")]}'\n"
    assert body.startswith(prefix)
    assert json.loads(body[len(prefix) :])["object"] == "fine_tuning.job"
    assert len(list(emulator.store.jobs())) == 1
    assert emulator.stats()["faults"]["garbled"] == 1


async def test_garbled_is_deterministic_by_seed() -> None:
    spec = "garbled=0.3,malformed=0.2,seed=11"
    first, stats = await observe(spec, 40)
    second, _ = await observe(spec, 40)
    assert first == second
    faults = stats["faults"]
    assert isinstance(faults, dict)
    assert faults["garbled"] + faults["malformed"] == first.count("malformed")
    assert faults["garbled"] > 0


async def test_latency_on_a_json_post_still_commits_after_the_client_hung_up(
    emulator: EmulatorHandle,
) -> None:
    file_id = await training_file(emulator)
    await set_faults(emulator, "latency=1:0.3")
    headers = {**auth(emulator.api_key), "Idempotency-Key": "late-1"}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            async with session.post(
                emulator.base_url + "/fine_tuning/jobs",
                json={"model": "gpt-4o-mini", "training_file": file_id},
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=0.05),
            ):
                pass
    # No timing assertion: wait for the stalled handler to finish, however long it takes.
    for _ in range(500):
        if emulator.stats()["requests"]["by_status"].get("200"):
            break
        await asyncio.sleep(0.01)
    assert len(list(emulator.store.jobs())) == 1
    assert emulator.store.idempotency_record("POST /fine_tuning/jobs", "late-1") is not None
