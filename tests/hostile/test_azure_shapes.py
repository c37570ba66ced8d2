"""Item 8: Azure OpenAI's published shapes parse, and Azure's own rules hold.

The payloads are Azure's example responses from the REST API specs
(github.com/Azure/azure-rest-api-specs, specification/cognitiveservices/data-plane/
AzureOpenAI/authoring/, ``stable/2024-10-21/examples`` and
``preview/2025-04-01-preview/examples``), served as they are by a scripted server.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import ftjobs
from ftjobs.types import EventLevel, FileObject
from tests._support.hostile import ScriptedServer, StartServer
from tests._support.live import FAST_POLL

# stable/2024-10-21/examples/upload_file.json, 201: no "bytes" (the upload is pending).
UPLOAD_FILE_2024_10_21 = {
    "status": "pending",
    "purpose": "fine-tune",
    "filename": "puppy.jsonl",
    "id": "file-181a1cbdcdcf4677ada87f63a0928099",
    "created_at": 1646126127,
    "object": "file",
}
# stable/2024-10-21/examples/get_files.json (and the same in 2025-04-01-preview): no has_more.
GET_FILES_2024_10_21 = {
    "data": [
        {
            "status": "processed",
            "bytes": 140,
            "purpose": "fine-tune",
            "filename": "puppy.jsonl",
            "id": "file-181a1cbdcdcf4677ada87f63a0928099",
            "created_at": 1646126127,
            "object": "file",
        },
        {
            "status": "processed",
            "bytes": 32423,
            "purpose": "fine-tune-results",
            "filename": "results.csv",
            "id": "file-181a1cbdcdcf4677ada87f63a0928099",
            "created_at": 1646126127,
            "object": "file",
        },
    ],
    "object": "list",
}
# preview/2025-04-01-preview/examples/pause_finetuning_job.json, 200.
PAUSE_JOB_2025_04_01 = {
    "hyperparameters": {"n_epochs": -1},
    "integrations": [
        {
            "type": "wandb",
            "wandb": {"project": "custom-wandb-project", "tags": ["project:tag", "lineage"]},
        }
    ],
    "method": {"type": "supervised"},
    "status": "paused",
    "model": "curie",
    "training_file": "file-181a1cbdcdcf4677ada87f63a0928099",
    "finished_at": 1646127311,
    "id": "ft-72a2792ef7d24ba7b82c7fe4a37e379f",
    "created_at": 1646126127,
    "object": "fine_tuning.job",
}
JOB_ID = PAUSE_JOB_2025_04_01["id"]
# The statuses the Azure spec lists for a fine-tuning job.
AZURE_STATUSES = [
    "created",
    "pending",
    "running",
    "pausing",
    "paused",
    "resuming",
    "succeeded",
    "cancelled",
    "failed",
]


async def _serving(scripted_server: StartServer, answers: dict[str, Any]) -> ScriptedServer:
    """Answer ``METHOD path`` (path under /openai) with a JSON body, or a status for an int."""

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        answer = answers[f"{request.method} {request.path.removeprefix('/openai')}"]
        if isinstance(answer, int):
            return web.Response(status=answer)
        if callable(answer):
            answer = answer()
        return web.json_response(answer, status=201 if request.method == "POST" else 200)

    return await scripted_server(handler)


def _azure(server: ScriptedServer) -> ftjobs.AsyncAzureClient:
    return ftjobs.AsyncAzureClient(
        azure_endpoint=server.url, api_key="az-key", api_version="2024-10-21", max_retries=0
    )


async def test_an_upload_answered_without_bytes_parses(scripted_server: StartServer) -> None:
    server = await _serving(scripted_server, {"POST /files": UPLOAD_FILE_2024_10_21})
    async with _azure(server) as client:
        uploaded = await client.files.upload(b'{"messages": []}\n')
    assert uploaded.id == "file-181a1cbdcdcf4677ada87f63a0928099"
    assert uploaded.bytes is None and uploaded.status == "pending"


async def test_a_file_with_null_bytes_parses(scripted_server: StartServer) -> None:
    body = {**UPLOAD_FILE_2024_10_21, "bytes": None}
    server = await _serving(scripted_server, {f"GET /files/{body['id']}": body})
    async with _azure(server) as client:
        assert (await client.files.retrieve(str(body["id"]))).bytes is None


async def test_a_file_list_without_has_more_is_one_page(scripted_server: StartServer) -> None:
    server = await _serving(scripted_server, {"GET /files": GET_FILES_2024_10_21})
    async with _azure(server) as client:
        page = await client.files.list()
        files = [f async for f in client.files.list()]
    assert page.has_more is False and len(page) == 2
    assert [f.bytes for f in files] == [140, 32423]
    assert all(isinstance(f, FileObject) for f in files)
    assert len(server.received) == 2


async def test_the_published_paused_job_parses(scripted_server: StartServer) -> None:
    server = await _serving(
        scripted_server, {f"POST /fine_tuning/jobs/{JOB_ID}/pause": PAUSE_JOB_2025_04_01}
    )
    async with _azure(server) as client:
        job = await client.jobs.pause(JOB_ID)
    assert job.status == ftjobs.JobStatus.PAUSED and not job.is_terminal
    assert job.method is not None and job.method.type == "supervised"


async def test_azure_deletes_a_job(scripted_server: StartServer) -> None:
    # stable/2024-10-21/examples/delete_finetuning_job.yaml: 204, no body.
    server = await _serving(scripted_server, {f"DELETE /fine_tuning/jobs/{JOB_ID}": 204})
    async with _azure(server) as client:
        assert await client.jobs.delete(JOB_ID) is None
    (request,) = server.received
    assert request.method == "DELETE"
    assert request.path == f"/openai/fine_tuning/jobs/{JOB_ID}"
    assert request.query == {"api-version": "2024-10-21"}
    assert request.headers["api-key"] == "az-key"


def test_only_the_azure_client_can_delete_a_job() -> None:
    assert not hasattr(ftjobs.AsyncClient(api_key="k").jobs, "delete")


@pytest.mark.parametrize(
    "suffix",
    ["x" * 41, "my.model", "with space", "ünïcode", "slash/es"],
    ids=["41 chars", "dot", "space", "non-ascii", "slash"],
)
async def test_an_azure_suffix_is_checked_before_any_request(
    scripted_server: StartServer, suffix: str
) -> None:
    server = await _serving(scripted_server, {})
    async with _azure(server) as client:
        with pytest.raises(ValueError, match=r"^suffix must be 1 to 40 letters, digits"):
            await client.jobs.create(model="gpt-4o-mini", training_file="file-1", suffix=suffix)
    assert server.received == []


async def test_an_azure_suffix_of_40_allowed_characters_is_sent(
    scripted_server: StartServer,
) -> None:
    suffix = "Az-09_" * 6 + "abcd"
    server = await _serving(scripted_server, {"POST /fine_tuning/jobs": PAUSE_JOB_2025_04_01})
    async with _azure(server) as client:
        await client.jobs.create(model="gpt-4o-mini", training_file="file-1", suffix=suffix)
    assert len(suffix) == 40 and b'"suffix":"' + suffix.encode() + b'"' in server.received[0].body


def test_openai_keeps_its_own_suffix_rule() -> None:
    # OpenAI takes 64 characters of anything: the Azure rule applies to Azure only.
    assert ftjobs.AsyncClient(api_key="k").jobs._suffix("my.model " + "x" * 55)


@pytest.mark.parametrize("status", AZURE_STATUSES)
async def test_every_azure_status_parses(scripted_server: StartServer, status: str) -> None:
    body = {**PAUSE_JOB_2025_04_01, "status": status}
    server = await _serving(scripted_server, {f"GET /fine_tuning/jobs/{JOB_ID}": body})
    async with _azure(server) as client:
        job = await client.jobs.retrieve(JOB_ID)
    assert str(job.status) == status
    assert job.is_terminal == (status in ("succeeded", "cancelled", "failed"))


@pytest.mark.parametrize(("on_paused", "ends_at"), [("wait", "succeeded"), ("return", "paused")])
async def test_a_wait_goes_through_every_azure_status(
    scripted_server: StartServer, on_paused: str, ends_at: str
) -> None:
    path = ["created", "pending", "running", "pausing", "paused", "resuming", "running"]
    statuses = [*path, "succeeded"]

    def next_job() -> dict[str, Any]:
        # One status per poll, then the last one for good.
        return {**PAUSE_JOB_2025_04_01, "status": statuses.pop(0) if statuses else "succeeded"}

    empty = {"object": "list", "data": [], "has_more": False}
    jobs = f"/fine_tuning/jobs/{JOB_ID}"
    server = await _serving(
        scripted_server,
        {f"GET {jobs}": next_job, f"GET {jobs}/events": empty, f"GET {jobs}/checkpoints": empty},
    )
    seen: list[str] = []
    async with _azure(server) as client:
        job = await client.jobs.wait_until_terminal(
            JOB_ID,
            poll=FAST_POLL,
            on_paused=on_paused,  # type: ignore[arg-type]
            on_update=lambda u: seen.append(str(u.job.status)),
        )
    assert str(job.status) == ends_at
    expected = [*path, "succeeded"]
    assert seen == expected[: expected.index(ends_at) + 1]


async def test_azure_warning_is_openai_warn(scripted_server: StartServer) -> None:
    # Azure's LogLevel spells it "warning"; OpenAI's event level "warn": one level.
    page = {
        "object": "list",
        "has_more": False,
        "data": [
            {
                "id": "ftevent-1",
                "created_at": 1646126127,
                "level": level,
                "message": "Validation loss is rising.",
                "type": "message",
                "object": "fine_tuning.job.event",
            }
            for level in ("warning", "warn", "info", "verbose")
        ],
    }
    server = await _serving(scripted_server, {f"GET /fine_tuning/jobs/{JOB_ID}/events": page})
    async with _azure(server) as client:
        levels = [e.level async for e in client.jobs.list_events(JOB_ID)]
    assert levels[:3] == [EventLevel.WARN, EventLevel.WARN, EventLevel.INFO]
    assert levels[0] == "warn" and str(levels[0]) == "warn"
    assert levels[3] == "verbose"  # an unknown level is kept as it came
