"""AsyncClient: configuration from arguments and environment, secrets, lifecycle."""

from __future__ import annotations

import aiohttp
import pytest
from aioresponses import aioresponses

import ftjobs
from tests._support.payloads import API_KEY, BASE_URL, job_payload, sent


def test_missing_key_fails_at_construction(no_env: None) -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="OPENAI_API_KEY"):
        ftjobs.AsyncClient()


def test_environment_is_read(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:9999/v1/")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    client = ftjobs.AsyncClient()
    assert client.base_url == "http://localhost:9999/v1"
    assert client.organization == "org-env"
    assert client.project == "proj-env"


def test_defaults(no_env: None) -> None:
    client = ftjobs.AsyncClient(api_key=API_KEY)
    assert client.base_url == "https://api.openai.com/v1"
    assert client.retry_policy.max_retries == 2


def test_repr_never_shows_the_key() -> None:
    client = ftjobs.AsyncClient(api_key=API_KEY, base_url=BASE_URL)
    assert API_KEY not in repr(client)
    assert API_KEY[-6:] not in repr(client)


@pytest.mark.parametrize("timeout", [0, -1, True])
def test_bad_timeout(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        ftjobs.AsyncClient(api_key=API_KEY, timeout=timeout)


def test_bad_base_url() -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="base_url"):
        ftjobs.AsyncClient(api_key=API_KEY, base_url="api.openai.com")


async def test_closed_client_raises_clearly(client: ftjobs.AsyncClient) -> None:
    await client.close()
    with pytest.raises(ftjobs.ClientClosedError, match="closed"):
        await client.jobs.retrieve("ftjob-1")


async def test_caller_session_is_used_and_not_closed(mocked: aioresponses) -> None:
    mocked.get(f"{BASE_URL}/fine_tuning/jobs/ftjob-1", payload=job_payload("ftjob-1"))
    async with aiohttp.ClientSession() as session:
        async with ftjobs.AsyncClient(
            api_key=API_KEY, base_url=BASE_URL, session=session
        ) as client:
            await client.jobs.retrieve("ftjob-1")
        assert not session.closed
    assert len(sent(mocked, "GET")) == 1


async def test_lazy_session_without_context_manager(mocked: aioresponses) -> None:
    mocked.get(f"{BASE_URL}/fine_tuning/jobs/ftjob-1", payload=job_payload("ftjob-1"))
    client = ftjobs.AsyncClient(api_key=API_KEY, base_url=BASE_URL)
    try:
        assert (await client.jobs.retrieve("ftjob-1")).id == "ftjob-1"
    finally:
        await client.close()
    await client.close()  # twice is fine
