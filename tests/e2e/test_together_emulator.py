"""`ftjobs.AsyncTogetherClient` against the emulator's Together dialect over loopback: the
SDK's Together side and the emulator's, each written from Together's description, meet.

Upload, create, ``wait_until_terminal`` (the provider's words mapped onto `JobStatus`, the
word kept as ``provider_status``), events, checkpoints, metrics, the price estimate and model
limits, a cancel, a delete and the download, all through the public client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import TOGETHER_MODEL, chat_file
from tests._support.live import FAST_RETRIES

FAST_POLL = ftjobs.PollPolicy(initial_interval=0.02, max_interval=0.1)


@pytest.fixture
async def served() -> AsyncIterator[EmulatorHandle]:
    # 50x: a 12-step job takes about half a second; a cancel reads cancel_requested for 4 s.
    config = EmulatorConfig(dialect="together", speed=50, canceling_seconds=200.0)
    async with serve_emulator(config) as handle:
        yield handle


@pytest.fixture
async def tc(served: EmulatorHandle) -> AsyncIterator[ftjobs.AsyncTogetherClient]:
    async with ftjobs.AsyncTogetherClient(
        api_key=served.api_key, base_url=served.base_url, retry_policy=FAST_RETRIES
    ) as client:
        yield client


async def test_upload_create_wait_events_checkpoints(
    tc: ftjobs.AsyncTogetherClient, tmp_path: Path
) -> None:
    training = await tc.files.upload(chat_file(12), filename="train.jsonl")
    assert training.id.startswith("file-") and training.bytes == len(chat_file(12))
    limits = await tc.jobs.model_limits(TOGETHER_MODEL)
    estimate = await tc.jobs.estimate_price(training_file=training.id, model=TOGETHER_MODEL)
    assert limits is not None and estimate is not None

    job = await tc.jobs.create(
        model=TOGETHER_MODEL, training_file=training.id, suffix="ftjobs", n_epochs=2, seed=7
    )
    assert job.id.startswith("ft-") and job.provider_status == "pending"
    assert job.status == ftjobs.JobStatus.QUEUED and job.seed == 7

    updates: list[ftjobs.JobUpdate] = []
    done = await tc.jobs.wait_until_terminal(
        job, poll=FAST_POLL, timeout=60, on_update=updates.append
    )
    assert done.status == ftjobs.JobStatus.SUCCEEDED and done.provider_status == "completed"
    words = [u.job.provider_status for u in updates if isinstance(u, ftjobs.StatusChanged)]
    assert words[0] == "pending" and words[-1] == "completed" and "running" in words
    assert any(isinstance(u, ftjobs.CheckpointReceived) for u in updates)
    assert done.progress is not None and done.progress.total_steps == 24
    assert done.fine_tuned_model and "-ftjobs-" in done.fine_tuned_model
    assert done.finished_at is not None and done.finished_at >= done.created_at

    events = [e async for e in tc.jobs.list_events(done.id)]
    assert events[0].message == "The job has successfully completed"  # newest first
    assert events[-1].message.startswith("Created fine-tuning job")
    checkpoints = [c async for c in tc.jobs.list_checkpoints(done.id)]
    assert [c.step_number for c in checkpoints][:1] == [24]  # Final, 2 epochs of 12 steps

    curve = await tc.jobs.metrics(done.id, global_step_from=1, global_step_to=3)
    assert [row.step for row in curve] == [1, 2, 3]

    path = tmp_path / "model.tar.gz"
    assert await tc.jobs.download(done.id, path) == path.stat().st_size > 0

    page = await tc.jobs.list()
    assert [j.id for j in page.data] == [done.id] and page.has_more is False
    await tc.jobs.delete(done.id)
    with pytest.raises(ftjobs.NotFoundError):
        await tc.jobs.retrieve(done.id)


async def test_cancel_is_not_terminal_until_cancelled(tc: ftjobs.AsyncTogetherClient) -> None:
    training = await tc.files.upload(chat_file(40), filename="train.jsonl")
    job = await tc.jobs.create(model=TOGETHER_MODEL, training_file=training.id)
    cancelling = await tc.jobs.cancel(job.id)
    assert cancelling.provider_status == "cancel_requested" and not cancelling.is_terminal
    done = await tc.jobs.wait_until_terminal(job, poll=FAST_POLL, timeout=60)
    assert done.status == ftjobs.JobStatus.CANCELLED and done.provider_status == "cancelled"


async def test_a_bad_model_is_a_typed_error(tc: ftjobs.AsyncTogetherClient) -> None:
    training = await tc.files.upload(chat_file(12), filename="train.jsonl")
    with pytest.raises(ftjobs.BadRequestError) as refused:
        await tc.jobs.create(model="nope/not-a-model", training_file=training.id)
    assert refused.value.param == "model"
    with pytest.raises(ftjobs.NotFoundError):
        await tc.jobs.model_limits("nope/not-a-model")
