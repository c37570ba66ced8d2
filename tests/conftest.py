"""Every shared fixture of the suite: a mocked HTTP layer (aioresponses) and clients pointed at
it; the emulator over loopback (one family: a manual-clock emulator and a fast real-clock one) and
clients for it; a clean environment; Prism mocks of the vendored API descriptions. Shared data
and helpers that are not fixtures live in ``tests/_support``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from yarl import URL

import ftjobs
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator
from tests._support.emulator import Api, TogetherApi
from tests._support.live import FAST_RETRIES
from tests._support.payloads import API_KEY, BASE_URL
from tests._support.prism import PrismMock, PrismMocks, patch_together, unavailable
from tests.spec import TOGETHER_SPEC_PATH, load_spec

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


@pytest.fixture
async def no_retry_client() -> AsyncIterator[ftjobs.AsyncClient]:
    """A client for BASE_URL that never retries and never waits for a request token: each
    mocked response is answered to exactly one request."""
    budget = ftjobs.waiting.RatePolicy(rate=10_000, burst=1_000)
    async with ftjobs.AsyncClient(
        api_key=API_KEY, base_url=BASE_URL, max_retries=0, request_budget=budget
    ) as c:
        yield c


#: The variables a client reads when an argument is not given (OpenAI, Azure OpenAI, Portkey).
CLIENT_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "PORTKEY_API_KEY",
    "PORTKEY_BASE_URL",
    "TOGETHER_API_KEY",
    "TOGETHER_BASE_URL",
)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the variables a client reads from the environment is set."""
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)


# -- the emulator over loopback (end-to-end tests) ---------------------------------------------


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
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, for talking to the emulator without the SDK."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(http: aiohttp.ClientSession, emulator: EmulatorHandle) -> Api:
    """A thin JSON client for the manual-clock emulator's API."""
    return Api(http, emulator)


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


@pytest.fixture
async def together_emulator(emulator_clock: ManualClock) -> AsyncIterator[EmulatorHandle]:
    """The emulator in its Together AI dialect, driven by the manual clock."""
    config = EmulatorConfig(dialect="together", max_running_jobs=2)
    async with serve_emulator(config, clock=emulator_clock) as handle:
        yield handle


@pytest.fixture
def together_api(http: aiohttp.ClientSession, together_emulator: EmulatorHandle) -> TogetherApi:
    """A thin JSON client for the Together dialect's API."""
    return TogetherApi(http, together_emulator)


# -- Prism mocks of the vendored API descriptions (tests/conformance/test_prism_*.py) ----------


@pytest.fixture(scope="session")
def prism_mocks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismMocks]:
    """The session's Prism mocks, one per description, each started on first use (a few
    seconds) and stopped when the session ends."""
    mocks = PrismMocks(Path(tmp_path_factory.mktemp("prism")))
    try:
        yield mocks
    finally:
        mocks.close()


def _prism_or_skip() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def openai_prism(prism_mocks: PrismMocks) -> PrismMock:
    """Prism serving the repository's OpenAI spec (spec/openai-fine-tuning.openapi.yaml);
    the test is skipped, with the reason, where Prism cannot run."""
    _prism_or_skip()
    return prism_mocks.get("openai", load_spec())


@pytest.fixture
def together_prism(prism_mocks: PrismMocks) -> PrismMock:
    """Prism serving the repository's copy of Together AI's description, its contradictions
    corrected (``TOGETHER_SPEC_GAPS`` in tests/_support/prism.py); skipped, with the reason,
    where Prism cannot run."""
    _prism_or_skip()
    return prism_mocks.get("together", patch_together(load_spec(TOGETHER_SPEC_PATH)))
