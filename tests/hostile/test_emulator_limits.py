"""Issue 22, items 11 and 13: the emulator holds to its limits against a hostile client.

11. The Uploads API ignored ``max_upload_bytes`` and kept every part in memory until
    ``complete`` joined them (a 2 GiB upload under the default key was accepted, peak RSS
    4.1 GiB). Now an upload may announce at most ``max_upload_bytes`` (a 413 in the service's
    error shape otherwise) and its parts wait on disk.
"""

from __future__ import annotations

import gc
import io
import tracemalloc
from typing import Any

import aiohttp
import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig, serve_emulator

LIMIT = 8 * 2**20
PART = 2 * 2**20


async def _post(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with session.post(url, **kwargs) as response:
        return response.status, await response.json()


def _create(size: int) -> dict[str, Any]:
    return {
        "filename": "big.jsonl",
        "purpose": "fine-tune",
        "bytes": size,
        "mime_type": "text/jsonl",
    }


async def test_an_upload_over_max_upload_bytes_is_refused_at_create() -> None:
    async with serve_emulator(EmulatorConfig(max_upload_bytes=LIMIT)) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            status, body = await _post(
                session, emulator.base_url + "/uploads", json=_create(LIMIT + 1)
            )
            assert status == 413
            assert body["error"]["code"] == "body_too_large" and body["error"]["param"] == "bytes"
            status, _ = await _post(session, emulator.base_url + "/uploads", json=_create(LIMIT))
            assert status == 200
        async with ftjobs.AsyncClient(
            api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0
        ) as client:
            with pytest.raises(ftjobs.APIStatusError) as caught:
                await client.files.upload(b"x" * (LIMIT + 1), multipart_threshold=PART)
            assert caught.value.status_code == 413


async def test_upload_parts_wait_on_disk() -> None:
    async with serve_emulator(EmulatorConfig(max_upload_bytes=LIMIT)) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            status, upload = await _post(
                session, emulator.base_url + "/uploads", json=_create(LIMIT)
            )
            assert status == 200
            parts_url = f"{emulator.base_url}/uploads/{upload['id']}/parts"
            tracemalloc.start()
            try:
                gc.collect()
                before, _ = tracemalloc.get_traced_memory()
                part_ids = []
                for index in range(LIMIT // PART):
                    form = aiohttp.FormData()
                    form.add_field("data", io.BytesIO(bytes([index]) * PART), filename="part")
                    status, part = await _post(session, parts_url, data=form)
                    assert status == 200, part
                    part_ids.append(part["id"])
                del form  # the test's own copy of the last part
                gc.collect()
                held, _ = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            # Four parts of 2 MiB received: none of them is held in memory (they were, whole).
            assert held - before < PART, f"{(held - before) / 2**20:.1f} MiB held"
            status, done = await _post(
                session,
                f"{emulator.base_url}/uploads/{upload['id']}/complete",
                json={"part_ids": part_ids},
            )
            assert status == 200 and done["file"]["bytes"] == LIMIT
