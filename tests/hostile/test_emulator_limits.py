"""Issue 22, items 11, 12 and 13: the emulator holds to its limits against a hostile client.

11. The Uploads API ignored ``max_upload_bytes`` and kept every part in memory until
    ``complete`` joined them (a 2 GiB upload under the default key was accepted, peak RSS
    4.1 GiB). Now an upload may announce at most ``max_upload_bytes`` (a 413 in the service's
    error shape otherwise) and its parts wait on disk.
12. A second ``ftjobs serve`` on the same ``--state`` file refuses to start, saying why (the
    first holds an exclusive lock on it).
13. An ``Idempotency-Key`` over 255 characters is a 400 in the service's JSON error shape,
    naming its length, not stored.
"""

from __future__ import annotations

import gc
import io
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig, serve_emulator
from tests._support.live import free_port

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


def _serve(state: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ftjobs.emulator", "--port", str(port), "--state", state]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _healthy(root: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1].decode()
        try:
            with urllib.request.urlopen(root + "/_emulator/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the first emulator did not start")


def test_a_second_emulator_on_one_state_file_refuses_to_start(tmp_path: Path) -> None:
    # Item 12: both ran, each seeing only its own jobs; the file ended with 60 jobs under 30
    # distinct sequence numbers.
    state = str(tmp_path / "state.db")
    first_port, second_port = free_port(), free_port()
    first = _serve(state, first_port)
    try:
        _healthy(f"http://127.0.0.1:{first_port}", first)
        second = _serve(state, second_port)
        try:
            _, err = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.communicate()
            raise AssertionError("the second emulator started on the same state file") from None
        assert second.returncode == 1
        message = err.decode()
        assert "in use by another emulator" in message and state in message
        assert "Traceback" not in message
    finally:
        first.terminate()
        first.communicate(timeout=30)
    # Once the first has stopped, the file is free again.
    third = _serve(state, second_port)
    try:
        _healthy(f"http://127.0.0.1:{second_port}", third)
    finally:
        third.terminate()
        third.communicate(timeout=30)


@pytest.mark.parametrize("length", [256, 8000])
async def test_an_idempotency_key_over_255_characters_is_a_json_400(length: int) -> None:
    # Item 13: an 8,000-byte key was stored and echoed back in full.
    async with serve_emulator() as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}", "Idempotency-Key": "k" * length}
        async with aiohttp.ClientSession() as session:
            status, body = await _post(
                session, emulator.base_url + "/uploads", json=_create(10), headers=headers
            )
    assert status == 400
    assert body["error"]["param"] == "Idempotency-Key"
    assert f"got {length}" in body["error"]["message"] and "k" * 100 not in body["error"]["message"]


async def test_an_idempotency_key_of_255_characters_is_kept() -> None:
    async with serve_emulator() as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}", "Idempotency-Key": "k" * 255}
        async with aiohttp.ClientSession() as session:
            first = await _post(
                session, emulator.base_url + "/uploads", json=_create(10), headers=headers
            )
            again = await _post(
                session, emulator.base_url + "/uploads", json=_create(10), headers=headers
            )
    assert first[0] == again[0] == 200 and first[1]["id"] == again[1]["id"]
