"""Dialects: Azure OpenAI and Portkey clients, and any other compatible server (aioresponses)."""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

import ftjobs
from ftjobs._converter import unstructure
from ftjobs._models import JobStatus
from tests._support.payloads import azure_job_payload, job_payload, sent

ENDPOINT = "https://contoso.openai.azure.com"
AZURE_KEY = "azure-secret-key-0123456789abcdef"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"
PORTKEY_KEY = "pk-secret-0123456789"
VIRTUAL_KEY = "vk-openai-secret-42"
PROVIDER_KEY = "sk-provider-secret-777"
NO_RETRY_WAIT = ftjobs.RetryPolicy(max_retries=2, initial_delay=0, max_delay=0, max_retry_after=0)
# No test here may see the developer's OPENAI_*, AZURE_OPENAI_* or PORTKEY_* variables.
pytestmark = pytest.mark.usefixtures("no_env")


def _headers(call: tuple[Any, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in call[1]["headers"].items()}


def _query(call: tuple[Any, Any]) -> dict[str, str]:
    return dict(call[1].get("params") or [])


def _url(call: tuple[Any, Any]) -> str:
    url: URL = call[0]
    return str(url.with_query(None))


def _azure(**kw: Any) -> ftjobs.AsyncAzureClient:
    kw.setdefault("azure_endpoint", ENDPOINT)
    kw.setdefault("retry_policy", NO_RETRY_WAIT)
    if "azure_ad_token_provider" not in kw:
        kw.setdefault("api_key", AZURE_KEY)
    return ftjobs.AsyncAzureClient(**kw)


# -- Azure: addressing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "base_url", "query"),
    [
        ({}, f"{ENDPOINT}/openai/v1", {}),
        ({"api_version": "preview"}, f"{ENDPOINT}/openai/v1", {"api-version": "preview"}),
        (
            {"api_version": "2024-10-21"},
            f"{ENDPOINT}/openai",
            {"api-version": "2024-10-21"},
        ),
        (
            {"api_version": "2025-04-01-preview"},
            f"{ENDPOINT}/openai",
            {"api-version": "2025-04-01-preview"},
        ),
        (
            {"api_version": "2025-04-01-preview", "api": "v1"},
            f"{ENDPOINT}/openai/v1",
            {"api-version": "2025-04-01-preview"},
        ),
        ({"azure_endpoint": ENDPOINT + "/openai/v1/"}, f"{ENDPOINT}/openai/v1", {}),
        (
            {"azure_endpoint": ENDPOINT + "/openai", "api_version": "2024-10-21"},
            f"{ENDPOINT}/openai",
            {"api-version": "2024-10-21"},
        ),
    ],
)
async def test_azure_paths(
    mocked: aioresponses, kw: dict[str, Any], base_url: str, query: dict[str, str]
) -> None:
    url = f"{base_url}/fine_tuning/jobs/ftjob-az1"
    mocked.get(URL(url).with_query(query) if query else url, payload=azure_job_payload())
    async with _azure(**kw) as client:
        assert client.base_url == base_url
        job = await client.jobs.retrieve("ftjob-az1")
    assert job.id == "ftjob-az1"
    (call,) = sent(mocked, "GET")
    assert _url(call) == url
    assert _query(call) == query


def test_azure_dated_api_requires_a_version() -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="api-version"):
        _azure(api="dated")


def test_azure_bad_api_name() -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="'v1' or 'dated'"):
        _azure(api="v2")


