"""The emulator's Uploads API over HTTP: parts, md5, completion into a File, cancel, expiry."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp

from ftjobs.emulator import ManualClock
from tests._support.emulator import Api, chat_file


async def _create(api: Api, size: int, **extra: Any) -> dict[str, Any]:
    body = {"filename": "t.jsonl", "purpose": "fine-tune", "bytes": size, "mime_type": "text/jsonl"}
    status, upload = await api.call("POST", "/uploads", json={**body, **extra})
    assert status == 200, upload
    return dict(upload)


async def _part(api: Api, upload_id: str, data: bytes) -> tuple[int, Any]:
    form = aiohttp.FormData()
    form.add_field("data", data, filename="part", content_type="application/octet-stream")
    async with api.session.post(
        f"{api.base}/uploads/{upload_id}/parts", data=form, headers=api.headers
    ) as response:
        return response.status, await response.json()


async def test_parts_join_in_the_given_order_into_a_file(
    api: Api, emulator_clock: ManualClock
) -> None:
    content = chat_file(20)
    upload = await _create(
        api, len(content), expires_after={"anchor": "created_at", "seconds": 3600}
    )
    assert upload["status"] == "pending" and upload["object"] == "upload"
    assert upload["expires_at"] - upload["created_at"] == 3600 and upload["file"] is None
    half = len(content) // 2
    _, second = await _part(api, upload["id"], content[half:])
    status, first = await _part(api, upload["id"], content[:half])
    assert status == 200 and first["object"] == "upload.part"
    assert first["upload_id"] == upload["id"]
    status, done = await api.call(
        "POST",
        f"/uploads/{upload['id']}/complete",
        json={"part_ids": [first["id"], second["id"]], "md5": hashlib.md5(content).hexdigest()},
    )
    assert status == 200, done
    assert done["status"] == "completed" and done["file"]["bytes"] == len(content)
    assert done["file"]["expires_at"] == done["file"]["created_at"] + 3600
    async with api.session.get(
        f"{api.base}/files/{done['file']['id']}/content", headers=api.headers
    ) as response:
        assert await response.read() == content
    status, again = await _part(api, upload["id"], b"x")
    assert status == 400 and "completed" in again["error"]["message"]


async def test_completion_checks_size_md5_and_parts(api: Api) -> None:
    upload = await _create(api, 8)
    _, part = await _part(api, upload["id"], b"0123")
    path = f"/uploads/{upload['id']}/complete"
    status, error = await api.call("POST", path, json={"part_ids": [part["id"]]})
    assert status == 400 and "announced 8" in error["error"]["message"]
    _, rest = await _part(api, upload["id"], b"4567")
    ids = [part["id"], rest["id"]]
    status, error = await api.call("POST", path, json={"part_ids": ids, "md5": "0" * 32})
    assert status == 400 and error["error"]["param"] == "md5"
    status, error = await api.call("POST", path, json={"part_ids": [*ids, "part_nope"]})
    assert status == 400 and error["error"]["param"] == "part_ids"
    status, error = await _part(api, upload["id"], b"9")
    assert status == 400 and "more than the 8 bytes" in error["error"]["message"]
    status, done = await api.call("POST", path, json={"part_ids": ids})
    assert status == 200 and done["status"] == "completed"


async def test_cancel_and_expiry_close_an_upload(api: Api, emulator_clock: ManualClock) -> None:
    cancelled = await _create(api, 4)
    status, body = await api.call("POST", f"/uploads/{cancelled['id']}/cancel")
    assert status == 200 and body["status"] == "cancelled"
    status, body = await api.call("POST", f"/uploads/{cancelled['id']}/cancel")
    assert status == 400
    expiring = await _create(api, 4)
    emulator_clock.advance(3600)
    status, body = await _part(api, expiring["id"], b"1234")
    assert status == 400 and "expired" in body["error"]["message"]
    status, body = await api.call("POST", "/uploads/upload_nope/cancel")
    assert status == 404 and body["error"]["param"] == "upload_id"


async def test_create_checks_its_body(api: Api) -> None:
    good = {"filename": "t.jsonl", "purpose": "fine-tune", "bytes": 1, "mime_type": "text/jsonl"}
    cases = [
        ({**good, "purpose": "evals"}, "purpose"),
        ({**good, "bytes": -1}, "bytes"),
        ({**good, "bytes": True}, "bytes"),
        ({**good, "filename": "t.txt"}, "filename"),
        ({k: v for k, v in good.items() if k != "mime_type"}, "mime_type"),
        ({**good, "colour": "red"}, "colour"),
        (
            {**good, "expires_after": {"anchor": "created_at", "seconds": 5}},
            "expires_after.seconds",
        ),
    ]
    for body, param in cases:
        status, error = await api.call("POST", "/uploads", json=body)
        assert (status, error["error"]["param"]) == (400, param), body
