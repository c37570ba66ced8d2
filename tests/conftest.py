"""Shared fixtures: a mocked HTTP layer (aioresponses), a client pointed at it, payload makers."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from yarl import URL

import ftjobs
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator

BASE_URL = "https://api.test/v1"
API_KEY = "sk-test-secret-0123456789"


def job_payload(job_id: str = "ftjob-abc123", **overrides: Any) -> dict[str, Any]:
    """A complete FineTuningJob body, as the spec describes it."""
    body: dict[str, Any] = {
        "object": "fine_tuning.job",
        "id": job_id,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1721764800,
        "finished_at": None,
        "fine_tuned_model": None,
        "organization_id": "org-123",
        "result_files": [],
        "status": "queued",
        "validation_file": None,
        "training_file": "file-abc123",
        "hyperparameters": {
            "batch_size": "auto",
            "learning_rate_multiplier": "auto",
            "n_epochs": 3,
        },
        "trained_tokens": None,
        "error": None,
        "seed": 42,
        "estimated_finish": None,
        "integrations": [],
        "method": {
            "type": "supervised",
            "supervised": {
                "hyperparameters": {
                    "batch_size": "auto",
                    "learning_rate_multiplier": 1.8,
                    "n_epochs": 3,
                }
            },
        },
        "metadata": {"team": "a"},
    }
    body.update(overrides)
    return body


def azure_job_payload(job_id: str = "ftjob-az1", **overrides: Any) -> dict[str, Any]:
    """A job as Azure OpenAI returns it."""
    body: dict[str, Any] = {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": 1721764800,
        "model": "gpt-4o-mini-2024-07-18",
        "status": "pending",
        "organization_id": None,
        "result_files": None,
        "training_file": "file-abc",
        "validation_file": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": {"n_epochs": -1, "batch_size": -1, "learning_rate_multiplier": 1},
        "seed": 105,
        "trained_tokens": None,
        "estimated_finish": None,
        "integrations": None,
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": -1, "batch_size": -1}},
        },
        "user_provided_suffix": "contoso",
        "trainingType": "standard",
    }
    body.update(overrides)
    return body


def event_payload(event_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object": "fine_tuning.job.event",
        "id": event_id,
        "created_at": 1721764800,
        "level": "info",
        "message": "Step 1/100: training loss=0.5",
        "type": "metrics",
        "data": {"step": 1, "train_loss": 0.5},
    }
    body.update(overrides)
    return body


def file_payload(file_id: str = "file-abc123", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": file_id,
        "object": "file",
        "bytes": 120000,
        "created_at": 1677610602,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "status": "processed",
    }
    body.update(overrides)
    return body


_TAKES_STREAM_WRITER = "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters


class _SentRequest:
    """What aiohttp 3.14's `ClientResponse` reads from the writer of a request already sent."""

    output_size = 0


class _MockedResponse(aiohttp.ClientResponse):
    """A `ClientResponse` aioresponses (0.7.9, the newest) can build on every aiohttp:
    3.14 added a required `stream_writer` argument that aioresponses does not pass."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        if _TAKES_STREAM_WRITER:
            kwargs.setdefault("stream_writer", _SentRequest())
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    """aioresponses, intercepting every request of every aiohttp session."""
    # The class aioresponses builds every response from, a callback's included.
    monkeypatch.setattr(aioresponses_core, "ClientResponse", _MockedResponse)
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client() -> AsyncIterator[ftjobs.AsyncClient]:
    """A client for BASE_URL whose retries do not sleep (backoff constants set to zero)."""
    policy = ftjobs.RetryPolicy(max_retries=2, initial_delay=0, max_delay=0, max_retry_after=0.05)
    async with ftjobs.AsyncClient(api_key=API_KEY, base_url=BASE_URL, retry_policy=policy) as c:
        yield c


def sent(mocked: aioresponses, method: str) -> list[Any]:
    """Every call aioresponses saw for an HTTP method, in order (url, kwargs)."""
    calls = []
    for (verb, url), items in mocked.requests.items():
        if verb == method:
            calls.extend((url, call.kwargs) for call in items)
    return calls


# -- the emulator over loopback (end-to-end tests) ---------------------------------------------

FAST_RETRIES = ftjobs.RetryPolicy(
    max_retries=3, initial_delay=0.01, max_delay=0.05, max_retry_after=0.05
)


@pytest.fixture
def emulator_clock() -> ManualClock:
    """Emulated time that moves only when a test advances it."""
    return ManualClock(1_700_000_000.0)


@pytest.fixture
async def emulator(emulator_clock: ManualClock) -> AsyncIterator[EmulatorHandle]:
    """The emulator on a free loopback port, driven by the manual clock."""
    async with serve_emulator(EmulatorConfig(max_running_jobs=2), clock=emulator_clock) as handle:
        yield handle


@pytest.fixture
async def live_client(emulator: EmulatorHandle) -> AsyncIterator[ftjobs.AsyncClient]:
    """An SDK client talking to the manual-clock emulator over real sockets."""
    async with ftjobs.AsyncClient(
        api_key=emulator.api_key, base_url=emulator.base_url, retry_policy=FAST_RETRIES
    ) as c:
        yield c


@pytest.fixture
async def fast_emulator() -> AsyncIterator[EmulatorHandle]:
    """The emulator on a real clock running 300x: a job's whole life takes well under 1 s."""
    async with serve_emulator(EmulatorConfig(speed=300, max_running_jobs=8)) as handle:
        yield handle


@pytest.fixture
async def fast_client(fast_emulator: EmulatorHandle) -> AsyncIterator[ftjobs.AsyncClient]:
    """An SDK client for the fast emulator."""
    async with ftjobs.AsyncClient(
        api_key=fast_emulator.api_key,
        base_url=fast_emulator.base_url,
        retry_policy=FAST_RETRIES,
        request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=100),
    ) as c:
        yield c


FAST_POLL = ftjobs.PollPolicy(initial_interval=0.02, max_interval=0.2, timeout=30)


def free_port() -> int:
    """A loopback port that was free a moment ago (for servers started in a subprocess)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def drop_nulls(value: Any) -> Any:
    """``value`` with every null-valued key removed, at any depth."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the block; yields its root URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def eventually(predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Wait (in real time, polling every few ms) until ``predicate()`` holds; fail after
    ``timeout`` seconds. A bound on how long a test may hang, not a timing assertion."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.005)
