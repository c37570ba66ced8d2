"""A 404 under a base URL without a version segment says "did you mean .../v1?" with the full
URL asked for; one under a versioned base URL does not."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs._hints import missing_version_hint
from ftjobs.emulator import EmulatorHandle
from tests._support.payloads import API_KEY


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:8765/files", "http://127.0.0.1:8765"),
        ("https://gw.example/api/fine_tuning/jobs?limit=2", "https://gw.example/api"),
        ("http://h/uploads/upload_1/parts", "http://h"),
    ],
)
def test_a_base_without_a_version_gets_the_hint(url: str, base: str) -> None:
    hint = missing_version_hint("POST", url)
    assert hint is not None
    assert hint.startswith(f"did you mean {base}/v1?") and hint.endswith(f"POST {url}")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/files/file-1",
        "https://r.openai.azure.com/openai/v1/fine_tuning/jobs/x",
        "https://r.openai.azure.com/openai/fine_tuning/jobs?api-version=2024-10-21",
        "https://gw.example/v2beta/files",
        "https://elsewhere.example/something",
    ],
)
def test_a_versioned_base_gets_none(url: str) -> None:
    assert missing_version_hint("GET", url) is None


async def test_the_not_found_error_says_it(mocked: aioresponses) -> None:
    mocked.post(
        "http://llm.example/files",
        status=404,
        payload={"error": {"message": "Invalid URL (POST /files)", "type": "invalid_request"}},
    )
    async with ftjobs.AsyncClient(api_key=API_KEY, base_url="http://llm.example") as client:
        with pytest.raises(ftjobs.NotFoundError) as caught:
            await client.files.upload(b"{}\n", filename="t.jsonl")
    assert caught.value.message == (
        "Invalid URL (POST /files) - did you mean http://llm.example/v1? The base URL ends in "
        "no version segment; the request was POST http://llm.example/files"
    )


async def test_against_the_emulator(emulator: EmulatorHandle) -> None:
    root = emulator.base_url.removesuffix("/v1")
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=root) as client:
        with pytest.raises(ftjobs.NotFoundError, match=rf"did you mean {root}/v1\?") as caught:
            await client.jobs.retrieve("ftjob-1")
        assert f"GET {root}/fine_tuning/jobs/ftjob-1" in str(caught.value)
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as client:
        with pytest.raises(ftjobs.NotFoundError) as caught:
            await client.jobs.retrieve("ftjob-1")
        assert "did you mean" not in str(caught.value)
