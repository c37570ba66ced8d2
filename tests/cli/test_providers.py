"""``--provider``: the same commands against each provider, each reading its own variables
(aioresponses for Together's shapes; the emulator covers OpenAI's in the other tests)."""

from __future__ import annotations

import json

from aioresponses import aioresponses

from tests._support.together import BASE_URL, KEY, truncated_job
from tests.cli.helpers import run_cli

TOGETHER_ENV = {"TOGETHER_API_KEY": KEY}


async def test_jobs_list_and_get_on_together(mocked: aioresponses) -> None:
    jobs = [
        truncated_job("ft-1", created_at="2024-01-01T00:00:00Z", status="completed"),
        truncated_job("ft-2", created_at="2024-02-01T00:00:00Z", status="cancel_requested"),
    ]
    mocked.get(f"{BASE_URL}/fine-tunes", payload={"data": jobs}, repeat=True)
    mocked.get(f"{BASE_URL}/fine-tunes/ft-1", payload=jobs[0])
    code, out, err = await run_cli(
        "jobs", "list", "--provider", "together", "--json", env=TOGETHER_ENV
    )
    assert code == 0, err
    listed = json.loads(out)
    assert [(j["id"], j["status"], j["provider_status"]) for j in listed] == [
        ("ft-2", "cancel_requested", "cancel_requested"),
        ("ft-1", "succeeded", "completed"),
    ]
    # The provider may come from the environment too.
    env = {**TOGETHER_ENV, "FTJOBS_PROVIDER": "together"}
    code, out, err = await run_cli("jobs", "get", "ft-1", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["fine_tuned_model"] == jobs[0]["model_output_name"]
    assert all(str(url).startswith(BASE_URL) for _, url in mocked.requests)


async def test_each_provider_names_its_own_key_variable(mocked: aioresponses) -> None:
    for provider, variable in (
        ("together", "TOGETHER_API_KEY"),
        ("azure", "AZURE_OPENAI_API_KEY"),
        ("portkey", "PORTKEY_API_KEY"),
        ("openai", "OPENAI_API_KEY"),
    ):
        code, _, err = await run_cli("jobs", "list", "--provider", provider, env={variable: ""})
        assert code != 0 and f"set {variable}" in err, (provider, err)
    code, _, err = await run_cli("jobs", "list", env={"FTJOBS_PROVIDER": "mistral"})
    assert code != 0 and "FTJOBS_PROVIDER must be one of azure, openai, portkey, together" in err
    code, _, err = await run_cli("jobs", "list", "--provider", "mistral")
    assert code != 0 and "invalid choice: 'mistral'" in err
    assert not mocked.requests


async def test_an_operation_together_lacks_is_refused_before_any_request(
    mocked: aioresponses,
) -> None:
    code, _, err = await run_cli(
        "jobs", "pause", "ft-1", "--provider", "together", env=TOGETHER_ENV
    )
    assert code != 0
    assert "together does not support jobs.pause" in err
    assert not mocked.requests
