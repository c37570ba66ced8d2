"""jobs.metrics and jobs.best_checkpoint against the emulator, over real loopback sockets."""

from __future__ import annotations

import pytest

import ftjobs
from ftjobs.emulator import ManualClock
from ftjobs.metrics import StepMetrics
from tests._support.emulator import chat_file

MODEL = "gpt-4o-mini-2024-07-18"


async def _job(client: ftjobs.AsyncClient, *, validation: bool = True) -> ftjobs.FineTuningJob:
    training = await client.files.upload(chat_file(12), filename="train.jsonl")
    valid = await client.files.upload(chat_file(10), filename="valid.jsonl") if validation else None
    return await client.jobs.create(
        model=MODEL,
        training_file=training.id,
        validation_file=valid.id if valid else None,
        method=ftjobs.FineTuneMethod.supervised_method(
            ftjobs.SupervisedHyperparameters(n_epochs=3, batch_size=4)
        ),
    )


async def test_metrics_while_running_then_from_the_result_file(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    job = await _job(live_client)
    assert await live_client.jobs.metrics(job) == ()  # nothing reported yet
    emulator_clock.advance(12)  # validated, queued, and a few steps in
    running = await live_client.jobs.retrieve(job.id)
    assert running.status is ftjobs.JobStatus.RUNNING and not running.result_files
    partial = await live_client.jobs.metrics(job.id)  # from the metrics events
    assert partial and [r.step for r in partial] == list(range(1, len(partial) + 1))

    emulator_clock.advance(1000)
    done = await live_client.jobs.retrieve(job.id)
    assert done.status is ftjobs.JobStatus.SUCCEEDED and done.result_files
    rows = await live_client.jobs.metrics(done)  # from the (base64) result file
    assert [r.step for r in rows] == list(range(1, 10))  # 12 examples / batch 4 * 3 epochs
    assert all(isinstance(r, StepMetrics) for r in rows)
    # The file and the events tell the same curve.
    assert rows[: len(partial)] == partial
    assert all(r.train_loss is not None and r.valid_loss is not None for r in rows)
    # A full validation pass ends each epoch.
    assert [r.step for r in rows if r.full_valid_loss is not None] == [3, 6, 9]
    assert rows[0].train_loss is not None and rows[-1].train_loss is not None
    assert rows[-1].train_loss < rows[0].train_loss  # it learned


async def test_best_checkpoint(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    job = await _job(live_client)
    assert await live_client.jobs.best_checkpoint(job) is None  # no checkpoint yet
    emulator_clock.advance(1000)
    checkpoints = [c async for c in live_client.jobs.list_checkpoints(job)]
    assert len(checkpoints) == 3
    best = await live_client.jobs.best_checkpoint(job.id)
    assert best is not None and best.fine_tuning_job_id == job.id
    assert best.metrics.valid_loss == min(c.metrics.valid_loss or 9 for c in checkpoints)
    by_accuracy = await live_client.jobs.best_checkpoint(job, "full_valid_mean_token_accuracy")
    assert by_accuracy is not None
    assert by_accuracy.metrics.full_valid_mean_token_accuracy == max(
        c.metrics.full_valid_mean_token_accuracy or 0 for c in checkpoints
    )


async def test_best_checkpoint_by_a_metric_the_job_lacks(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    job = await _job(live_client, validation=False)
    emulator_clock.advance(1000)
    with pytest.raises(ValueError, match="no checkpoint reports valid_loss"):
        await live_client.jobs.best_checkpoint(job)
    assert await live_client.jobs.best_checkpoint(job, "train_loss") is not None
    with pytest.raises(ValueError, match="metric must be one of"):
        await live_client.jobs.best_checkpoint(job, "accuracy")
