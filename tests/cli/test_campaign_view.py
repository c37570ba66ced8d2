"""What ``ftjobs campaign run`` shows: the footer's lines (pure) and the plain lines of a run
that is not on a terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

import ftjobs
from ftjobs.campaigns import (
    Campaign,
    CampaignMember,
    CampaignProgress,
    CampaignReport,
    CampaignRow,
    MemberCreated,
    MemberEnded,
    SlotWait,
)
from ftjobs.cli._campaign_view import (
    ActiveMember,
    CampaignView,
    counts_line,
    footer_lines,
    params_text,
    slot_line,
)
from ftjobs.cli._campaigns import _show_report

NOW = 1_800_000_000.0
MODEL = "gpt-4o-mini-2024-07-18"


def _progress(**changes: Any) -> CampaignProgress:
    values: dict[str, Any] = {"active": 3, "pending": 30, "done": 2, "failed": 1, "next_slot": None}
    values.update(changes)
    return CampaignProgress(**values)


def _job(job_id: str, status: str = "validating_files", created_at: int = int(NOW)) -> Any:
    return ftjobs.FineTuningJob(
        id=job_id,
        created_at=created_at,
        model=MODEL,
        organization_id="org-x",
        status=status,
        training_file="file-t",
    )


def test_the_counts_and_the_next_slot_read_as_people_say_them() -> None:
    assert counts_line(_progress()) == "active 3 · pending here 30 · done 2 · failed 1"
    assert slot_line(_progress(), NOW) is None
    waiting = _progress(next_slot=(MODEL, NOW + 6 * 3600 + 12 * 60))
    assert slot_line(waiting, NOW) == f"next slot for {MODEL} in 6 h 12 min"
    assert slot_line(waiting, NOW + 6 * 3600 + 11 * 60) == f"next slot for {MODEL} in 1 min"
    assert params_text({"n_epochs": 2, "learning_rate_multiplier": 0.5}) == (
        "n_epochs=2 learning_rate_multiplier=0.5"
    )


def test_the_footer_fits_its_width_and_height_and_says_how_many_more() -> None:
    active = [
        ActiveMember(i, "n_epochs=3 learning_rate_multiplier=0.5 " * 3, f"ftjob-{i:024d}", int(NOW))
        for i in range(10)
    ]
    progress = _progress(active=10, next_slot=(MODEL, NOW + 3600))
    lines = footer_lines(progress, active, NOW + 125, width=60, height=6)
    assert len(lines) == 6 and all(len(line) <= 60 for line in lines)
    assert lines[0] == "active 10 · pending here 30 · done 2 · failed 1"
    assert lines[1] == f"next slot for {MODEL} in 57 min"
    assert lines[2].startswith(f"#0  ftjob-{0:024d}  created 2m ago  n_epo")
    assert lines[2].endswith("…")
    assert lines[-1] == "… and 7 more active"
    everyone = footer_lines(_progress(active=2), active[:2], NOW, width=200, height=6)
    assert len(everyone) == 3 and not everyone[-1].startswith("…")


def test_off_a_terminal_each_update_is_a_line_and_the_counts_follow_an_end() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80)
    campaign = Campaign(
        "view",
        members=[
            {"model": MODEL, "training_file": "file-t", "seed": 1},
            {"model": MODEL, "training_file": "file-t", "seed": 2},
        ],
    )
    view = CampaignView(console, campaign, quiet=False)
    assert view.live is None  # not a terminal: no footer
    progress = _progress(active=1, pending=1, done=0, failed=0)
    view.follow(lambda: progress)
    with view:
        view.update(MemberCreated(0, 0, _job("ftjob-a")))
        view.update(SlotWait(MODEL, NOW + 60, "daily_limit", 60.0))
        progress = _progress(active=0, pending=1, done=1, failed=0)
        ended = CampaignMember(0, {"seed": 1}, _job("ftjob-a", "succeeded"), ("ftjob-a",))
        view.update(MemberEnded(ended))
    lines = [line.split("  ", 1)[1] for line in out.getvalue().splitlines() if "  " in line]
    assert out.getvalue().splitlines()[-1] == "active 0 · pending here 1 · done 1 · failed 0"
    assert lines == [
        "member 0: created ftjob-a",
        f"next slot for {MODEL} in 1 min",
        "member 0: ftjob-a succeeded",
    ]

    quiet = io.StringIO()
    silent = CampaignView(Console(file=quiet), campaign, quiet=True)
    silent.update(MemberCreated(1, 0, _job("ftjob-b")))
    assert quiet.getvalue() == ""


def test_a_report_without_the_asked_metric_names_one_that_ranks() -> None:
    # Trained without a validation file: no valid_loss anywhere, train_loss everywhere.
    rows = tuple(
        CampaignRow(i, {"n_epochs": i + 1}, f"ftjob-{i}", "succeeded", train_loss=0.5 - i / 10)
        for i in range(2)
    )
    console = Console(file=io.StringIO(), width=100)
    _show_report(console, CampaignReport("sweep", rows), "valid_loss")
    said = console.file.getvalue()  # type: ignore[attr-defined]
    assert "best by valid_loss: none (no succeeded member reports it; try --best train_loss)" in (
        said
    )
    console = Console(file=io.StringIO(), width=100)
    _show_report(console, CampaignReport("sweep", rows), "train_loss")
    assert "best by train_loss: member 1 (" in console.file.getvalue()  # type: ignore[attr-defined]