async def test_azure_api_key_header_and_no_bearer(mocked: aioresponses) -> None:
    mocked.get(f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1", payload=azure_job_payload())
    async with _azure() as client:
        await client.jobs.retrieve("ftjob-az1")
    headers = _headers(sent(mocked, "GET")[0])
    assert headers["api-key"] == AZURE_KEY
    assert "authorization" not in headers


async def test_azure_environment(mocked: aioresponses, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", ENDPOINT)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-be-sent")
    url = URL(f"{ENDPOINT}/openai/fine_tuning/jobs/ftjob-az1").with_query(
        {"api-version": "2024-10-21"}
    )
    mocked.get(url, payload=azure_job_payload())
    async with ftjobs.AsyncAzureClient() as client:
        assert client.api == "dated"
        assert client.api_version == "2024-10-21"
        await client.jobs.retrieve("ftjob-az1")
    headers = _headers(sent(mocked, "GET")[0])
    assert headers["api-key"] == AZURE_KEY
    assert "sk-openai-must-not-be-sent" not in json.dumps(headers)


def test_azure_argument_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://env.openai.azure.com")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    client = _azure(api_version="preview")
    assert client.base_url == f"{ENDPOINT}/openai/v1"
    assert client.api_version == "preview"


def test_azure_needs_an_endpoint() -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        ftjobs.AsyncAzureClient(api_key=AZURE_KEY)


def test_azure_needs_a_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")  # not an Azure credential
    with pytest.raises(ftjobs.ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        ftjobs.AsyncAzureClient(azure_endpoint=ENDPOINT)


def test_azure_key_and_token_provider_are_exclusive() -> None:
    async def provider() -> str:
        return TOKEN

    with pytest.raises(ftjobs.ConfigurationError, match="not both"):
        _azure(api_key=AZURE_KEY, azure_ad_token_provider=provider)


def test_azure_token_provider_must_be_callable() -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="callable"):
        _azure(azure_ad_token_provider=TOKEN)


# -- Azure: Entra ID tokens ---------------------------------------------------------------------


async def test_azure_token_provider_is_called_per_request(
    mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An env key is ignored when a token provider is given.
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    calls = 0

    async def provider() -> str:
        nonlocal calls
        calls += 1
        return f"{TOKEN}-{calls}"

    url = f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1"
    mocked.get(url, status=503, payload={"error": {"message": "busy"}})
    mocked.get(url, payload=azure_job_payload())
    mocked.get(url, payload=azure_job_payload())
    async with _azure(azure_ad_token_provider=provider) as client:
        await client.jobs.retrieve("ftjob-az1")  # one retry: two attempts
        await client.jobs.retrieve("ftjob-az1")
    assert calls == 3
    auth = [_headers(call)["authorization"] for call in sent(mocked, "GET")]
    assert auth == [f"Bearer {TOKEN}-1", f"Bearer {TOKEN}-2", f"Bearer {TOKEN}-3"]
    assert all("api-key" not in _headers(call) for call in sent(mocked, "GET"))


async def test_azure_sync_token_provider(mocked: aioresponses) -> None:
    mocked.get(f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1", payload=azure_job_payload())
    async with _azure(azure_ad_token_provider=lambda: TOKEN) as client:
        await client.jobs.retrieve("ftjob-az1")
    assert _headers(sent(mocked, "GET")[0])["authorization"] == f"Bearer {TOKEN}"


async def test_azure_empty_token_is_a_configuration_error(mocked: aioresponses) -> None:
    async with _azure(azure_ad_token_provider=lambda: "") as client:
        with pytest.raises(ftjobs.ConfigurationError, match="non-empty str"):
            await client.jobs.retrieve("ftjob-az1")
    assert not sent(mocked, "GET")


# -- Azure: the job objects ---------------------------------------------------------------------


async def test_azure_job_differences_parse(mocked: aioresponses) -> None:
    mocked.get(
        f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1",
        payload=azure_job_payload(),
        headers={"apim-request-id": "apim-123"},
    )
    async with _azure() as client:
        job = await client.jobs.retrieve("ftjob-az1")
    assert job.status == "pending" and not job.is_terminal
    assert job.organization_id is None
    assert job.result_files == ()
    assert job.hyperparameters is not None and job.hyperparameters.n_epochs == -1
    assert job.extra == {"user_provided_suffix": "contoso", "trainingType": "standard"}
    assert job.request_id == "apim-123"


@pytest.mark.parametrize(
    ("status", "expected", "terminal"),
    [
        ("pending", "pending", False),
        ("notRunning", "notRunning", False),
        ("canceling", "canceling", False),
        ("canceled", JobStatus.CANCELLED, True),
        ("running", JobStatus.RUNNING, False),
        ("succeeded", JobStatus.SUCCEEDED, True),
    ],
)
async def test_azure_statuses(
    mocked: aioresponses, status: str, expected: Any, terminal: bool
) -> None:
    mocked.get(
        f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1", payload=azure_job_payload(status=status)
    )
    async with _azure() as client:
        job = await client.jobs.retrieve("ftjob-az1")
    assert job.status == expected
    assert job.is_terminal is terminal


async def test_azure_wait_goes_through_canceling_to_cancelled(mocked: aioresponses) -> None:
    url = f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1"
    for status in ("running", "canceling", "canceling", "canceled"):
        mocked.get(url, payload=azure_job_payload(status=status))
    poll = ftjobs.PollPolicy(initial_interval=0.001, max_interval=0.002, jitter=0, timeout=10)
    async with _azure() as client:
        job = await client.jobs.wait_until_terminal("ftjob-az1", poll=poll)
    assert job.status is JobStatus.CANCELLED
    assert len(sent(mocked, "GET")) == 4


async def test_azure_extra_create_field_passes_through(mocked: aioresponses) -> None:
    mocked.post(f"{ENDPOINT}/openai/v1/fine_tuning/jobs", payload=azure_job_payload())
    async with _azure() as client:
        await client.jobs.create(
            model="gpt-4o-mini-2024-07-18",
            training_file="file-abc",
            extra_body={"trainingType": "globalstandard"},
        )
    body = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert body["trainingType"] == "globalstandard"
    assert body["model"] == "gpt-4o-mini-2024-07-18"


async def test_azure_secrets_never_leak(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{ENDPOINT}/openai/v1/fine_tuning/jobs/ftjob-az1"
    mocked.get(url, status=401, payload={"error": {"code": "401", "message": "Access denied"}})
    caplog.set_level(logging.DEBUG, logger="ftjobs")
    async with _azure() as client:
        assert AZURE_KEY not in repr(client)
        with pytest.raises(ftjobs.AuthenticationError) as info:
            await client.jobs.retrieve("ftjob-az1")
    for text in (str(info.value), repr(info.value), caplog.text):
        assert AZURE_KEY not in text
    token_client = _azure(azure_ad_token_provider=lambda: TOKEN)
    assert TOKEN not in repr(token_client)
    await token_client.close()


# -- Portkey ------------------------------------------------------------------------------------


def _portkey(**kw: Any) -> ftjobs.AsyncPortkeyClient:
    kw.setdefault("api_key", PORTKEY_KEY)
    kw.setdefault("retry_policy", NO_RETRY_WAIT)
    if not {"virtual_key", "provider", "config"} & set(kw):
        kw["virtual_key"] = VIRTUAL_KEY
    return ftjobs.AsyncPortkeyClient(**kw)


PK_JOB = f"{ftjobs.types.PORTKEY_BASE_URL}/fine_tuning/jobs/ftjob-1"


async def test_portkey_virtual_key_headers(mocked: aioresponses) -> None:
    mocked.get(PK_JOB, payload=job_payload("ftjob-1"))
    async with _portkey() as client:
        assert client.base_url == "https://api.portkey.ai/v1"
        await client.jobs.retrieve("ftjob-1")
    headers = _headers(sent(mocked, "GET")[0])
    assert headers["x-portkey-api-key"] == PORTKEY_KEY
    assert headers["x-portkey-virtual-key"] == VIRTUAL_KEY
    assert "authorization" not in headers
    assert "x-portkey-provider" not in headers


async def test_portkey_provider_and_options(mocked: aioresponses) -> None:
    mocked.get(PK_JOB, payload=job_payload("ftjob-1"))
    async with _portkey(
        provider="openai",
        provider_api_key=PROVIDER_KEY,
        config={"retry": {"attempts": 3}},
        trace_id="run-7",
        metadata={"_user": "ci", "team": "ml"},
    ) as client:
        await client.jobs.retrieve("ftjob-1")
    headers = _headers(sent(mocked, "GET")[0])
    assert headers["x-portkey-provider"] == "openai"
    assert headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert json.loads(headers["x-portkey-config"]) == {"retry": {"attempts": 3}}
    assert headers["x-portkey-trace-id"] == "run-7"
    assert json.loads(headers["x-portkey-metadata"]) == {"_user": "ci", "team": "ml"}
    assert "x-portkey-virtual-key" not in headers


async def test_portkey_saved_config_id(mocked: aioresponses) -> None:
    mocked.get(PK_JOB, payload=job_payload("ftjob-1"))
    async with _portkey(config="pc-finetune-123") as client:
        await client.jobs.retrieve("ftjob-1")
    assert _headers(sent(mocked, "GET")[0])["x-portkey-config"] == "pc-finetune-123"


def test_portkey_bad_config_type() -> None:
    with pytest.raises(TypeError, match="config"):
        _portkey(config=42)


async def test_portkey_environment(mocked: aioresponses, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", PORTKEY_KEY)
    monkeypatch.setenv("PORTKEY_BASE_URL", "http://gateway.local:8787/v1")
    mocked.get(
        "http://gateway.local:8787/v1/fine_tuning/jobs/ftjob-1", payload=job_payload("ftjob-1")
    )
    async with ftjobs.AsyncPortkeyClient(virtual_key=VIRTUAL_KEY) as client:
        await client.jobs.retrieve("ftjob-1")
    assert _headers(sent(mocked, "GET")[0])["x-portkey-api-key"] == PORTKEY_KEY


def test_portkey_needs_key_and_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")  # not a Portkey key
    with pytest.raises(ftjobs.ConfigurationError, match="PORTKEY_API_KEY"):
        ftjobs.AsyncPortkeyClient(virtual_key=VIRTUAL_KEY)
    with pytest.raises(ftjobs.ConfigurationError, match="route"):
        ftjobs.AsyncPortkeyClient(api_key=PORTKEY_KEY)


async def test_portkey_request_id(mocked: aioresponses) -> None:
    mocked.get(PK_JOB, payload=job_payload("ftjob-1"), headers={"x-portkey-request-id": "pk-r1"})
    mocked.get(
        PK_JOB,
        status=404,
        payload={"error": {"message": "No such job"}},
        headers={"x-portkey-request-id": "pk-r2"},
    )
    async with _portkey() as client:
        job = await client.jobs.retrieve("ftjob-1")
        with pytest.raises(ftjobs.NotFoundError) as info:
            await client.jobs.retrieve("ftjob-1")
    assert job.request_id == "pk-r1"
    assert info.value.request_id == "pk-r2"


async def test_portkey_exhausted_gateway_is_not_retried(mocked: aioresponses) -> None:
    exhausted = {"x-portkey-retry-attempt-count": "-1", "x-portkey-request-id": "pk-r3"}
    mocked.get(PK_JOB, status=503, payload={"error": {"message": "down"}}, headers=exhausted)
    mocked.get(PK_JOB, payload=job_payload("ftjob-1"))
    async with _portkey() as client:
        with pytest.raises(ftjobs.InternalServerError) as info:
            await client.jobs.retrieve("ftjob-1")
    assert len(sent(mocked, "GET")) == 1
    assert info.value.request_id == "pk-r3"


async def test_portkey_gateway_that_retried_some_is_retried(mocked: aioresponses) -> None:
    mocked.get(
        PK_JOB,
        status=503,
        payload={"error": {"message": "down"}},
        headers={"x-portkey-retry-attempt-count": "2"},
    )
    mocked.get(PK_JOB, payload=job_payload("ftjob-1"))
    async with _portkey() as client:
        job = await client.jobs.retrieve("ftjob-1")
    assert job.id == "ftjob-1"
    assert len(sent(mocked, "GET")) == 2


async def test_portkey_exhausted_poll_does_not_end_a_wait(mocked: aioresponses) -> None:
    # A later poll is a new request, not a retry on top of the gateway's.
    exhausted = {"x-portkey-retry-attempt-count": "-1"}
    mocked.get(PK_JOB, status=503, payload={"error": {"message": "down"}}, headers=exhausted)
    mocked.get(PK_JOB, payload=job_payload("ftjob-1", status="succeeded"))
    poll = ftjobs.PollPolicy(initial_interval=0.001, max_interval=0.002, jitter=0, timeout=10)
    async with _portkey() as client:
        job = await client.jobs.wait_until_terminal("ftjob-1", poll=poll)
    assert job.status is JobStatus.SUCCEEDED


async def test_portkey_secrets_never_leak(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(PK_JOB, status=401, payload={"error": {"message": "Invalid API key"}})
    caplog.set_level(logging.DEBUG, logger="ftjobs")
    async with _portkey(provider="openai", provider_api_key=PROVIDER_KEY) as client:
        with pytest.raises(ftjobs.AuthenticationError) as info:
            await client.jobs.retrieve("ftjob-1")
        shown = [repr(client), str(info.value), repr(info.value), caplog.text]
    vk_client = _portkey()
    shown.append(repr(vk_client))
    await vk_client.close()
    for text in shown:
        for secret in (PORTKEY_KEY, PROVIDER_KEY, VIRTUAL_KEY):
            assert secret not in text


# -- any other compatible server ----------------------------------------------------------------


async def test_other_server_base_url_headers_and_extra_body(mocked: aioresponses) -> None:
    compat = "http://llm-gateway.internal:8080/api/v1"
    mocked.post(f"{compat}/fine_tuning/jobs?tenant=acme", payload=job_payload())
    async with ftjobs.AsyncClient(
        api_key="sk-compat",
        base_url=compat,
        default_headers={"X-Tenant": "acme"},
        default_query={"tenant": "acme"},
    ) as client:
        await client.jobs.create(
            model="m", training_file="file-1", extra_body={"priority": "low", "n_gpus": 2}
        )
    ((url, kwargs),) = sent(mocked, "POST")
    assert str(url.with_query(None)) == f"{compat}/fine_tuning/jobs"
    assert kwargs["headers"]["X-Tenant"] == "acme"
    assert dict(kwargs["params"]) == {"tenant": "acme"}
    body = json.loads(kwargs["data"])
    assert body["priority"] == "low" and body["n_gpus"] == 2


NEBIUS = "https://api.tokenfactory.nebius.com/v1"


def _nebius_job(job_id: str, status: str) -> dict[str, Any]:
    """An OpenAI-shaped job as Nebius Token Factory answers it: OpenAI's fields plus its own
    (step counts, an object-valued from_checkpoint, tags)."""
    return job_payload(
        job_id,
        status=status,
        model="meta-llama/Llama-3.1-8B-Instruct",
        trained_steps=120,
        total_steps=300,
        from_checkpoint={"job_id": "ftjob-prev", "step": 40, "path": "ckpt/40"},
        tags=["nebius", "demo"],
    )


async def test_an_openai_shaped_server_keeps_its_own_fields(mocked: aioresponses) -> None:
    # The Nebius Token Factory profile of the Providers guide: AsyncClient(base_url=...).
    mocked.get(f"{NEBIUS}/fine_tuning/jobs/ftjob-n1", payload=_nebius_job("ftjob-n1", "running"))
    page = [_nebius_job(f"ftjob-n{i}", "succeeded") for i in range(3)]
    mocked.get(
        f"{NEBIUS}/fine_tuning/jobs", payload={"object": "list", "data": page, "has_more": False}
    )
    async with ftjobs.AsyncClient(api_key="nebius-key", base_url=NEBIUS) as client:
        job = await client.jobs.retrieve("ftjob-n1")
        listed = [j async for j in client.jobs.list()]
    assert job.status is JobStatus.RUNNING and job.provider_status is None
    assert job.extra == {
        "trained_steps": 120,
        "total_steps": 300,
        "from_checkpoint": {"job_id": "ftjob-prev", "step": 40, "path": "ckpt/40"},
        "tags": ["nebius", "demo"],
    }
    assert job.progress is None  # typed progress is a dialect's mapping; these stay as sent
    assert [j.extra["tags"] for j in listed] == [["nebius", "demo"]] * 3
    assert all(j.is_terminal for j in listed)
    # Written back as received.
    assert unstructure(job)["from_checkpoint"]["step"] == 40


def test_provider_clients_are_async_clients_without_openai_headers() -> None:
    azure = _azure()
    portkey = _portkey()
    for client in (azure, portkey):
        assert isinstance(client, ftjobs.AsyncClient)
        assert client.organization is None and client.project is None
        assert client.jobs is not None and client.files is not None


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: ftjobs.AsyncAzureClient(azure_endpoint="https://x", api_key=123), "api_key"),
        (
            lambda: ftjobs.AsyncAzureClient(azure_endpoint=b"https://x", api_key="k"),
            "azure_endpoint",
        ),
        (lambda: ftjobs.AsyncPortkeyClient(api_key=123, virtual_key="v"), "api_key"),
        (
            lambda: ftjobs.AsyncPortkeyClient(api_key="k", provider="p", provider_api_key=1),
            "provider_api_key",
        ),
    ],
)
def test_provider_secrets_of_the_wrong_type_are_named_not_shown(
    make: Callable[[], object], name: str
) -> None:
    with pytest.raises(TypeError, match=f"^{name} must be a str, got (int|bytes)$"):
        make()


_CLIENTS: list[Callable[..., ftjobs.AsyncClient]] = [
    lambda **kw: ftjobs.AsyncClient(api_key="sk-x", base_url="http://h/v1", **kw),
    _azure,
    _portkey,
]


@pytest.mark.parametrize("make", _CLIENTS)
def test_every_client_option_reaches_every_client(make: Callable[..., ftjobs.AsyncClient]) -> None:
    # One construction path: an option given to any client lands in the same place.
    policy = ftjobs.RetryPolicy(max_retries=7)
    rate = ftjobs.waiting.RatePolicy(rate=3.0, burst=3.0)
    client = make(timeout=12.5, retry_policy=policy, request_budget=rate)
    assert client.timeout == 12.5
    assert client.retry_policy is policy
    assert client.jobs.budget.policy is rate


@pytest.mark.parametrize("make", _CLIENTS)
async def test_default_headers_and_query_reach_every_client(
    make: Callable[..., ftjobs.AsyncClient], mocked: aioresponses
) -> None:
    client = make(default_headers={"X-A": "1"}, default_query={"tenant": "t"})
    mocked.get(re.compile(r".*/fine_tuning/jobs/ftjob-1.*"), payload=job_payload("ftjob-1"))
    async with client:
        await client.jobs.retrieve("ftjob-1")
    ((_, kwargs),) = sent(mocked, "GET")
    assert kwargs["headers"]["X-A"] == "1"
    assert dict(kwargs["params"])["tenant"] == "t"


@pytest.mark.parametrize("make", _CLIENTS)
def test_unknown_client_option_is_a_type_error(make: Callable[..., ftjobs.AsyncClient]) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'timout'"):
        make(timout=5)


def test_client_options_name_every_option_once() -> None:
    for cls in (ftjobs.AsyncClient, ftjobs.AsyncAzureClient, ftjobs.AsyncPortkeyClient):
        params = inspect.signature(cls).parameters
        assert not set(params) & set(ftjobs.types.ClientOptions.__optional_keys__), cls
        assert params["options"].kind is inspect.Parameter.VAR_KEYWORD
