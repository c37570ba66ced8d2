"""Campaigns on AsyncTogetherClient end to end, against the emulator's Together dialect over
loopback: members are known by the tag in their job's suffix (Together keeps no metadata), and
the server's own job list is the judge of what was created."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import ftjobs
from ftjobs.campaigns import MemberFound
from ftjobs.campaigns._identity import tag_member
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import chat_file
from tests._support.live import FAST_POLL

MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
FAST_RETRIES = ftjobs.RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)


@pytest.fixture
async def together() -> AsyncIterator[EmulatorHandle]:
    config = EmulatorConfig(dialect="together", speed=300, max_running_jobs=8)
    async with serve_emulator(config) as handle:
        yield handle


def _client(handle: EmulatorHandle) -> ftjobs.AsyncTogetherClient:
    return ftjobs.AsyncTogetherClient(
        api_key=handle.api_key,
        base_url=handle.base_url,
        retry_policy=FAST_RETRIES,
        request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=100),
    )


def _grid(name: str, train: str, **base: object) -> ftjobs.Campaign:
    return ftjobs.Campaign.grid(
        name,
        base={"model": MODEL, "training_file": train, **base},
        grid={"n_epochs": [1, 2, 3], "seed": [1, 2]},
    )


async def test_a_grid_runs_resumes_and_reports_by_suffix(together: EmulatorHandle) -> None:
    async with _client(together) as client:
        train = (await client.files.upload(chat_file(12), filename="train.jsonl")).id
        # A job of the user's own, with a suffix of its own, is no member.
        await client.jobs.create(model=MODEL, training_file=train, suffix="mine")
        campaign = _grid("together-grid", train)
        run = client.jobs.run_campaign(campaign, max_active=2, poll=FAST_POLL)
        report = await run
        assert report.complete and len(report.rows) == 6
        assert {row.status for row in report.rows} == {"succeeded"}
        jobs = [job async for job in client.jobs.list()]
        assert len(jobs) == 7
        tags = sorted(
            tag_member(job.extra.get("suffix"), "together-grid") or (-1, 0) for job in jobs
        )
        assert tags == [(-1, 0)] + [(i, 0) for i in range(6)]
        # Each job carries its member's values.
        by_index = {row.index: row.job_id for row in report.rows}
        job_2 = await client.jobs.retrieve(by_index[2])
        assert job_2.seed == 1 and job_2.hyperparameters is not None
        assert job_2.hyperparameters.n_epochs == 2
        members = [job for job in jobs if tag_member(job.extra.get("suffix"), "together-grid")]
        assert max(_overlap(members)) <= 2  # max_active, by the server's timestamps
        assert _creates(together) == 7

    async with _client(together) as client:  # a resume, from a new client: nothing created
        found: list[MemberFound] = []

        def on_update(update: object) -> None:
            if isinstance(update, MemberFound):
                found.append(update)

        again = await client.jobs.run_campaign(
            campaign, max_active=2, poll=FAST_POLL, on_update=on_update
        )
        assert [row.job_id for row in again.rows] == [row.job_id for row in report.rows]
        assert sorted(u.index for u in found) == list(range(6))
        assert len([job async for job in client.jobs.list()]) == 7

        remote = await client.jobs.campaign_report("together-grid")
        assert [row.job_id for row in remote.rows] == [row.job_id for row in report.rows]
        assert remote.complete and all(row.train_loss is not None for row in remote.rows)
        assert await client.jobs.cancel_campaign("together-grid") == []  # all ended
    assert _creates(together) == 7  # the server's own count: the resume created nothing


def _creates(handle: EmulatorHandle) -> int:
    count: int = handle.emulator.stats()["models"][MODEL]["creates"]
    return count


def _overlap(jobs: list[ftjobs.FineTuningJob]) -> list[int]:
    """For each create, the jobs alive at that instant (server timestamps)."""
    return [
        sum(
            1
            for k in jobs
            if k.created_at <= job.created_at
            and (k.finished_at is None or job.created_at < k.finished_at)
        )
        for job in jobs
    ]


async def test_a_member_with_its_own_suffix_is_refused_before_any_request(
    together: EmulatorHandle,
) -> None:
    async with _client(together) as client:
        campaign = _grid("own-suffix", "file-123", suffix="mine")
        before = together.stats()["requests"]["total"]
        with pytest.raises(ftjobs.CampaignPlanError, match=r"members\[0\]\.suffix"):
            client.jobs.run_campaign(campaign)
        with pytest.raises(ftjobs.CampaignPlanError, match=r"suffix"):
            await ftjobs.campaigns.submit_member(client, campaign, 0)
        assert together.stats()["requests"]["total"] == before
