"""Issue 22, item 3: one odd 200 does not end a wait, and another job's answer is refused.

A 2xx poll answer that does not fit (``status: 3``) is ridden out like a 5xx, within
``failure_timeout``; one that keeps coming ends the wait with its
`ResponseValidationError`. An answer whose ``id`` is another job's is refused (it was taken
as the waited job: ``wait_until_terminal("ftjob-a")`` returned ``ftjob-victim``).
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import ftjobs
from tests._support.hostile import ScriptedServer, StartServer
from tests._support.live import FAST_POLL, FAST_RETRIES
from tests._support.payloads import job_payload

WRONG_SHAPES: dict[str, dict[str, Any]] = {
    "status 3": job_payload(status=3),
    "no status": {k: v for k, v in job_payload().items() if k != "status"},
    "created_at text": job_payload(created_at="soon"),
}


def _client(server: ScriptedServer) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(api_key="k", base_url=server.base_url, retry_policy=FAST_RETRIES)


@pytest.mark.parametrize("odd", list(WRONG_SHAPES.values()), ids=list(WRONG_SHAPES))
async def test_one_wrong_shaped_poll_is_ridden_out(
    scripted_server: StartServer, odd: dict[str, Any]
) -> None:
    answers = [job_payload(status="running"), odd, job_payload(status="succeeded")]

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(answers.pop(0) if len(answers) > 1 else answers[0])

    server = await scripted_server(handler)
    async with _client(server) as client:
        job = await client.jobs.wait_until_terminal("ftjob-abc123", poll=FAST_POLL, timeout=10)
    assert job.status == "succeeded"
    assert len(server.received) == 3


async def test_wrong_shapes_that_keep_coming_end_the_wait_after_failure_timeout(
    scripted_server: StartServer,
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload(status=3))

    server = await scripted_server(handler)
    poll = ftjobs.PollPolicy(initial_interval=0.02, max_interval=0.05, failure_timeout=0.3)
    async with _client(server) as client:
        with pytest.raises(ftjobs.ResponseValidationError) as caught:
            await client.jobs.wait_until_terminal("ftjob-abc123", poll=poll, timeout=10)
    assert caught.value.errors[0].startswith("$.status")
    assert len(server.received) >= 2


async def test_another_jobs_answer_is_refused(scripted_server: StartServer) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload("ftjob-victim", status="succeeded"))

    server = await scripted_server(handler)
    poll = ftjobs.PollPolicy(initial_interval=0.02, max_interval=0.05, failure_timeout=0.3)
    async with _client(server) as client:
        with pytest.raises(ftjobs.ResponseValidationError) as caught:
            await client.jobs.retrieve("ftjob-a")
        assert caught.value.errors == [
            "$.id: asked for 'ftjob-a', the answer is for 'ftjob-victim'"
        ]
        with pytest.raises(ftjobs.ResponseValidationError, match="ftjob-victim"):
            await client.jobs.wait_until_terminal("ftjob-a", poll=poll, timeout=10)


async def test_a_wrong_shaped_list_page_is_ridden_out_by_many_waits(
    scripted_server: StartServer,
) -> None:
    # Five waits: the client's watcher refreshes them through list pages.
    ids = [f"ftjob-{n}" for n in range(5)]
    lists = 0

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal lists
        if request.path == "/v1/fine_tuning/jobs":
            lists += 1
            if lists == 2:
                return web.json_response({"object": "list", "data": "garbage", "has_more": 0})
            status = "running" if lists < 3 else "succeeded"
            data = [job_payload(i, status=status) for i in ids]
            return web.json_response({"object": "list", "data": data, "has_more": False})
        job_id = request.path.rsplit("/", 1)[-1]
        return web.json_response(job_payload(job_id, status="running"))

    server = await scripted_server(handler)
    async with _client(server) as client:
        jobs = await client.jobs.wait_many(ids, poll=FAST_POLL, timeout=10)
    assert {job.status for job in jobs.done.values()} == {"succeeded"}
    assert not jobs.pending
    assert lists >= 3
