"""ftjobs.waiting._updates: which updates a fresh view of a job makes, and the newest ids a
wait carries forward (pure)."""

from __future__ import annotations

from typing import Any

from ftjobs._converter import structure
from ftjobs._models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from ftjobs.waiting import CheckpointReceived, EtaChanged, EventReceived, StatusChanged
from ftjobs.waiting._updates import job_changes, newest_ids
from tests._support.payloads import event_payload, job_payload


def _job(**overrides: Any) -> FineTuningJob:
    return structure(job_payload(**overrides), FineTuningJob)


def _checkpoint(checkpoint_id: str) -> FineTuningJobCheckpoint:
    payload = {
        "id": checkpoint_id,
        "object": "fine_tuning.job.checkpoint",
        "created_at": 1_700_000_000,
        "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org::ckpt",
        "fine_tuning_job_id": "ftjob-abc123",
        "metrics": {"step": 1},
        "step_number": 1,
    }
    return structure(payload, FineTuningJobCheckpoint)


def test_the_first_view_reports_its_status_and_no_eta_change() -> None:
    job = _job(status="queued", estimated_finish=1_800_000_000)
    assert job_changes(job, None, None) == [StatusChanged(job, None)]


def test_a_status_and_an_eta_change_are_reported_in_that_order() -> None:
    before = _job(status="queued", estimated_finish=100)
    after = _job(status="running", estimated_finish=200)
    assert job_changes(after, "queued", before) == [
        StatusChanged(after, "queued"),
        EtaChanged(after, 100),
    ]


def test_an_unchanged_view_makes_no_update() -> None:
    job = _job(status="running", estimated_finish=100)
    assert job_changes(job, "running", job) == []


def test_newest_ids_are_the_last_event_and_checkpoint_delivered() -> None:
    job = _job(status="running")
    events = [structure(event_payload(i), FineTuningJobEvent) for i in ("ev-1", "ev-2")]
    updates = [
        StatusChanged(job, None),
        EventReceived(job, events[0]),
        EventReceived(job, events[1]),
        CheckpointReceived(job, _checkpoint("ckpt-1")),
    ]
    assert newest_ids(list(updates)) == ("ev-2", "ckpt-1")
    assert newest_ids([StatusChanged(job, None)]) == (None, None)
