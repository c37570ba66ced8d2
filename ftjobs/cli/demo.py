"""``ftjobs demo``: eight fine-tuning jobs on the embedded emulator, followed live.

Starts the emulator in-process, uploads generated training files (and a broken one), launches
supervised and DPO jobs concurrently, cancels one midway, pauses and resumes another, lets one
fail validation, follows them all with ``client.jobs.watch()``, and ends with a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Iterable
from typing import Any

import attrs

from ..client import AsyncClient
from ..models import (
    Auto,
    DpoHyperparameters,
    FineTuneMethod,
    FineTuningJob,
    JobStatus,
    SupervisedHyperparameters,
)
from ..polling import PollPolicy
from . import output
from .progress import JobProgress

_TOPICS = ("billing", "shipping", "returns", "passwords", "invoices", "accounts", "refunds")


def _jsonl(examples: Iterable[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(example) for example in examples) + "\n").encode()


def supervised_lines(count: int, rng: random.Random) -> bytes:
    """A chat fine-tuning file of ``count`` examples."""
    return _jsonl(_chat_example(i, rng.choice(_TOPICS)) for i in range(count))


def _chat_example(i: int, topic: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are a concise support agent."},
            {"role": "user", "content": f"Question {i}: how do {topic} work?"},
            {"role": "assistant", "content": f"Here is how {topic} work, briefly."},
        ]
    }


def dpo_lines(count: int, rng: random.Random) -> bytes:
    """A preference (DPO) file of ``count`` examples."""
    return _jsonl(_preference_example(i, rng.choice(_TOPICS)) for i in range(count))


def _preference_example(i: int, topic: str) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Q{i}: {topic}?"}]},
        "preferred_output": [{"role": "assistant", "content": f"Clear answer about {topic}."}],
        "non_preferred_output": [{"role": "assistant", "content": "No idea."}],
    }


def broken_lines(count: int, rng: random.Random) -> bytes:
    """A training file whose seventh line is not JSON."""
    good = supervised_lines(count, rng).decode().splitlines()
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


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ftjobs demo``."""
    parser.add_argument("--speed", type=float, default=25.0, help="emulator speed factor")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


async def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; exit code 0 when every job ended as planned."""
    from ..emulator import EmulatorConfig, serve_emulator

    rng = random.Random(args.seed)
    live = sys.stdout.isatty() and not args.json
    started = time.monotonic()
    config = EmulatorConfig(speed=args.speed, max_running_jobs=4)
    async with (
        serve_emulator(config) as emulator,
        AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as client,
    ):
        _say(args, f"emulator at {emulator.base_url} (speed x{args.speed:g}); uploading files")
        uploads = await asyncio.gather(
            client.files.upload(supervised_lines(40, rng), filename="train.jsonl"),
            client.files.upload(supervised_lines(12, rng), filename="valid.jsonl"),
            client.files.upload(dpo_lines(30, rng), filename="prefs.jsonl"),
            client.files.upload(broken_lines(20, rng), filename="broken.jsonl"),
        )
        files = dict(
            zip(("train", "valid", "prefs", "broken"), (f.id for f in uploads), strict=True)
        )
        jobs = await asyncio.gather(*(_create(client, plan, files) for plan in PLANS))
        rows = {
            job.id: _Row(plan, JobProgress(job.id, status=str(job.status)), time.monotonic())
            for plan, job in zip(PLANS, jobs, strict=True)
        }
        _say(args, f"created {len(rows)} jobs; following them live\n")
        poll = PollPolicy(initial_interval=0.2, max_interval=1.0, timeout=120)
        painter = asyncio.create_task(_paint(rows, live, args))
        try:
            await asyncio.gather(
                *(
                    _follow(client, row, job.id, poll)
                    for job, row in zip(jobs, rows.values(), strict=True)
                )
            )
        finally:
            painter.cancel()
            await asyncio.gather(painter, return_exceptions=True)
        requests = emulator.stats()["requests"]["total"]
    if live:
        _draw(rows, previous_lines=len(rows) + 1)
    elapsed = time.monotonic() - started
    ok = all(_as_planned(row) for row in rows.values())
    _summary(rows, args, elapsed, requests, ok)
    return 0 if ok else 1


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


async def _follow(client: AsyncClient, row: _Row, job_id: str, poll: PollPolicy) -> None:
    acted = False
    async for update in client.jobs.watch(job_id, poll=poll):
        row.progress = row.progress.apply(update)
        step = row.progress.step or 0
        if row.plan.action and not acted and update.job.status == JobStatus.RUNNING and step >= 8:
            acted = True
            if row.plan.action == "cancel":
                await client.jobs.cancel(job_id)
            else:
                await client.jobs.pause(job_id)
                asyncio.get_running_loop().call_later(
                    1.5, lambda: asyncio.ensure_future(client.jobs.resume(job_id))
                )
    row.ended = time.monotonic()


def _expected(row: _Row) -> JobStatus:
    if row.plan.action == "cancel":
        return JobStatus.CANCELLED
    if row.plan.file == "broken":
        return JobStatus.FAILED
    return JobStatus.SUCCEEDED


def _as_planned(row: _Row) -> bool:
    return row.progress.status == _expected(row).value


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.json:
        print(text, flush=True)


def _draw(rows: dict[str, _Row], previous_lines: int) -> None:
    now = time.time()
    if previous_lines:
        print(f"\033[{previous_lines}F", end="")
    print(f"\033[K{'PLAN':<12}  {'JOB / STATUS / PROGRESS'}")
    for row in rows.values():
        print(f"\033[K{row.plan.name:<12}  {row.progress.line(now)}")
    sys.stdout.flush()


async def _paint(rows: dict[str, _Row], live: bool, args: argparse.Namespace) -> None:
    drawn = 0
    last: dict[str, str] = {}
    while True:
        if live:
            _draw(rows, drawn)
            drawn = len(rows) + 1
        elif not args.json:
            for row in rows.values():
                if last.get(row.progress.job_id) != row.progress.status:
                    last[row.progress.job_id] = row.progress.status
                    print(f"{row.plan.name:<12}  {row.progress.line(time.time())}", flush=True)
        await asyncio.sleep(0.25)


def _summary(
    rows: dict[str, _Row], args: argparse.Namespace, elapsed: float, requests: int, ok: bool
) -> None:
    table = [
        {
            "plan": row.plan.name,
            "method": row.plan.method,
            "job": job_id,
            "status": row.progress.status,
            "expected": _expected(row).value,
            "fine_tuned_model": row.progress.model,
            "trained_tokens": row.progress.trained_tokens,
            "final_loss": row.progress.train_loss,
            "wall_seconds": round((row.ended or time.monotonic()) - row.started, 2),
        }
        for job_id, row in rows.items()
    ]
    if args.json:
        print(
            json.dumps(
                {"jobs": table, "requests": requests, "seconds": round(elapsed, 2), "ok": ok},
                indent=2,
            )
        )
        return
    print()
    output.table(
        ("plan", "method", "status", "fine_tuned_model", "tokens", "final_loss", "wall_s"),
        [
            [
                r["plan"],
                r["method"],
                r["status"]
                if r["status"] == r["expected"]
                else f"{r['status']} (expected {r['expected']})",
                r["fine_tuned_model"],
                r["trained_tokens"],
                r["final_loss"],
                r["wall_seconds"],
            ]
            for r in table
        ],
    )
    print(
        f"\n{len(rows)} jobs in {elapsed:.1f}s with {requests} API requests "
        f"({requests / len(rows):.0f} per job); {'all as planned' if ok else 'NOT as planned'}."
    )
