"""ftjobs.metrics: parsing result files (as the service and gateways serve them), metrics
events, and picking the best checkpoint (pure)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftjobs._converter import structure
from ftjobs.metrics import (
    RESULTS_COLUMNS,
    StepMetrics,
    best_checkpoint,
    decode_results_file,
    metrics_csv,
    metrics_from_events,
    parse_results_file,
)
from ftjobs.types import FineTuningJobCheckpoint, FineTuningJobEvent

# The shape of a real result file: the service's columns, empty cells where not measured.
SERVICE_CSV = (
    b"step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,"
    b"full_valid_loss,full_valid_mean_token_accuracy\n"
    b"1,2.11,0.51,,,,\n"
    b"2,1.62,0.60,1.71,0.58,,\n"
    b"3,0.93,0.74,1.02,0.70,0.99,0.72\n"
)


def test_base64_result_file_as_the_service_writes_it() -> None:
    rows = parse_results_file(base64.b64encode(SERVICE_CSV))
    assert rows == (
        StepMetrics(1, 2.11, 0.51),
        StepMetrics(2, 1.62, 0.60, 1.71, 0.58),
        StepMetrics(3, 0.93, 0.74, 1.02, 0.70, 0.99, 0.72),
    )
    assert rows == parse_results_file(SERVICE_CSV)  # plain, as some gateways serve it


def test_base64_split_over_lines_and_the_other_accuracy_spelling() -> None:
    plain = b"step,train_loss,train_mean_token_accuracy\r\n2,1.5,0.6\r\n1,2.0,0.5\r\n"
    wrapped = base64.encodebytes(plain)  # 76-character lines, as some tools write it
    rows = parse_results_file(wrapped)
    assert rows == (StepMetrics(1, 2.0, 0.5), StepMetrics(2, 1.5, 0.6))  # by step
    assert rows[1].get("train_accuracy") == rows[1].get("train_mean_token_accuracy") == 0.6


def test_unknown_columns_and_bad_cells_are_ignored() -> None:
    rows = parse_results_file(b"step,train_loss,new_metric\n1,nan,7\n,1.0,1\n2,x,\n")
    assert rows == (StepMetrics(1), StepMetrics(2))


@pytest.mark.parametrize("content", [b"", b"not a csv at all!", b"\xff\xfe", b"a,b\n1,2\n"])
def test_not_a_result_file(content: bytes) -> None:
    with pytest.raises(ValueError, match="not a result file"):
        parse_results_file(content)


def test_decode_gives_the_csv_text() -> None:
    assert decode_results_file(base64.b64encode(SERVICE_CSV)) == SERVICE_CSV.decode()


def _event(n: int, created_at: int, data: dict[str, Any] | None, type: str = "metrics") -> Any:
    payload = {
        "id": f"ftevent-{n}",
        "object": "fine_tuning.job.event",
        "created_at": created_at,
        "level": "info",
        "message": "m",
        "type": type,
        "data": data,
    }
    return structure(payload, FineTuningJobEvent)


def test_metrics_from_events_newest_first_with_noise() -> None:
    events = [
        _event(5, 50, {"step": 2, "train_loss": 1.4, "total_steps": 9}),
        _event(4, 40, {"step": 2, "train_loss": 1.5}),  # an older report of step 2
        _event(3, 30, None, type="message"),
        _event(2, 20, {"step": 1, "train_loss": 2.0, "train_mean_token_accuracy": 0.5}),
        _event(1, 10, {"no": "step"}),
    ]
    assert metrics_from_events(events) == (
        StepMetrics(1, 2.0, 0.5),
        StepMetrics(2, 1.4),
    )


def _checkpoint(step: int, **metrics: float) -> FineTuningJobCheckpoint:
    payload = {
        "id": f"ftckpt_{step}",
        "object": "fine_tuning.job.checkpoint",
        "created_at": 1,
        "fine_tuned_model_checkpoint": f"ft:m:ckpt-step-{step}",
        "step_number": step,
        "fine_tuning_job_id": "ftjob-1",
        "metrics": {"step": step, **metrics},
    }
    return structure(payload, FineTuningJobCheckpoint)


def test_best_checkpoint_lowest_loss_highest_accuracy() -> None:
    checkpoints = [
        _checkpoint(30, valid_loss=0.9, valid_mean_token_accuracy=0.7, train_loss=0.2),
        _checkpoint(20, valid_loss=0.8, valid_mean_token_accuracy=0.6, train_loss=0.4),
        _checkpoint(10, valid_loss=1.1, valid_mean_token_accuracy=0.8, train_loss=0.6),
    ]
    assert best_checkpoint(checkpoints) == checkpoints[1]
    assert best_checkpoint(checkpoints, "train_loss") == checkpoints[0]
    assert best_checkpoint(checkpoints, "valid_mean_token_accuracy") == checkpoints[2]
    assert best_checkpoint([]) is None


def test_best_checkpoint_tie_goes_to_the_later_step() -> None:
    early, late = _checkpoint(10, train_loss=0.5), _checkpoint(20, train_loss=0.5)
    assert best_checkpoint([early, late], "train_loss") == late
    assert best_checkpoint([late, early], "train_loss") == late


def test_best_checkpoint_names_a_missing_or_unknown_metric() -> None:
    without_validation = [_checkpoint(10, train_loss=0.5)]
    with pytest.raises(ValueError, match="metric: no checkpoint reports valid_loss"):
        best_checkpoint(without_validation)
    with pytest.raises(ValueError, match="metric must be one of"):
        best_checkpoint(without_validation, "loss")


_value = st.none() | st.floats(0, 10, allow_nan=False).map(lambda v: round(v, 4))


@given(
    st.lists(
        st.builds(StepMetrics, st.integers(0, 10**6), *[_value] * 6),
        unique_by=lambda r: r.step,
        max_size=20,
    )
)
def test_metrics_csv_round_trips(rows: list[StepMetrics]) -> None:
    text = metrics_csv(rows, full_validation=True)
    assert text.splitlines()[0] == ",".join(RESULTS_COLUMNS)
    back = parse_results_file(base64.b64encode(text.encode()))
    assert back == tuple(sorted(rows, key=lambda r: r.step))


def test_metrics_csv_writes_full_validation_columns_only_when_there_are_some() -> None:
    assert metrics_csv([StepMetrics(1, 2.0)]).splitlines() == [
        "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy",
        "1,2,,,",
    ]
    assert "full_valid_loss" in metrics_csv([StepMetrics(3, full_valid_loss=0.5)])
