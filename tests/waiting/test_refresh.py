"""ftjobs.waiting._refresh: a first scan places jobs on pages; later refreshes read just those
pages, side by side, and fall back to GETs when a page no longer shows its jobs."""

from __future__ import annotations

import collections
import re
from typing import Any

from aioresponses import aioresponses

import ftjobs
from ftjobs.waiting._refresh import Refresher
from tests._support.payloads import BASE_URL, job_payload, sent

LIST_URL = re.compile(rf"{re.escape(BASE_URL)}/fine_tuning/jobs\?.*limit=100.*")


def _page(ids: list[str], *, has_more: bool, status: str = "running") -> dict[str, Any]:
    jobs = [job_payload(i, status=status, created_at=1_000_000 - n) for n, i in enumerate(ids)]
    return {"object": "list", "data": jobs, "has_more": has_more}


def _get_url(job_id: str) -> str:
    return f"{BASE_URL}/fine_tuning/jobs/{job_id}"


async def _placed(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> tuple[Refresher, dict]:
    """Ten jobs on each of three pages, placed by a first scan (3 requests)."""
    refresher = Refresher(no_retry_client.jobs)
    pages = [[f"ftjob-p{n}-{i}" for i in range(100)] for n in range(3)]
    for n, ids in enumerate(pages):
        mocked.get(LIST_URL, payload=_page(ids, has_more=n < 2))
    wanted = {job_id: None for ids in pages for job_id in ids[:10]}
    first = await refresher.refresh(wanted)
    assert len(first.jobs) == 30 and refresher.requests == 3
    return refresher, wanted


async def test_placed_jobs_are_read_from_their_pages_side_by_side(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    refresher, wanted = await _placed(mocked, no_retry_client)
    for ids in ([f"ftjob-p{n}-{i}" for i in range(100)] for n in range(3)):
        mocked.get(LIST_URL, payload=_page(ids, has_more=True, status="succeeded"))
    seen = await refresher.refresh(wanted)
    assert {str(job.status) for job in seen.jobs.values()} == {"succeeded"}
    assert len(seen.jobs) == 30 and not seen.errors and refresher.requests == 6
    # Each page read twice: by the scan, then again from the cursor the scan remembered.
    cursors = collections.Counter(url.query.get("after") for url, _ in sent(mocked, "GET"))
    assert cursors == {None: 2, "ftjob-p0-99": 2, "ftjob-p1-99": 2}


async def test_a_job_gone_from_its_page_is_fetched_with_a_get_and_placed_afresh(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    refresher, wanted = await _placed(mocked, no_retry_client)
    # 100 new jobs on top: the first page shows none of the ten placed on it.
    mocked.get(LIST_URL, payload=_page([f"ftjob-new{i}" for i in range(100)], has_more=True))
    for n in (1, 2):
        mocked.get(LIST_URL, payload=_page([f"ftjob-p{n}-{i}" for i in range(100)], has_more=True))
    for i in range(10):
        mocked.get(_get_url(f"ftjob-p0-{i}"), payload=job_payload(f"ftjob-p0-{i}"))
    seen = await refresher.refresh(wanted)
    assert len(seen.jobs) == 30 and refresher.requests == 3 + 3 + 10
    assert refresher.should_scan(wanted)  # unplaced again: the next refresh scans


async def test_a_transient_page_failure_is_reported_for_its_jobs_without_gets(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    refresher, wanted = await _placed(mocked, no_retry_client)
    mocked.get(LIST_URL, status=503, repeat=True)
    seen = await refresher.refresh(wanted)
    assert not seen.jobs and len(seen.errors) == 30
    assert isinstance(seen.worst_error(), ftjobs.InternalServerError)
    assert refresher.requests == 6  # three pages, no GET per job during an outage


async def test_a_cursor_the_server_refuses_falls_back_to_gets(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    refresher, wanted = await _placed(mocked, no_retry_client)
    mocked.get(LIST_URL, status=400, payload={"error": {"message": "bad cursor"}}, repeat=True)
    for job_id in wanted:
        mocked.get(_get_url(job_id), payload=job_payload(job_id))
    seen = await refresher.refresh(wanted)
    assert len(seen.jobs) == 30 and not seen.errors
    assert refresher.requests == 3 + 3 + 30
