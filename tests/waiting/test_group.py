"""ftjobs.waiting._group: how a JobGroup refreshes its jobs (list scan vs GETs), mocked HTTP."""

from __future__ import annotations

import re
from typing import Any

from aioresponses import aioresponses

import ftjobs
from tests._support.payloads import BASE_URL, job_payload, sent

LIST_URL = re.compile(rf"{re.escape(BASE_URL)}/fine_tuning/jobs\?.*limit=100.*")
POLICY = ftjobs.PollPolicy(initial_interval=0.001, max_interval=0.002, timeout=10)


def _page(ids: list[str], *, has_more: bool, status: str = "running") -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            job_payload(i, status=status, created_at=1_000_000 - n) for n, i in enumerate(ids)
        ],
        "has_more": has_more,
    }


def _get_url(job_id: str) -> str:
    return f"{BASE_URL}/fine_tuning/jobs/{job_id}"


async def test_scan_stops_once_every_watched_job_was_seen(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    watched = [f"ftjob-w{i}" for i in range(5)]
    mocked.get(LIST_URL, payload=_page([*watched, "ftjob-other"], has_more=True))
    group = ftjobs.waiting.JobGroup(client.jobs, watched, poll=POLICY)
    finished, delay = await group.tick()
    assert finished == [] and delay is not None
    assert group.requests == 1 and len(sent(mocked, "GET")) == 1  # no second page
    assert group.refreshed == 5 and group.ticks == 1


async def test_deep_jobs_are_read_again_from_their_own_page(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    # Four watched jobs sit below 500 newer unrelated ones: the first scan reads 6 pages and
    # remembers the cursor of the page they are on; the next tick reads that page alone.
    watched = [f"ftjob-w{i}" for i in range(4)]
    for n in range(5):
        others = [f"ftjob-o{n}-{i}" for i in range(100)]
        mocked.get(LIST_URL, payload=_page(others, has_more=True))
    mocked.get(LIST_URL, payload=_page(watched, has_more=False))
    mocked.get(LIST_URL, payload=_page(watched, has_more=False, status="succeeded"))
    group = ftjobs.waiting.JobGroup(client.jobs, watched, poll=POLICY)
    finished = [job.id async for job in group.as_completed()]
    assert group.requests == 7 and group.ticks == 2  # one page, not six, nor four GETs
    assert sorted(finished) == watched
    last = sent(mocked, "GET")[-1][0]
    assert last.query["after"] == "ftjob-o4-99" and last.query["limit"] == "100"


async def test_a_few_jobs_on_many_pages_switch_to_gets(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    # Four jobs, one per page: four GETs beat four page reads by nothing, and fetch only them.
    watched = [f"ftjob-w{i}" for i in range(4)]
    for n, job_id in enumerate(watched):
        others = [f"ftjob-o{n}-{i}" for i in range(99)]
        mocked.get(LIST_URL, payload=_page([job_id, *others], has_more=n < 3))
    for job_id in watched:
        mocked.get(_get_url(job_id), payload=job_payload(job_id, status="succeeded"))
    group = ftjobs.waiting.JobGroup(client.jobs, watched, poll=POLICY)
    finished = [job.id async for job in group.as_completed()]
    assert group.requests == 8 and sorted(finished) == watched


async def test_failed_get_does_not_lose_what_others_saw(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    ids = ["ftjob-a", "ftjob-b"]
    mocked.get(_get_url("ftjob-a"), payload=job_payload("ftjob-a", status="succeeded"))
    mocked.get(_get_url("ftjob-b"), status=503, repeat=True)
    group = ftjobs.waiting.JobGroup(client.jobs, ids, poll=POLICY)
    finished, delay = await group.tick()
    assert [j.id for j in finished] == ["ftjob-a"] and delay is not None
    assert list(group.pending) == ["ftjob-b"]


async def test_a_wrong_id_raises(mocked: aioresponses, client: ftjobs.AsyncClient) -> None:
    mocked.get(_get_url("ftjob-a"), payload=job_payload("ftjob-a"))
    mocked.get(_get_url("ftjob-nope"), status=404, payload={"error": {"message": "no such job"}})
    group = ftjobs.waiting.JobGroup(client.jobs, ["ftjob-a", "ftjob-nope"], poll=POLICY)
    try:
        await group.tick()
    except ftjobs.NotFoundError:
        pass
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a 404 for a watched job must raise")
