"""The never-twice create and the run's daily-limit wait, over a mocked HTTP layer
(aioresponses) and an injected clock: no socket, no real sleep."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aioresponses import aioresponses

import ftjobs
from ftjobs.campaigns import (
    Campaign,
    CampaignProgress,
    CampaignUpdate,
    MemberCreated,
    SlotWait,
    idempotency_key,
    submit_member,
)
from tests._support.payloads import BASE_URL, job_payload, sent

LIST = re.compile(re.escape(f"{BASE_URL}/fine_tuning/jobs") + r"\?.*")
CREATE_URL = f"{BASE_URL}/fine_tuning/jobs"
MODEL = "gpt-4o-mini-2024-07-18"
NOW = 1_800_000_000.0


def _campaign() -> Campaign:
    return Campaign.grid(
        "sweep",
        base={"model": MODEL, "training_file": "file-t", "metadata": {"team": "a"}},
        grid={"n_epochs": [1, 2]},
    )


def _page(*jobs: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": list(jobs), "has_more": False}


def _member_job(job_id: str, index: int, attempt: int, **fields: Any) -> dict[str, Any]:
    metadata = {
        "team": "a",
        "ftjobs_campaign": "sweep",
        "ftjobs_member": str(index),
        "ftjobs_attempt": str(attempt),
    }
    return job_payload(job_id, metadata=metadata, **fields)


def _posts(mocked: aioresponses) -> list[dict[str, Any]]:
    return [kwargs for _url, kwargs in sent(mocked, "POST")]


async def test_submit_member_creates_once_with_the_members_identity(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    mocked.get(LIST, payload=_page())
    mocked.post(CREATE_URL, payload=_member_job("ftjob-1", 1, 2))
    job = await submit_member(no_retry_client, _campaign(), 1, attempt=2)
    assert job.id == "ftjob-1"
    (post,) = _posts(mocked)
    body = json.loads(post["data"])
    assert body["metadata"] == {
        "team": "a",
        "ftjobs_campaign": "sweep",
        "ftjobs_member": "1",
        "ftjobs_attempt": "2",
    }
    assert body["method"]["supervised"]["hyperparameters"] == {"n_epochs": 2}
    assert post["headers"]["Idempotency-Key"] == idempotency_key("sweep", 1, 2)
    # The search asked for exactly that member's attempt.
    ((url, _),) = sent(mocked, "GET")
    assert url.query["metadata[ftjobs_member]"] == "1"
    assert url.query["metadata[ftjobs_attempt]"] == "2"


async def test_submit_member_finds_the_job_before_creating_it(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    # Two jobs claim the attempt (a server that ignored a key): the oldest is the member's.
    mocked.get(
        LIST,
        payload=_page(
            _member_job("ftjob-new", 0, 0, created_at=200),
            _member_job("ftjob-old", 0, 0, created_at=100),
        ),
    )
    job = await submit_member(no_retry_client.jobs, _campaign(), 0)
    assert job.id == "ftjob-old"
    assert _posts(mocked) == []


async def test_keys_differ_per_member_and_attempt_and_are_short() -> None:
    keys = {idempotency_key("sweep", i, a) for i in range(3) for a in range(3)}
    assert len(keys) == 9
    assert idempotency_key("sweep", 0, 0) == idempotency_key("sweep", 0, 0)
    assert idempotency_key("x" * 128, 9999, 99) != idempotency_key("sweep", 0, 0)
    assert max(len(idempotency_key("x" * 128, 9999, 99)), 0) <= 64


class FakeClock:
    """Campaign time that moves only when the run sleeps."""

    def __init__(self) -> None:
        self.t = NOW
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


DAILY = {
    "error": {
        "message": "Your organization has reached the maximum of 2 fine-tuning requests per "
        f"day for the model '{MODEL}'.",
        "code": "daily_rate_limit_exceeded",
    }
}


async def test_a_daily_limit_is_waited_out_until_the_slot_the_creates_open(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    campaign = Campaign("one", [{"model": MODEL, "training_file": "file-t"}])
    failed = {"status": "failed", "error": {"code": "invalid_training_file", "message": "bad"}}
    done = job_payload(
        "ftjob-9",
        metadata={"ftjobs_campaign": "one", "ftjobs_member": "0", "ftjobs_attempt": "0"},
        **failed,
    )
    # The run's search for the campaign finds nothing; then the quota's window holds two
    # creates of the model, the oldest 6 h ago, and another model's (not counted).
    mocked.get(LIST, payload=_page())
    mocked.get(
        LIST,
        payload=_page(
            job_payload("ftjob-b", created_at=int(NOW) - 3600),
            job_payload("ftjob-x", model="gpt-4.1", created_at=int(NOW) - 20 * 3600),
            job_payload("ftjob-a", created_at=int(NOW) - 6 * 3600),
            job_payload("ftjob-old", created_at=int(NOW) - 30 * 3600),
        ),
    )
    mocked.post(CREATE_URL, status=429, payload=DAILY)
    mocked.post(CREATE_URL, payload=done)
    mocked.get(f"{CREATE_URL}/ftjob-9", payload=done, repeat=True)
    clock = FakeClock()
    updates: list[CampaignUpdate] = []
    progress: list[CampaignProgress] = []

    def on_update(update: CampaignUpdate) -> None:
        updates.append(update)
        if isinstance(update, SlotWait):
            progress.append(run.progress)

    run = no_retry_client.jobs.run_campaign(campaign, clock=clock, on_update=on_update)
    report = await asyncio.wait_for(run.report(), 30)

    waits = [u for u in updates if isinstance(u, SlotWait)]
    assert len(waits) == 1
    (wait,) = waits
    assert (wait.model, wait.reason) == (MODEL, "daily_limit")
    assert wait.until == NOW - 6 * 3600 + 86_400 + 1  # the oldest create in the window + 24 h
    assert str(wait) == f"next slot for {MODEL} in 18 h"
    assert progress == [CampaignProgress(0, 1, 0, 0, (MODEL, wait.until))]
    assert sum(clock.sleeps) == 18 * 3600 + 1  # slept until then, in one go
    assert len(_posts(mocked)) == 2  # not retried in seconds: refused once, then created
    assert [type(u) for u in updates if isinstance(u, MemberCreated)] == [MemberCreated]
    assert [(r.status, r.job_id) for r in report.rows] == [("failed", "ftjob-9")]


async def test_a_resume_settles_what_the_server_holds_and_creates_only_the_next_attempt(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    campaign = _campaign()  # two members
    server_error = {"status": "failed", "error": {"code": "internal_error", "message": "oops"}}
    data_error = {"status": "failed", "error": {"code": "invalid_training_file", "message": "x"}}
    mocked.get(
        LIST,
        payload=_page(
            _member_job("ftjob-1", 1, 0, status="cancelled"),
            _member_job("ftjob-0", 0, 0, **server_error),
        ),
    )
    retried = _member_job("ftjob-0b", 0, 1, **data_error)
    mocked.post(CREATE_URL, payload=retried)
    mocked.get(f"{CREATE_URL}/ftjob-0b", payload=retried, repeat=True)
    updates: list[CampaignUpdate] = []
    report = await asyncio.wait_for(
        no_retry_client.jobs.run_campaign(
            campaign, retry_failed=1, on_update=updates.append, clock=FakeClock()
        ).report(),
        30,
    )
    assert [type(u).__name__ for u in updates] == [
        "MemberFound",
        "MemberRetried",
        "MemberFound",
        "MemberEnded",
        "MemberCreated",
        "MemberEnded",
    ]
    (post,) = _posts(mocked)  # only member 0's next attempt; no search first (none was there)
    assert json.loads(post["data"])["metadata"]["ftjobs_attempt"] == "1"
    assert post["headers"]["Idempotency-Key"] == idempotency_key("sweep", 0, 1)
    assert [(r.job_id, r.status, r.attempts) for r in report.rows] == [
        ("ftjob-0b", "failed", 2),
        ("ftjob-1", "cancelled", 1),
    ]


async def test_a_create_lost_in_transit_is_tried_again_after_a_wait_looking_first(
    mocked: aioresponses, no_retry_client: ftjobs.AsyncClient
) -> None:
    campaign = Campaign("one", [{"model": MODEL, "training_file": "file-t"}])
    done = job_payload(
        "ftjob-9",
        metadata={"ftjobs_campaign": "one", "ftjobs_member": "0", "ftjobs_attempt": "0"},
        status="cancelled",
    )
    mocked.get(LIST, payload=_page())  # the run's search: nothing yet
    mocked.post(CREATE_URL, status=503, payload={"error": {"message": "overloaded"}})
    mocked.get(LIST, payload=_page())  # the look before the second try: still nothing
    mocked.post(CREATE_URL, payload=done)
    mocked.get(f"{CREATE_URL}/ftjob-9", payload=done, repeat=True)
    clock = FakeClock()
    report = await asyncio.wait_for(
        no_retry_client.jobs.run_campaign(campaign, clock=clock).report(), 30
    )
    assert clock.sleeps == [5.0]
    assert len(_posts(mocked)) == 2
    lists = [url for url, _ in sent(mocked, "GET") if "metadata" in str(url)]
    assert [u.query.get("metadata[ftjobs_member]") for u in lists] == [None, "0"]
    assert [(r.job_id, r.status) for r in report.rows] == [("ftjob-9", "cancelled")]
