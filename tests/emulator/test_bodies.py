"""Slow or huge request bodies are answered with a 4xx and cannot hold the emulator."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import auth, raw_exchange, split_response

BOUNDARY = "b0undary"


@pytest.fixture
async def strict() -> AsyncIterator[EmulatorHandle]:
    config = EmulatorConfig(api_key="sk-test", body_timeout=0.5, max_upload_bytes=1024 * 1024)
    async with serve_emulator(config) as handle:
        yield handle


def _head(emulator: EmulatorHandle, path: str, content_type: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{emulator.port}\r\n"
        f"Authorization: Bearer {emulator.api_key}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def _error(raw: bytes) -> tuple[int, dict[str, str], dict[str, str]]:
    status, headers, body = split_response(raw)
    error: dict[str, str] = json.loads(body)["error"]
    return status, headers, error


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/fine_tuning/jobs", "application/json"),
        ("/v1/files", f"multipart/form-data; boundary={BOUNDARY}"),
    ],
)
async def test_a_gigabyte_announced_is_refused_at_once(
    strict: EmulatorHandle, path: str, content_type: str
) -> None:
    # A few bytes of a body announced as 1 GB, then silence: the answer comes without
    # waiting for the rest (raw_exchange fails if the server does not close the connection).
    raw = await raw_exchange(
        strict.host, strict.port, _head(strict, path, content_type, 1_000_000_000) + b'{"mo'
    )
    status, headers, error = await _error(raw)
    assert status == 413 and error["code"] == "body_too_large"
    assert headers["connection"] == "close"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/fine_tuning/jobs", "application/json"),
        ("/v1/files", f"multipart/form-data; boundary={BOUNDARY}"),
    ],
)
async def test_a_body_that_does_not_arrive_in_time_is_a_408(
    strict: EmulatorHandle, path: str, content_type: str
) -> None:
    raw = await raw_exchange(
        strict.host, strict.port, _head(strict, path, content_type, 1000) + b"--b0und"
    )
    status, headers, error = await _error(raw)
    assert status == 408 and error["code"] == "request_timeout"
    assert headers["connection"] == "close"


def _form(fields: int) -> bytes:
    part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{{}}"\r\n\r\nx\r\n'
    return ("".join(part.format(i) for i in range(fields)) + f"--{BOUNDARY}--\r\n").encode()


async def test_a_form_of_200000_fields_is_refused(emulator: EmulatorHandle) -> None:
    body = _form(200_000)  # 12 MB: within the upload size limit
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            emulator.base_url + "/files",
            data=io.BytesIO(body),
            headers={
                **auth(emulator.api_key),
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
        ) as response,
    ):
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "too_many_fields"


async def test_a_huge_form_field_is_refused(strict: EmulatorHandle) -> None:
    form = aiohttp.FormData()
    form.add_field("purpose", "fine-tune" + " " * 20_000)
    form.add_field("file", b"{}\n", filename="t.jsonl")
    async with (
        aiohttp.ClientSession() as http,
        http.post(strict.base_url + "/files", data=form, headers=auth(strict.api_key)) as r,
    ):
        assert r.status == 413
        assert (await r.json())["error"]["param"] == "purpose"


async def test_a_streamed_json_body_is_bounded_while_it_is_read(strict: EmulatorHandle) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"model": "m", "suffix": "'
        for _ in range(2048):  # 2 MiB, without a Content-Length
            yield b"x" * 1024
        yield b'"}'

    async with (
        aiohttp.ClientSession() as http,
        http.post(
            strict.base_url + "/fine_tuning/jobs",
            data=chunks(),
            headers={**auth(strict.api_key), "Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 413
