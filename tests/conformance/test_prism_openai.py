"""Conformance against OpenAI's own description (spec/openai-fine-tuning.openapi.yaml), judged
by Stoplight Prism (tests/_support/prism.py): every request `ftjobs.AsyncClient` sends, for
every operation, passes Prism's request validation; Prism's random valid answers, under several
seeds, parse into the models. Skipped, with the reason, where Prism is not installed
(``npm ci --prefix tests/conformance/prism``).
"""

from __future__ import annotations

import pytest

import ftjobs
from ftjobs.graders import (
    GraderRunResult,
    GraderValidation,
    MultiGrader,
    PythonGrader,
    ScoreModelGrader,
    StringCheckGrader,
    TextSimilarityGrader,
    item_field,
)
from ftjobs.types import (
    CheckpointPermissionDeleted,
    FileDeleted,
    FileExpiration,
    FileObject,
    Page,
    Upload,
    UploadPart,
    WandbConfig,
    WandbIntegration,
)
from tests._support.prism import (
    SEEDS,
    TRAINING_JSONL,
    Operation,
    Pipe,
    PrismMock,
    Recorder,
    drained,
    drive,
    listed,
    prefer_dynamic,
    prism_client,
    problems,
    uncovered,
)

pytestmark = pytest.mark.prism

MODEL = "gpt-4o-mini-2024-07-18"

EXACT = StringCheckGrader.exact("exact", item_field("answer"))
GRADERS = (
    EXACT,
    StringCheckGrader.contains("contains", item_field("answer"), ignore_case=True),
    TextSimilarityGrader.against("similar", item_field("answer"), "bleu"),
    PythonGrader("python", source="def grade(sample, item):\n    return 1.0\n"),
    ScoreModelGrader.prompt("score", MODEL, "Rate {{sample.output_text}}", range=(0, 1)),
    MultiGrader("multi", graders=EXACT, calculate_output="exact"),
)


async def _create(client: ftjobs.AsyncClient, method: ftjobs.FineTuneMethod) -> object:
    return await client.jobs.create(
        model=MODEL,
        training_file="file-train",
        validation_file="file-valid",
        suffix="conformance",
        seed=42,
        metadata={"team": "ml", "run": "7"},
        integrations=[
            WandbIntegration(WandbConfig(project="p", name="n", entity="e", tags=("t",)))
        ],
        method=method,
    )


async def _retrieve_created(client: ftjobs.AsyncClient) -> object:
    # The id asked for is the one the mock answered a create with (a retrieve refuses an
    # answer for another job), as it would be against the service.
    job = await client.jobs.create(model=MODEL, training_file="file-train")
    return await client.jobs.retrieve(job.id)


async def _files_retrieve(client: ftjobs.AsyncClient) -> object:
    return await client.files.retrieve("file-abc123")


async def _step_created(client: ftjobs.AsyncClient) -> object:
    job = await client.jobs.create(model=MODEL, training_file="file-train")
    return await client.jobs.step(job.id)


async def _metrics_created(client: ftjobs.AsyncClient) -> object:
    job = await client.jobs.create(model=MODEL, training_file="file-train")
    return await client.jobs.metrics(job.id)


JOB = "ftjob-abc123"
CHECKPOINT = "ft:gpt-4o-mini-2024-07-18:org:conformance:ckpt-step-10"

