"""JSON <-> model conversion: parsing real-looking payloads, round trips, error reports."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftjobs._converter import structure, unstructure
from ftjobs._errors import ResponseValidationError
from ftjobs._models import (
    CheckpointMetrics,
    DpoHyperparameters,
    FileDeleted,
    FileObject,
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Hyperparameters,
    JobError,
    JobStatus,
    Page,
    ReinforcementHyperparameters,
    SupervisedHyperparameters,
    WandbConfig,
    WandbIntegration,
)
from ftjobs.graders import MultiGrader, ScoreModelGrader, StringCheckGrader
from tests._support.payloads import azure_job_payload, drop_nulls

FULL_JOB: dict[str, Any] = {
    "object": "fine_tuning.job",
    "id": "ftjob-abc123",
    "model": "gpt-4o-mini-2024-07-18",
    "created_at": 1721764800,
    "finished_at": 1721768400,
    "fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:my-org:custom:7q8mpxmy",
    "organization_id": "org-123",
    "result_files": ["file-res1"],
    "status": "succeeded",
    "validation_file": "file-val",
    "training_file": "file-train",
    "hyperparameters": {"batch_size": 4, "learning_rate_multiplier": 1.8, "n_epochs": 3},
    "trained_tokens": 123456,
    "error": None,
    "integrations": [
        {
            "type": "wandb",
            "wandb": {"project": "proj", "name": None, "entity": "team", "tags": ["a", "b"]},
        }
    ],
    "seed": 42,
    "estimated_finish": 1721768000,
    "method": {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {"batch_size": 4, "learning_rate_multiplier": 1.8, "n_epochs": 3}
        },
    },
    "metadata": {"team": "search", "run": "7"},
}


def _job(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(FULL_JOB)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


_DROP = object()


# --- parsing ------------------------------------------------------------------------------


def test_full_job() -> None:
    job = structure(FULL_JOB, FineTuningJob)
    assert job.id == "ftjob-abc123"
    assert job.status is JobStatus.SUCCEEDED
    assert job.is_terminal
    assert job.created_at == 1721764800
    assert job.finished_at == 1721768400
    assert job.fine_tuned_model == "ft:gpt-4o-mini-2024-07-18:my-org:custom:7q8mpxmy"
    assert job.organization_id == "org-123"
    assert job.result_files == ("file-res1",)
    assert job.training_file == "file-train"
    assert job.validation_file == "file-val"
    assert job.hyperparameters == Hyperparameters(
        batch_size=4, learning_rate_multiplier=1.8, n_epochs=3
    )
    assert job.trained_tokens == 123456
    assert job.error is None
    assert job.integrations == (
        WandbIntegration(WandbConfig(project="proj", entity="team", tags=("a", "b"))),
    )
    assert job.seed == 42
    assert job.estimated_finish == 1721768000
    assert job.method == FineTuneMethod.supervised_method(
        SupervisedHyperparameters(batch_size=4, learning_rate_multiplier=1.8, n_epochs=3)
    )
    assert job.metadata == {"team": "search", "run": "7"}
    assert dict(job.extra) == {}
    assert job.request_id is None


def test_minimal_job_only_needs_four_fields() -> None:
    job = structure({"id": "j", "created_at": 1, "model": "m", "status": "queued"}, FineTuningJob)
    assert job.status is JobStatus.QUEUED
    assert job.object == "fine_tuning.job"
    assert job.result_files == ()
    assert job.hyperparameters is None and job.method is None and job.metadata is None


def test_dpo_method() -> None:
    job = structure(
        _job(
            method={
                "type": "dpo",
                "dpo": {
                    "hyperparameters": {
                        "beta": 0.1,
                        "batch_size": "auto",
                        "learning_rate_multiplier": "auto",
                        "n_epochs": "auto",
                    }
                },
            },
            hyperparameters=None,
        ),
        FineTuningJob,
    )
    assert job.hyperparameters is None
    assert job.method == FineTuneMethod.dpo_method(
        DpoHyperparameters(
            beta=0.1, batch_size="auto", learning_rate_multiplier="auto", n_epochs="auto"
        )
    )


def test_reinforcement_method_types_the_grader_and_keeps_unknown_keys() -> None:
    grader = {
        "type": "string_check",
        "name": "g",
        "input": "{{sample.output_text}}",
        "reference": "{{item.label}}",
        "operation": "eq",
    }
    job = structure(
        _job(
            method={
                "type": "reinforcement",
                "reinforcement": {
                    "hyperparameters": {
                        "batch_size": "auto",
                        "learning_rate_multiplier": 2,
                        "n_epochs": 1,
                        "eval_interval": 5,
                        "eval_samples": "auto",
                        "compute_multiplier": 1.5,
                        "reasoning_effort": "medium",
                    },
                    "grader": grader,
                    "response_format": None,
                },
            }
        ),
        FineTuningJob,
    )
    assert job.method is not None and job.method.type == "reinforcement"
    rl = job.method.reinforcement
    assert rl is not None
    assert rl.grader == StringCheckGrader.exact("g", "{{item.label}}")
    assert unstructure(rl.grader) == grader
    assert rl.extra == {"response_format": None}
    hp = rl.hyperparameters
    assert hp == ReinforcementHyperparameters(
        batch_size="auto",
        learning_rate_multiplier=2.0,
        n_epochs=1,
        eval_interval=5,
        eval_samples="auto",
        compute_multiplier=1.5,
        reasoning_effort="medium",
    )
    assert hp is not None and isinstance(hp.learning_rate_multiplier, float)
    assert unstructure(job)["method"]["reinforcement"]["response_format"] is None


@pytest.mark.parametrize(
    "grader",
    [
        {"type": "label_model", "name": "l"},  # not a top-level grader type
        {"type": "endorsement", "name": "e", "votes": 3},  # a type the SDK does not know
    ],
)
def test_graders_that_do_not_fit_a_model_are_kept_as_mappings(grader: dict[str, Any]) -> None:
    method = {"type": "reinforcement", "reinforcement": {"grader": grader}}
    job = structure(_job(method=method), FineTuningJob)
    assert job.method is not None and job.method.reinforcement is not None
    assert job.method.reinforcement.grader == grader
    assert unstructure(job)["method"] == method


def test_a_known_grader_type_in_the_wrong_shape_is_reported() -> None:
    method = {"type": "reinforcement", "reinforcement": {"grader": {"type": "string_check"}}}
    with pytest.raises(ResponseValidationError) as info:
        structure(_job(method=method), FineTuningJob)
    assert "$.method.reinforcement.grader.name: required field missing" in info.value.errors


def test_nested_graders_are_typed_both_ways() -> None:
    inner = ScoreModelGrader.prompt("judge", "gpt-4o", "Rate {{sample.output_text}}", range=(0, 10))
    multi = MultiGrader(name="m", graders=inner, calculate_output="judge / 10")
    data = unstructure(multi)
    assert data["graders"]["input"] == [
        {"role": "user", "content": "Rate {{sample.output_text}}", "type": "message"}
    ]
    assert data["graders"]["range"] == [0, 10]
    assert structure(data, MultiGrader) == multi
    assert structure(data, MultiGrader).graders == inner


def test_unknown_method_type_is_kept() -> None:
    job = structure(_job(method={"type": "distillation", "distillation": {}}), FineTuningJob)
    assert job.method is not None
    assert job.method.type == "distillation"
    assert job.method.extra == {"distillation": {}}


@pytest.mark.parametrize(
    ("hyper", "expected"),
    [
        (
            {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"},
            Hyperparameters("auto", "auto", "auto"),
        ),
        (
            {"batch_size": 8, "learning_rate_multiplier": 0.5, "n_epochs": 2},
            Hyperparameters(8, 0.5, 2),
        ),
        (
            {"batch_size": None, "learning_rate_multiplier": 2, "n_epochs": "auto"},
            Hyperparameters(None, 2.0, "auto"),
        ),
        ({}, Hyperparameters()),
    ],
)
def test_auto_or_number(hyper: dict[str, Any], expected: Hyperparameters) -> None:
    assert structure(_job(hyperparameters=hyper), FineTuningJob).hyperparameters == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n_epochs", True, "expected int or 'auto' or null, got True"),
        ("n_epochs", "AUTO", "expected int or 'auto' or null, got 'AUTO'"),
        ("n_epochs", 2.5, "expected int or 'auto' or null, got 2.5"),
        ("batch_size", "8", "expected int or 'auto' or null, got '8'"),
        ("learning_rate_multiplier", False, "expected number or 'auto' or null, got False"),
        ("learning_rate_multiplier", "fast", "expected number or 'auto' or null, got 'fast'"),
    ],
)
def test_auto_or_number_rejects(field: str, value: Any, message: str) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(_job(hyperparameters={field: value}), FineTuningJob)
    assert info.value.errors == [f"$.hyperparameters.{field}: {message}"]


@pytest.mark.parametrize("status", ["pending", "notRunning", "canceling", "Running"])
def test_unknown_status_is_kept_as_str(status: str) -> None:
    job = structure(_job(status=status), FineTuningJob)
    assert job.status == status
    assert type(job.status) is str
    assert not job.is_terminal
    assert unstructure(job)["status"] == status


def test_azure_canceled_is_cancelled() -> None:
    job = structure(_job(status="canceled"), FineTuningJob)
    assert job.status is JobStatus.CANCELLED
    assert job.is_terminal
    assert JobStatus("canceled") is JobStatus.CANCELLED


@pytest.mark.parametrize("status", [s.value for s in JobStatus])
def test_known_status_becomes_member(status: str) -> None:
    job = structure(_job(status=status), FineTuningJob)
    assert job.status is JobStatus(status)
    assert type(unstructure(job)["status"]) is str


def test_paused() -> None:
    job = structure(_job(status="paused", finished_at=None), FineTuningJob)
    assert job.status is JobStatus.PAUSED
    assert not job.is_terminal


def test_nulls_accepted() -> None:
    job = structure(
        _job(
            organization_id=None,
            result_files=None,
            integrations=None,
            metadata=None,
            fine_tuned_model=None,
            finished_at=None,
            trained_tokens=None,
            validation_file=None,
            estimated_finish=None,
            hyperparameters=None,
            method=None,
        ),
        FineTuningJob,
    )
    assert job.organization_id is None
    assert job.result_files == ()
    assert job.integrations is None
    assert job.metadata is None
    assert job.finished_at_datetime is None


@pytest.mark.parametrize("error", [{}, {"code": None, "message": None, "param": None}, None])
def test_empty_job_error_is_no_error(error: Any) -> None:
    assert structure(_job(error=error), FineTuningJob).error is None


def test_job_error() -> None:
    job = structure(
        _job(
            status="failed",
            error={"code": "invalid_training_file", "message": "bad", "param": "training_file"},
        ),
        FineTuningJob,
    )
    assert job.error == JobError("invalid_training_file", "bad", "training_file")
    assert job.is_terminal


def test_unknown_fields_are_kept_and_round_trip() -> None:
    body = _job(
        user_provided_suffix="my-suffix",
        usage_metrics={"tokens": 5},
        shared_with_openai=False,
    )
    body["integrations"][0]["wandb"]["run_id"] = "ftjob-abc123"
    body["hyperparameters"]["warmup"] = 0.1
    job = structure(body, FineTuningJob)
    assert job.extra == {
        "user_provided_suffix": "my-suffix",
        "usage_metrics": {"tokens": 5},
        "shared_with_openai": False,
    }
    assert job.integrations is not None
    integration = job.integrations[0]
    assert isinstance(integration, WandbIntegration)
    assert integration.wandb.extra == {"run_id": "ftjob-abc123"}
    assert job.hyperparameters is not None
    assert job.hyperparameters.extra == {"warmup": 0.1}

    out = unstructure(job)
    # Nulls of known optional fields are left out; everything else comes back.
    assert out == drop_nulls(body)
    assert structure(out, FineTuningJob) == job
    assert json.loads(json.dumps(out)) == out


def test_full_job_unstructure_is_exact_inverse() -> None:
    # Every field is set and nothing is null, so nothing is left out.
    full = _job(
        error={"code": "c", "message": "m", "param": "p"},
        integrations=[
            {"type": "wandb", "wandb": {"project": "p", "name": "n", "entity": "e", "tags": []}}
        ],
    )
    assert unstructure(structure(full, FineTuningJob)) == full


def test_unknown_integration_type_is_kept() -> None:
    other = {"type": "mlflow", "mlflow": {"experiment": "x"}}
    job = structure(_job(integrations=[FULL_JOB["integrations"][0], other]), FineTuningJob)
    assert job.integrations is not None
    assert isinstance(job.integrations[0], WandbIntegration)
    assert job.integrations[1] == other
    assert unstructure(job)["integrations"][1] == other


def test_azure_like_job() -> None:
    body = azure_job_payload("ftjob-0123456789abcdef")
    job = structure(body, FineTuningJob, request_id="apim-req-1")
    assert job.status == "pending" and not job.is_terminal
    assert job.hyperparameters == Hyperparameters(-1, 1.0, -1)
    assert job.result_files == ()
    assert job.organization_id is None
    assert job.extra == {"user_provided_suffix": "contoso", "trainingType": "standard"}
    assert job.request_id == "apim-req-1"


def test_request_id_is_set_but_not_serialized() -> None:
    job = structure(FULL_JOB, FineTuningJob, request_id="req_123")
    assert job.request_id == "req_123"
    assert "request_id" not in unstructure(job)
    assert job == structure(FULL_JOB, FineTuningJob)

    page = structure(
        {"object": "list", "data": [FULL_JOB], "has_more": False},
        Page[FineTuningJob],
        request_id="req_page",
    )
    assert page.request_id == "req_page"
    assert "request_id" not in unstructure(page)


def test_datetime_helpers_after_parsing() -> None:
    job = structure(FULL_JOB, FineTuningJob)
    assert job.created_at_datetime.isoformat() == "2024-07-23T20:00:00+00:00"
    assert job.finished_at_datetime is not None
    assert job.finished_at_datetime.isoformat() == "2024-07-23T21:00:00+00:00"
    assert job.estimated_finish_datetime is not None
    assert job.estimated_finish_datetime.utcoffset() is not None


def test_events() -> None:
    body = {
        "object": "list",
        "data": [
            {
                "object": "fine_tuning.job.event",
                "id": "ftevent-2",
                "created_at": 1721764800,
                "level": "info",
                "message": "Step 10/100: training loss=0.5",
                "data": {"step": 10, "train_loss": 0.5},
                "type": "metrics",
            },
            {
                "object": "fine_tuning.job.event",
                "id": "ftevent-1",
                "created_at": 1721764700,
                "level": "warn",
                "message": "hello",
                "data": None,
                "type": "message",
            },
            {"id": "ftevent-0", "created_at": 1, "level": "info", "message": "bare"},
        ],
        "has_more": True,
    }
    page = structure(body, Page[FineTuningJobEvent])
    assert [e.id for e in page] == ["ftevent-2", "ftevent-1", "ftevent-0"]
    assert page.data[0].data == {"step": 10, "train_loss": 0.5}
    assert page.data[1].data is None
    assert page.data[2].type is None and page.data[2].object == "fine_tuning.job.event"
    assert page.next_cursor == "ftevent-0"
    assert page.first_id is None


def test_checkpoints() -> None:
    body = {
        "object": "list",
        "data": [
            {
                "object": "fine_tuning.job.checkpoint",
                "id": "ftckpt_1",
                "created_at": 1721764867,
                "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:sfx:abc:ckpt-step-88",
                "metrics": {
                    "step": 88,
                    "train_loss": 0.478,
                    "train_mean_token_accuracy": 0.924,
                    "valid_loss": 10.112,
                    "valid_mean_token_accuracy": 0.145,
                    "full_valid_loss": 0.567,
                    "full_valid_mean_token_accuracy": 0.944,
                },
                "fine_tuning_job_id": "ftjob-abc123",
                "step_number": 88,
            }
        ],
        "first_id": "ftckpt_1",
        "last_id": "ftckpt_1",
        "has_more": False,
    }
    page = structure(body, Page[FineTuningJobCheckpoint])
    ckpt = page.data[0]
    assert ckpt.metrics == CheckpointMetrics(88.0, 0.478, 0.924, 10.112, 0.145, 0.567, 0.944)
    assert ckpt.step_number == 88
    assert page.next_cursor is None
    assert page.first_id == page.last_id == "ftckpt_1"


def test_files() -> None:
    body = {
        "object": "list",
        "data": [
            {
                "id": "file-1",
                "object": "file",
                "bytes": 175,
                "created_at": 1613677385,
                "expires_at": 1677614202,
                "filename": "train.jsonl",
                "purpose": "fine-tune",
                "status": "processed",
                "status_details": None,
            }
        ],
        "first_id": "file-1",
        "last_id": "file-1",
        "has_more": True,
    }
    page = structure(body, Page[FileObject])
    assert page.data[0] == FileObject(
        id="file-1",
        bytes=175,
        created_at=1613677385,
        filename="train.jsonl",
        purpose="fine-tune",
        status="processed",
        expires_at=1677614202,
    )
    assert page.next_cursor == "file-1"
    deleted = structure({"id": "file-1", "object": "file", "deleted": True}, FileDeleted)
    assert deleted == FileDeleted("file-1", True)


def test_jobs_page_next_cursor() -> None:
    body = {
        "object": "list",
        "data": [_job(id="ftjob-1"), _job(id="ftjob-2")],
        "has_more": True,
        "future_field": 1,
    }
    page = structure(body, Page[FineTuningJob])
    assert page.next_cursor == "ftjob-2"
    assert page.extra == {"future_field": 1}
    assert (
        structure({"object": "list", "data": [], "has_more": True}, Page[FineTuningJob]).next_cursor
        is None
    )


# --- unstructuring request-side objects ---------------------------------------------------


def test_unstructure_omits_unset_options() -> None:
    assert unstructure(FineTuneMethod.supervised_method()) == {
        "type": "supervised",
        "supervised": {},
    }
    assert unstructure(FineTuneMethod.dpo_method(DpoHyperparameters(beta=0.1))) == {
        "type": "dpo",
        "dpo": {"hyperparameters": {"beta": 0.1}},
    }
    assert unstructure(
        FineTuneMethod.reinforcement_method(
            {"type": "python", "source": "def grade(s, i): return 1"},
            ReinforcementHyperparameters(reasoning_effort="low", n_epochs="auto"),
        )
    ) == {
        "type": "reinforcement",
        "reinforcement": {
            "grader": {"type": "python", "source": "def grade(s, i): return 1"},
            "hyperparameters": {"n_epochs": "auto", "reasoning_effort": "low"},
        },
    }
    assert unstructure(WandbIntegration(WandbConfig("p", tags=("x",)))) == {
        "type": "wandb",
        "wandb": {"project": "p", "tags": ["x"]},
    }


def test_unstructure_prefers_fields_over_colliding_extra() -> None:
    method = FineTuneMethod(type="dpo", extra={"type": "bogus", "x": 1})
    assert unstructure(method) == {"type": "dpo", "x": 1}


# --- corrupt payloads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            _job(created_at="abc"),
            "$.created_at: expected Unix seconds (int, float, digit string or ISO-8601), got 'abc'",
        ),
        (
            _job(created_at=True),
            "$.created_at: expected Unix seconds (int, float, digit string or ISO-8601), got True",
        ),
        (
            _job(created_at=[1]),
            "$.created_at: expected Unix seconds (int, float, digit string or ISO-8601), got [1]",
        ),
        (_job(id=None), "$.id: expected str, got None"),
        (_job(id=5), "$.id: expected str, got 5"),
        (_job(model=["m"]), "$.model: expected str, got ['m']"),
        (_job(id=_DROP), "$.id: required field missing"),
        (_job(status=_DROP), "$.status: required field missing"),
        (_job(status=None), "$.status: expected str, got None"),
        (_job(status=3), "$.status: expected str, got 3"),
        (_job(organization_id=7), "$.organization_id: expected str or null, got 7"),
        (
            _job(finished_at="soon"),
            "$.finished_at: expected Unix seconds (int, float, digit string or ISO-8601), "
            "got 'soon'",
        ),
        (_job(result_files="file-1"), "$.result_files: expected array, got 'file-1'"),
        (_job(result_files=["a", 2]), "$.result_files[1]: expected str, got 2"),
        (_job(metadata=[]), "$.metadata: expected object, got []"),
        (_job(metadata={"k": 1}), "$.metadata['k']: expected str, got 1"),
        (_job(hyperparameters="auto"), "$.hyperparameters: expected object, got 'auto'"),
        (_job(error="boom"), "$.error: expected object, got 'boom'"),
        (_job(error={"code": 1, "message": "m"}), "$.error.code: expected str or null, got 1"),
        (_job(method={"supervised": {}}), "$.method.type: required field missing"),
        (
            _job(
                method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "x"}}}
            ),
            "$.method.supervised.hyperparameters.n_epochs: expected int or 'auto' or null, got 'x'",
        ),
        (
            _job(method={"type": "reinforcement", "reinforcement": {}}),
            "$.method.reinforcement.grader: required field missing",
        ),
        (
            _job(method={"type": "reinforcement", "reinforcement": {"grader": "g"}}),
            "$.method.reinforcement.grader: expected object, got 'g'",
        ),
        (_job(integrations={}), "$.integrations: expected array, got {}"),
        (_job(integrations=[1]), "$.integrations[0]: expected object, got 1"),
        (
            _job(integrations=[{"type": "wandb", "wandb": {"name": "x"}}]),
            "$.integrations[0].wandb.project: required field missing",
        ),
        (
            _job(integrations=[{"type": "wandb", "wandb": {"project": "p", "tags": "t"}}]),
            "$.integrations[0].wandb.tags: expected array, got 't'",
        ),
    ],
)
def test_corrupt_job(body: Any, error: str) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(body, FineTuningJob, request_id="req_bad")
    exc = info.value
    assert exc.errors == [error]
    assert exc.model == "FineTuningJob"
    assert exc.body is body
    assert exc.request_id == "req_bad"
    assert error in str(exc) and "req_bad" in str(exc)


@pytest.mark.parametrize("body", [None, [], "job", 3, True, [FULL_JOB]])
def test_non_object_body(body: Any) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(body, FineTuningJob)
    assert len(info.value.errors) == 1
    assert info.value.errors[0].startswith("$: expected object, got ")


def test_corrupt_page_names_item_path_and_reports_everything() -> None:
    data = [_job(id=f"ftjob-{i}") for i in range(5)]
    data[3]["created_at"] = "abc"
    data[4]["status"] = None
    with pytest.raises(ResponseValidationError) as info:
        structure({"object": "list", "data": data, "has_more": "yes"}, Page[FineTuningJob])
    assert info.value.model == "Page[FineTuningJob]"
    assert info.value.errors == [
        "$.data[3].created_at: expected Unix seconds (int, float, digit string or ISO-8601), "
        "got 'abc'",
        "$.data[4].status: expected str, got None",
        "$.has_more: expected bool, got 'yes'",
    ]
    assert str(info.value).startswith("response does not fit Page[FineTuningJob]: $.data[3]")


@pytest.mark.parametrize(
    ("cl", "body", "error"),
    [
        (
            Page[FineTuningJobEvent],
            {"object": "list", "has_more": False},
            "$.data: required field missing",
        ),
        (
            Page[FineTuningJobEvent],
            {"data": "x", "has_more": False},
            "$.data: expected array, got 'x'",
        ),
        (
            Page[FineTuningJobEvent],
            {
                "data": [{"id": "e", "created_at": 1, "level": "info", "message": "m", "data": []}],
                "has_more": False,
            },
            "$.data[0].data: expected object, got []",
        ),
        (
            Page[FineTuningJobCheckpoint],
            {
                "data": [
                    {
                        "id": "c",
                        "created_at": 1,
                        "fine_tuned_model_checkpoint": "x",
                        "step_number": 1,
                        "metrics": {"train_loss": "low"},
                    }
                ],
                "has_more": False,
            },
            "$.data[0].metrics.train_loss: expected number or null, got 'low'",
        ),
        (
            FileObject,
            {"id": "f", "bytes": "1kb", "created_at": 1, "filename": "a", "purpose": "x"},
            "$.bytes: expected int or null, got '1kb'",
        ),
        (FileDeleted, {"id": "f", "deleted": "true"}, "$.deleted: expected bool, got 'true'"),
        (
            WandbIntegration,
            {"type": "other", "wandb": {"project": "p"}},
            "$.type: expected 'wandb', got 'other'",
        ),
    ],
)
def test_corrupt_other_models(cl: Any, body: Any, error: str) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(body, cl)
    assert info.value.errors == [error]


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(_job(seed=["x" * 500]), FineTuningJob)
    (line,) = info.value.errors
    assert line.startswith("$.seed: expected int or null, got ['xxx")
    assert len(line) < 120


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def _corrupt(body: Any, path: list[Any], value: Any) -> None:
    """Set ``value`` (or drop the key, for ``_DROP``) as deep along ``path`` in ``body`` as the
    path exists; an int step means the first item of a list."""
    node: Any = body
    for step in path[:-1]:
        nxt = node.get(step) if isinstance(node, dict) else None
        if isinstance(step, int) and isinstance(node, list) and node:
            nxt = node[0]
        if not isinstance(nxt, (dict, list)):
            break
        node = nxt
    if isinstance(node, dict):
        key = path[-1] if isinstance(path[-1], str) else "x"
        if value is _DROP:
            node.pop(key, None)
        else:
            node[key] = value
    elif node:
        node[0] = None if value is _DROP else value


# --- the fast path agrees with the validating path -----------------------------------------
# structure() first runs generated fast functions (ftjobs._fastpath) and falls back to the
# validating cattrs hooks; the two must give identical models (same values, same types) or the
# fast one must decline (the contract at the top of _fastpath). These tests reach the two paths
# directly.


def _both_paths(body: Any, cl: Any) -> tuple[Any, Any]:
    from ftjobs import _converter as conv
    from ftjobs import _fastpath

    try:
        fast = _fastpath.fast_hook(cl)(copy.deepcopy(body))
    except Exception:
        fast = None
    try:
        slow = conv._structure_validating(copy.deepcopy(body), cl, None)
    except ResponseValidationError:
        slow = None
    return fast, slow


def _same_model(a: Any, b: Any) -> None:
    assert a == b
    # == says 1 == 1.0; the JSON form (with extras) and the reprs tell the types apart.
    assert json.dumps(unstructure(a), sort_keys=True) == json.dumps(unstructure(b), sort_keys=True)
    assert repr(a) == repr(b)
    assert type(a) is type(b)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.lists(
        st.sampled_from(
            [
                "id",
                "object",
                "status",
                "created_at",
                "error",
                "code",
                "hyperparameters",
                "learning_rate_multiplier",
                "integrations",
                "type",
                "method",
                "dpo",
                "metadata",
                "result_files",
                "supervised",
                "wandb",
                "n_epochs",
                "batch_size",
                "tags",
                "seed",
                "provider_status",
                "progress",
                "seconds_remaining",
                "x",
                0,
            ]
        ),
        min_size=1,
        max_size=4,
    ),
    value=_JSON | st.sampled_from(["auto", "wandb", "succeeded", 1, 2.5, True, _DROP]),
)
def test_fast_path_never_disagrees_with_the_validating_path(path: list[Any], value: Any) -> None:
    body = copy.deepcopy(FULL_JOB)
    body["method"] = {
        "type": "dpo",
        "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": "auto", "batch_size": 2}},
    }
    _corrupt(body, path, value)
    for cl, data in (
        (FineTuningJob, body),
        (Page[FineTuningJob], {"object": "list", "data": [body], "has_more": False}),
    ):
        fast, slow = _both_paths(data, cl)
        if fast is not None:
            assert slow is not None, "the fast path accepted what the validating path rejects"
            _same_model(fast, slow)


@pytest.mark.parametrize(
    "rare",
    [
        {},
        {"provider_status": "completed"},
        {"progress": {"seconds_remaining": 3}},
        {"provider_status": None, "progress": None},
    ],
)
@pytest.mark.parametrize("unknown", [{}, {"trained_steps": 4}])
@pytest.mark.parametrize("dropped", [(), ("seed", "metadata")])
def test_rare_fields_agree_with_the_validating_path(
    rare: dict[str, Any], unknown: dict[str, Any], dropped: tuple[str, ...]
) -> None:
    # Rare fields are looked up only when the object has keys beyond the common ones found:
    # every mix of rare, unknown and left-out keys must still read the same as the slow path.
    body = {k: v for k, v in {**FULL_JOB, **rare, **unknown}.items() if k not in dropped}
    fast, slow = _both_paths(body, FineTuningJob)
    assert fast is not None
    _same_model(fast, slow)
    assert fast.extra == unknown
    assert fast.provider_status == rare.get("provider_status")


def test_fast_path_covers_every_model_and_keeps_unknown_keys() -> None:
    event = {
        "object": "fine_tuning.job.event",
        "id": "ftevent-1",
        "created_at": 1,
        "level": "info",
        "message": "m",
        "type": "metrics",
        "data": {"step": 1, "train_loss": 0.5},
        "new_key": [1],
    }
    checkpoint = {
        "object": "fine_tuning.job.checkpoint",
        "id": "ftckpt-1",
        "created_at": 1,
        "fine_tuned_model_checkpoint": "ft:x",
        "step_number": 2,
        "metrics": {"step": 2, "train_loss": 1},
        "fine_tuning_job_id": "ftjob-1",
    }
    file = {"id": "file-1", "bytes": 3, "created_at": 1, "filename": "a", "purpose": "fine-tune"}
    cases: list[tuple[Any, Any]] = [
        (FineTuningJob, {**FULL_JOB, "user_provided_suffix": "s"}),
        (FineTuningJobEvent, event),
        (FineTuningJobCheckpoint, checkpoint),
        (FileObject, file),
        (FileDeleted, {"id": "file-1", "deleted": True, "object": "file"}),
        (Page[FineTuningJobEvent], {"data": [event], "has_more": True, "object": "list"}),
        (Page[FineTuningJobCheckpoint], {"data": [checkpoint], "has_more": False}),
        (Page[FileObject], {"data": [file], "has_more": False, "extra_key": 1}),
    ]
    for cl, data in cases:
        fast, slow = _both_paths(data, cl)
        assert fast is not None, f"the fast path declined a valid {cl}"
        _same_model(fast, slow)
    fast, _ = _both_paths(cases[0][1], FineTuningJob)
    assert fast.extra == {"user_provided_suffix": "s"}
