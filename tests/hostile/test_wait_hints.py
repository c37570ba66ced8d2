"""Issue 22, item 1: a server's wait hint can never end a wait or skip a retry.

``Retry-After``, ``retry-after-ms`` and ``openai-poll-after-ms`` are read by one parser
(``ftjobs._retry.parse_retry_after``) that ignores any value that is not a plain non-negative
number or a representable HTTP date. Before, a date with a thirteen-digit zone offset raised
a raw ``OverflowError``: on a 429 the retry was skipped, on a 200 poll the wait ended.
"""

from __future__ import annotations

import pytest
from aiohttp import web

import ftjobs
from tests._support.hostile import StartServer
from tests._support.live import FAST_POLL, FAST_RETRIES
from tests._support.payloads import job_payload

HUGE_ZONE = "Mon, 01 Jan 2024 00:00:00 +9999999999999"
HOSTILE_VALUES = {
    "huge zone offset": HUGE_ZONE,
    "400 digits": "9" * 400,
    "exponent": "1e999",
    "nan": "nan",
    "negative": "-5",
    "underscores": "1_000",
    "Arabic-Indic digits": "\u0663",
    "year 10000": "Sat, 01 Jan 10000 00:00:00 GMT",
}
HEADERS = ["Retry-After", "retry-after-ms", "openai-poll-after-ms"]


@pytest.mark.parametrize("value", list(HOSTILE_VALUES.values()), ids=list(HOSTILE_VALUES))
@pytest.mark.parametrize("header", HEADERS)
async def test_a_hostile_hint_on_a_200_poll_does_not_end_the_wait(
    scripted_server: StartServer, header: str, value: str
) -> None:
    polls = 0

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal polls
        polls += 1
        status = "running" if polls < 3 else "succeeded"
        return web.json_response(job_payload(status=status), headers={header: value})

    server = await scripted_server(handler)
    async with ftjobs.AsyncClient(
        api_key="k", base_url=server.base_url, retry_policy=FAST_RETRIES
    ) as client:
        job = await client.jobs.wait_until_terminal("ftjob-abc123", poll=FAST_POLL, timeout=10)
    assert job.status == "succeeded"
    assert polls == 3


@pytest.mark.parametrize("value", list(HOSTILE_VALUES.values()), ids=list(HOSTILE_VALUES))
@pytest.mark.parametrize("status", [429, 503])
async def test_a_hostile_retry_after_on_a_failure_is_still_retried(
    scripted_server: StartServer, status: int, value: str
) -> None:
    answers = 0

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal answers
        answers += 1
        if answers == 1:
            return web.json_response(
                {"error": {"message": "later"}}, status=status, headers={"Retry-After": value}
            )
        return web.json_response(job_payload(status="running"))

    server = await scripted_server(handler)
    async with ftjobs.AsyncClient(
        api_key="k", base_url=server.base_url, retry_policy=FAST_RETRIES
    ) as client:
        job = await client.jobs.retrieve("ftjob-abc123")
    assert job.status == "running"
    assert answers == 2
