"""Item 1: no redirect is followed, so no credential ever reaches another host.

Server A answers every request with a redirect to server B; B records what reaches it. For
every client and every credential header (including ones in ``default_headers``), the call
raises `RedirectError` naming B's address, and B receives nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import ftjobs
from ftjobs._errors import APIStatusError, RedirectError
from tests._support.hostile import ScriptedServer, StartServer
from tests._support.payloads import job_payload

SECRETS = {
    "api_key": "sk-redirect-secret",
    "organization": "org-redirect-secret",
    "project": "proj-redirect-secret",
    "default_header": "gateway-redirect-secret",
    "azure_key": "azure-redirect-secret",
    "entra_token": "entra-redirect-secret",
    "portkey_key": "pk-redirect-secret",
    "virtual_key": "vk-redirect-secret",
}
GATEWAY_HEADERS = {"X-Gateway-Key": SECRETS["default_header"]}
NO_RETRIES = {"max_retries": 0}

MakeClient = Callable[[str], ftjobs.AsyncClient]


def _openai(base_url: str) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(
        api_key=SECRETS["api_key"],
        organization=SECRETS["organization"],
        project=SECRETS["project"],
        base_url=base_url,
        default_headers=GATEWAY_HEADERS,
        **NO_RETRIES,
    )


def _azure_key(base_url: str) -> ftjobs.AsyncClient:
    return ftjobs.AsyncAzureClient(
        azure_endpoint=base_url.removesuffix("/v1"),
        api_key=SECRETS["azure_key"],
        default_headers=GATEWAY_HEADERS,
        **NO_RETRIES,
    )


def _azure_entra(base_url: str) -> ftjobs.AsyncClient:
    async def token() -> str:
        return SECRETS["entra_token"]

    return ftjobs.AsyncAzureClient(
        azure_endpoint=base_url.removesuffix("/v1"),
        azure_ad_token_provider=token,
        api_version="2024-10-21",
        default_headers=GATEWAY_HEADERS,
        **NO_RETRIES,
    )


def _portkey(base_url: str) -> ftjobs.AsyncClient:
    return ftjobs.AsyncPortkeyClient(
        api_key=SECRETS["portkey_key"],
        virtual_key=SECRETS["virtual_key"],
        base_url=base_url,
        default_headers=GATEWAY_HEADERS,
        **NO_RETRIES,
    )


CLIENTS = {"openai": _openai, "azure-key": _azure_key, "azure-entra": _azure_entra}
CLIENTS["portkey"] = _portkey

Call = Callable[[ftjobs.AsyncClient], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "GET": lambda c: c.jobs.retrieve("ftjob-1"),
    "POST json": lambda c: c.jobs.create(model="m", training_file="file-1"),
    "POST multipart": lambda c: c.files.upload(b'{"a": 1}\n'),
    "DELETE": lambda c: c.files.delete("file-1"),
    "GET content": lambda c: c.files.content("file-1"),
}


async def _redirecting(scripted_server: StartServer, status: int) -> tuple[ScriptedServer, str]:
    async def elsewhere(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload())

    target = await scripted_server(elsewhere)
    location = f"{target.url}/v1/fine_tuning/jobs/ftjob-1"

    async def redirect(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    source = await scripted_server(redirect)
    return target, source.base_url


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("make", list(CLIENTS.values()), ids=list(CLIENTS))
@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
async def test_a_redirect_raises_and_nothing_reaches_the_other_host(
    scripted_server: StartServer, status: int, make: MakeClient, call: Call
) -> None:
    target, base_url = await _redirecting(scripted_server, status)
    async with make(base_url) as client:
        with pytest.raises(RedirectError) as caught:
            await call(client)
    assert target.received == []
    error = caught.value
    assert isinstance(error, APIStatusError) and error.status_code == status
    assert error.location == f"{target.url}/v1/fine_tuning/jobs/ftjob-1"
    assert error.location in str(error)
    assert not any(secret in str(error) for secret in SECRETS.values())


async def test_a_redirect_is_not_retried(scripted_server: StartServer) -> None:
    target, _ = await _redirecting(scripted_server, 307)
    source_calls = 0

    async def counting(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal source_calls
        source_calls += 1
        return web.Response(status=307, headers={"Location": f"{target.url}/v1/x"})

    source = await scripted_server(counting)
    policy = ftjobs.RetryPolicy(max_retries=3, initial_delay=0, max_delay=0)
    async with ftjobs.AsyncClient(api_key="k", base_url=source.base_url, retry_policy=policy) as c:
        with pytest.raises(RedirectError):
            await c.jobs.retrieve("ftjob-1")
    assert source_calls == 1 and target.received == []
