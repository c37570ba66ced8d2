"""Item 9: timestamps are read leniently.

An int, a float, a digit string or an ISO-8601 string become int Unix seconds (one Azure
reference page types ``finished_at``/``estimated_finish`` as strings); anything else is
still a `ResponseValidationError` naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import ftjobs
from tests._support.hostile import StartServer
from tests._support.payloads import job_payload

MOMENT = 1721764800  # 2024-07-23T20:00:00Z

READINGS = {
    "int": MOMENT,
    "float": MOMENT + 0.75,
    "digit string": str(MOMENT),
    "decimal string": f"{MOMENT}.5",
    "ISO-8601 Z": "2024-07-23T20:00:00Z",
    "ISO-8601 offset": "2024-07-23T22:00:00+02:00",
    "ISO-8601 fraction": "2024-07-23T20:00:00.250000+00:00",
    "ISO-8601 naive (UTC)": "2024-07-23T20:00:00",
}


async def _job_answer(scripted_server: StartServer, **fields: Any) -> str:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response(job_payload(**fields))

    return (await scripted_server(handler)).base_url


@pytest.mark.parametrize("value", list(READINGS.values()), ids=list(READINGS))
async def test_every_timestamp_field_reads_leniently(
    scripted_server: StartServer, value: Any
) -> None:
    base_url = await _job_answer(
        scripted_server,
        created_at=value,
        finished_at=value,
        estimated_finish=value,
        status="succeeded",
    )
    async with ftjobs.AsyncClient(api_key="k", base_url=base_url, max_retries=0) as client:
        job = await client.jobs.retrieve("ftjob-abc123")
    assert job.created_at == job.finished_at == job.estimated_finish == MOMENT
    assert all(type(t) is int for t in (job.created_at, job.finished_at, job.estimated_finish))
    assert job.finished_at_datetime is not None
    assert job.finished_at_datetime.isoformat() == "2024-07-23T20:00:00+00:00"


@pytest.mark.parametrize("value", ["soon", True, [MOMENT], "2024-13-45T99:00:00Z"])
async def test_a_timestamp_that_is_none_of_those_is_refused_by_name(
    scripted_server: StartServer, value: Any
) -> None:
    base_url = await _job_answer(scripted_server, finished_at=value)
    async with ftjobs.AsyncClient(api_key="k", base_url=base_url, max_retries=0) as client:
        with pytest.raises(ftjobs.ResponseValidationError) as caught:
            await client.jobs.retrieve("ftjob-abc123")
    assert caught.value.errors[0].startswith("$.finished_at: expected Unix seconds")
