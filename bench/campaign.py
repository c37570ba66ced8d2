"""What a large campaign costs (``nox -s campaign_bench``): requests per member and the peak
memory of the process driving it.

A campaign of ``--members`` members (default 200: every combination of ``n_epochs``,
``learning_rate_multiplier`` and ``seed``, in that order, cut to the count) runs with
``client.jobs.run_campaign(max_active=8)`` against the emulator in its own process (so that
only the driver's memory is measured), under a daily limit per model that the campaign hits
(``--daily-limit``, default 150 creates in a rolling 24 h) and waits out.

Time is emulated and shared by both processes: emulated seconds flow ``--speed`` times faster
than real ones from one origin (`FlowingClock`), the emulator reports its timestamps in that
time, and the campaign computes and sleeps to the next daily slot on it. A job lasts about 20
emulated minutes. The waits run the default `PollPolicy` and request budget with every
duration divided by the speed (and no steering to the ETA, which is in emulated time), so the
request counts are those of the same campaign in real time, where a poll costs no time.

Counted: every request the emulator served (its own ``requests.total``), and the driver's
attempts split by kind from the ``ftjobs`` logger's records (creates and refused creates,
polls of one job, list pages, the report's reads of result files and checkpoints, retries);
the server's peak of active jobs per model, its refusals, and the members' jobs found by
metadata (duplicates). Memory: ``ru_maxrss`` of the driving process (``VmHWM``), before the
campaign and at its end.

Usage: ``python -m bench.campaign [--members 200] [--max-active 8] [--daily-limit 150]
[--speed 1000] [--out bench/results]``; writes ``campaign.json`` and ``campaign.md`` there
(``--out -`` prints only).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import multiprocessing
import platform
import re
import resource
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import ftjobs
from ftjobs.campaigns import CAMPAIGN_KEY, MEMBER_KEY, CampaignUpdate, SlotWait
from ftjobs.cli._samples import sample_file
from ftjobs.emulator import EmulatorConfig, SystemClock, Timings, serve_emulator

MODEL = "gpt-4o-mini-2024-07-18"
API_KEY = "sk-bench-campaign"
NAME = "bench-sweep"
# About 20 emulated minutes a job (12 examples, 1 to 4 epochs of 30 s steps).
TIMINGS = Timings(validate_seconds=120, queue_seconds=30, step_seconds=30, finalize_seconds=60)
ORIGIN_EMULATED = 1_800_000_000.0


class FlowingClock(SystemClock):
    """Emulated time ``speed`` times faster than real time, the same in every process given
    the same origins: the emulator's clock (its timestamps reported as emulated time, so the
    jobs' ``created_at`` and the daily window agree) and the campaign's (``now``, ``sleep``)."""

    def to_wall(self, emulated: float) -> float:
        return emulated

    async def sleep(self, seconds: float) -> None:
        target = self.now() + seconds
        # Time flows without telling anyone: look again after the real time it should take.
        while (left := target - self.now()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left / self.speed)


def _serve(conn: Connection, speed: float, origin_wall: float, daily_limit: int) -> None:
    """The emulator's process: serve until told to stop; answer ``"stats"``."""

    async def main() -> None:
        clock = FlowingClock(speed, origin_wall=origin_wall, origin_emulated=ORIGIN_EMULATED)
        config = EmulatorConfig(
            api_key=API_KEY, max_running_jobs=64, timings=TIMINGS, daily_job_limit=daily_limit
        )
        async with serve_emulator(config, clock=clock) as handle:
            conn.send(handle.base_url)
            loop = asyncio.get_running_loop()
            while (order := await loop.run_in_executor(None, conn.recv)) != "stop":
                conn.send(handle.stats() if order == "stats" else None)

    asyncio.run(main())


class RequestCounter(logging.Handler):
    """Counts the driver's HTTP attempts by kind, from the transport's DEBUG records (a
    retry counts under its kind and under ``retries``)."""

    _JOB = re.compile(r"/fine_tuning/jobs/[^/]+$")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        method = getattr(record, "ftjobs_method", None)
        if method is None:
            return
        path: str = getattr(record, "ftjobs_path", "")
        if getattr(record, "ftjobs_attempt", 1) > 1:
            self.kinds["retries"] += 1
        self.kinds[self.kind(method, path, getattr(record, "ftjobs_status", None))] += 1

    def kind(self, method: str, path: str, status: int | None) -> str:
        if path.endswith("/fine_tuning/jobs"):
            if method == "POST":
                return "creates" if status is not None and status < 300 else "refused_creates"
            return "lists"
        if method == "GET" and self._JOB.search(path):
            return "polls"
        if path.endswith("/checkpoints") or path.endswith("/content"):
            return "report_reads"
        if method == "POST" and path.endswith("/files"):
            return "uploads"
        return "other"


