"""The emulator's Together AI dialect: its pure rendering and request rules, and its config."""

from __future__ import annotations

import argparse

import attrs
import pytest

from ftjobs._models import JobError
from ftjobs.emulator import (
    EmulatorConfig,
    Outcome,
    Timings,
    add_serve_arguments,
    config_from_args,
)
from ftjobs.emulator._base_models import DEFAULT_MODELS, TOGETHER_MODELS
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._lifecycle import JobState
from ftjobs.emulator._server import _banner
from ftjobs.emulator._together import download_archive, iso, output_name, together_status
from ftjobs.emulator._together_requests import model_limits, parse_create, price_estimate
from ftjobs.emulator._validation import DatasetReport

MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
TIMINGS = Timings()


def _state(status: str, **changes: object) -> JobState:
    job = JobState(
        id="ft-abcdefgh12345678",
        seq=1,
        created_at=0.0,
        model=MODEL,
        organization_id="org-emulator",
        training_file="file-1",
        validation_file=None,
        suffix=None,
        seed=42,
        method_type="supervised",
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}},
        metadata=None,
        integrations=None,
        training=DatasetReport(n_examples=12, n_tokens=120),
        validation=None,
        status=status,
        n_epochs=1,
        steps_per_epoch=4,
        total_steps=4,
    )
    return attrs.evolve(job, **changes)


@pytest.mark.parametrize(
    ("status", "together"),
    [
        ("validating_files", "pending"),
        ("queued", "queued"),
        ("succeeded", "completed"),
        ("a_new_status", "a_new_status"),
    ],
)
def test_statuses_in_togethers_words(status: str, together: str) -> None:
    assert together_status(_state(status), 100.0, TIMINGS, 2.0) == together


def test_a_running_job_compresses_then_uploads_its_model() -> None:
    # Started at 10: steps end at 14, the 2 s of finalising follow.
    job = _state("running", phase_started_at=10.0)
    words = [together_status(job, t, TIMINGS, 2.0) for t in (13.9, 14.0, 14.9, 15.0, 15.9)]
    assert words == ["running", "compressing", "compressing", "uploading", "uploading"]


def test_a_job_scripted_to_fail_never_reads_compressing() -> None:
    job = _state("running", phase_started_at=10.0, outcome=Outcome.failure(at_step=4))
    assert together_status(job, 14.5, TIMINGS, 2.0) == "running"


def test_cancel_requested_lasts_canceling_seconds() -> None:
    job = _state("cancelled", finished_at=50.0)
    assert together_status(job, 51.9, TIMINGS, 2.0) == "cancel_requested"
    assert together_status(job, 52.0, TIMINGS, 2.0) == "cancelled"


@pytest.mark.parametrize(
    ("param", "word"), [("training_file", "user_error"), ("validation_file", "user_error")]
)
def test_a_failure_of_the_data_is_a_user_error(param: str, word: str) -> None:
    failed = _state("failed", error=JobError("invalid_training_file", "bad line 3", param))
    assert together_status(failed, 0.0, TIMINGS, 2.0) == word
    other = _state("failed", error=JobError("internal_error", "GPU lost", None))
    assert together_status(other, 0.0, TIMINGS, 2.0) == "error"


def test_iso_times_and_output_names() -> None:
    assert iso(1_700_000_000.25) == "2023-11-14T22:13:20.250Z"
    named = _state("succeeded", suffix="bot")
    assert output_name(named, "acme") == "acme/Meta-Llama-3.1-8B-Instruct-Reference-bot-abcdefgh"


def test_the_download_archive_is_reproducible() -> None:
    job = _state("succeeded")
    assert download_archive(job, "acme", 4, "merged") == download_archive(job, "acme", 4, "merged")
    assert download_archive(job, "acme", 4, "merged") != download_archive(job, "acme", 2, "merged")


def _never(reference: str) -> str:
    raise AssertionError(reference)


def test_create_defaults_and_secrets() -> None:
    request = parse_create(
        {
            "model": MODEL,
            "training_file": "file-1",
            "validation_file": "",  # Together's SDK sends "" for none
            "wandb_key": "k",
            "early_stopping_enabled": False,
        },
        models=TOGETHER_MODELS,
        base_of=_never,
    )
    assert request.validation_file is None and request.seed == 42
    assert request.method_type == "supervised"
    assert request.hyperparameters == {
        "batch_size": "auto",
        "learning_rate_multiplier": "auto",
        "n_epochs": 1,
    }
    assert request.extra is not None and "wandb_key" not in request.extra
    assert request.extra["training_method"] == {"method": "sft", "train_on_inputs": "auto"}
    assert request.extra["early_stopping_enabled"] is False


def test_dpo_maps_onto_the_dpo_method() -> None:
    request = parse_create(
        {
            "model": MODEL,
            "training_file": "f",
            "training_method": {"method": "dpo", "dpo_beta": 0.3},
        },
        models=TOGETHER_MODELS,
        base_of=_never,
    )
    assert request.method_type == "dpo" and request.hyperparameters["beta"] == 0.3


def test_from_checkpoint_takes_its_jobs_base_model() -> None:
    request = parse_create(
        {"training_file": "f", "from_checkpoint": "ft-x:2"},
        models=TOGETHER_MODELS,
        base_of=lambda reference: MODEL,
    )
    assert request.model == MODEL
    with pytest.raises(ApiError) as both:
        parse_create(
            {"training_file": "f", "from_checkpoint": "ft-x", "model": MODEL},
            models=TOGETHER_MODELS,
            base_of=lambda reference: MODEL,
        )
    assert both.value.param == "from_checkpoint"


def test_model_limits_and_prices() -> None:
    small = model_limits(MODEL)
    big = model_limits("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference")
    assert small["supports_full_training"] and "full_training" in small
    assert not big["supports_full_training"] and "full_training" not in big
    lora = price_estimate(MODEL, train_tokens=1_000_000, eval_tokens=0, full=False, dpo=False)
    assert lora["estimated_total_price"] == pytest.approx(0.48)
    dpo = price_estimate(MODEL, train_tokens=1_000_000, eval_tokens=0, full=True, dpo=True)
    assert dpo["estimated_total_price"] == pytest.approx(0.54 * 2.5)
    seventy = price_estimate(
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
        train_tokens=2_000_000,
        eval_tokens=0,
        full=False,
        dpo=False,
    )
    assert seventy["estimated_total_price"] == pytest.approx(2 * 2.90)


def test_config_of_the_together_dialect() -> None:
    config = EmulatorConfig(dialect="together")
    assert dict(config.models) == dict(TOGETHER_MODELS) and config.job_id_prefix == "ft-"
    assert dict(EmulatorConfig().models) == dict(DEFAULT_MODELS)
    assert EmulatorConfig(dialect="together", models="my/model").models.keys() == {"my/model"}
    with pytest.raises(ValueError, match="no webhooks"):
        EmulatorConfig(
            dialect="together",
            webhook_url="http://127.0.0.1:9/hook",
            webhook_secret="whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        )


def test_serve_dialect_together_and_its_banner() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    config = config_from_args(parser.parse_args(["--dialect", "together"]))
    assert config.dialect == "together"
    banner = _banner(config, "http://127.0.0.1:8765")
    # The host alone: what Together's own SDK reads, and what ftjobs completes with /v1.
    exported = "export TOGETHER_BASE_URL=http://127.0.0.1:8765 TOGETHER_API_KEY=sk-emulator"
    assert exported in banner
