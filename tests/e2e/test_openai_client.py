"""The official ``openai`` package drives the emulator over loopback.

If the client OpenAI publishes works against the emulator, the emulator speaks the real
protocol (paths, multipart upload, JSON shapes, cursor pagination, error bodies). ``openai`` is
a test dependency only (the ``conformance`` extra); without it these tests are skipped.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator
from tests._support.emulator import chat_file

openai = pytest.importorskip("openai")

MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture
async def oai(emulator: EmulatorHandle) -> AsyncIterator[Any]:
    async with openai.AsyncOpenAI(
        api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0
    ) as client:
        yield client


async def _upload(oai: Any, n: int = 12) -> Any:
    return await oai.files.create(file=("train.jsonl", chat_file(n)), purpose="fine-tune")


async def test_upload_create_retrieve_list_events_checkpoints(
    oai: Any, emulator_clock: ManualClock
) -> None:
    uploaded = await _upload(oai)
    assert uploaded.id.startswith("file-") and uploaded.purpose == "fine-tune"
    assert uploaded.filename == "train.jsonl" and uploaded.bytes == len(chat_file(12))
    assert (await oai.files.retrieve(uploaded.id)).id == uploaded.id

    job = await oai.fine_tuning.jobs.create(
        model=MODEL,
        training_file=uploaded.id,
        suffix="oai",
        seed=7,
        metadata={"suite": "openai"},
        method={
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 4}},
        },
    )
    assert job.object == "fine_tuning.job"
    assert job.status == "validating_files"
    assert job.seed == 7 and job.metadata == {"suite": "openai"}
    assert job.method is not None and job.method.type == "supervised"

    emulator_clock.advance(2000)
    done = await oai.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded"
    assert done.fine_tuned_model and ":oai:" in done.fine_tuned_model
    assert done.trained_tokens and done.result_files

    events = [e async for e in oai.fine_tuning.jobs.list_events(job.id, limit=3)]
    assert len(events) > 3  # auto-paginated past the first page of 3
    assert all(e.object == "fine_tuning.job.event" for e in events)
    assert events[0].created_at >= events[-1].created_at  # newest first

    checkpoints = [c async for c in oai.fine_tuning.jobs.checkpoints.list(job.id, limit=1)]
    assert len(checkpoints) == 2  # one per epoch
    assert all(c.fine_tuning_job_id == job.id for c in checkpoints)
    assert checkpoints[0].step_number > checkpoints[1].step_number
    assert checkpoints[0].metrics.train_loss is not None

    content = await oai.files.content(done.result_files[0])
    assert base64.b64decode(content.content, validate=True).startswith(b"step,")
    deleted = await oai.files.delete(uploaded.id)
    assert deleted.deleted is True


async def test_list_auto_paginates(oai: Any) -> None:
    uploaded = await _upload(oai)
    created = [
        (await oai.fine_tuning.jobs.create(model=MODEL, training_file=uploaded.id)).id
        for _ in range(5)
    ]
    seen = [job.id async for job in oai.fine_tuning.jobs.list(limit=2)]
    assert seen == created[::-1]  # newest first, across three pages
    page = await oai.fine_tuning.jobs.list(limit=2)
    assert page.has_more and len(page.data) == 2
    filtered = await oai.fine_tuning.jobs.list(metadata={"absent": "x"})
    assert filtered.data == []
    more = [(await _upload(oai)).id for _ in range(2)]
    files = [f.id async for f in oai.files.list(limit=1, order="asc", purpose="fine-tune")]
    assert files == [uploaded.id, *more]


async def test_pause_resume_cancel(oai: Any, emulator_clock: ManualClock) -> None:
    uploaded = await _upload(oai)
    job = await oai.fine_tuning.jobs.create(model=MODEL, training_file=uploaded.id)
    emulator_clock.advance(9)
    assert (await oai.fine_tuning.jobs.retrieve(job.id)).status == "running"
    paused = await oai.fine_tuning.jobs.pause(job.id)
    assert paused.status == "paused"
    resumed = await oai.fine_tuning.jobs.resume(job.id)
    assert resumed.status in ("queued", "running")
    cancelled = await oai.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    assert cancelled.finished_at is not None


async def test_errors_map_to_the_official_exceptions(oai: Any, emulator: EmulatorHandle) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        await oai.fine_tuning.jobs.retrieve("ftjob-does-not-exist")
    assert missing.value.status_code == 404
    with pytest.raises(openai.BadRequestError) as bad:
        await oai.fine_tuning.jobs.create(model=MODEL, training_file="file-missing")
    assert bad.value.body is not None and "param" in bad.value.body
    async with openai.AsyncOpenAI(
        api_key="sk-wrong-key", base_url=emulator.base_url, max_retries=0
    ) as wrong:
        with pytest.raises(openai.AuthenticationError):
            await wrong.fine_tuning.jobs.list()


async def test_official_azure_client_on_the_azure_dialect() -> None:
    key = "azure-emulator-key-0123456789"
    config = EmulatorConfig(api_key=key, dialect="azure")
    async with (
        serve_emulator(config, clock=ManualClock(1_700_000_000.0)) as emu,
        openai.AsyncAzureOpenAI(
            azure_endpoint=emu.azure_endpoint, api_key=key, api_version="2024-10-21", max_retries=0
        ) as azure,
    ):
        uploaded = await azure.files.create(
            file=("train.jsonl", chat_file(12)), purpose="fine-tune"
        )
        job = await azure.fine_tuning.jobs.create(
            model=MODEL, training_file=uploaded.id, extra_body={"trainingType": "standard"}
        )
        assert job.status == "pending"
        cancelled = await azure.fine_tuning.jobs.cancel(job.id)
        assert cancelled.status == "canceling"
        seen = [j.id async for j in azure.fine_tuning.jobs.list()]
        assert seen == [job.id]


async def test_checkpoint_permissions(oai: Any, emulator_clock: ManualClock) -> None:
    uploaded = await _upload(oai)
    job = await oai.fine_tuning.jobs.create(model=MODEL, training_file=uploaded.id)
    emulator_clock.advance(2000)
    checkpoint = (await oai.fine_tuning.jobs.checkpoints.list(job.id)).data[0]
    name = checkpoint.fine_tuned_model_checkpoint
    permissions = oai.fine_tuning.checkpoints.permissions
    made = await permissions.create(name, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in made.data] == ["proj_a", "proj_b"]
    assert made.data[0].object == "checkpoint.permission"
    listed = await permissions.list(name, order="ascending", limit=1)
    assert [p.project_id for p in listed.data] == ["proj_a"] and listed.has_more
    everything = [p.project_id async for p in permissions.list(name, limit=1)]
    assert everything == ["proj_b", "proj_a"]
    deleted = await permissions.delete(made.data[0].id, fine_tuned_model_checkpoint=name)
    assert deleted.deleted is True and deleted.id == made.data[0].id
    with pytest.raises(openai.NotFoundError):
        await permissions.create("ft:nope", project_ids=["proj_a"])


async def test_graders(oai: Any) -> None:
    grader = {
        "type": "string_check",
        "name": "exact",
        "input": "{{sample.output_text}}",
        "reference": "{{item.answer}}",
        "operation": "eq",
    }
    validated = await oai.fine_tuning.alpha.graders.validate(grader=grader)
    assert validated.grader.type == "string_check"
    run = await oai.fine_tuning.alpha.graders.run(
        grader=grader, model_sample="Paris", item={"answer": "Paris"}
    )
    assert run.reward == 1.0 and run.metadata.name == "exact"
    assert run.metadata.errors.invalid_variable_error is False
    with pytest.raises(openai.BadRequestError):
        await oai.fine_tuning.alpha.graders.validate(grader={**grader, "operation": "regex"})


async def test_uploads_by_hand_and_with_the_chunked_helper(oai: Any) -> None:
    content = chat_file(30)
    upload = await oai.uploads.create(
        filename="train.jsonl", purpose="fine-tune", bytes=len(content), mime_type="text/jsonl"
    )
    assert upload.status == "pending"
    first = await oai.uploads.parts.create(upload.id, data=content[:50])
    rest = await oai.uploads.parts.create(upload.id, data=content[50:])
    assert first.object == "upload.part" and first.upload_id == upload.id
    done = await oai.uploads.complete(upload.id, part_ids=[first.id, rest.id])
    assert done.status == "completed" and done.file is not None
    assert (await oai.files.content(done.file.id)).content == content
    cancelled = await oai.uploads.create(
        filename="t.jsonl", purpose="fine-tune", bytes=1, mime_type="text/jsonl"
    )
    assert (await oai.uploads.cancel(cancelled.id)).status == "cancelled"
    chunked = await oai.uploads.upload_file_chunked(
        file=content,
        bytes=len(content),
        filename="chunked.jsonl",
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=200,
    )
    assert chunked.status == "completed" and chunked.file is not None
    assert (await oai.files.content(chunked.file.id)).content == content