def plan(members: int, training: str, validation: str) -> dict[str, Any]:
    """The campaign's plan: the first ``members`` points of n_epochs x learning rate, the 20
    pairs with seed 0, then with seed 1, and so on."""
    pairs = list(itertools.product([1, 2, 3, 4], [0.5, 1.0, 2.0, 4.0, 8.0]))
    points = ((n, lr, seed) for seed in itertools.count() for n, lr in pairs)
    return {
        "name": NAME,
        "base": {"model": MODEL, "training_file": training, "validation_file": validation},
        "members": [
            {"n_epochs": n, "learning_rate_multiplier": lr, "seed": seed}
            for n, lr, seed in itertools.islice(points, members)
        ],
    }


def scaled_policies(speed: float) -> tuple[ftjobs.PollPolicy, ftjobs.waiting.RatePolicy]:
    """The default poll policy and request budget with every duration divided by ``speed``."""
    default, rates = ftjobs.PollPolicy(), ftjobs.waiting.RatePolicy()
    poll = ftjobs.PollPolicy(
        initial_interval=default.initial_interval / speed,
        max_interval=default.max_interval / speed,
        eta_interval=default.eta_interval / speed,
        max_rate_limited_interval=default.max_rate_limited_interval / speed,
        max_server_hint=default.max_server_hint / speed,
        failure_timeout=None,
        steer_to_eta=False,
    )
    budget = ftjobs.waiting.RatePolicy(
        rate=rates.rate * speed,
        burst=rates.burst,
        min_rate=rates.min_rate * speed,
        decrease_cooldown=rates.decrease_cooldown / speed,
        max_pause=rates.max_pause / speed,
    )
    return poll, budget


def peak_rss_mib() -> float:
    """``ru_maxrss`` of this process (KiB on Linux) in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def drive(args: argparse.Namespace, base_url: str, clock: FlowingClock) -> dict[str, Any]:
    counter = RequestCounter()
    logger = logging.getLogger("ftjobs")
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    poll, budget = scaled_policies(args.speed)
    waits: list[SlotWait] = []

    def on_update(update: CampaignUpdate) -> None:
        if isinstance(update, SlotWait):
            waits.append(update)

    try:
        async with ftjobs.AsyncClient(
            api_key=API_KEY, base_url=base_url, request_budget=budget
        ) as client:
            train = await client.files.upload(sample_file("supervised"), filename="train.jsonl")
            valid = await client.files.upload(
                sample_file("supervised", validation=True), filename="valid.jsonl"
            )
            campaign = ftjobs.Campaign.from_plan(plan(args.members, train.id, valid.id))
            rss_before = peak_rss_mib()
            started, emulated_start = time.perf_counter(), clock.now()
            report = await client.jobs.run_campaign(
                campaign, max_active=args.max_active, clock=clock, poll=poll, on_update=on_update
            )
            seconds, emulated = time.perf_counter() - started, clock.now() - emulated_start
            rss_after = peak_rss_mib()
            before_check = sum(counter.kinds.values()) - counter.kinds["retries"]
            jobs = [j async for j in client.jobs.find(metadata={CAMPAIGN_KEY: NAME})]
            check = sum(counter.kinds.values()) - counter.kinds["retries"] - before_check
            counter.kinds["lists"] -= check
    finally:
        logger.removeHandler(counter)
    members = Counter(int((job.metadata or {})[MEMBER_KEY]) for job in jobs)
    best = report.best()
    return {
        "members": args.members,
        "succeeded": len(report.succeeded),
        "jobs_on_server": len(jobs),
        "duplicates": len(jobs) - len(members),
        "lost": args.members - len(members),
        "client_requests": dict(sorted(counter.kinds.items())),
        "check_requests": check,
        "daily_waits": sum(1 for w in waits if w.reason == "daily_limit"),
        "longest_daily_wait_hours": max((w.seconds or 0 for w in waits), default=0) / 3600,
        "best": {"index": best.index, "params": dict(best.params), "valid_loss": best.valid_loss}
        if best
        else None,
        "real_seconds": seconds,
        "emulated_hours": emulated / 3600,
        "peak_rss_before_mib": rss_before,
        "peak_rss_mib": rss_after,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the campaign against an emulator in a child process; the figures."""
    origin_wall = time.time()
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(
        target=_serve, args=(theirs, args.speed, origin_wall, args.daily_limit), daemon=True
    )
    server.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the emulator did not start")
        base_url = ours.recv()
        clock = FlowingClock(args.speed, origin_wall=origin_wall, origin_emulated=ORIGIN_EMULATED)
        result = asyncio.run(drive(args, base_url, clock))
        ours.send("stats")
        stats = ours.recv()
        ours.send("stop")
    finally:
        server.join(30)
        if server.is_alive():
            server.kill()
    model = stats["models"][MODEL]
    # The benchmark's own duplicate check (a find by metadata after the end) is not the run's.
    served = stats["requests"]["total"] - result["check_requests"]
    return {
        **result,
        "max_active": args.max_active,
        "daily_limit": args.daily_limit,
        "speed": args.speed,
        "server": {
            "requests": served,
            "requests_by_status": stats["requests"]["by_status"],
            "creates": model["creates"],
            "peak_active": model["peak_active"],
            "daily_limit_refusals": model["daily_limit_refusals"],
            "active_limit_refusals": model["active_limit_refusals"],
        },
        "requests_per_member": served / args.members,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
    }


