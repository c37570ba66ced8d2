"""Fixtures for the emulator tests: a running emulator on loopback and a client session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, Timings, serve_emulator
from tests.emulator.helpers import auth, chat_file, upload


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[EmulatorHandle]:
    """An emulator on a free loopback port, driven by a manual clock (time moves only
    when a test advances it), with a running-job limit of 2."""
    config = EmulatorConfig(api_key="sk-test", max_running_jobs=2, timings=Timings())
    async with serve_emulator(config, clock=clock) as handle:
        yield handle


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


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
        status, job = await self.call(
            "POST",
            "/fine_tuning/jobs",
            json={"model": "gpt-4o-mini", "training_file": training_file, **body},
        )
        assert status == 200, job
        return dict(job)


@pytest.fixture
def api(http: aiohttp.ClientSession, emu: EmulatorHandle) -> Api:
    return Api(http, emu)
