"""Pure lifecycle tests: a Fleet driven by explicit times (no clock, no socket, no sleep)."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import attrs
import pytest

from ftjobs.emulator._config import Timings
from ftjobs.emulator._fleet import Fleet
from ftjobs.emulator._lifecycle import (
    CheckpointRecord,
    EventRecord,
    JobState,
    Outcome,
    ResultFile,
    TransitionError,
    estimated_finish,
    new_job,
)
from ftjobs.emulator._validation import DatasetReport
from tests._support.emulator import job_request

T0 = 1_000_000.0
TIMINGS = Timings()  # validate 5 s, queue 2 s, step 1 s, finalize 2 s, 3 epochs
GOOD = DatasetReport(n_examples=4, n_tokens=100)  # batch 1 -> 4 steps/epoch -> 12 steps
# Timeline of a lone job created at T0: queued T0+5, running T0+7, step k at T0+7+k,
# last step T0+19, succeeded T0+21.


class World:
    """A fleet plus everything it emitted, for assertions."""

    def __init__(self, max_running: int = 4, timings: Timings = TIMINGS) -> None:
        self.fleet = Fleet(timings, max_running)
        self.fleet.advance(T0)
        self.events: list[EventRecord] = []
        self.checkpoints: list[CheckpointRecord] = []
        self.results: list[ResultFile] = []
        self._n = 0

    def add(
        self,
        *,
        training: DatasetReport = GOOD,
        validation: DatasetReport | None = None,
        outcome: Outcome | None = None,
        **body: Any,
    ) -> str:
        job_id = f"ftjob-{self._n}"
        transition = new_job(
            job_request(**body),
            job_id=job_id,
            seq=self._n,
            at=self.fleet.now,
            organization_id="org-acme",
            training=training,
            validation=validation,
            outcome=outcome,
            seed=42,
        )
        self._n += 1
        self.fleet.add(transition)
        self._collect()
        return job_id

    def _collect(self) -> None:
        _, records = self.fleet.drain()
        for record in records:
            if isinstance(record, EventRecord):
                self.events.append(record)
            elif isinstance(record, CheckpointRecord):
                self.checkpoints.append(record)
            else:
                self.results.append(record)

    def at(self, offset: float) -> World:
        self.fleet.advance(T0 + offset)
        self._collect()
        return self

    def act(self, job_id: str, action: str, offset: float) -> JobState:
        job = self.fleet.act(job_id, action, T0 + offset)
        self._collect()
        return job

    def job(self, job_id: str) -> JobState:
        return self.fleet.jobs[job_id]

    def status(self, job_id: str) -> str:
        return self.job(job_id).status

    def events_of(self, job_id: str, type: str | None = None) -> list[EventRecord]:
        return [e for e in self.events if e.job_id == job_id and (type is None or e.type == type)]

    def steps_of(self, job_id: str) -> list[int]:
        return [int(e.data["step"]) for e in self.events_of(job_id, "metrics")]


def test_each_transition_happens_at_its_time() -> None:
    world = World()
    job_id = world.add(suffix="demo")
    assert world.status(job_id) == "validating_files"
    assert world.at(4.99).status(job_id) == "validating_files"
    assert world.at(5).status(job_id) == "queued"
    assert world.job(job_id).n_epochs == 3 and world.job(job_id).total_steps == 12
    assert world.job(job_id).hyperparameters == {
        "batch_size": 1,
        "learning_rate_multiplier": 1.8,
        "n_epochs": 3,
    }
    assert world.at(6.99).status(job_id) == "queued"
    assert world.at(7).status(job_id) == "running"
    assert world.at(7 + 5.5).steps_of(job_id) == [1, 2, 3, 4, 5]
    assert world.at(19).status(job_id) == "running"  # last step done, finalizing
    assert world.steps_of(job_id) == list(range(1, 13))
    job = world.at(21).job(job_id)
    assert job.status == "succeeded"
    assert job.finished_at == T0 + 21
    assert job.fine_tuned_model is not None
    assert job.fine_tuned_model.startswith("ft:gpt-4o-mini:acme:demo:")
    assert job.trained_tokens == 100 * 3
    assert job.result_files == (world.results[0].id,)
    assert job.error is None


def test_one_big_jump_equals_many_small_steps() -> None:
    lazy, eager = World(), World()
    lazy.add()
    eager.add()
    lazy.at(100)
    for tick in range(1, 101):
        eager.at(tick * 0.37 if tick * 0.37 < 100 else 100)
    eager.at(100)
    assert lazy.events == eager.events
    assert lazy.checkpoints == eager.checkpoints
    assert lazy.job("ftjob-0") == eager.job("ftjob-0")


def test_events_are_timestamped_when_they_happened_not_when_observed() -> None:
    world = World()
    job_id = world.add()
    world.at(1000)
    step_times = [e.created_at - T0 for e in world.events_of(job_id, "metrics")]
    assert step_times == [7 + k for k in range(1, 13)]
    assert [e.message for e in world.events_of(job_id)][:3] == [
        f"Created fine-tuning job: {job_id}",
        "Validating training file: file-train",
        "Files validated, moving job to queued state",
    ]
    assert world.events_of(job_id, "metrics")[0].message.startswith("Step 1/12: training loss=")


def test_checkpoints_at_epoch_ends_and_results_csv() -> None:
    world = World()
    job_id = world.add(
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 5}}}
    )
    world.at(1000)
    job = world.job(job_id)
    assert job.total_steps == 20
    # only the last three epochs keep a checkpoint, like the real service
    assert [c.step_number for c in world.checkpoints] == [12, 16, 20]
    assert (
        world.checkpoints[-1].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-20"
    )
    assert set(world.checkpoints[0].metrics) >= {"step", "train_loss", "train_mean_token_accuracy"}
    rows = base64.b64decode(world.results[0].content, validate=True).decode().splitlines()
    # the service's columns; no validation file, so no full validation pass and empty cells
    assert rows[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(rows) == 1 + 20
    assert rows[1].startswith("1,") and rows[1].endswith(",,")


def test_results_file_has_full_validation_at_epoch_ends_like_the_checkpoints() -> None:
    world = World()
    job_id = world.add(
        validation_file="file-valid",
        validation=GOOD,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
    )
    world.at(1000)
    assert world.job(job_id).steps_per_epoch == 4
    text = base64.b64decode(world.results[0].content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    ]
    assert [r["step"] for r in rows if r["full_valid_loss"]] == ["4", "8", "12"]
    assert all(r["valid_loss"] for r in rows)
    last = world.checkpoints[-1]
    assert float(rows[-1]["full_valid_loss"]) == last.metrics["full_valid_loss"]
    assert float(rows[-1]["train_accuracy"]) == last.metrics["train_mean_token_accuracy"]


def test_validation_file_adds_valid_metrics() -> None:
    world = World()
    job_id = world.add(validation_file="file-valid", validation=GOOD)
    world.at(1000)
    metric = world.events_of(job_id, "metrics")[0]
    assert "valid_loss" in metric.data and "validation loss=" in metric.message
    assert "full_valid_loss" in world.checkpoints[0].metrics


def test_model_name_has_empty_suffix_part_without_suffix() -> None:
    world = World()
    job_id = world.add()
    world.at(1000)
    name = world.job(job_id).fine_tuned_model
    assert name is not None
    parts = name.split(":")
    assert parts[:4] == ["ft", "gpt-4o-mini", "acme", ""] and len(parts[4]) == 8


def test_queue_limit_makes_jobs_wait_for_a_slot() -> None:
    world = World(max_running=2)
    ids = [world.add() for _ in range(4)]
    world.at(7)
    assert [world.status(i) for i in ids] == ["running", "running", "queued", "queued"]
    world.at(20.99)
    assert [world.status(i) for i in ids] == ["running", "running", "queued", "queued"]
    world.at(21)  # first two succeed at T0+21 and free their slots at that instant
    assert [world.status(i) for i in ids] == ["succeeded", "succeeded", "running", "running"]
    assert world.job(ids[2]).phase_started_at == T0 + 21
    world.at(1000)
    assert all(world.status(i) == "succeeded" for i in ids)
    assert world.job(ids[3]).finished_at == T0 + 21 + 14


def test_queue_is_first_in_first_out() -> None:
    world = World(max_running=1)
    first = world.add()
    world.at(3)
    second = world.add()
    third = world.add()
    world.at(7)
    assert world.status(first) == "running"
    world.at(21)
    assert world.status(second) == "running" and world.status(third) == "queued"


def test_pause_and_resume_continue_the_remaining_steps() -> None:
    world = World()
    job_id = world.add()
    world.at(7 + 4.5)
    paused = world.act(job_id, "pause", 7 + 4.5)
    assert paused.status == "paused" and paused.steps_done == 4
    assert estimated_finish(paused, TIMINGS) is None
    world.at(500)
    assert world.status(job_id) == "paused"
    assert world.steps_of(job_id) == [1, 2, 3, 4]
    resumed = world.act(job_id, "resume", 500)
    assert resumed.status == "running"  # a free slot takes it at once
    assert estimated_finish(resumed, TIMINGS) == T0 + 500 + 8 + 2
    world.at(1000)
    assert world.status(job_id) == "succeeded"
    assert world.steps_of(job_id) == list(range(1, 13))  # no step repeated or skipped
    messages = [e.message for e in world.events_of(job_id)]
    assert "Fine-tuning job paused at step 4/12" in messages
    assert "Fine-tuning job resumed" in messages
    assert world.job(job_id).finished_at == T0 + 510


def test_a_paused_job_frees_its_slot_and_resume_waits_for_one() -> None:
    world = World(max_running=1)
    first = world.add()
    world.at(8)
    second = world.add()
    world.act(first, "pause", 8)
    world.at(15)  # second: validated at 13, queued until 15
    assert world.status(second) == "running"
    assert world.act(first, "resume", 16).status == "queued"
    world.at(15 + 12 + 2)
    assert world.status(second) == "succeeded" and world.status(first) == "running"


@pytest.mark.parametrize(
    ("offset", "before"),
    [(1, "validating_files"), (6, "queued"), (10, "running")],
)
def test_cancel_at_each_stage(offset: float, before: str) -> None:
    world = World()
    job_id = world.add()
    world.at(offset)
    assert world.status(job_id) == before
    job = world.act(job_id, "cancel", offset)
    assert job.status == "cancelled" and job.finished_at == T0 + offset
    world.at(1000)
    assert world.status(job_id) == "cancelled"
    assert world.events_of(job_id)[-1].message == "Fine-tuning job cancelled"
    assert world.results == []


def test_cancel_a_paused_job() -> None:
    world = World()
    job_id = world.add()
    world.at(10)
    world.act(job_id, "pause", 10)
    assert world.act(job_id, "cancel", 11).status == "cancelled"


def test_cancelling_a_running_job_admits_the_next() -> None:
    world = World(max_running=1)
    first, second = world.add(), world.add()
    world.at(10)
    assert world.status(second) == "queued"
    world.act(first, "cancel", 10)
    assert world.status(second) == "running"


@pytest.mark.parametrize(
    ("offset", "action"),
    [
        (1000, "cancel"),  # succeeded
        (10, "resume"),  # running
        (6, "pause"),  # queued
        (1, "pause"),  # validating_files
        (1, "resume"),
        (1000, "pause"),
    ],
)
def test_impossible_transitions_raise(offset: float, action: str) -> None:
    world = World()
    job_id = world.add()
    world.at(offset)
    before = world.job(job_id)
    with pytest.raises(TransitionError, match=f"Cannot {action}"):
        world.act(job_id, action, offset)
    assert world.job(job_id) == before


def test_bad_training_file_fails_the_job_naming_the_line() -> None:
    world = World()
    bad = DatasetReport(
        2, 10, "invalid_training_file", "Invalid file format. Line 3: invalid JSON."
    )
    job_id = world.add(training=bad)
    job = world.at(5).job(job_id)
    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "invalid_training_file" and "Line 3" in job.error.message
    assert job.error.param == "training_file"
    assert job.finished_at == T0 + 5 and job.fine_tuned_model is None
    assert world.events_of(job_id)[-1].level == "error"


def test_bad_validation_file_fails_with_its_param() -> None:
    world = World()
    bad = DatasetReport(0, 0, "invalid_validation_file", "Line 1: invalid JSON.")
    job_id = world.add(validation_file="file-v", validation=bad)
    job = world.at(5).job(job_id)
    assert job.status == "failed" and job.error is not None
    assert job.error.param == "validation_file"


def test_scripted_failure_at_a_step() -> None:
    world = World()
    job_id = world.add(outcome=Outcome.failure(at_step=5, code="boom", message="it broke"))
    world.at(1000)
    job = world.job(job_id)
    assert job.status == "failed" and job.error is not None
    assert (job.error.code, job.error.message) == ("boom", "it broke")
    assert job.finished_at == T0 + 7 + 5
    assert world.steps_of(job_id) == [1, 2, 3, 4]
    assert job.fine_tuned_model is None and world.results == []


def test_scripted_failure_at_validation() -> None:
    world = World()
    job_id = world.add(outcome=Outcome.failure())
    job = world.at(5).job(job_id)
    assert job.status == "failed" and job.error is not None
    assert job.error.code == "invalid_training_file"


def test_scripting_a_running_job_takes_effect_at_the_next_step() -> None:
    world = World()
    job_id = world.add()
    world.at(10.5)
    world.fleet.script(job_id, Outcome.failure(at_step=1))
    world.at(1000)
    assert world.status(job_id) == "failed"
    assert world.steps_of(job_id) == [1, 2, 3]
    assert world.job(job_id).finished_at == T0 + 11


def test_estimated_finish_tracks_the_run() -> None:
    world = World()
    job_id = world.add()
    assert estimated_finish(world.job(job_id), TIMINGS) is None
    world.at(6)
    assert estimated_finish(world.job(job_id), TIMINGS) is None  # queued
    world.at(8)
    assert estimated_finish(world.job(job_id), TIMINGS) == T0 + 21
    world.at(1000)
    assert estimated_finish(world.job(job_id), TIMINGS) is None


def test_explicit_hyperparameters_drive_the_step_count() -> None:
    world = World()
    job_id = world.add(
        method={
            "type": "dpo",
            "dpo": {"hyperparameters": {"n_epochs": 2, "batch_size": 3, "beta": 0.5}},
        },
        training=DatasetReport(n_examples=10, n_tokens=50),
    )
    job = world.at(5).job(job_id)
    assert job.total_steps == 4 * 2
    assert job.method["dpo"]["hyperparameters"] == {
        "batch_size": 3,
        "learning_rate_multiplier": 1.8,
        "n_epochs": 2,
        "beta": 0.5,
    }


def test_auto_batch_size_bounds_steps_per_epoch() -> None:
    world = World()
    job_id = world.add(training=DatasetReport(n_examples=1000, n_tokens=10))
    job = world.at(5).job(job_id)
    assert job.steps_per_epoch <= TIMINGS.max_auto_steps_per_epoch
    assert job.hyperparameters["batch_size"] == 32


def test_same_inputs_same_outputs() -> None:
    def run() -> tuple[list[EventRecord], list[CheckpointRecord], list[ResultFile]]:
        world = World(max_running=1)
        for _ in range(3):
            world.add()
        world.at(2)
        world.act("ftjob-0", "cancel", 2)
        world.at(1000)
        return world.events, world.checkpoints, world.results

    first = run()
    assert first == run()
    assert all(first), "a run with no events, checkpoints or results compares equal trivially"


def test_fleet_reloaded_from_states_continues() -> None:
    world = World(max_running=1)
    first, second = world.add(), world.add()
    world.at(12.5)
    states = [attrs.evolve(j) for j in world.fleet]
    reloaded = Fleet(TIMINGS, 1)
    reloaded.load(states)
    reloaded.advance(T0 + 1000)
    _, records = reloaded.drain()
    steps = [
        r.data["step"]
        for r in records
        if isinstance(r, EventRecord) and r.job_id == first and r.type == "metrics"
    ]
    assert steps == list(range(6, 13))  # the 5 reported before are not repeated
    assert reloaded.jobs[first].status == "succeeded"
    assert reloaded.jobs[second].status == "succeeded"
