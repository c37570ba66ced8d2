"""Every jobs operation of the SDK against the emulator, over real loopback sockets."""

from __future__ import annotations

import base64

import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator
from tests._support.emulator import chat_file, dpo_file

MODEL = "gpt-4o-mini-2024-07-18"


async def _train(client: ftjobs.AsyncClient, content: bytes | None = None) -> str:
    return (await client.files.upload(content or chat_file(12), filename="train.jsonl")).id


async def test_full_lifecycle_to_success(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    training = await _train(live_client)
    validation = await _train(live_client, chat_file(10))
    job = await live_client.jobs.create(
        model=MODEL,
        training_file=training,
        validation_file=validation,
        suffix="e2e",
        seed=11,
        metadata={"suite": "e2e"},
        integrations=[ftjobs.types.WandbIntegration(ftjobs.types.WandbConfig(project="p"))],
        method=ftjobs.FineTuneMethod.supervised_method(
            ftjobs.SupervisedHyperparameters(n_epochs=2, batch_size=4)
        ),
    )
    assert job.status is ftjobs.JobStatus.VALIDATING_FILES
    assert job.request_id
    assert job.seed == 11 and job.metadata == {"suite": "e2e"}
    assert job.method is not None and job.method.type == "supervised"
    assert job.integrations and isinstance(job.integrations[0], ftjobs.types.WandbIntegration)

    emulator_clock.advance(6)
    assert (await live_client.jobs.retrieve(job.id)).status in (
        ftjobs.JobStatus.QUEUED,
        ftjobs.JobStatus.RUNNING,
    )
    emulator_clock.advance(4)
    running = await live_client.jobs.retrieve(job.id)
    assert running.status is ftjobs.JobStatus.RUNNING
    assert running.estimated_finish is not None and running.estimated_finish > running.created_at

    emulator_clock.advance(1000)
    done = await live_client.jobs.retrieve(job.id)
    assert done.status is ftjobs.JobStatus.SUCCEEDED and done.is_terminal
    assert done.fine_tuned_model is not None
    assert done.fine_tuned_model.startswith(f"ft:{MODEL}:") and ":e2e:" in done.fine_tuned_model
    assert done.trained_tokens and done.trained_tokens > 0
    assert done.finished_at is not None and done.finished_at_datetime is not None
    (result_file,) = done.result_files
    csv = base64.b64decode(await live_client.files.content(result_file), validate=True)
    assert csv.startswith(b"step,")

    events = [e async for e in live_client.jobs.list_events(job.id, limit=5)]
    assert len({e.id for e in events}) == len(events)
    assert any(e.type == "metrics" and e.data and "train_loss" in e.data for e in events)
    created = [e.created_at for e in events]
    assert created == sorted(created, reverse=True)  # newest first
    checkpoints = [c async for c in live_client.jobs.list_checkpoints(job.id, limit=1)]
    assert checkpoints and all(c.fine_tuning_job_id == job.id for c in checkpoints)
    assert checkpoints[0].metrics.train_loss is not None


async def test_dpo_job_succeeds(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    training = await _train(live_client, dpo_file(12))
    job = await live_client.jobs.create(
        model=MODEL,
        training_file=training,
        method=ftjobs.FineTuneMethod.dpo_method(ftjobs.DpoHyperparameters(beta=0.2, n_epochs=1)),
    )
    emulator_clock.advance(1000)
    done = await live_client.jobs.retrieve(job.id)
    assert done.status is ftjobs.JobStatus.SUCCEEDED
    assert done.method is not None and done.method.dpo is not None


async def test_bad_training_file_fails_validation(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    lines = chat_file(12).decode().splitlines()
    lines[3] = "{not json"
    training = await _train(live_client, ("\n".join(lines) + "\n").encode())
    job = await live_client.jobs.create(model=MODEL, training_file=training)
    emulator_clock.advance(60)
    failed = await live_client.jobs.retrieve(job.id)
    assert failed.status is ftjobs.JobStatus.FAILED and failed.is_terminal
    assert failed.error is not None and failed.error.code
    assert "4" in (failed.error.message or "")  # names the bad line


async def test_cancel_pause_resume_and_impossible_transitions(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    training = await _train(live_client)
    job = await live_client.jobs.create(model=MODEL, training_file=training)
    with pytest.raises(ftjobs.BadRequestError) as info:
        await live_client.jobs.pause(job)  # still validating
    assert info.value.status_code == 400 and info.value.message
    emulator_clock.advance(10)
    assert (await live_client.jobs.retrieve(job)).status is ftjobs.JobStatus.RUNNING
    with pytest.raises(ftjobs.BadRequestError):
        await live_client.jobs.resume(job)  # running, not paused
    paused = await live_client.jobs.pause(job)
    assert paused.status is ftjobs.JobStatus.PAUSED
    emulator_clock.advance(1000)
    assert (await live_client.jobs.retrieve(job)).status is ftjobs.JobStatus.PAUSED
    assert (await live_client.jobs.resume(job)).status in (
        ftjobs.JobStatus.RUNNING,
        ftjobs.JobStatus.QUEUED,
    )
    cancelled = await live_client.jobs.cancel(job)
    assert cancelled.status is ftjobs.JobStatus.CANCELLED
    with pytest.raises(ftjobs.BadRequestError):
        await live_client.jobs.cancel(job)  # already terminal


async def test_unknown_job_is_not_found(live_client: ftjobs.AsyncClient) -> None:
    with pytest.raises(ftjobs.NotFoundError) as info:
        await live_client.jobs.retrieve("ftjob-nope")
    assert info.value.status_code == 404 and info.value.request_id


async def test_server_rejects_unknown_training_file(live_client: ftjobs.AsyncClient) -> None:
    with pytest.raises(ftjobs.BadRequestError) as info:
        await live_client.jobs.create(model=MODEL, training_file="file-missing")
    assert info.value.param == "training_file"


async def test_pagination_of_250_jobs_with_metadata_filter(live_client: ftjobs.AsyncClient) -> None:
    training = await _train(live_client)
    created = []
    for i in range(260):
        job = await live_client.jobs.create(
            model=MODEL, training_file=training, metadata={"batch": "even" if i % 2 else "odd"}
        )
        created.append(job.id)
    listed = [job.id async for job in live_client.jobs.list(limit=100)]
    assert listed == list(reversed(created))  # newest first, none lost, none repeated
    pages = [page async for page in live_client.jobs.list(limit=100).pages()]
    assert [len(p.data) for p in pages] == [100, 100, 60]
    assert [p.has_more for p in pages] == [True, True, False]
    even = [job async for job in live_client.jobs.list(limit=7, metadata={"batch": "even"})]
    assert len(even) == 130 and all(j.metadata == {"batch": "even"} for j in even)
    first = await live_client.jobs.list(limit=3, after=created[-1])
    assert [j.id for j in first.data] == created[-2:-5:-1]


async def test_pagination_of_250_events(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    training = await _train(live_client, chat_file(100))
    job = await live_client.jobs.create(
        model=MODEL,
        training_file=training,
        method=ftjobs.FineTuneMethod.supervised_method(
            ftjobs.SupervisedHyperparameters(n_epochs=3, batch_size=1)
        ),
    )
    emulator_clock.advance(5000)
    events = [e async for e in live_client.jobs.list_events(job.id, limit=100)]
    assert len(events) > 250
    assert len({e.id for e in events}) == len(events)
    assert sum(1 for e in events if e.type == "metrics") == 300


async def test_idempotent_create(live_client: ftjobs.AsyncClient) -> None:
    training = await _train(live_client)
    first = await live_client.jobs.create(
        model=MODEL, training_file=training, idempotency_key="k-1"
    )
    again = await live_client.jobs.create(
        model=MODEL, training_file=training, idempotency_key="k-1"
    )
    assert again.id == first.id
    with pytest.raises(ftjobs.UnprocessableEntityError) as info:
        await live_client.jobs.create(
            model=MODEL, training_file=training, suffix="other", idempotency_key="k-1"
        )
    assert info.value.code == "idempotency_key_reused"
    assert len([j async for j in live_client.jobs.list()]) == 1


async def test_missing_or_wrong_key_is_401(emulator: EmulatorHandle) -> None:
    async with ftjobs.AsyncClient(api_key="sk-wrong", base_url=emulator.base_url) as client:
        with pytest.raises(ftjobs.AuthenticationError) as info:
            await client.jobs.retrieve("ftjob-x")
    assert info.value.status_code == 401
    assert "sk-wrong" not in str(info.value)


async def test_state_file_survives_a_restart(tmp_path: object) -> None:
    state = f"{tmp_path}/emulator.sqlite3"
    clock = ManualClock(1_700_000_000.0)
    config = EmulatorConfig(state_path=state)
    async with (
        serve_emulator(config, clock=clock) as emu,
        ftjobs.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client,
    ):
        training = await _train(client)
        job = await client.jobs.create(model=MODEL, training_file=training, suffix="keep")
        clock.advance(20)
        before = await client.jobs.retrieve(job.id)
        events_before = [e.id async for e in client.jobs.list_events(job.id)]
    async with (
        serve_emulator(config, clock=clock) as emu,
        ftjobs.AsyncClient(api_key=emu.api_key, base_url=emu.base_url) as client,
    ):
        after = await client.jobs.retrieve(job.id)
        assert after.status == before.status and after.created_at == before.created_at
        events_after = [e.id async for e in client.jobs.list_events(job.id)]
        assert events_after[-len(events_before) :] == events_before
        assert (await client.files.retrieve(training)).id == training
        assert await client.files.content(training) == chat_file(12)
        clock.advance(1000)
        finished = await client.jobs.retrieve(job.id)
        assert finished.status is ftjobs.JobStatus.SUCCEEDED
