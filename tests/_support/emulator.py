"""Talking to the emulator: training data files, a raw HTTP client, uploads, a thin JSON client,
a job created through the SDK."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

import ftjobs
from ftjobs.emulator import EmulatorHandle
from ftjobs.emulator._params import JobRequest, parse_job_request

MODEL = "gpt-4o-mini-2024-07-18"


def chat_line(i: int = 0) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": f"Question number {i}?"},
                {"role": "assistant", "content": f"Answer {i}."},
            ]
        }
    )


def dpo_line(i: int = 0) -> str:
    return json.dumps(
        {
            "input": {"messages": [{"role": "user", "content": f"Hi {i}"}]},
            "preferred_output": [{"role": "assistant", "content": "Hello!"}],
            "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
        }
    )


def chat_file(n: int = 12) -> bytes:
    return ("\n".join(chat_line(i) for i in range(n)) + "\n").encode()


def dpo_file(n: int = 12) -> bytes:
    return ("\n".join(dpo_line(i) for i in range(n)) + "\n").encode()


def job_request(**body: Any) -> JobRequest:
    payload: dict[str, Any] = {"model": "gpt-4o-mini", "training_file": "file-train"}
    payload.update(body)
    return parse_job_request(payload)


def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


async def upload(
    session: aiohttp.ClientSession,
    base_url: str,
    api_key: str,
    content: bytes,
    *,
    filename: str = "train.jsonl",
    purpose: str = "fine-tune",
    headers: dict[str, str] | None = None,
) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("purpose", purpose)
    form.add_field("file", content, filename=filename, content_type="application/jsonl")
    response = await session.post(
        f"{base_url}/files", data=form, headers={**auth(api_key), **(headers or {})}
    )
    await response.read()
    return response


async def raw_request(
    host: str,
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 5.0,
) -> bytes:
    """Send one HTTP/1.1 request on a fresh socket and return every byte the server sent
    until it closed the connection (``b""`` when it closed without answering)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return await raw_exchange(host, port, data, timeout=timeout)


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Parse a raw HTTP/1.1 response (Content-Length framed) into status, headers, body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


async def raw_exchange(host: str, port: int, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Send ``data`` as it is on a fresh socket, stop sending (the connection stays open), and
    return every byte the server sent until it closed (``asyncio.TimeoutError`` if it did not
    within ``timeout``)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


class Api:
    """A thin JSON client for the emulator's API (asserts nothing by itself)."""

    def __init__(self, session: aiohttp.ClientSession, handle: EmulatorHandle) -> None:
        self.session = session
        self.handle = handle
        self.base = handle.base_url
        self.headers = auth(handle.api_key)

    async def call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, json=json, headers={**self.headers, **(headers or {})}
        ) as response:
            body = await response.json(content_type=None)
            return response.status, body

    async def upload(self, content: bytes | None = None, **kwargs: Any) -> dict[str, Any]:
        response = await upload(
            self.session, self.base, self.handle.api_key, content or chat_file(), **kwargs
        )
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def create_job(self, training_file: str, **body: Any) -> dict[str, Any]:
        # A model the emulator fine-tunes with the method asked for.
        method = body.get("method", {}).get("type")
        model = "o4-mini" if method == "reinforcement" else "gpt-4o-mini"
        status, job = await self.call(
            "POST",
            "/fine_tuning/jobs",
            json={"model": model, "training_file": training_file, **body},
        )
        assert status == 200, job
        return dict(job)


async def new_job(client: ftjobs.AsyncClient, *, epochs: int = 1, examples: int = 10) -> str:
    """Upload a chat file and start a supervised job on it through the SDK; its id."""
    training = await client.files.upload(chat_file(examples), filename="train.jsonl")
    job = await client.jobs.create(
        model=MODEL,
        training_file=training.id,
        method=ftjobs.FineTuneMethod.supervised_method(
            ftjobs.SupervisedHyperparameters(n_epochs=epochs, batch_size=1)
        ),
    )
    return job.id


TOGETHER_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


class TogetherApi(Api):
    """A thin JSON client for the emulator's Together dialect (paths relative to ``/v1``)."""

    async def upload(self, content: bytes | None = None, **kwargs: Any) -> dict[str, Any]:
        """``POST /files/upload`` of a chat file (form fields overridable by ``kwargs``)."""
        fields = {"purpose": "fine-tune", "file_name": "train.jsonl", **kwargs}
        status, body = await self.upload_form(content or chat_file(), fields)
        assert status == 200, body
        return dict(body)

    async def upload_form(
        self, content: bytes | None, fields: dict[str, str], path: str = "/files/upload"
    ) -> tuple[int, Any]:
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        if content is not None:
            form.add_field("file", content, filename=fields.get("file_name", "train.jsonl"))
        async with self.session.post(
            self.base + path, data=form, headers=self.headers, allow_redirects=False
        ) as response:
            body = await response.json(content_type=None) if response.status != 302 else None
            return response.status, body

    async def create_job(self, training_file: str, **body: Any) -> dict[str, Any]:
        payload = {"model": TOGETHER_MODEL, "training_file": training_file, **body}
        status, job = await self.call("POST", "/fine-tunes", json=payload)
        assert status == 200, job
        return dict(job)
