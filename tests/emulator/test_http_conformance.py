"""Emulator behaviour fixed after schemathesis found it off the spec."""

from __future__ import annotations

import json

import aiohttp

from ftjobs.emulator import EmulatorHandle
from tests._support.emulator import Api, auth, chat_file


async def test_405_lists_the_allowed_methods(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    async with http.request(
        "TRACE", f"{emulator.base_url}/fine_tuning/jobs", headers=auth(emulator.api_key)
    ) as response:
        assert response.status == 405
        assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))


async def test_an_empty_after_is_no_cursor(api: Api) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    for path in (
        "/fine_tuning/jobs?after=",
        f"/fine_tuning/jobs/{job['id']}/events?after=",
        f"/fine_tuning/jobs/{job['id']}/checkpoints?after=",
        "/files?after=",
    ):
        status, body = await api.call("GET", path)
        assert status == 200, (path, body)
    status, body = await api.call("GET", "/fine_tuning/jobs?after=")
    assert [j["id"] for j in body["data"]] == [job["id"]]


async def _upload(
    http: aiohttp.ClientSession, emulator: EmulatorHandle, fields: dict[str, tuple[str, str]]
) -> tuple[int, dict[str, object]]:
    form = aiohttp.FormData()
    form.add_field("purpose", "fine-tune")
    form.add_field("file", chat_file(), filename="train.jsonl")
    for name, (value, content_type) in fields.items():
        form.add_field(name, value, content_type=content_type)
    async with http.post(
        f"{emulator.base_url}/files", data=form, headers=auth(emulator.api_key)
    ) as resp:
        return resp.status, await resp.json()


async def test_expires_after_as_one_json_part(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    ok = json.dumps({"anchor": "created_at", "seconds": 3600})
    status, body = await _upload(http, emulator, {"expires_after": (ok, "application/json")})
    assert status == 200
    assert body["expires_at"] == body["created_at"] + 3600  # type: ignore[operator]
    for bad in (
        {"anchor": "created_at", "seconds": 2_592_001},
        {"anchor": "created_at", "seconds": [3600]},
        {"anchor": "created_at", "seconds": 3600, "other": 1},
        {"anchor": "now", "seconds": 3600},
        "not an object",
    ):
        status, body = await _upload(
            http, emulator, {"expires_after": (json.dumps(bad), "application/json")}
        )
        assert status == 400, bad
        error = body["error"]
        assert isinstance(error, dict) and str(error["param"]).startswith("expires_after")


async def test_unknown_upload_fields_are_rejected(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    status, body = await _upload(http, emulator, {"colour": ("blue", "text/plain")})
    assert status == 400
    error = body["error"]
    assert isinstance(error, dict) and error["param"] == "colour"