def markdown(r: dict[str, Any], command: str) -> str:
    n = r["members"]
    kinds = r["client_requests"]
    rows = [
        ("creates (201)", kinds.get("creates", 0)),
        ("creates refused (daily limit, 429)", kinds.get("refused_creates", 0)),
        ("polls of one job (GET /jobs/{id})", kinds.get("polls", 0)),
        (
            "list pages (GET /jobs: find by metadata, the watcher, the daily window)",
            kinds.get("lists", 0),
        ),
        ("report: result files and checkpoints", kinds.get("report_reads", 0)),
        ("uploads (the two files)", kinds.get("uploads", 0)),
        ("other", kinds.get("other", 0)),
        ("of which retries (attempt > 1)", kinds.get("retries", 0)),
    ]
    server = r["server"]
    lines = [
        "# A large campaign: requests per member and peak memory",
        "",
        f"`{command}` (Python {r['python']}, {r['machine']}; the emulator in its own process, "
        f"emulated time at {r['speed']:g}x, the default poll policy and request budget scaled "
        "to it).",
        "",
        f"{n} members, `max_active={r['max_active']}`, daily limit {r['daily_limit']} creates "
        f"per model in a rolling 24 h: {r['succeeded']} succeeded, {r['duplicates']} "
        f"duplicates, {r['lost']} lost; the server's peak of active jobs "
        f"{server['peak_active']}; daily-limit refusals: {server['daily_limit_refusals']}, "
        f"each waited out (waits: {r['daily_waits']}, the longest "
        f"{r['longest_daily_wait_hours']:.1f} h); {r['emulated_hours']:.1f} emulated hours in "
        f"{r['real_seconds']:.0f} s.",
        "",
        "| requests (the driver's attempts) | total | per member |",
        "|---|---:|---:|",
        *(f"| {label} | {count:,} | {count / n:.2f} |" for label, count in rows),
        "| **served by the emulator** (less the benchmark's own check) | "
        f"**{server['requests']:,}** | **{r['requests_per_member']:.2f}** |",
        "",
        "| driving process | peak RSS (`ru_maxrss`) |",
        "|---|---:|",
        f"| before the campaign (imports, client, uploads) | {r['peak_rss_before_mib']:.1f} MiB |",
        f"| at its end ({n} members, their report) | {r['peak_rss_mib']:.1f} MiB |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, write the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--max-active", type=int, default=8)
    parser.add_argument("--daily-limit", type=int, default=150)
    parser.add_argument("--speed", type=float, default=1000.0, help="emulated s per real s")
    parser.add_argument("--out", default="bench/results", help="directory, or - to only print")
    args = parser.parse_args(argv)
    if args.members < 1 or args.max_active < 1 or args.daily_limit < 1 or args.speed <= 0:
        parser.error("--members, --max-active, --daily-limit and --speed must be positive")
    result = measure(args)
    command = "python -m bench.campaign " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(result, command.strip())
    print(text)
    if args.out != "-":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "campaign.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        (out / "campaign.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
