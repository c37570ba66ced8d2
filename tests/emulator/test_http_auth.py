"""Authentication."""

from __future__ import annotations

import aiohttp

from ftjobs.emulator import EmulatorHandle


async def test_missing_or_wrong_key_is_401(
    http: aiohttp.ClientSession, emu: EmulatorHandle
) -> None:
    url = emu.base_url + "/fine_tuning/jobs"
    for headers in (
        {},
        {"Authorization": "Bearer sk-wrong-key-123456"},
        {"Authorization": f"Basic {emu.api_key}"},
        {"api-key": "nope"},
    ):
        async with http.get(url, headers=headers) as response:
            assert response.status == 401, headers
            body = await response.json()
        assert body["error"]["code"] == "invalid_api_key"
        assert body["error"]["type"] == "invalid_request_error"
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert emu.api_key not in body["error"]["message"]
        assert "sk-wrong-key-123456" not in body["error"]["message"]  # masked


async def test_bearer_and_api_key_headers_both_work(
    http: aiohttp.ClientSession, emu: EmulatorHandle
) -> None:
    for headers in ({"Authorization": f"Bearer {emu.api_key}"}, {"api-key": emu.api_key}):
        for base in (emu.base_url, emu.azure_base_url):
            async with http.get(base + "/files", headers=headers) as response:
                assert response.status == 200


async def test_401_on_every_route_even_unknown_ids(
    http: aiohttp.ClientSession, emu: EmulatorHandle
) -> None:
    async with http.post(emu.base_url + "/fine_tuning/jobs", json={}) as response:
        assert response.status == 401
    async with http.get(emu.base_url + "/files/file-x/content") as response:
        assert response.status == 401


async def test_admin_needs_no_key(http: aiohttp.ClientSession, emu: EmulatorHandle) -> None:
    async with http.get(emu.root_url + "/_emulator/stats") as response:
        assert response.status == 200
    async with http.get(emu.root_url + "/_emulator/health") as response:
        assert (await response.json()) == {"ok": True}
