"""``ftjobs demo``: eight fine-tuning jobs on the embedded emulator, followed live.

Starts the emulator in-process, uploads generated training files (and a broken one), launches
supervised and DPO jobs concurrently, cancels one midway, pauses and resumes another, lets one
fail validation, follows them all with ``client.jobs.watch()``, and ends with a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import time

import attrs
from rich.console import Console
from rich.live import Live

from .. import (
    AsyncClient,
    BadRequestError,
    ConflictError,
    DpoHyperparameters,
    FineTuneMethod,
    FineTuningJob,
    JobStatus,
    PollPolicy,
    SupervisedHyperparameters,
)
from ..types import Auto
from ..waiting import JobUpdate, StatusChanged
from . import _output as output
from ._app import Commands
from ._progress import JobProgress, fits_live, live_view, print_line
from ._samples import chat_examples, preference_examples

__all__ = ["PLANS", "Plan", "register", "run_demo"]


def broken_lines(count: int, rng: random.Random) -> bytes:
    """A training file whose seventh line is not JSON."""
    good = chat_examples(count, rng).decode().splitlines()
    good[6] = '{"messages": [{"role": "user", "content": "unterminated'
    return ("\n".join(good) + "\n").encode()


@attrs.frozen
class Plan:
    """One demo job: what to create and what to do to it while it runs."""

    name: str
    method: str
    file: str
    action: str | None = None  # "cancel" or "pause"
    epochs: int | Auto = "auto"


PLANS = (
    Plan("support-bot", "supervised", "train"),
    Plan("support-val", "supervised", "train", epochs=2),
    Plan("billing-bot", "supervised", "train", epochs=2),
    Plan("tone-dpo", "dpo", "prefs"),
    Plan("safety-dpo", "dpo", "prefs", epochs=2),
    Plan("cancel-me", "supervised", "train", action="cancel"),
    Plan("pause-me", "supervised", "train", action="pause", epochs=2),
    Plan("broken-data", "supervised", "broken"),
)


@attrs.define
class _Row:
    plan: Plan
    progress: JobProgress
    started: float
    ended: float | None = None


def register(commands: Commands) -> None:
    """Add ``ftjobs demo``."""
    demo = commands.command("demo", run_demo, "run 8 jobs on the embedded emulator, live")
    demo.add_argument("--speed", type=float, default=25.0, help="emulator speed factor")
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")


async def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; exit code 0 when every job ended as planned."""
    from ..emulator import EmulatorConfig, serve_emulator

    rng = random.Random(args.seed)
    console = output.stdout()
    started = time.monotonic()
    config = EmulatorConfig(speed=args.speed, max_running_jobs=4)
    async with (
        serve_emulator(config) as emulator,
        AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as client,
    ):
        _say(args, console, f"emulator at {emulator.base_url} (speed x{args.speed:g})")
        uploads = await asyncio.gather(
            client.files.upload(chat_examples(40, rng), filename="train.jsonl"),
            client.files.upload(chat_examples(12, rng), filename="valid.jsonl"),
            client.files.upload(preference_examples(30, rng), filename="prefs.jsonl"),
            client.files.upload(broken_lines(20, rng), filename="broken.jsonl"),
        )
        files = dict(
            zip(("train", "valid", "prefs", "broken"), (f.id for f in uploads), strict=True)
        )
        jobs = await asyncio.gather(*(_create(client, plan, files) for plan in PLANS))
        rows = [
            _Row(plan, JobProgress(job.id, status=str(job.status)), time.monotonic())
            for plan, job in zip(PLANS, jobs, strict=True)
        ]
        _say(args, console, f"uploaded 4 files, created {len(rows)} jobs; following them:")
        view = _DemoView(console, rows, quiet=args.json)
        poll = PollPolicy(initial_interval=0.2, max_interval=1.0, timeout=120)
        with view:
            painter = asyncio.create_task(view.paint())
            try:
                await asyncio.gather(*(_follow(client, row, poll, view) for row in rows))
            finally:
                painter.cancel()
                view.redraw()
        requests = emulator.stats()["requests"]["total"]
    elapsed = time.monotonic() - started
    ok = all(_as_planned(row) for row in rows)
    _summary(rows, args, console, elapsed, requests, ok)
    return 0 if ok else 1


