"""Authentication."""

from __future__ import annotations

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, main, serve_emulator
from tests._support.emulator import auth


async def test_missing_or_wrong_key_is_401(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    url = emulator.base_url + "/fine_tuning/jobs"
    for headers in (
        {},
        {"Authorization": "Bearer sk-wrong-key-123456"},
        {"Authorization": f"Basic {emulator.api_key}"},
        {"api-key": "nope"},
    ):
        async with http.get(url, headers=headers) as response:
            assert response.status == 401, headers
            body = await response.json()
        assert body["error"]["code"] == "invalid_api_key"
        assert body["error"]["type"] == "invalid_request_error"
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert emulator.api_key not in body["error"]["message"]
        assert "sk-wrong-key-123456" not in body["error"]["message"]  # masked


async def test_bearer_and_api_key_headers_both_work(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    for headers in ({"Authorization": f"Bearer {emulator.api_key}"}, {"api-key": emulator.api_key}):
        for base in (emulator.base_url, emulator.azure_base_url):
            async with http.get(base + "/files", headers=headers) as response:
                assert response.status == 200


async def test_401_on_every_route_even_unknown_ids(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    async with http.post(emulator.base_url + "/fine_tuning/jobs", json={}) as response:
        assert response.status == 401
    async with http.get(emulator.base_url + "/files/file-x/content") as response:
        assert response.status == 401


async def test_admin_endpoints_need_the_key(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    root = emulator.root_url + "/_emulator"
    async with http.get(root + "/stats") as response:
        assert response.status == 401
    async with http.get(root + "/stats", headers={"api-key": emulator.api_key}) as response:
        assert response.status == 200
    async with http.post(root + "/seed", json={"jobs": 5}) as response:
        assert response.status == 401
    # Readiness probes poll health without credentials; it tells nothing.
    async with http.get(root + "/health") as response:
        assert (await response.json()) == {"ok": True}
    assert emulator.stats()["jobs"]["total"] == 0


async def test_a_web_page_cannot_post_to_the_admin_endpoints(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    # What a cross-site form or fetch() without a preflight can send: text/plain.
    for headers in ({}, emulator.admin_headers):
        for path, body in (("/faults", '{"spec": "429=1"}'), ("/seed", '{"jobs": 1000}')):
            async with http.post(
                emulator.root_url + "/_emulator" + path,
                data=body,
                headers={**headers, "Content-Type": "text/plain"},
            ) as response:
                assert response.status == (415 if headers else 401)
    assert emulator.stats()["faults_config"]["rate_429"] == 0.0
    assert emulator.stats()["jobs"]["total"] == 0


async def test_an_admin_key_is_the_only_key_for_admin(http: aiohttp.ClientSession) -> None:
    config = EmulatorConfig(api_key="sk-api", admin_key="sk-admin-key")
    async with serve_emulator(config) as emu:
        stats = emu.root_url + "/_emulator/stats"
        async with http.get(stats, headers=auth("sk-api")) as response:
            assert response.status == 401
            assert "sk-api" not in await response.text()
        async with http.get(stats, headers=emu.admin_headers) as response:
            assert response.status == 200
        jobs = emu.base_url + "/fine_tuning/jobs"
        async with http.get(jobs, headers=emu.admin_headers) as response:
            assert response.status == 401


def test_serving_beyond_loopback_warns(capsys: pytest.CaptureFixture[str]) -> None:
    # 192.0.2.1 (TEST-NET-1) is never a local address: the bind fails, after the warning.
    assert main(["--host", "192.0.2.1", "--port", "0"]) != 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("warning: listening on 192.0.2.1, not a loopback address")
    assert err[1].startswith("error: cannot serve on 192.0.2.1:0")
    assert len(err) == 2  # no traceback


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_hosts_do_not_warn(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A bad --state path stops the start before anything listens.
    assert main(["--host", host, "--port", "0", "--state", "/nonexistent-dir/s.db"]) == 1
    assert "warning" not in capsys.readouterr().err
