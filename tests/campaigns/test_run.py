"""client.jobs.run_campaign end to end: the emulator over loopback (a fast real clock), the
server's own list as the judge of what was created."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import ftjobs
from ftjobs.campaigns import (
    CAMPAIGN_KEY,
    CampaignUpdate,
    MemberCreated,
    MemberFound,
    MemberRetried,
)
from ftjobs.emulator import EmulatorHandle
from ftjobs.emulator._lifecycle import Outcome
from ftjobs.metrics import parse_results_file
from tests._support.emulator import MODEL, chat_file
from tests._support.live import FAST_POLL


async def _files(client: ftjobs.AsyncClient) -> tuple[str, str]:
    train = await client.files.upload(chat_file(12), filename="train.jsonl")
    valid = await client.files.upload(chat_file(10), filename="valid.jsonl")
    return train.id, valid.id


def _grid(name: str, train: str, valid: str, epochs: int = 3, lrs: int = 3) -> ftjobs.Campaign:
    return ftjobs.Campaign.grid(
        name,
        base={"model": MODEL, "training_file": train, "validation_file": valid},
        grid={
            "n_epochs": list(range(1, epochs + 1)),
            "learning_rate_multiplier": [0.5, 1.0, 2.0][:lrs],
        },
    )


async def _server_jobs(client: ftjobs.AsyncClient, name: str) -> list[ftjobs.FineTuningJob]:
    return [job async for job in client.jobs.find(metadata={CAMPAIGN_KEY: name})]


def _peak_active(jobs: list[ftjobs.FineTuningJob]) -> int:
    """The most jobs alive at one instant, from the server's timestamps: at each create, the
    jobs created no later and not yet finished."""

    def alive_at(t: int) -> int:
        return sum(
            1 for k in jobs if k.created_at <= t and (k.finished_at is None or t < k.finished_at)
        )

    return max(alive_at(job.created_at) for job in jobs)


async def test_a_grid_runs_to_the_end_under_max_active(
    fast_client: ftjobs.AsyncClient, fast_emulator: EmulatorHandle
) -> None:
    train, valid = await _files(fast_client)
    campaign = _grid("grid-9", train, valid)
    updates: list[CampaignUpdate] = []
    run = fast_client.jobs.run_campaign(
        campaign, max_active=2, on_update=updates.append, poll=FAST_POLL
    )
    seen = [member async for member in run]
    report = await run

    assert sorted(m.index for m in seen) == list(range(9))
    assert all(m.job.status == "succeeded" and len(m.attempts) == 1 for m in seen)
    assert [m.params for m in sorted(seen, key=lambda m: m.index)][:2] == [
        {"n_epochs": 1, "learning_rate_multiplier": 0.5},
        {"n_epochs": 1, "learning_rate_multiplier": 1.0},
    ]
    server = await _server_jobs(fast_client, "grid-9")
    assert len(server) == 9  # one job per member, no more
    assert _peak_active(server) <= 2
    stats = fast_emulator.emulator.stats()["models"][MODEL]
    assert stats["creates"] == 9 and stats["peak_active"] <= 2  # the server's own count
    # Each job carries its member's hyperparameters.
    by_member = {int((j.metadata or {})["ftjobs_member"]): j for j in server}
    hyper = by_member[5].method.supervised.hyperparameters  # type: ignore[union-attr]
    assert (hyper.n_epochs, hyper.learning_rate_multiplier) == (2, 2.0)
    assert sum(isinstance(u, MemberCreated) for u in updates) == 9

    assert len(report.rows) == 9 and report.complete
    assert all(row.valid_loss is not None and row.best_checkpoint_step for row in report.rows)
    # The best member is the one whose result file ends lowest.
    finals = {}
    for job in server:
        content = await fast_client.files.content(job.result_files[0])
        curve = parse_results_file(content)
        finals[job.id] = next(r.valid_loss for r in reversed(curve) if r.valid_loss is not None)
    best = report.best("valid_loss")
    # (Losses are rounded to 4 digits: two members may tie, and then either is the lowest.)
    assert best is not None and finals[best.job_id] == min(finals.values())
    assert best.valid_loss == finals[best.job_id]


async def test_resume_after_the_driving_task_is_cancelled_creates_no_duplicate(
    fast_emulator: EmulatorHandle,
) -> None:
    async def client() -> ftjobs.AsyncClient:
        return ftjobs.AsyncClient(
            api_key=fast_emulator.api_key,
            base_url=fast_emulator.base_url,
            request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=100),
        )

    first = await client()
    async with first:
        train, valid = await _files(first)
        campaign = _grid("resume-9", train, valid)
        created: list[int] = []
        mid_way = asyncio.Event()

        def note(update: CampaignUpdate) -> None:
            if isinstance(update, MemberCreated):
                created.append(update.index)
                if len(created) == 4:
                    mid_way.set()

        run = first.jobs.run_campaign(campaign, max_active=3, on_update=note, poll=FAST_POLL)
        driver = asyncio.ensure_future(run.report())
        await asyncio.wait_for(mid_way.wait(), 60)  # some ended, some active, some not created
        driver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await driver
        assert run.done
    async with await client() as look:
        before = await _server_jobs(look, "resume-9")
    assert 4 <= len(before) < 9

    found: list[int] = []
    second = await client()
    async with second:
        updates: list[CampaignUpdate] = []
        report = await second.jobs.run_campaign(
            campaign, max_active=3, on_update=updates.append, poll=FAST_POLL
        )
        found = [u.index for u in updates if isinstance(u, MemberFound)]
        server = await _server_jobs(second, "resume-9")
    assert sorted(found) == sorted(int((j.metadata or {})["ftjobs_member"]) for j in before)
    members = Counter(int((j.metadata or {})["ftjobs_member"]) for j in server)
    assert members == Counter(range(9))  # every member once: none lost, none twice
    assert [row.status for row in report.rows] == ["succeeded"] * 9


async def test_server_failures_are_retried_and_data_errors_are_not(
    fast_client: ftjobs.AsyncClient, fast_emulator: EmulatorHandle
) -> None:
    train, valid = await _files(fast_client)
    campaign = _grid("retry-3", train, valid, epochs=3, lrs=1)
    scripted: dict[str, str] = {}

    def script(update: CampaignUpdate) -> None:
        # Member 0 fails on the server once; member 1's data is refused.
        if isinstance(update, MemberCreated) and update.attempt == 0 and update.index < 2:
            outcome = (
                Outcome.failure(at_step=1, code="internal_error")
                if update.index == 0
                else Outcome.failure(code="invalid_training_file")
            )
            fast_emulator.store.script_job(update.job.id, outcome)
            scripted[update.job.id] = outcome.code

    updates: list[CampaignUpdate] = []

    def on_update(update: CampaignUpdate) -> None:
        updates.append(update)
        script(update)

    report = await fast_client.jobs.run_campaign(
        campaign, max_active=3, retry_failed=2, on_update=on_update, poll=FAST_POLL
    )
    rows = {row.index: row for row in report.rows}
    assert (rows[0].status, rows[0].attempts) == ("succeeded", 2)
    assert (rows[1].status, rows[1].attempts) == ("failed", 1)
    assert (rows[2].status, rows[2].attempts) == ("succeeded", 1)
    retried = [u for u in updates if isinstance(u, MemberRetried)]
    assert [(u.index, u.attempt) for u in retried] == [(0, 1)]
    server = await _server_jobs(fast_client, "retry-3")
    attempts = sorted(
        (int((j.metadata or {})["ftjobs_member"]), int((j.metadata or {})["ftjobs_attempt"]))
        for j in server
    )
    assert attempts == [(0, 0), (0, 1), (1, 0), (2, 0)]
    assert report.best() is not None and report.best().index in (0, 2)  # type: ignore[union-attr]
