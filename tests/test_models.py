"""Behaviour of the model classes themselves (no JSON involved)."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from ftjobs._models import (
    TERMINAL_STATUSES,
    DpoHyperparameters,
    FileObject,
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobEvent,
    JobStatus,
    Page,
    ReinforcementHyperparameters,
    SupervisedHyperparameters,
    WandbConfig,
    WandbIntegration,
)


def _job(status: JobStatus | str = JobStatus.RUNNING, **kw: object) -> FineTuningJob:
    return FineTuningJob(id="ftjob-1", created_at=1_700_000_000, model="m", status=status, **kw)  # type: ignore[arg-type]


def test_job_status_values_match_the_api() -> None:
    assert {s.value for s in JobStatus} == {
        "validating_files",
        "queued",
        "running",
        "succeeded",
        "failed",
        "cancelled",
        "paused",
    }
    assert str(JobStatus.PAUSED) == "paused"
    assert JobStatus("running") is JobStatus.RUNNING
    # A str enum: plain string comparisons keep working on job.status.
    assert isinstance(JobStatus.RUNNING, str)
    assert JobStatus.RUNNING.value == "running"


def test_terminal_statuses() -> None:
    assert frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}) == (
        TERMINAL_STATUSES
    )


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (JobStatus.SUCCEEDED, True),
        (JobStatus.FAILED, True),
        (JobStatus.CANCELLED, True),
        (JobStatus.RUNNING, False),
        (JobStatus.QUEUED, False),
        (JobStatus.VALIDATING_FILES, False),
        (JobStatus.PAUSED, False),
        ("pending", False),
        ("notRunning", False),
        ("canceling", False),
        # Azure's spelling of "cancelled" (an alias), even as a hand-built raw string.
        ("canceled", True),
    ],
)
def test_is_terminal(status: JobStatus | str, terminal: bool) -> None:
    assert _job(status).is_terminal is terminal


def test_is_terminal_for_plain_string_of_known_value() -> None:
    # A hand-built job may carry the raw string; it still counts as terminal.
    assert _job("succeeded").is_terminal


def test_datetime_helpers() -> None:
    job = _job(finished_at=1_700_000_060, estimated_finish=None)
    assert job.created_at_datetime == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert job.created_at_datetime.tzinfo is UTC
    assert job.finished_at_datetime == datetime(2023, 11, 14, 22, 14, 20, tzinfo=UTC)
    assert job.estimated_finish_datetime is None
    assert _job().finished_at_datetime is None
    assert _job(estimated_finish=0).estimated_finish_datetime == datetime(1970, 1, 1, tzinfo=UTC)


def test_defaults_are_lenient() -> None:
    job = _job()
    assert job.object == "fine_tuning.job"
    assert job.result_files == ()
    assert job.error is None
    assert job.organization_id is None
    assert job.integrations is None
    assert dict(job.extra) == {}
    assert job.request_id is None


def test_models_are_frozen_and_slotted() -> None:
    job = _job()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        job.status = JobStatus.FAILED  # type: ignore[misc]
    assert not hasattr(job, "__dict__")


def test_request_id_is_keyword_only_and_not_compared() -> None:
    a = _job(request_id="req_a")
    b = _job(request_id="req_b")
    assert a == b
    assert "req_a" not in repr(a)
    with pytest.raises(TypeError):
        FineTuningJobEvent("e", 1, "info", "m", "fine_tuning.job.event", None, None, {}, "req")  # type: ignore[call-arg]


def test_extra_takes_part_in_equality() -> None:
    assert _job(extra={"a": 1}) != _job(extra={"a": 2})
    assert "extra" not in repr(_job(extra={"a": 1}))


def test_method_builders() -> None:
    sup = FineTuneMethod.supervised_method(SupervisedHyperparameters(n_epochs=3))
    assert sup.type == "supervised"
    assert sup.supervised is not None
    assert sup.supervised.hyperparameters == SupervisedHyperparameters(n_epochs=3)
    assert sup.dpo is None and sup.reinforcement is None

    dpo = FineTuneMethod.dpo_method(DpoHyperparameters(beta="auto"))
    assert dpo.type == "dpo"
    assert dpo.dpo is not None and dpo.dpo.hyperparameters is not None
    assert dpo.dpo.hyperparameters.beta == "auto"

    grader = {"type": "string_check", "input": "{{sample.output_text}}"}
    rl = FineTuneMethod.reinforcement_method(grader, ReinforcementHyperparameters(eval_samples=4))
    assert rl.type == "reinforcement"
    assert rl.reinforcement is not None
    assert rl.reinforcement.grader == grader
    assert rl.reinforcement.hyperparameters == ReinforcementHyperparameters(eval_samples=4)

    assert FineTuneMethod.supervised_method().supervised is not None


def test_wandb_integration_defaults() -> None:
    integ = WandbIntegration(WandbConfig(project="p"))
    assert integ.type == "wandb"
    assert integ.wandb.tags == ()
    assert integ.wandb.name is None and integ.wandb.entity is None


def _file(i: int) -> FileObject:
    return FileObject(id=f"file-{i}", bytes=1, created_at=0, filename="a", purpose="fine-tune")


def test_page_next_cursor() -> None:
    items = (_file(1), _file(2))
    assert Page(data=items, has_more=True).next_cursor == "file-2"
    assert Page(data=items, has_more=False).next_cursor is None
    assert Page[FileObject](data=(), has_more=True).next_cursor is None


def test_page_is_iterable_and_sized() -> None:
    items = (_file(1), _file(2), _file(3))
    page = Page(data=items, has_more=False)
    assert len(page) == 3
    assert [f.id for f in page] == ["file-1", "file-2", "file-3"]
    assert page.object == "list"
    assert page.first_id is None and page.last_id is None


def test_file_object_datetimes() -> None:
    f = FileObject(
        id="f", bytes=1, created_at=60, filename="a", purpose="fine-tune", expires_at=120
    )
    assert f.created_at_datetime == datetime(1970, 1, 1, 0, 1, tzinfo=UTC)
    assert f.expires_at_datetime == datetime(1970, 1, 1, 0, 2, tzinfo=UTC)
    assert _file(1).expires_at_datetime is None
