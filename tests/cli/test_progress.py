"""ftjobs.cli._progress: a job's progress folded from its updates, and the live table (pure)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

import ftjobs
from ftjobs._converter import structure
from ftjobs._models import FineTuningJob, FineTuningJobEvent
from ftjobs.cli._progress import JobProgress, fits_live, live_view
from tests._support.payloads import event_payload, job_payload

NOW = 1_800_000_000.0


def _job(**overrides: Any) -> FineTuningJob:
    return structure(job_payload(**overrides), FineTuningJob)


def _metrics(step: int, total: int, loss: float) -> FineTuningJobEvent:
    data = {"step": step, "total_steps": total, "train_loss": loss}
    return structure(event_payload(f"ev-{step}", data=data), FineTuningJobEvent)


def _render(view: Any, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=True, color_system=None).print(view)
    return out.getvalue().splitlines()


def test_progress_folds_status_steps_loss_and_the_failure_reason() -> None:
    running = _job(status="running", estimated_finish=int(NOW) + 65)
    progress = JobProgress("ftjob-abc123")
    for update in (
        ftjobs.StatusChanged(running, "queued"),
        ftjobs.EventReceived(running, _metrics(42, 60, 0.3123)),
    ):
        progress = progress.apply(update)
    assert (progress.status, progress.step, progress.total_steps) == ("running", 42, 60)
    assert progress.train_loss == 0.3123 and progress.eta(NOW) == "1m05s"
    failed = _job(
        status="failed",
        error={"code": "invalid_training_file", "message": "Line 7:\n bad JSON", "param": None},
    )
    progress = progress.apply(ftjobs.StatusChanged(failed, "running"))
    assert progress.error == "invalid_training_file: Line 7: bad JSON"
    assert progress.terminal and progress.eta(NOW) is None


def test_a_running_job_at_step_42_of_60_never_shows_eta_0s() -> None:
    for finish in (NOW + 0.2, NOW + 0.999, NOW, NOW - 5):
        progress = JobProgress(
            "ftjob-abc123", status="running", step=42, total_steps=60, estimated_finish=finish
        )
        eta = progress.eta(NOW)
        assert eta != "0s" and (eta is None or finish > NOW)
        row = _render(live_view("job", [("ftjob-abc123", progress)], 80, NOW), 80)[1]
        assert "42/60" in row and " 0s" not in row


def test_the_live_table_fits_every_width_and_shows_failures_under_it() -> None:
    rows = [
        ("support-bot", JobProgress("j1", status="running", step=12, total_steps=40)),
        (
            "broken-data",
            JobProgress(
                "j2", status="failed", error="invalid_training_file: " + "very long reason " * 9
            ),
        ),
    ]
    for width in (60, 80, 120):
        lines = _render(live_view("plan", rows, width, NOW), width)
        assert all(len(line) <= width for line in lines), (width, lines)
        assert lines[0].split()[:3] == ["PLAN", "STATUS", "PROGRESS"]
        assert lines[-1].startswith("broken-data: invalid_training_file: very long")


def test_a_live_table_only_where_it_fits() -> None:
    def console(width: int, height: int, *, terminal: bool = True) -> Console:
        return Console(file=io.StringIO(), width=width, height=height, force_terminal=terminal)

    assert fits_live(console(80, 24), 8)
    assert not fits_live(console(59, 24), 1)  # narrower: one line per change
    assert not fits_live(console(80, 12), 8)  # 8 rows and their failures would not fit
    assert not fits_live(console(200, 50, terminal=False), 1)  # piped
