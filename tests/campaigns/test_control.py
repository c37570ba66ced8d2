"""Controlling a campaign end to end (the emulator over loopback): cancel, stop, stop on
failure, and the name-only report and cancel from another client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import ftjobs
from ftjobs.campaigns import CAMPAIGN_KEY, CampaignUpdate, MemberCreated
from ftjobs.emulator import EmulatorHandle
from ftjobs.emulator._lifecycle import Outcome
from tests._support.emulator import MODEL, chat_file
from tests._support.live import FAST_POLL


async def _campaign(client: ftjobs.AsyncClient, name: str, epochs: int = 6) -> ftjobs.Campaign:
    train = await client.files.upload(chat_file(12), filename="train.jsonl")
    return ftjobs.Campaign.grid(
        name,
        base={"model": MODEL, "training_file": train.id},
        grid={"n_epochs": list(range(1, epochs + 1))},
    )


async def _on_server(client: ftjobs.AsyncClient, name: str) -> list[ftjobs.FineTuningJob]:
    return [job async for job in client.jobs.find(metadata={CAMPAIGN_KEY: name})]


def _created_event(
    count: int,
) -> tuple[asyncio.Event, list[MemberCreated], Callable[[CampaignUpdate], None]]:
    reached = asyncio.Event()
    created: list[MemberCreated] = []

    def note(update: CampaignUpdate) -> None:
        if isinstance(update, MemberCreated):
            created.append(update)
            if len(created) >= count:
                reached.set()

    return reached, created, note


async def test_cancel_cancels_the_active_members_and_submits_nothing_more(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    # The manual clock never moves: the jobs stay active until cancelled.
    campaign = await _campaign(live_client, "to-cancel")
    reached, created, note = _created_event(2)
    run = live_client.jobs.run_campaign(campaign, max_active=2, on_update=note, poll=FAST_POLL)
    await asyncio.wait_for(reached.wait(), 30)
    assert run.progress.active == 2 and run.progress.pending == 4
    cancelled = await run.cancel()
    assert sorted(job.id for job in cancelled) == sorted(u.job.id for u in created)
    emulator.store.advance_clock(60)  # the cancellation completes
    report = await asyncio.wait_for(run.report(), 30)
    assert [row.status for row in report.rows] == ["cancelled"] * 2 + ["pending"] * 4
    assert len(await _on_server(live_client, "to-cancel")) == 2
    assert run.progress.done == 2 and run.progress.failed == 2


async def test_stop_lets_the_active_members_finish(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    campaign = await _campaign(live_client, "to-stop")
    reached, _created, note = _created_event(3)
    run = live_client.jobs.run_campaign(campaign, max_active=3, on_update=note, poll=FAST_POLL)
    await asyncio.wait_for(reached.wait(), 30)
    run.stop()
    emulator.store.advance_clock(10_000)  # every job created ends
    report = await asyncio.wait_for(run.report(), 30)
    assert [row.status for row in report.rows] == ["succeeded"] * 3 + ["pending"] * 3
    assert len(await _on_server(live_client, "to-stop")) == 3


async def test_stop_on_failure_submits_nothing_after_a_failed_member(
    fast_client: ftjobs.AsyncClient, fast_emulator: EmulatorHandle
) -> None:
    campaign = await _campaign(fast_client, "fragile", epochs=4)
    fast_emulator.store.script_next_jobs(Outcome.failure(code="invalid_training_file"))
    report = await fast_client.jobs.run_campaign(
        campaign, max_active=1, retry_failed=3, stop_on_failure=True, poll=FAST_POLL
    )
    assert [row.status for row in report.rows] == ["failed", "pending", "pending", "pending"]
    assert report.rows[0].attempts == 1  # a data error: never re-created
    assert len(await _on_server(fast_client, "fragile")) == 1


async def test_the_report_and_cancel_by_name_from_another_client(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    campaign = await _campaign(live_client, "by-name", epochs=3)
    reached, created, note = _created_event(2)
    run = live_client.jobs.run_campaign(campaign, max_active=2, on_update=note, poll=FAST_POLL)
    await asyncio.wait_for(reached.wait(), 30)
    run.stop()  # two members created, the third never
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as other:
        # Without the plan: one row per member found, its parameters read from its job.
        report = await other.jobs.campaign_report("by-name")
        assert [(row.index, row.params["n_epochs"]) for row in report.rows] == [(0, 1), (1, 2)]
        assert not report.complete
        # With the plan: a row per member, the third pending.
        planned = await other.jobs.campaign_report("by-name", campaign)
        assert [row.status for row in planned.rows][2] == "pending"
        assert planned.rows[1].params == {"n_epochs": 2}
        cancelled = await other.jobs.cancel_campaign("by-name")
        assert sorted(job.id for job in cancelled) == sorted(u.job.id for u in created)
        emulator.store.advance_clock(60)
        assert await other.jobs.cancel_campaign("by-name") == []  # nothing left to cancel
    report = await asyncio.wait_for(run.report(), 30)
    assert [row.status for row in report.rows] == ["cancelled", "cancelled", "pending"]
