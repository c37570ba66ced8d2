"""ftjobs._describe: every job update reads as one short line (``on_update=print``)."""

from __future__ import annotations

import re
from typing import Any

import ftjobs
from ftjobs._converter import structure
from ftjobs._describe import MAX_MESSAGE, format_duration, format_eta
from ftjobs._models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent
from tests._support.emulator import chat_file
from tests._support.live import FAST_POLL
from tests._support.payloads import event_payload, job_payload

NOW = 1_800_000_000.0


def _job(**overrides: Any) -> FineTuningJob:
    return structure(job_payload(**overrides), FineTuningJob)


def _event(**overrides: Any) -> FineTuningJobEvent:
    return structure(event_payload("ftevent-1", **overrides), FineTuningJobEvent)


RUNNING = _job(status="running", estimated_finish=int(NOW) + 185)


def test_durations_round_up_so_a_pending_finish_never_reads_0s() -> None:
    assert format_duration(0.2) == "1s"
    assert format_duration(75) == "1m15s"
    assert format_duration(3700) == "1h01m"
    assert format_duration(-5) == "0s"
    assert format_eta(NOW + 0.4, NOW) == "ETA 1s"
    assert format_eta(NOW - 3, NOW) is None
    assert format_eta(None, NOW) is None


def test_a_metrics_event_reads_like_the_issue_example() -> None:
    event = _event(data={"step": 12, "total_steps": 40, "train_loss": 0.8412, "valid_loss": 0.9})
    update = ftjobs.EventReceived(RUNNING, event)
    assert update.describe(NOW) == "running, step 12/40, loss 0.841, valid loss 0.9, ETA 3m05s"
    # Past its estimate, a running job shows no ETA at all rather than "ETA 0s".
    assert update.describe(NOW + 500) == "running, step 12/40, loss 0.841, valid loss 0.9"


def test_a_message_event_is_its_message_on_one_line_and_cut_short() -> None:
    text = "line one\n  line two " + "x" * 300
    update = ftjobs.EventReceived(RUNNING, _event(type="message", data=None, message=text))
    line = update.describe(NOW + 500)
    assert line.startswith("running, line one line two xxx") and "\n" not in line
    assert line.endswith("…") and len(line) == len("running, ") + MAX_MESSAGE
    warn = ftjobs.EventReceived(RUNNING, _event(type="message", level="warn", message="slow"))
    assert warn.describe(NOW + 500) == "running, warn: slow"


def test_status_changes_name_the_previous_status_and_the_outcome() -> None:
    assert ftjobs.StatusChanged(_job(status="queued"), None).describe(NOW) == "queued"
    assert (
        ftjobs.StatusChanged(RUNNING, "queued").describe(NOW) == "running (was queued), ETA 3m05s"
    )
    done = _job(status="succeeded", fine_tuned_model="ft:gpt-4o-mini:org::abc", finished_at=1)
    assert (
        ftjobs.StatusChanged(done, "running").describe(NOW)
        == "succeeded (was running), model ft:gpt-4o-mini:org::abc"
    )
    failed = _job(
        status="failed",
        error={"code": "invalid_training_file", "message": "line 7 is not JSON", "param": None},
    )
    assert (
        ftjobs.StatusChanged(failed, "validating_files").describe(NOW)
        == "failed (was validating_files), invalid_training_file: line 7 is not JSON"
    )


def test_checkpoints_and_eta_changes() -> None:
    checkpoint = structure(
        {
            "id": "ftckpt-1",
            "created_at": 1,
            "fine_tuned_model_checkpoint": "ft:x:ckpt-step-20",
            "step_number": 20,
            "metrics": {"train_loss": 0.5, "valid_loss": 0.61},
        },
        FineTuningJobCheckpoint,
    )
    assert (
        ftjobs.CheckpointReceived(RUNNING, checkpoint).describe(NOW + 500)
        == "running, checkpoint at step 20, loss 0.5, valid loss 0.61"
    )
    eta = ftjobs.EtaChanged(RUNNING, int(NOW) + 300)
    assert eta.describe(NOW) == "running, ETA 3m05s (was 5m00s)"
    assert ftjobs.EtaChanged(RUNNING, None).describe(NOW) == "running, ETA 3m05s"
    unknown = ftjobs.EtaChanged(_job(status="running"), int(NOW) + 300)
    assert unknown.describe(NOW) == "running, ETA unknown (was 5m00s)"
    assert eta.describe(NOW + 400) == "running, ETA passed (was passed)"


def test_str_is_describe_on_the_wall_clock() -> None:
    update = ftjobs.StatusChanged(_job(status="running"), "queued")
    assert str(update) == update.describe(0) == "running (was queued)"


async def test_on_update_print_prints_one_short_line_per_update(
    fast_client: ftjobs.AsyncClient,
) -> None:
    training = await fast_client.files.upload(chat_file(20))
    job = await fast_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    updates = [u async for u in fast_client.jobs.watch(job.id, poll=FAST_POLL)]
    lines = [str(u) for u in updates]
    assert len(lines) > 20
    assert all("\n" not in line and len(line) <= 120 for line in lines), lines
    # An event's line leads with the job's status when it was fetched: at 300x on a loaded
    # machine the first look may already find the job past running, with every step behind it.
    assert any(re.match(r"succeeded \(was \w+\), model ft:gpt-4o-mini", line) for line in lines)
    assert any(re.match(r"(running|succeeded), step 1/\d+, loss ", line) for line in lines)
