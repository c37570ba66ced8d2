"""``ftjobs demo`` and ``jobs wait --follow`` in a real 80x24 pseudo-terminal.

Each run is replayed into pyte (see ``terminal.py``): no character may be drawn past the
terminal's last column, and what is left on the 80-column screen must be every row once, in
place (a redraw that lost count of the lines leaves stale or doubled rows behind).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator

import pytest

import ftjobs
from ftjobs.cli._samples import chat_examples
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator

from .helpers import emulator_env
from .terminal import run_in_terminal

PLANS = (
    "support-bot",
    "support-val",
    "billing-bot",
    "tone-dpo",
    "safety-dpo",
    "cancel-me",
    "pause-me",
    "broken-data",
)


async def _job(emulator: EmulatorHandle) -> str:
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        training = await c.files.upload(chat_examples(20))
        return (await c.jobs.create(model="gpt-4o-mini", training_file=training.id)).id


async def test_demo_stays_inside_80_columns_and_redraws_in_place() -> None:
    drawn = await asyncio.to_thread(run_in_terminal, "demo", "--speed", "40")
    assert drawn.code == 0, "\n".join(drawn.lines)
    assert drawn.widest <= 80, f"drew to column {drawn.widest}: {drawn.widest_text!r}"
    lines = drawn.lines
    # The live table is left once, in place, with its header; the summary follows.
    assert sum(line.startswith("PLAN") and "PROGRESS" in line for line in lines) == 1
    for plan in PLANS:
        assert sum(line.startswith(plan + "  ") for line in lines) == 2, (plan, lines)
    # The failed job's reason: under the live table, then in the summary.
    assert any(line.startswith("broken-data: invalid_training_file") for line in lines)
    assert any(line.startswith("broken-data failed: invalid_training_file") for line in lines)
    assert lines[-1].endswith("all as planned.")


async def test_demo_in_a_narrow_terminal_prints_one_line_per_change() -> None:
    drawn = await asyncio.to_thread(run_in_terminal, "demo", "--speed", "40", columns=50)
    assert drawn.code == 0, "\n".join(drawn.lines)
    assert drawn.widest <= 50, f"drew to column {drawn.widest}: {drawn.widest_text!r}"
    assert not any("PROGRESS" in line for line in drawn.raw.decode().splitlines())
    assert "support-bot: validating_files" in drawn.lines
    assert any(line.startswith("cancel-me: cancelled (was running)") for line in drawn.lines)


@pytest.fixture
async def one_slot_emulator() -> AsyncIterator[EmulatorHandle]:
    """A real-clock emulator running one job at a time, at 30x: a 60-step job takes ~3 s."""
    async with serve_emulator(EmulatorConfig(speed=30, max_running_jobs=1)) as handle:
        yield handle


async def test_wait_follow_stays_inside_80_columns_and_prints_each_line_once(
    one_slot_emulator: EmulatorHandle,
) -> None:
    emulator = one_slot_emulator
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        # A long job holds the only slot, so the followed one is still queued when the wait
        # starts drawing, however slowly the CLI starts; then it runs with the live row up.
        training = await c.files.upload(chat_examples(20))
        blocker = await c.jobs.create(
            model="gpt-4o-mini",
            training_file=training.id,
            method=ftjobs.FineTuneMethod.supervised_method(
                ftjobs.SupervisedHyperparameters(n_epochs=50)
            ),
        )
        job_id = (await c.jobs.create(model="gpt-4o-mini", training_file=training.id)).id
        drawing = threading.Event()
        run = asyncio.create_task(
            asyncio.to_thread(
                run_in_terminal,
                *("jobs", "wait", job_id, "--follow", "--interval", "0.1"),
                env=emulator_env(emulator),
                seen=(b"queued", drawing),
            )
        )
        await asyncio.to_thread(drawing.wait, 60)
        await c.jobs.cancel(blocker.id)
        drawn = await run
    assert drawn.code == 0, "\n".join(drawn.lines)
    assert drawn.widest <= 80, f"drew to column {drawn.widest}: {drawn.widest_text!r}"
    assert drawn.raw.count(b"running") > 3  # the live row was redrawn as the job ran
    steps = [m[1] for line in drawn.lines if (m := re.search(r"info   Step (\d+)/60:", line))]
    assert steps == [str(step) for step in range(1, 61)]
    # The live row is gone; the final status is the last line, printed once (wrapped at a
    # space by rich: the model name makes it longer than 80).
    assert not any(line.startswith("JOB") for line in drawn.lines)
    assert sum("succeeded" in line for line in drawn.lines) == 1
    assert drawn.lines[-2] == f"{job_id}: succeeded (was running), model"
    assert drawn.lines[-1].startswith("ft:gpt-4o-mini:")


async def test_ctrl_c_says_the_job_runs_on_and_how_to_resume_or_cancel(
    emulator: EmulatorHandle,
) -> None:
    job_id = await _job(emulator)
    drawn = await asyncio.to_thread(
        run_in_terminal,
        "jobs", "wait", job_id, "--follow", env=emulator_env(emulator), interrupt_on=b"STATUS",
    )  # fmt: skip
    assert drawn.code == 130, "\n".join(drawn.lines)
    assert drawn.widest <= 80
    text = " ".join(drawn.lines)
    assert f"job {job_id} is still running on the server (status validating_files)" in text
    assert drawn.lines[-2] == f"  resume waiting: ftjobs jobs wait {job_id} --follow"
    assert drawn.lines[-1] == f"  cancel the job: ftjobs jobs cancel {job_id}"
    # The printed command does what it says.
    cancel = drawn.lines[-1].split(": ", 1)[1].split()[1:]
    cancelled = await asyncio.to_thread(run_in_terminal, *cancel, env=emulator_env(emulator))
    assert cancelled.code == 0 and any("cancelled" in line for line in cancelled.lines)


async def test_lists_keep_status_and_dates_whole_at_80_columns(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    training = await live_client.files.upload(
        chat_examples(20), filename="customer-support-conversations-2026-q4-final-v2.jsonl"
    )
    done = await live_client.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=training.id, suffix="support-bot-v2"
    )
    emulator_clock.advance(1000)
    cancelled = await live_client.jobs.create(model="gpt-4.1-2025-04-14", training_file=training.id)
    await live_client.jobs.cancel(cancelled.id)
    fresh = await live_client.jobs.create(model="gpt-4o-2024-08-06", training_file=training.id)
    statuses = {done.id: "succeeded", cancelled.id: "cancelled", fresh.id: "validating_files"}
    date = r"\d{4}-\d\d-\d\d|\d+[smhd] ago"

    drawn = await asyncio.to_thread(run_in_terminal, "jobs", "list", env=emulator_env(emulator))
    assert drawn.code == 0 and drawn.widest <= 80, "\n".join(drawn.lines)
    header, *rows = [line for line in drawn.lines if line]
    assert header.split()[:2] == ["ID", "STATUS"] and header.split()[-2:] == ["CREATED", "FINISHED"]
    assert len(rows) == 3
    for row in rows:
        job_id = row.split()[0]
        assert row.split()[1] == statuses[job_id], row  # whole, not "succe…"
        dates = re.findall(date, row)
        assert len(dates) == (1 if job_id == fresh.id else 2), row
        assert "…" not in row.split()[1] and not row.rstrip().endswith("…")

    drawn = await asyncio.to_thread(run_in_terminal, "files", "list", env=emulator_env(emulator))
    assert drawn.code == 0 and drawn.widest <= 80, "\n".join(drawn.lines)
    header, *rows = [line for line in drawn.lines if line]
    assert "PURPOSE" in header and header.rstrip().endswith("CREATED")
    purposes = sorted(word for row in rows for word in row.split() if word.startswith("fine-tune"))
    assert purposes == ["fine-tune", "fine-tune-results"]  # whole, not "fine-t…"
    assert all(re.search(rf"({date})$", row.rstrip()) for row in rows), rows
