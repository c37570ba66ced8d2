"""Issue 22, item 7: an upload sends the file as it was, or fails saying why.

A file truncated while a one-request upload sent it stalled 60 s (the announced
Content-Length never arrived), then the retry uploaded the shorter file and reported success.
Now the upload fails at once with `UploadIntegrityError` and is not retried; a file that grows
likewise; and the ``bytes`` the server reports for the stored file (one request, or a
completed upload) must be the bytes sent.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import ftjobs
from tests._support.hostile import StartServer
from tests._support.live import client_for
from tests._support.payloads import file_payload

SIZE = 8 * 2**20
ENOUGH = 10.0  # the old stall was 60 s


def _file(tmp_path: Path, size: int = SIZE) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"x" * size)
    return path


def _changing_app(path: Path, change: Any, posts: list[int]) -> web.Application:
    """A Files endpoint that reads the upload slowly and changes the file after 64 KiB."""

    async def upload(request: web.Request) -> web.StreamResponse:
        received = 0
        while chunk := await request.content.read(65536):
            if not received:
                change(path)
            received += len(chunk)
        posts.append(received)
        return web.json_response(file_payload(bytes=received))

    app = web.Application(client_max_size=4 * SIZE)
    app.router.add_post("/v1/files", upload)
    return app


def _shrink(path: Path) -> None:
    os.truncate(path, 0)


def _grow(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b"y" * SIZE)


@pytest.mark.parametrize(("change", "how"), [(_shrink, "shrank"), (_grow, "grew")])
@pytest.mark.parametrize("given", ["path", "file object"])
async def test_a_file_that_changes_while_sent_fails_at_once(
    tmp_path: Path, change: Any, how: str, given: str
) -> None:
    path = _file(tmp_path)
    posts: list[int] = []
    async with client_for(_changing_app(path, change, posts)) as client:
        async with asyncio.timeout(ENOUGH):
            with pytest.raises(ftjobs.UploadIntegrityError, match=how) as caught:
                if given == "path":
                    await client.files.upload(path)
                else:
                    with path.open("rb") as handle:
                        await client.files.upload(handle)
    assert caught.value.expected == SIZE and caught.value.file_id is None
    assert posts == [] or posts[0] != SIZE, "no whole upload of another file"
    assert len(posts) <= 1, "not retried"


async def test_a_stored_size_other_than_the_bytes_sent_is_refused(
    scripted_server: StartServer, tmp_path: Path
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(file_payload("file-short", bytes=1000))

    server = await scripted_server(handler)
    async with ftjobs.AsyncClient(api_key="k", base_url=server.base_url) as client:
        with pytest.raises(ftjobs.UploadIntegrityError, match="stored 1000 bytes") as caught:
            await client.files.upload(_file(tmp_path, 4096))
    assert (caught.value.expected, caught.value.actual) == (4096, 1000)
    assert caught.value.file_id == "file-short"


def _uploads_app(stored_bytes: int | None, seen: list[str]) -> web.Application:
    """The Uploads API, its completed file reporting ``stored_bytes`` (None: the truth)."""
    upload: dict[str, Any] = {
        "id": "upload_1",
        "object": "upload",
        "created_at": 1,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "expires_at": 3601,
    }

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        upload["bytes"] = body["bytes"]
        seen.append("create")
        return web.json_response({**upload, "status": "pending"})

    async def part(request: web.Request) -> web.Response:
        await request.read()
        seen.append("part")
        part_id = f"part_{seen.count('part')}"
        return web.json_response(
            {"id": part_id, "object": "upload.part", "created_at": 1, "upload_id": "upload_1"}
        )

    async def complete(request: web.Request) -> web.Response:
        seen.append("complete")
        total = upload["bytes"] if stored_bytes is None else stored_bytes
        stored = file_payload("file-big", bytes=total)
        return web.json_response({**upload, "status": "completed", "file": stored})

    async def cancel(request: web.Request) -> web.Response:
        seen.append("cancel")
        return web.json_response({**upload, "status": "cancelled"})

    app = web.Application(client_max_size=4 * SIZE)
    app.router.add_post("/v1/uploads", create)
    app.router.add_post("/v1/uploads/upload_1/parts", part)
    app.router.add_post("/v1/uploads/upload_1/complete", complete)
    app.router.add_post("/v1/uploads/upload_1/cancel", cancel)
    return app


async def test_a_completed_upload_reporting_other_bytes_is_refused(tmp_path: Path) -> None:
    seen: list[str] = []
    async with client_for(_uploads_app(SIZE - 1, seen)) as client:
        with pytest.raises(ftjobs.UploadIntegrityError) as caught:
            await client.files.upload(_file(tmp_path), multipart_threshold=2**20)
    assert (caught.value.expected, caught.value.actual) == (SIZE, SIZE - 1)
    assert caught.value.file_id == "file-big"


class _Shrinking:
    """A seekable file object whose file is truncated after the first part is read."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle = path.open("rb")
        self.name = str(path)

    def read(self, n: int = -1) -> bytes:
        chunk = self._handle.read(n)
        os.truncate(self._path, 0)
        return chunk

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        self._handle.close()


async def test_a_file_that_shrinks_during_an_upload_in_parts_cancels_it(tmp_path: Path) -> None:
    seen: list[str] = []
    shrinking = _Shrinking(_file(tmp_path, SIZE + 2**20))  # two parts of 8 MiB at most
    async with client_for(_uploads_app(None, seen)) as client:
        with pytest.raises(ftjobs.UploadIntegrityError, match="shrank") as caught:
            await client.files.upload(shrinking, multipart_threshold=2**20)  # type: ignore[arg-type]
    shrinking.close()
    assert caught.value.actual == SIZE
    assert "complete" not in seen and seen[-1] == "cancel"
