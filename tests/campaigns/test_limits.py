"""Campaigns under the emulator's create limits (a daily quota, a bound on active jobs), on
emulated time flowing ~12,000x (an emulated day in seconds): the server's counters judge."""

from __future__ import annotations

from collections import Counter
from typing import Any

import ftjobs
from ftjobs.campaigns import CAMPAIGN_KEY, CampaignUpdate, MemberCreated, MemberEnded, SlotWait
from ftjobs.metrics import parse_results_file
from tests._support.campaigns import EmulatedClock, flowing_emulator
from tests._support.emulator import MODEL, chat_file

POLL = ftjobs.PollPolicy(initial_interval=0.02, max_interval=0.1, steer_to_eta=False)


def _client(handle: Any, **options: Any) -> ftjobs.AsyncClient:
    return ftjobs.AsyncClient(
        api_key=handle.api_key,
        base_url=handle.base_url,
        request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=100),
        **options,
    )


async def _grid(
    client: ftjobs.AsyncClient, name: str, grid: dict[str, list[Any]]
) -> ftjobs.Campaign:
    train = await client.files.upload(chat_file(12), filename="train.jsonl")
    valid = await client.files.upload(chat_file(10), filename="valid.jsonl")
    return ftjobs.Campaign.grid(
        name,
        base={"model": MODEL, "training_file": train.id, "validation_file": valid.id},
        grid=grid,
    )


async def test_36_members_under_a_daily_limit_of_20_and_max_active_3() -> None:
    async with flowing_emulator(daily_job_limit=20) as (handle, clock), _client(handle) as client:
        campaign = await _grid(
            client,
            "day-36",
            {
                "n_epochs": [1, 2, 3],
                "learning_rate_multiplier": [0.5, 1.0, 2.0],
                "batch_size": [1, 2, 3, 4],
            },
        )
        updates: list[CampaignUpdate] = []
        run = client.jobs.run_campaign(
            campaign, max_active=3, on_update=updates.append, clock=EmulatedClock(clock), poll=POLL
        )
        report = await run
        stats = handle.emulator.stats()["models"][MODEL]
        jobs = [j async for j in client.jobs.find(metadata={CAMPAIGN_KEY: "day-36"})]
        curves = {
            job.id: parse_results_file(await client.files.content(job.result_files[0]))
            for job in jobs
        }

    # All 36 succeeded, each created once.
    assert [row.status for row in report.rows] == ["succeeded"] * 36
    assert Counter(int((j.metadata or {})["ftjobs_member"]) for j in jobs) == Counter(range(36))
    assert stats["creates"] == 36
    # The server never saw more than 3 of them active.
    assert stats["peak_active"] <= 3
    # The daily limit was hit and waited out: every refusal the server counted was followed
    # by a wait for the slot it computed, none retried in seconds (the transport raised each
    # at once), and the campaign spanned more than a day.
    waits = [u for u in updates if isinstance(u, SlotWait)]
    assert stats["daily_limit_refusals"] >= 1
    assert len(waits) == stats["daily_limit_refusals"]
    assert all(w.reason == "daily_limit" and w.seconds is not None and w.seconds > 0 for w in waits)
    first = min(j.created_at for j in jobs)
    assert max(j.created_at for j in jobs) - first >= 86_400
    # No rolling 24 h held more than 20 creates.
    times = sorted(j.created_at for j in jobs)
    assert all(sum(1 for u in times if t <= u < t + 86_400) <= 20 for t in times)
    # The best member is the one whose result file ends lowest.
    finals = {
        job_id: next(r.valid_loss for r in reversed(curve) if r.valid_loss is not None)
        for job_id, curve in curves.items()
    }
    best = report.best()
    assert best is not None and best.job_id == min(finals, key=lambda k: finals[k])
    assert best.valid_loss == finals[best.job_id]


async def test_creates_refused_for_too_many_active_jobs_wait_and_leave_free_keeps_a_slot() -> None:
    # No transport retry: each refused create is one refusal on the server.
    # Slower time (about 400x): a job lives long enough for three to be active at once.
    limited = flowing_emulator(step=2.0, max_active_jobs=3)
    async with limited as (handle, clock), _client(handle, max_retries=0) as client:
        campaign = await _grid(client, "busy", {"n_epochs": [1, 2, 3], "batch_size": [1, 2, 3]})
        active = 0
        most_after_first_end = 0
        ended = False

        def count(update: CampaignUpdate) -> None:
            nonlocal active, most_after_first_end, ended
            if isinstance(update, MemberCreated):
                active += 1
                if ended:
                    most_after_first_end = max(most_after_first_end, active)
            elif isinstance(update, MemberEnded):
                active -= 1
                ended = True

        report = await client.jobs.run_campaign(
            campaign,
            max_active=5,
            leave_free=1,
            on_update=count,
            clock=EmulatedClock(clock),
            poll=POLL,
        )
        stats = handle.emulator.stats()["models"][MODEL]
    assert [row.status for row in report.rows] == ["succeeded"] * 9
    assert stats["creates"] == 9 and stats["peak_active"] == 3
    # One refusal taught the run the server's 3 slots; after the first batch it kept one free.
    assert stats["active_limit_refusals"] == 1
    assert most_after_first_end <= 2
