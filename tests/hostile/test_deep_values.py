"""Issue 22, item 4: a deeply nested value the SDK accepted can always be written back.

A grader of a type the SDK does not know is kept as its free-form mapping. Writing it back
(``jobs.create(method=job.method)``, the CLI's JSON, a task queue's record) walked it level by
level, and a few hundred levels hit ``RecursionError``; it is now copied as the JSON it is. The
long property run (``FTJOBS_PROPERTY_EXAMPLES=2000 pytest --hypothesis-seed=1
tests/test_converter_properties.py``) found it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web

import ftjobs
from ftjobs.cli import main
from tests._support.hostile import StartServer
from tests._support.payloads import job_payload

DEPTH = 701  # under json's own limit of 1,000 levels, over what a level-by-level walk survives


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


GRADER = {"type": "from-the-future", "name": "deep", "spec": _nested(DEPTH)}
METHOD = {"type": "reinforcement", "reinforcement": {"grader": GRADER}}


async def test_a_deep_unknown_grader_is_read_and_sent_back_whole(
    scripted_server: StartServer,
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload(method=METHOD), dumps=json.dumps)

    server = await scripted_server(handler)
    async with ftjobs.AsyncClient(api_key="k", base_url=server.base_url, max_retries=0) as client:
        job = await client.jobs.retrieve("ftjob-abc123")
        assert job.method is not None and job.method.reinforcement is not None
        again = await client.jobs.create(
            model=job.model, training_file="file-abc", method=job.method
        )
    assert again.id == job.id
    sent = json.loads(server.received[-1].body)
    assert sent["method"] == METHOD


async def test_the_cli_prints_a_deep_unknown_grader(
    scripted_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload(method=METHOD))

    server = await scripted_server(handler)
    argv = ["jobs", "get", "ftjob-abc123", "--json", "--api-key", "k"]
    # The CLI runs its own event loop: a thread, while this loop serves the scripted server.
    code = await asyncio.to_thread(main, [*argv, "--base-url", server.base_url])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["method"] == METHOD