class _DemoView:
    """The jobs as a live table on a terminal that fits it, else one line per status change."""

    def __init__(self, console: Console, rows: list[_Row], *, quiet: bool) -> None:
        self.console = console
        self.rows = rows
        self.quiet = quiet
        self.live: Live | None = None
        if not quiet and fits_live(console, len(rows)):
            self.live = Live(console=console, auto_refresh=False)

    def __enter__(self) -> _DemoView:
        if self.live is not None:
            self.live.start()
        self.redraw()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live is not None:
            self.live.stop()

    def changed(self, row: _Row, update: JobUpdate) -> None:
        if self.live is None and not self.quiet and isinstance(update, StatusChanged):
            print_line(self.console, f"{row.plan.name}: {update.describe(time.time())}")

    def redraw(self) -> None:
        if self.live is not None:
            table = [(row.plan.name, row.progress) for row in self.rows]
            self.live.update(
                live_view("plan", table, self.console.width, time.time()), refresh=True
            )

    async def paint(self) -> None:
        while True:
            self.redraw()
            await asyncio.sleep(0.25)


async def _create(client: AsyncClient, plan: Plan, files: dict[str, str]) -> FineTuningJob:
    method = (
        FineTuneMethod.dpo_method(DpoHyperparameters(n_epochs=plan.epochs))
        if plan.method == "dpo"
        else FineTuneMethod.supervised_method(SupervisedHyperparameters(n_epochs=plan.epochs))
    )
    return await client.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=files[plan.file],
        validation_file=files["valid"] if plan.name == "support-val" else None,
        suffix=plan.name,
        seed=42,
        method=method,
        metadata={"demo": "true", "plan": plan.name},
    )


async def _follow(client: AsyncClient, row: _Row, poll: PollPolicy, view: _DemoView) -> None:
    job_id = row.progress.job_id
    action: asyncio.Task[None] | None = None
    async for update in client.jobs.watch(job_id, poll=poll):
        row.progress = row.progress.apply(update)
        view.changed(row, update)
        if row.plan.action and action is None and row.progress.step:
            # In the background, so the watch sees the pause while the action sleeps.
            action = asyncio.create_task(_act(client, row.plan.action, job_id))
    row.ended = time.monotonic()
    if action is not None:
        await action


async def _act(client: AsyncClient, action: str, job_id: str) -> None:
    """Cancel, or pause and resume 1.5 s later; the job may have ended meanwhile (at a high
    ``--speed``), and then the summary says it did not go as planned, rather than failing."""
    with contextlib.suppress(BadRequestError, ConflictError):
        if action == "cancel":
            await client.jobs.cancel(job_id)
            return
        await client.jobs.pause(job_id)
        await asyncio.sleep(1.5)
        await client.jobs.resume(job_id)


def _expected(row: _Row) -> JobStatus:
    if row.plan.action == "cancel":
        return JobStatus.CANCELLED
    if row.plan.file == "broken":
        return JobStatus.FAILED
    return JobStatus.SUCCEEDED


def _as_planned(row: _Row) -> bool:
    return row.progress.status == _expected(row).value


def _say(args: argparse.Namespace, console: Console, text: str) -> None:
    if not args.json:
        print_line(console, text)


def _summary(
    rows: list[_Row],
    args: argparse.Namespace,
    console: Console,
    elapsed: float,
    requests: int,
    ok: bool,
) -> None:
    jobs = [
        {
            "plan": row.plan.name,
            "method": row.plan.method,
            "job": row.progress.job_id,
            "status": row.progress.status,
            "expected": _expected(row).value,
            "error": row.progress.error,
            "fine_tuned_model": row.progress.model,
            "trained_tokens": row.progress.trained_tokens,
            "final_loss": row.progress.train_loss,
            "wall_seconds": round((row.ended or time.monotonic()) - row.started, 2),
        }
        for row in rows
    ]
    if args.json:
        summary = {"jobs": jobs, "requests": requests, "seconds": round(elapsed, 2), "ok": ok}
        print(json.dumps(summary, indent=2))
        return
    output.say(console, "")
    output.table(
        console,
        ("plan", "status", "loss", "tokens", "secs", "fine_tuned_model"),
        [
            [
                job["plan"],
                job["status"]
                if job["status"] == job["expected"]
                else f"{job['status']} (expected {job['expected']})",
                job["final_loss"],
                job["trained_tokens"],
                job["wall_seconds"],
                job["fine_tuned_model"],
            ]
            for job in jobs
        ],
    )
    for job in jobs:
        if job["error"]:
            output.say(console, f"{job['plan']} failed: {job['error']}")
    verdict = "all as planned" if ok else "NOT as planned"
    output.say(
        console,
        f"\n{len(rows)} jobs in {elapsed:.1f}s with {requests} API requests "
        f"({requests / len(rows):.0f} per job); {verdict}.",
    )
