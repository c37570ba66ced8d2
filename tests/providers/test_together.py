"""The Together dialect's pure parts: adapters and request bodies, without a request."""

from __future__ import annotations

from typing import Any

import pytest

from ftjobs.providers._together import (
    checkpoints_page,
    create_body,
    events_page,
    job,
    jobs_page,
    metrics_rows,
    price_body,
    upload_fields,
)
from tests._support.together import event


def test_adapters_leave_what_they_do_not_understand_to_the_model() -> None:
    for adapter in (job, jobs_page, events_page, checkpoints_page):
        assert adapter(["not", "an", "object"], "ft-1") == ["not", "an", "object"]
    assert jobs_page({"data": "nope"}, "") == {"data": "nope"}
    # The model then refuses it, naming the field (created_at is kept as sent).
    assert job({"id": "ft-1", "status": "running", "created_at": "soon"})["created_at"] == "soon"


def test_adapters_do_not_edit_their_argument() -> None:
    given: dict[str, Any] = {
        "id": "ft-1",
        "status": "completed",
        "created_at": "2024-01-01T00:00:00Z",
        "n_epochs": 2,
        "progress": {"estimate_available": False, "seconds_remaining": 0},
    }
    copy = {**given, "progress": dict(given["progress"])}
    job(given)
    assert given == copy


def test_the_same_event_twice_gets_two_ids_that_stay() -> None:
    twice = [event("2024-01-01T00:00:00Z", "tick"), event("2024-01-01T00:00:00Z", "tick")]
    first = events_page({"data": twice}, "ft-1")["data"]
    later = events_page({"data": [*twice, event("2024-01-01T00:00:01Z", "tock")]}, "ft-1")["data"]
    assert len({e["id"] for e in first}) == 2
    assert [e["id"] for e in later[1:]] == [e["id"] for e in first]
    # Another job's identical event is another event.
    other = events_page({"data": twice}, "ft-2")["data"]
    assert not {e["id"] for e in other} & {e["id"] for e in first}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("train.jsonl", "jsonl"), ("DATA.CSV", "csv"), ("x.parquet", "parquet"), ("x", "jsonl")],
)
def test_upload_fields(name: str, kind: str) -> None:
    assert upload_fields(name) == {"file_name": name, "file_type": kind}


def test_price_body_is_a_create_body_cut_to_the_estimates_fields() -> None:
    assert price_body(training_file="file-1", model=None, n_epochs=2, lora=True, lora_r=8) == {
        "training_file": "file-1",
        "n_epochs": 2,
        "training_type": {"type": "Lora", "lora_r": 8, "lora_alpha": 16},
    }


def test_train_on_inputs_alone_is_a_supervised_method() -> None:
    body = create_body(model="m", training_file="f", train_on_inputs=True)
    assert body["training_method"] == {"method": "sft", "train_on_inputs": True}
    with pytest.raises(ValueError, match="train_on_inputs"):
        create_body(
            model="m", training_file="f", train_on_inputs=True, method={"type": "dpo", "dpo": {}}
        )


def test_free_form_times_and_an_empty_metrics_answer_do_not_fail() -> None:
    # Together's schema types an event's and a checkpoint's created_at as any string.
    (only,) = events_page({"data": [event("sometime", "tick")]}, "ft-1")["data"]
    assert only["created_at"] == 0
    page = checkpoints_page({"data": [{"step": 1, "created_at": "x", "path": "p"}]}, "ft-1")
    assert page["data"][0]["created_at"] == 0
    # A job's are date-times: one that is not is left for the model to refuse.
    assert job({"id": "ft-1", "status": "running", "created_at": "x"})["created_at"] == "x"
    assert metrics_rows({}) == []
    with pytest.raises(ValueError, match="metrics"):
        metrics_rows({"metrics": "all of them"})