SINGLE = (
    Operation(
        "files.upload (a pipe: one multipart request)",
        lambda c: c.files.upload(Pipe(TRAINING_JSONL), purpose="fine-tune", filename="train.jsonl"),
        FileObject,
    ),
    Operation(
        "files.list",
        lambda c: c.files.list(limit=5, order="asc", purpose="fine-tune", after="file-0"),
        Page,
    ),
    Operation("files.retrieve", _files_retrieve, FileObject),
    Operation("files.delete", lambda c: c.files.delete("file-abc123"), FileDeleted),
    Operation("files.content", lambda c: c.files.content("file-abc123"), bytes),
    Operation(
        "jobs.create (supervised, every option)",
        lambda c: _create(
            c,
            ftjobs.FineTuneMethod.supervised_method(
                ftjobs.SupervisedHyperparameters(
                    batch_size=4, learning_rate_multiplier=0.5, n_epochs=3
                )
            ),
        ),
        ftjobs.FineTuningJob,
    ),
    Operation(
        "jobs.create (dpo)",
        lambda c: _create(
            c,
            ftjobs.FineTuneMethod.dpo_method(ftjobs.DpoHyperparameters(beta=0.1, n_epochs="auto")),
        ),
        ftjobs.FineTuningJob,
    ),
    Operation(
        "jobs.create (reinforcement)",
        lambda c: _create(
            c,
            ftjobs.FineTuneMethod.reinforcement_method(
                GRADERS[4],
                ftjobs.ReinforcementHyperparameters(
                    reasoning_effort="low", compute_multiplier=1.5, eval_interval=2, eval_samples=3
                ),
            ),
        ),
        ftjobs.FineTuningJob,
    ),
    Operation(
        "jobs.create (deprecated top-level hyperparameters)",
        lambda c: c.jobs.create(
            model=MODEL,
            training_file="file-train",
            hyperparameters={"n_epochs": 2, "batch_size": "auto"},
        ),
        ftjobs.FineTuningJob,
    ),
    Operation("jobs.retrieve", _retrieve_created, ftjobs.FineTuningJob),
    Operation(
        "jobs.list", lambda c: c.jobs.list(limit=10, after="ftjob-0", metadata={"team": "ml"}), Page
    ),
    Operation("jobs.cancel", lambda c: c.jobs.cancel(JOB), ftjobs.FineTuningJob),
    Operation("jobs.pause", lambda c: c.jobs.pause(JOB), ftjobs.FineTuningJob),
    Operation("jobs.resume", lambda c: c.jobs.resume(JOB), ftjobs.FineTuningJob),
    Operation(
        "jobs.list_events", lambda c: c.jobs.list_events(JOB, limit=5, after="ftevent-0"), Page
    ),
    Operation(
        "jobs.list_checkpoints",
        lambda c: c.jobs.list_checkpoints(JOB, limit=5, after="ftckpt-0"),
        Page,
    ),
    Operation(
        "checkpoints.permissions.create",
        lambda c: c.checkpoints.permissions.create(CHECKPOINT, project_ids=["proj_a", "proj_b"]),
        Page,
    ),
    Operation(
        "checkpoints.permissions.list",
        lambda c: c.checkpoints.permissions.list(
            CHECKPOINT, project_id="proj_a", limit=3, after="cp_0", order="ascending"
        ),
        Page,
    ),
    Operation(
        "checkpoints.permissions.delete",
        lambda c: c.checkpoints.permissions.delete(CHECKPOINT, "cp_abc"),
        CheckpointPermissionDeleted,
    ),
    *(
        Operation(
            f"graders.run ({grader.type}: {grader.name})",
            lambda c, g=grader: c.graders.run(grader=g, model_sample="4", item={"answer": "4"}),
            GraderRunResult,
        )
        for grader in GRADERS
    ),
    *(
        Operation(
            f"graders.validate ({grader.type}: {grader.name})",
            lambda c, g=grader: c.graders.validate(grader=g),
            GraderValidation,
        )
        for grader in GRADERS
    ),
    Operation(
        "uploads.create",
        lambda c: c.uploads.create(
            filename="train.jsonl",
            purpose="fine-tune",
            bytes=len(TRAINING_JSONL),
            mime_type="text/jsonl",
            expires_after=FileExpiration(seconds=3600),
        ),
        Upload,
    ),
    Operation(
        "uploads.add_part", lambda c: c.uploads.add_part("upload_abc", TRAINING_JSONL), UploadPart
    ),
    Operation(
        "uploads.complete",
        lambda c: c.uploads.complete("upload_abc", part_ids=["part_a", "part_b"], md5="0" * 32),
        Upload,
    ),
    Operation("uploads.cancel", lambda c: c.uploads.cancel("upload_abc"), Upload),
)
"""Every single call of the API ftjobs makes, each with the model its answer parses into."""

FLOWS = (
    Operation(
        "files.upload (bytes, with an expiry)",
        lambda c: c.files.upload(
            TRAINING_JSONL, purpose="fine-tune", expires_after=FileExpiration(seconds=86_400)
        ),
        # The mock's file reports a size other than the bytes sent.
        defences=(ftjobs.UploadIntegrityError,),
    ),
    Operation(
        "files.upload (the Uploads API above the threshold)",
        lambda c: c.files.upload(TRAINING_JSONL, purpose="fine-tune", multipart_threshold=64),
        # The mock completes an upload without a file, or with another size.
        defences=(RuntimeError, ftjobs.UploadIntegrityError),
    ),
    Operation(
        "files.stream_content",
        lambda c: drained(c.files.stream_content("file-abc123")),
    ),
    Operation(
        "jobs.step (one poll of a wait: job, events, checkpoints)",
        _step_created,
        # The mock's pages all say has_more with the same cursor.
        defences=(ftjobs.PaginationError,),
    ),
    Operation(
        "jobs.find",
        lambda c: listed(c.jobs.find(status="running", created_after=1)),
        defences=(ftjobs.PaginationError,),
    ),
    Operation(
        "jobs.metrics (the job's result file)",
        _metrics_created,
        # The mock's result file is not a results CSV.
        defences=(ValueError,),
    ),
)
"""Flows of several calls: their requests are checked, their answers make no sense together."""


async def test_every_request_passes_prism_validation(openai_prism: PrismMock) -> None:
    recorder = Recorder()
    async with prism_client(openai_prism, recorder) as client:
        outcomes = await drive(client, recorder, [*SINGLE, *FLOWS])
    assert problems(outcomes) == []
    # Every operation the spec describes was reached, so none went unchecked.
    assert uncovered(openai_prism.operations, outcomes) == set()


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_valid_answers_parse_into_the_models(
    openai_prism: PrismMock, seed: int
) -> None:
    recorder = Recorder()
    async with prism_client(openai_prism, recorder, prefer=prefer_dynamic(seed)) as client:
        outcomes = await drive(client, recorder, SINGLE)
    assert problems(outcomes, answers=True) == []
    assert uncovered(openai_prism.operations, outcomes) == set()


async def test_a_request_against_the_spec_is_named(openai_prism: PrismMock) -> None:
    """The check can fail: a request the spec refuses is reported with Prism's words."""
    bad = (
        Operation(
            "jobs.list (limit=ten)", lambda c: c.jobs.list(extra_query={"limit": "ten"}), Page
        ),
        Operation(
            "jobs.create (no training_file)",
            lambda c: c.jobs.create(
                model=MODEL, training_file="f", extra_body={"training_file": None}
            ),
            ftjobs.FineTuningJob,
        ),
    )
    recorder = Recorder()
    async with prism_client(openai_prism, recorder) as client:
        found = problems(await drive(client, recorder, bad))
    assert len(found) == 2, found
    assert "jobs.list (limit=ten): Prism refused the request (422)" in found[0]
    assert "[request query.limit]" in found[0] and "must be integer" in found[0]
    assert "[request body.training_file]" in found[1], found[1]
