"""Conformance against Together AI's own description (spec/together-fine-tuning.openapi.yaml,
its contradictions corrected: ``TOGETHER_SPEC_GAPS``), judged by Stoplight Prism
(tests/_support/prism.py): every request `ftjobs.AsyncTogetherClient` sends, for every
operation Together has, passes Prism's request validation; Prism's random valid answers, under
several seeds, parse into the models. Skipped, with the reason, where Prism is not installed
(``npm ci --prefix tests/conformance/prism``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import ftjobs
from ftjobs.metrics import StepMetrics
from ftjobs.providers import ModelLimits, PriceEstimate
from ftjobs.types import FileDeleted, FileObject, Page
from tests._support.prism import (
    SEEDS,
    TOGETHER_SPEC_GAPS,
    TRAINING_JSONL,
    Operation,
    Pipe,
    PrismMock,
    Recorder,
    drained,
    drive,
    listed,
    patch_together,
    prefer_dynamic,
    prism_client,
    problems,
    uncovered,
)
from tests.spec import TOGETHER_SPEC_PATH, load_spec

pytestmark = pytest.mark.prism

MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
JOB = "ft-01234567-89ab-cdef-0123-456789abcdef"
Call = Callable[[ftjobs.AsyncTogetherClient], Awaitable[object]]


def _retrieve(mock: PrismMock, prefer: str | None) -> Call:
    """A retrieve of the very job the mock answers with (a retrieve refuses an answer for
    another id; Together's create and retrieve answer with different schemas, so different
    random jobs)."""

    async def call(client: ftjobs.AsyncTogetherClient) -> object:
        answer = await asyncio.to_thread(mock.answer, f"/fine-tunes/{JOB}", prefer=prefer)
        return await client.jobs.retrieve(answer["id"])

    return call


def _step(mock: PrismMock, prefer: str | None) -> Call:
    async def call(client: ftjobs.AsyncTogetherClient) -> object:
        answer = await asyncio.to_thread(mock.answer, f"/fine-tunes/{JOB}", prefer=prefer)
        return await client.jobs.step(answer["id"])

    return call


def single(mock: PrismMock, prefer: str | None, tmp_path: Path) -> tuple[Operation, ...]:
    """Every single call of Together's API that ftjobs makes, each with what its answer
    parses into."""
    return (
        Operation(
            "files.upload (a pipe)",
            lambda c: c.files.upload(
                Pipe(TRAINING_JSONL), purpose="fine-tune", filename="train.jsonl"
            ),
            FileObject,
        ),
        Operation("files.list", lambda c: c.files.list(), Page),
        Operation("files.retrieve", lambda c: c.files.retrieve("file-abc"), FileObject),
        Operation("files.delete", lambda c: c.files.delete("file-abc"), FileDeleted),
        Operation("files.content", lambda c: c.files.content("file-abc"), bytes),
        Operation(
            "jobs.create (supervised, LoRA, every option)",
            lambda c: c.jobs.create(
                model=MODEL,
                training_file="file-train",
                validation_file="file-valid",
                suffix="conformance",
                seed=42,
                method=ftjobs.FineTuneMethod.supervised_method(
                    ftjobs.SupervisedHyperparameters(batch_size=8, n_epochs=2)
                ),
                learning_rate=1e-5,
                n_checkpoints=2,
                n_evals=1,
                warmup_ratio=0.1,
                max_grad_norm=1.0,
                weight_decay=0.01,
                lr_scheduler="cosine",
                lora=True,
                lora_r=8,
                lora_alpha=16,
                lora_dropout=0.05,
                lora_trainable_modules="all-linear",
                train_on_inputs="auto",
                wandb_api_key="wandb-key",
                wandb_project_name="conformance",
                wandb_name="run-1",
            ),
            ftjobs.FineTuningJob,
        ),
        Operation(
            "jobs.create (dpo, full training, a linear scheduler)",
            lambda c: c.jobs.create(
                model=MODEL,
                training_file="file-train",
                method=ftjobs.FineTuneMethod.dpo_method(ftjobs.DpoHyperparameters(beta=0.2)),
                n_epochs=1,
                batch_size="max",
                lora=False,
                lr_scheduler={
                    "lr_scheduler_type": "linear",
                    "lr_scheduler_args": {"min_lr_ratio": 0.1},
                },
            ),
            ftjobs.FineTuningJob,
        ),
        Operation(
            "jobs.create (from a checkpoint)",
            lambda c: c.jobs.create(
                model=None, training_file="file-train", from_checkpoint=f"{JOB}:10"
            ),
            ftjobs.FineTuningJob,
        ),
        Operation("jobs.retrieve", _retrieve(mock, prefer), ftjobs.FineTuningJob),
        Operation("jobs.list", lambda c: c.jobs.list(), Page),
        Operation("jobs.cancel", lambda c: c.jobs.cancel(JOB), ftjobs.FineTuningJob),
        Operation("jobs.list_events", lambda c: c.jobs.list_events(JOB), Page),
        Operation("jobs.list_checkpoints", lambda c: c.jobs.list_checkpoints(JOB), Page),
        Operation(
            "jobs.metrics",
            lambda c: c.jobs.metrics(JOB, global_step_from=1, global_step_to=50),
            tuple,
        ),
        Operation(
            "jobs.estimate_price",
            lambda c: c.jobs.estimate_price(
                training_file="file-train", model=MODEL, n_epochs=2, lora=True, lora_r=8
            ),
            PriceEstimate,
        ),
        Operation("jobs.delete", lambda c: c.jobs.delete(JOB), type(None)),
        Operation("jobs.model_limits", lambda c: c.jobs.model_limits(MODEL), ModelLimits),
        Operation("jobs.supported_models", lambda c: c.jobs.supported_models(), tuple),
        Operation(
            "jobs.download (merged model)", lambda c: c.jobs.download(JOB, tmp_path / "m.bin"), int
        ),
        Operation(
            "jobs.download (a checkpoint's adapter)",
            lambda c: c.jobs.download(
                JOB, tmp_path / "a.bin", checkpoint_step=10, checkpoint="adapter"
            ),
            int,
        ),
    )


def flows(mock: PrismMock, prefer: str | None, tmp_path: Path) -> tuple[Operation, ...]:
    """Calls made of several requests, or of one with more behind it than a model."""
    return (
        Operation(
            "files.upload (bytes)",
            lambda c: c.files.upload(TRAINING_JSONL, purpose="fine-tune", filename="train.jsonl"),
            # The mock's file reports a size other than the bytes sent.
            defences=(ftjobs.UploadIntegrityError,),
        ),
        Operation(
            "files.upload (a path, checked first)",
            lambda c: c.files.upload(_written(tmp_path / "train.jsonl"), check=True),
            defences=(ftjobs.UploadIntegrityError,),
        ),
        Operation("files.content (to a path)", lambda c: c.files.content("f", to=tmp_path / "c")),
        Operation("files.stream_content", lambda c: drained(c.files.stream_content("f"))),
        Operation("jobs.step (one poll of a wait: job, events, checkpoints)", _step(mock, prefer)),
        Operation("jobs.find", lambda c: listed(c.jobs.find(status="running"))),
    )


def _written(path: Path) -> Path:
    path.write_bytes(TRAINING_JSONL)
    return path


async def test_every_request_passes_prism_validation(
    together_prism: PrismMock, tmp_path: Path
) -> None:
    recorder = Recorder()
    operations = [
        *single(together_prism, None, tmp_path),
        *flows(together_prism, None, tmp_path),
    ]
    async with prism_client(
        together_prism, recorder, client_type=ftjobs.AsyncTogetherClient
    ) as client:
        outcomes = await drive(client, recorder, operations)
    assert problems(outcomes) == []
    # All 17 operations of the description were reached, so none went unchecked.
    assert uncovered(together_prism.operations, outcomes) == set()
    assert len(together_prism.operations) == 17


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_valid_answers_parse_into_the_models(
    together_prism: PrismMock, tmp_path: Path, seed: int
) -> None:
    recorder = Recorder()
    prefer = prefer_dynamic(seed)
    async with prism_client(
        together_prism, recorder, prefer=prefer, client_type=ftjobs.AsyncTogetherClient
    ) as client:
        outcomes = await drive(client, recorder, single(together_prism, prefer, tmp_path))
    assert problems(outcomes, answers=True) == []
    assert uncovered(together_prism.operations, outcomes) == set()
    # Each answer is one the model had to work for: a random job, in Together's words.
    jobs = [o.value for o in outcomes if isinstance(o.value, ftjobs.FineTuningJob)]
    assert jobs and all(job.provider_status for job in jobs)
    metrics = next(o.value for o in outcomes if o.operation.name == "jobs.metrics")
    assert all(isinstance(step, StepMetrics) for step in metrics)  # type: ignore[attr-defined]


def test_each_gap_is_in_the_vendored_description_and_patched() -> None:
    """TOGETHER_SPEC_GAPS describe the copy in spec/ (a newer copy that fixes one should drop
    it), and patch_together leaves the copy itself alone."""
    raw = load_spec(TOGETHER_SPEC_PATH)
    schemas = raw["components"]["schemas"]
    create = raw["paths"]["/fine-tunes"]["post"]["requestBody"]["content"]["application/json"]
    assert None in schemas["FinetuneEventLevels"]["enum"]
    assert schemas["FinetuneEventLevels"]["type"] == "string"
    assert schemas["TrainingMethodSFT"]["properties"]["train_on_inputs"]["type"] == "boolean"
    assert "oneOf" in schemas["LRScheduler"]["properties"]["lr_scheduler_args"]
    assert "model" in create["schema"]["required"]
    assert schemas["FineTuneEvent"]["properties"]["created_at"] == {"type": "string"}
    assert schemas["FineTuneCheckpoint"]["properties"]["created_at"] == {"type": "string"}
    assert len(TOGETHER_SPEC_GAPS) == 5
    patched = patch_together(raw)
    assert patched != raw
    assert patched["components"]["schemas"]["FinetuneEventLevels"]["type"] == ["string", "null"]
    assert (
        "model"
        not in (
            patched["paths"]["/fine-tunes"]["post"]["requestBody"]["content"]["application/json"][
                "schema"
            ]["required"]
        )
    )
    assert raw == load_spec.__wrapped__(TOGETHER_SPEC_PATH)
