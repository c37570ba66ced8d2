"""The emulator's Azure dialect: the pure rendering and request rules."""

from __future__ import annotations

import argparse

import attrs
import pytest

from ftjobs.emulator import EmulatorConfig, add_serve_arguments, config_from_args
from ftjobs.emulator._azure import azure_job, pop_azure_fields, require_api_version
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._lifecycle import JobState
from ftjobs.emulator._validation import DatasetReport


def _state(status: str, finished_at: float | None = None) -> JobState:
    report = DatasetReport(n_examples=12, n_tokens=120)
    return JobState(
        id="ftjob-1",
        seq=1,
        created_at=0.0,
        model="gpt-4o-mini",
        organization_id="org-emulator",
        training_file="file-1",
        validation_file=None,
        suffix=None,
        seed=1,
        method_type="supervised",
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "auto"}}},
        metadata=None,
        integrations=None,
        training=report,
        validation=None,
        status=status,
        finished_at=finished_at,
    )


def _body(status: str) -> dict[str, object]:
    return {
        "status": status,
        "organization_id": "org-emulator",
        "result_files": [],
        "finished_at": 100,
        "hyperparameters": {
            "n_epochs": "auto",
            "batch_size": 4,
            "learning_rate_multiplier": "auto",
        },
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "auto"}}},
    }


@pytest.mark.parametrize(
    ("status", "azure"),
    [
        ("validating_files", "pending"),
        ("queued", "notRunning"),
        ("running", "running"),
        ("paused", "paused"),
        ("succeeded", "succeeded"),
        ("failed", "failed"),
    ],
)
def test_status_names(status: str, azure: str) -> None:
    assert azure_job(_body(status), _state(status), 50.0, 2.0)["status"] == azure


def test_cancelled_reads_canceling_then_canceled() -> None:
    job = _state("cancelled", finished_at=100.0)
    early = azure_job(_body("cancelled"), job, 101.0, 2.0)
    assert early["status"] == "canceling" and early["finished_at"] is None
    late = azure_job(_body("cancelled"), job, 102.0, 2.0)
    assert late["status"] == "canceled" and late["finished_at"] == 100


def test_nulls_minus_one_and_extra_fields() -> None:
    body = azure_job(_body("running"), _state("running"), 0.0, 2.0, {"trainingType": "standard"})
    assert body["organization_id"] is None and body["result_files"] is None
    assert body["hyperparameters"] == {
        "n_epochs": -1,
        "batch_size": 4,
        "learning_rate_multiplier": 1,
    }
    assert body["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": -1}},
    }
    assert body["trainingType"] == "standard"


def test_pop_azure_fields() -> None:
    rest, extra = pop_azure_fields({"model": "gpt-4o-mini", "trainingType": "developer"})
    assert rest == {"model": "gpt-4o-mini"} and extra == {"trainingType": "developer"}
    with pytest.raises(ApiError) as info:
        pop_azure_fields({"trainingType": 3})
    assert info.value.param == "trainingType"


def test_api_version_rule() -> None:
    with pytest.raises(ApiError) as info:
        require_api_version("/openai/fine_tuning/jobs", {})
    assert info.value.status == 400 and info.value.code == "MissingApiVersionParameter"
    require_api_version("/openai/fine_tuning/jobs", {"api-version": "2024-10-21"})
    require_api_version("/openai/v1/fine_tuning/jobs", {})
    require_api_version("/v1/fine_tuning/jobs", {})


def test_config_and_cli_flag() -> None:
    with pytest.raises(ValueError, match="dialect"):
        EmulatorConfig(dialect="bedrock")
    with pytest.raises(ValueError, match="canceling_seconds"):
        EmulatorConfig(canceling_seconds=-1)
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    assert config_from_args(parser.parse_args(["--dialect", "azure"])).dialect == "azure"
    assert config_from_args(parser.parse_args([])) == attrs.evolve(
        config_from_args(parser.parse_args([])), dialect="openai"
    )
