"""Files endpoints over loopback."""

from __future__ import annotations

import aiohttp

from ftjobs.emulator import ManualClock
from tests._support.emulator import Api, chat_file


async def test_upload_retrieve_download_delete(api: Api) -> None:
    content = chat_file(12)
    uploaded = await api.upload(content, filename="train.jsonl")
    assert uploaded["id"].startswith("file-")
    assert uploaded["object"] == "file" and uploaded["bytes"] == len(content)
    assert uploaded["filename"] == "train.jsonl" and uploaded["purpose"] == "fine-tune"
    assert uploaded["status"] == "processed" and isinstance(uploaded["created_at"], int)

    status, meta = await api.call("GET", f"/files/{uploaded['id']}")
    assert status == 200 and meta == uploaded

    async with api.session.get(
        f"{api.base}/files/{uploaded['id']}/content", headers=api.headers
    ) as r:
        assert r.status == 200
        assert await r.read() == content  # raw bytes, not a JSON string

    status, deleted = await api.call("DELETE", f"/files/{uploaded['id']}")
    assert status == 200 and deleted == {"id": uploaded["id"], "object": "file", "deleted": True}
    status, body = await api.call("GET", f"/files/{uploaded['id']}")
    assert status == 404 and body["error"]["param"] == "id"
    status, _ = await api.call("DELETE", f"/files/{uploaded['id']}")
    assert status == 404
    async with api.session.get(
        f"{api.base}/files/{uploaded['id']}/content", headers=api.headers
    ) as r:
        assert r.status == 404


async def test_list_files_order_purpose_after_limit(api: Api, emulator_clock: ManualClock) -> None:
    ids = []
    for i in range(5):
        purpose = "fine-tune" if i % 2 == 0 else "assistants"
        name = "f.jsonl" if purpose == "fine-tune" else "f.txt"
        ids.append((await api.upload(b"x" * (i + 1), filename=name, purpose=purpose))["id"])
        emulator_clock.advance(1)
    status, page = await api.call("GET", "/files")
    assert status == 200
    assert [f["id"] for f in page["data"]] == ids[::-1]
    assert page["first_id"] == ids[-1] and page["last_id"] == ids[0] and page["has_more"] is False

    _, page = await api.call("GET", "/files?order=asc&limit=2")
    assert [f["id"] for f in page["data"]] == ids[:2] and page["has_more"] is True
    _, page = await api.call("GET", f"/files?order=asc&limit=2&after={ids[1]}")
    assert [f["id"] for f in page["data"]] == ids[2:4] and page["has_more"] is True

    _, page = await api.call("GET", "/files?purpose=fine-tune")
    assert [f["id"] for f in page["data"]] == [ids[4], ids[2], ids[0]]

    # a deleted cursor still works
    await api.call("DELETE", f"/files/{ids[2]}")
    _, page = await api.call("GET", f"/files?after={ids[2]}")
    assert [f["id"] for f in page["data"]] == [ids[1], ids[0]]

    for bad in ("0", "10001", "x"):
        status, body = await api.call("GET", f"/files?limit={bad}")
        assert status == 400 and body["error"]["param"] == "limit"
    status, _ = await api.call("GET", "/files?limit=10000")
    assert status == 200


async def test_empty_list_has_null_cursors(api: Api) -> None:
    _, page = await api.call("GET", "/files")
    assert page == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


async def test_upload_validation(api: Api) -> None:
    async def post(form: aiohttp.FormData) -> tuple[int, dict[str, str]]:
        async with api.session.post(f"{api.base}/files", data=form, headers=api.headers) as r:
            return r.status, (await r.json())["error"]

    form = aiohttp.FormData()
    form.add_field("purpose", "fine-tune")
    status, error = await post(form)
    assert status == 400 and error["param"] == "file"

    form = aiohttp.FormData()
    form.add_field("file", b"x", filename="a.jsonl")
    status, error = await post(form)
    assert status == 400 and error["param"] == "purpose"

    form = aiohttp.FormData()
    form.add_field("purpose", "memes")
    form.add_field("file", b"x", filename="a.jsonl")
    status, error = await post(form)
    assert status == 400 and error["param"] == "purpose"

    form = aiohttp.FormData()
    form.add_field("purpose", "fine-tune")
    form.add_field("file", b"x", filename="a.csv")
    status, error = await post(form)
    assert status == 400 and ".jsonl" in error["message"]

    form = aiohttp.FormData()
    form.add_field("purpose", "batch")
    form.add_field("file", b"x", filename="a.jsonl")
    form.add_field("expires_after[anchor]", "created_at")
    form.add_field("expires_after[seconds]", "10")
    status, error = await post(form)
    assert status == 400 and error["param"] == "expires_after.seconds"

    async with api.session.post(
        f"{api.base}/files", json={"purpose": "fine-tune"}, headers=api.headers
    ) as r:
        assert r.status == 400
    async with api.session.post(
        f"{api.base}/files",
        data=b"--xyz\r\nbroken",
        headers={**api.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
    ) as r:
        assert r.status == 400


async def test_expiring_upload_reports_expires_at(api: Api) -> None:
    form = aiohttp.FormData()
    form.add_field("purpose", "batch")
    form.add_field("file", b"{}", filename="b.jsonl")
    form.add_field("expires_after[anchor]", "created_at")
    form.add_field("expires_after[seconds]", "3600")
    async with api.session.post(f"{api.base}/files", data=form, headers=api.headers) as r:
        body = await r.json()
    assert r.status == 200 and body["expires_at"] == body["created_at"] + 3600
