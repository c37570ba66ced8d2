"""Items 2, 6, 7: what a request may carry.

2. An id can never leave its resource path: ``.`` and ``..`` are refused (ValueError naming
   the parameter), everything else is percent-encoded into one segment; the CLI shows the
   same error in one line.
6. Bytes uploads over 1 MiB stream without aiohttp's ResourceWarning, and no error message
   ever quotes a request payload.
7. Header values with CR/LF fail at the call, naming the parameter, before any request.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import ftjobs
from ftjobs._request import Request
from ftjobs.cli import main
from tests._support.hostile import ScriptedServer, StartServer
from tests._support.payloads import file_payload, job_payload


async def _answering(scripted_server: StartServer, job_id: str = "ftjob-abc123") -> ScriptedServer:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/v1/files"):
            if request.path.endswith("/content"):
                return web.Response(body=b"{}")
            if request.method == "DELETE":
                return web.json_response({"id": "file-1", "object": "file", "deleted": True})
            return web.json_response(file_payload(bytes=None))  # size not reported
        if request.path.endswith(("/events", "/checkpoints")):
            return web.json_response({"object": "list", "data": [], "has_more": False})
        return web.json_response(job_payload(job_id, status="succeeded"))

    return await scripted_server(handler)


def _client(server: ScriptedServer, **options: Any) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(api_key="k", base_url=server.base_url, max_retries=0, **options)


IdCall = Callable[[ftjobs.AsyncClient, str], Awaitable[Any]]
ID_CALLS: dict[str, tuple[str, IdCall]] = {
    "jobs.retrieve": ("job_id", lambda c, i: c.jobs.retrieve(i)),
    "jobs.cancel": ("job_id", lambda c, i: c.jobs.cancel(i)),
    "jobs.pause": ("job_id", lambda c, i: c.jobs.pause(i)),
    "jobs.resume": ("job_id", lambda c, i: c.jobs.resume(i)),
    "jobs.list_events": ("job_id", lambda c, i: c.jobs.list_events(i)),
    "jobs.list_checkpoints": ("job_id", lambda c, i: c.jobs.list_checkpoints(i)),
    "jobs.wait_until_terminal": ("job_id", lambda c, i: c.jobs.wait_until_terminal(i)),
    "files.retrieve": ("file_id", lambda c, i: c.files.retrieve(i)),
    "files.delete": ("file_id", lambda c, i: c.files.delete(i)),
    "files.content": ("file_id", lambda c, i: c.files.content(i)),
}


async def _call(make: IdCall, client: ftjobs.AsyncClient, value: str) -> None:
    result = make(client, value)
    if hasattr(result, "__await__"):
        await result


@pytest.mark.parametrize("step", [".", ".."])
@pytest.mark.parametrize(("param", "make"), list(ID_CALLS.values()), ids=list(ID_CALLS))
async def test_a_path_step_as_an_id_is_refused_before_any_request(
    scripted_server: StartServer, step: str, param: str, make: IdCall
) -> None:
    # Before: jobs.retrieve("..") reached GET /v1/fine_tuning/, files.delete("..") DELETE /v1/.
    server = await _answering(scripted_server)
    async with _client(server) as client:
        with pytest.raises(ValueError, match=rf"^{param} must be an id, not the path step"):
            await _call(make, client, step)
    assert server.received == []


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("a/../..", "a%2F..%2F.."),
        ("a?b#c", "a%3Fb%23c"),
        ("%2E%2E", "%252E%252E"),
        ("...", "..."),
        ("ftjob abc", "ftjob%20abc"),
    ],
)
@pytest.mark.parametrize(("param", "make"), list(ID_CALLS.values()), ids=list(ID_CALLS))
async def test_any_other_id_stays_one_segment(
    scripted_server: StartServer, value: str, segment: str, param: str, make: IdCall
) -> None:
    server = await _answering(scripted_server, value)
    async with _client(server) as client:
        await _call(make, client, value)
    assert server.received, "the call reached the server"
    prefix = "/v1/files/" if param == "file_id" else "/v1/fine_tuning/jobs/"
    raw = server.received[0].raw_path.split("?")[0]
    assert raw.startswith(prefix + segment), raw


def test_the_cli_shows_a_path_step_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 on loopback answers nothing: had a request been made, the error would differ.
    argv = ["jobs", "get", "..", "--api-key", "k", "--base-url", "http://127.0.0.1:9/v1"]
    assert main([*argv, "--max-retries", "0"]) == 1
    err = capsys.readouterr().err
    assert err == "error: job_id must be an id, not the path step '..'\n"
    argv = ["files", "delete", ".", "--api-key", "k", "--base-url", "http://127.0.0.1:9/v1"]
    assert main(argv) == 1
    assert capsys.readouterr().err == "error: file_id must be an id, not the path step '.'\n"


# -- 6: uploads ---------------------------------------------------------------------------------

PAYLOAD = b'{"messages": [{"role": "user", "content": "SECRET-PAYLOAD"}]}\n' * 40_000  # 2.4 MB


async def test_a_bytes_upload_over_1_mib_streams_without_resource_warning(
    scripted_server: StartServer,
) -> None:
    server = await _answering(scripted_server)
    async with _client(server) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            await client.files.upload(PAYLOAD)
            await client.files.upload(bytearray(PAYLOAD))
            await client.files.upload(memoryview(PAYLOAD))
    assert len(server.received) == 3
    assert all(PAYLOAD in r.body for r in server.received)


async def test_an_unencodable_payload_is_never_quoted(scripted_server: StartServer) -> None:
    # aiohttp's own error for a form part it cannot encode quotes the part ("value: ...");
    # the transport withholds it, from the message and from the exception chain.
    class Unsendable:
        def __repr__(self) -> str:
            return PAYLOAD.decode()

    def multipart() -> AbstractContextManager[aiohttp.FormData]:
        form = aiohttp.FormData()
        form.add_field("file", Unsendable(), filename="train.jsonl")
        return nullcontext(form)

    server = await _answering(scripted_server)
    async with _client(server) as client:
        with pytest.raises(TypeError, match="could not be encoded") as caught:
            await client.transport.request(Request("POST", "/files", multipart=multipart))
    chain: BaseException | None = caught.value
    while chain is not None:
        assert "SECRET-PAYLOAD" not in str(chain)
        chain = chain.__cause__ or chain.__context__
    assert server.received == []


# -- 7: header values ---------------------------------------------------------------------------

BREAKS = ["\r\nX-Injected: 1", "\n", "\r", "a\x00b"]


@pytest.mark.parametrize("bad", BREAKS, ids=repr)
@pytest.mark.parametrize(
    ("param", "build"),
    [
        ("api_key", lambda v: ftjobs.AsyncClient(api_key=v)),
        ("organization", lambda v: ftjobs.AsyncClient(api_key="k", organization=v)),
        ("project", lambda v: ftjobs.AsyncClient(api_key="k", project=v)),
        (
            "default_headers['X-Gateway']",
            lambda v: ftjobs.AsyncClient(api_key="k", default_headers={"X-Gateway": v}),
        ),
        (
            "api_key",
            lambda v: ftjobs.AsyncAzureClient(azure_endpoint="https://r.example", api_key=v),
        ),
        ("api_key", lambda v: ftjobs.AsyncPortkeyClient(api_key=v, virtual_key="vk")),
        ("virtual_key", lambda v: ftjobs.AsyncPortkeyClient(api_key="pk", virtual_key=v)),
    ],
)
def test_a_header_value_with_a_line_break_fails_at_construction(
    bad: str, param: str, build: Callable[[str], object]
) -> None:
    with pytest.raises(ValueError) as caught:
        build(f"secret{bad}")
    assert str(caught.value) == f"{param} must not contain CR, LF or NUL characters"


def test_a_key_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # A key read from a file often keeps its trailing newline.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-a-file\n")
    with pytest.raises(ValueError, match=r"^api_key must not contain"):
        ftjobs.AsyncClient()


@pytest.mark.parametrize("bad", BREAKS, ids=repr)
async def test_a_header_value_with_a_line_break_fails_at_the_call(
    scripted_server: StartServer, bad: str
) -> None:
    server = await _answering(scripted_server)
    async with _client(server) as client:
        with pytest.raises(ValueError, match=r"^extra_headers\['X-Trace'\] must not contain"):
            await client.jobs.retrieve("ftjob-1", extra_headers={"X-Trace": bad})
        with pytest.raises(ValueError, match=r"^extra_headers has a header name"):
            await client.jobs.retrieve("ftjob-1", extra_headers={f"X{bad}": "v"})
        with pytest.raises(ValueError, match=r"^idempotency_key must not contain"):
            await client.jobs.create(model="m", training_file="f", idempotency_key=f"k{bad}")
        with pytest.raises(ValueError, match=r"^idempotency_key must not contain"):
            await client.jobs.cancel("ftjob-1", idempotency_key=f"k{bad}")
        with pytest.raises(ValueError, match=r"^idempotency_key must not contain"):
            await client.files.upload(b"{}\n", idempotency_key=f"k{bad}")
    assert server.received == []


async def test_an_entra_token_with_a_line_break_is_refused_before_sending(
    scripted_server: StartServer,
) -> None:
    server = await _answering(scripted_server)
    client = ftjobs.AsyncAzureClient(
        azure_endpoint=server.url, azure_ad_token_provider=lambda: "token\r\nX-Injected: 1"
    )
    async with client:
        with pytest.raises(ValueError, match=r"^azure_ad_token_provider must not contain"):
            await client.jobs.retrieve("ftjob-1")
    assert server.received == []
