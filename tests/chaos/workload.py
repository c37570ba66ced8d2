"""The chaos workload: a fleet of jobs driven through the SDK against a faulty emulator.

One run (`run_chaos`) starts an emulator on a `ManualClock` with faults on, then
through one `ftjobs.AsyncClient`:

1. uploads the training files (and one file that fails validation), concurrently;
2. creates ``jobs`` jobs concurrently, each with its own client-side idempotency key;
3. cancels some while they validate; moves the clock so the rest run (or fail validation);
4. pauses some and cancels others while they run, then resumes the paused ones;
5. lets emulated time flow and waits on every job (one ``wait_until_terminal`` each, then one
   ``wait_many`` over all of them);
6. lists everything back (jobs in small pages, files, events, checkpoints).

The clock only moves between phases until step 5, so every job's final state is known in
advance from the seed. Faults are drawn from the seed too; which request meets which fault
also depends on the order concurrent requests reach the server, so two runs of one seed see
the same kinds of trouble, not necessarily on the same requests.

The run never raises: it returns a `ChaosReport` whose ``problems`` list says what went
wrong (empty = pass) and whose figures feed the table printed by `format_table`.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import attrs

import ftjobs
from ftjobs.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    FaultConfig,
    ManualClock,
    serve_emulator,
)

__all__ = [
    "CHAOS_KEY",
    "DEFAULT_FAULTS",
    "ChaosConfig",
    "ChaosReport",
    "format_table",
    "run_chaos",
]

T = TypeVar("T")

#: The API key of every chaos run: distinctive, so a leak anywhere is easy to grep for.
CHAOS_KEY = "sk-chaos-SECRET-5c1d0e4b7a9f2e3d"

#: Every fault kind at once, about 26% of requests faulted plus 3% delayed past the read timeout.
DEFAULT_FAULTS = (
    "429=0.04,500=0.03,503=0.03,drop=0.03,drop_after=0.04,malformed=0.03,garbled=0.02,"
    "html=0.03,latency=0.03:0.8-1,retry_after=0.02"
)

FATES = ("succeed", "bad_file", "cancel_validating", "cancel_running", "pause_resume")
_EXPECTED = {
    "succeed": "succeeded",
    "bad_file": "failed",
    "cancel_validating": "cancelled",
    "cancel_running": "cancelled",
    "pause_resume": "succeeded",
}
# What an action may answer (Azure says "canceling" for a while, "notRunning" for queued).
_CANCELLING = ("cancelled", "canceling")
_RESUMED = ("queued", "running", "notRunning")
_TRAIN_EXAMPLES = 10
_JOBS_PER_FILE = 10


@attrs.frozen
class ChaosConfig:
    """One run: how many jobs, which seed, which faults."""

    jobs: int = 20
    seed: int = 1
    faults: str = DEFAULT_FAULTS
    max_retries: int = 10
    #: Operations (uploads, creates, actions, listings) in flight at once, as a real
    #: orchestrator would bound them; waits are paced by the client's request budget instead.
    concurrency: int = 32
    #: Seconds per attempt (the client's ``timeout``).
    read_timeout: float = 0.5
    #: Size of the client's connection pool (``None``: the client's default, 100).
    connection_limit: int | None = None
    #: ``False`` makes the emulator ignore Idempotency-Key: the suite must then see duplicates.
    honor_idempotency: bool = True
    #: ``"openai"`` (AsyncClient) or ``"azure"`` (AsyncAzureClient on the Azure dialect).
    dialect: str = "openai"


@attrs.define
class ChaosReport:
    """Figures of one run and the problems found (empty: the run passed)."""

    config: ChaosConfig
    problems: list[str] = attrs.Factory(list)
    jobs_requested: int = 0
    jobs_on_server: int = 0
    duplicates: int = 0
    missing: int = 0
    files_uploaded: int = 0
    files_on_server: int = 0
    waits_right: int = 0
    waits_total: int = 0
    requests: int = 0
    attempts_logged: int = 0
    retries: int = 0
    retries_by_cause: dict[str, int] = attrs.Factory(dict)
    idempotent_replays: int = 0
    faults: dict[str, int] = attrs.Factory(dict)
    unhandled: int = 0
    listed_jobs: int = 0
    seconds: float = 0.0
    #: Every log message, exception text and object repr the run produced (for secret checks).
    texts: list[str] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        """True when the run found no problem."""
        return not self.problems

    def leaks(self, secret: str) -> list[str]:
        """The captured texts that contain ``secret``."""
        return [text for text in self.texts if secret in text]


class _Capture(logging.Handler):
    """Keeps every record of the ``ftjobs`` logger tree."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for record in self.records:
            out.append(self.format(record))
            out.append(repr(record.__dict__))
        return out


def _chat_file(variant: int, examples: int = _TRAIN_EXAMPLES) -> bytes:
    lines = []
    for i in range(examples):
        lines.append(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"Question {variant}.{i}?"},
                        {"role": "assistant", "content": f"Answer {variant}.{i}."},
                    ]
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


def _bad_file() -> bytes:
    good = _chat_file(-1).decode().splitlines()
    good[3] = "this line is not JSON"
    return ("\n".join(good) + "\n").encode()


def _fates(jobs: int, rng: random.Random) -> list[str]:
    """Every fate at least once (when there is room), the rest mostly plain successes."""
    special = max(1, jobs // 8)
    fates = [fate for fate in FATES[1:] for _ in range(special)][: max(jobs - 1, 0)]
    fates += ["succeed"] * (jobs - len(fates))
    rng.shuffle(fates)
    return fates


class _Run:
    def __init__(self, config: ChaosConfig, report: ChaosReport) -> None:
        self.config = config
        self.report = report
        self.errors: list[str] = []
        self.slots = asyncio.Semaphore(config.concurrency)

    async def guard(self, what: str, awaitable: Awaitable[T], bounded: bool = True) -> T | None:
        """Await ``awaitable``; an exception becomes a problem instead of ending the run."""
        try:
            if not bounded:
                return await awaitable
            async with self.slots:
                return await awaitable
        except Exception as exc:  # the point of the suite: count, never crash
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
            self.report.texts.extend([str(exc), repr(exc)])
            return None

    async def gather(
        self, what: str, awaitables: Iterable[Awaitable[T]], bounded: bool = True
    ) -> list[T | None]:
        return list(
            await asyncio.gather(
                *(self.guard(f"{what}[{i}]", a, bounded) for i, a in enumerate(awaitables))
            )
        )


async def _collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


async def _tick(clock: ManualClock, emulated_per_tick: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        clock.advance(emulated_per_tick)
        await asyncio.sleep(0.005)


async def run_chaos(config: ChaosConfig) -> ChaosReport:
    """Run the workload once; never raises (see `ChaosReport`)."""
    report = ChaosReport(config=config)
    capture = _Capture()
    logger = logging.getLogger("ftjobs")
    old_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    old_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    started = time.perf_counter()
    try:
        await _run(config, report)
    except Exception as exc:  # a bug in the workload itself still yields a report
        report.problems.append(f"workload crashed: {type(exc).__name__}: {exc}")
    finally:
        # Let callbacks of closed connections run, so their failures are seen here.
        await asyncio.sleep(0)
        loop.set_exception_handler(old_handler)
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    report.seconds = time.perf_counter() - started
    report.unhandled = len(unhandled)
    for context in unhandled:
        report.problems.append(f"unhandled in event loop: {context.get('message')}")
        report.texts.append(repr(context))
    report.retries_by_cause = dict(
        collections.Counter(
            str(r.args[3]) if isinstance(r.args, tuple) and len(r.args) > 3 else "?"
            for r in capture.records
            if r.msg.startswith("retrying")
        )
    )
    report.retries = sum(report.retries_by_cause.values())
    report.attempts_logged = sum(1 for r in capture.records if hasattr(r, "ftjobs_attempt"))
    report.texts.extend(capture.texts())
    return report


def _client(config: ChaosConfig, emu: EmulatorHandle) -> ftjobs.AsyncClient:
    options: dict[str, Any] = {
        "retry_policy": ftjobs.RetryPolicy(
            max_retries=config.max_retries, initial_delay=0.01, max_delay=0.5, max_retry_after=0.1
        ),
        "timeout": config.read_timeout,
        "request_budget": ftjobs.waiting.RatePolicy(rate=300, burst=50, max_pause=0.2),
    }
    if config.connection_limit is not None:
        # Otherwise the client's default: queueing for a connection no longer counts
        # against the per-attempt timeout.
        options["connection_limit"] = config.connection_limit
    if config.dialect == "azure":
        return ftjobs.AsyncAzureClient(
            azure_endpoint=emu.azure_endpoint, api_key=CHAOS_KEY, **options
        )
    return ftjobs.AsyncClient(api_key=CHAOS_KEY, base_url=emu.base_url, **options)


async def _run(config: ChaosConfig, report: ChaosReport) -> None:
    rng = random.Random(config.seed)
    faults = FaultConfig.parse(f"{config.faults},seed={config.seed}")
    clock = ManualClock(time.time())
    emulator_config = EmulatorConfig(
        api_key=CHAOS_KEY,
        max_running_jobs=max(config.jobs, 1),
        faults=faults,
        honor_idempotency=config.honor_idempotency,
        dialect=config.dialect,
    )
    poll = ftjobs.PollPolicy(
        initial_interval=0.02, max_interval=0.2, timeout=120, failure_timeout=60
    )
    run = _Run(config, report)
    fates = _fates(config.jobs, rng)
    async with serve_emulator(emulator_config, clock=clock) as emu, _client(config, emu) as client:
        report.texts.append(repr(client))
        if config.dialect == "azure" and not isinstance(client, ftjobs.AsyncAzureClient):
            report.problems.append("the azure run did not use AsyncAzureClient")
        store = emu.store

        # 1. uploads
        n_files = max(1, math.ceil(config.jobs / _JOBS_PER_FILE))
        payloads = [_chat_file(i) for i in range(n_files)] + [_bad_file()]
        uploaded = await run.gather(
            "upload",
            (
                client.files.upload(data, filename=f"chaos-{i}.jsonl")
                for i, data in enumerate(payloads)
            ),
        )
        report.files_uploaded = len(payloads)
        report.texts.extend(repr(f) for f in uploaded)
        if any(f is None for f in uploaded):
            report.problems.extend(run.errors)
            return
        good_files = [f.id for f in uploaded[:-1] if f is not None]
        bad_file_id = uploaded[-1].id if uploaded[-1] is not None else ""

        # 2. creates, each with its own key
        keys = [f"chaos-{config.seed}-{i}" for i in range(config.jobs)]

        def create(i: int) -> Awaitable[ftjobs.FineTuningJob]:
            training = bad_file_id if fates[i] == "bad_file" else good_files[i % len(good_files)]
            return client.jobs.create(
                model="gpt-4o-mini-2024-07-18",
                training_file=training,
                suffix=f"chaos{i}",
                metadata={"chaos_key": keys[i]},
                method=ftjobs.FineTuneMethod.supervised_method(
                    ftjobs.SupervisedHyperparameters(n_epochs=2)
                ),
                idempotency_key=keys[i],
            )

        created = await run.gather("create", (create(i) for i in range(config.jobs)))
        report.jobs_requested = config.jobs
        report.texts.extend(repr(j) for j in created)
        ids = [job.id if job is not None else None for job in created]

        def pick(fate: str) -> list[int]:
            return [i for i, f in enumerate(fates) if f == fate and ids[i] is not None]

        # 3. cancel while validating; then validation ends and every slot takes a job
        actions: dict[int, str | None] = {}

        async def act(fate: str, verb: str) -> list[ftjobs.FineTuningJob | None]:
            chosen = pick(fate)
            action = getattr(client.jobs, verb)
            answers = await run.gather(f"{verb}({fate})", (action(ids[i]) for i in chosen))
            if verb == "cancel":
                for i, job in zip(chosen, answers, strict=True):
                    actions[i] = job.status if job is not None else None
            return answers

        await act("cancel_validating", "cancel")
        timings = emulator_config.timings
        clock.advance(timings.validate_seconds + timings.queue_seconds + 0.5)

        # 4. pause some, cancel others, while they run; resume the paused
        await act("cancel_running", "cancel")
        paused = await act("pause_resume", "pause")
        resumed = await act("pause_resume", "resume")
        for i, p, r in zip(pick("pause_resume"), paused, resumed, strict=True):
            if p is not None and p.status != "paused":
                report.problems.append(f"pause of job {ids[i]} answered {p.status!r}")
            if r is not None and r.status not in _RESUMED:
                report.problems.append(f"resume of job {ids[i]} answered {r.status!r}")
        for i, status in actions.items():
            if status is not None and status not in _CANCELLING:
                report.problems.append(f"cancel of job {ids[i]} answered {status!r}")

        # 5. time flows; wait on every job, one waiter each, then all at once
        stop = asyncio.Event()
        ticker = asyncio.create_task(_tick(clock, timings.step_seconds, stop))
        try:
            live = [i for i in range(config.jobs) if ids[i] is not None]
            finals = await run.gather(
                "wait",
                (client.jobs.wait_until_terminal(ids[i], poll=poll) for i in live),
                bounded=False,
            )
            result = await run.guard(
                "wait_many", client.jobs.wait_many([ids[i] for i in live], poll=poll), bounded=False
            )
        finally:
            stop.set()
            await ticker
        report.waits_total = len(live) + (len(live) if result is not None else 0)
        for i, final in zip(live, finals, strict=True):
            expected = _EXPECTED[fates[i]]
            if final is None:
                continue
            report.texts.append(repr(final))
            if final.status == expected:
                report.waits_right += 1
            else:
                report.problems.append(
                    f"job {ids[i]} ({fates[i]}) ended {final.status!r}, expected {expected!r}"
                )
        if result is not None:
            if result.pending:
                report.problems.append(f"wait_many left {len(result.pending)} jobs pending")
            for i in live:
                done = result.done.get(ids[i] or "")
                if done is not None and done.status == _EXPECTED[fates[i]]:
                    report.waits_right += 1
                elif done is not None:
                    report.problems.append(f"wait_many: job {ids[i]} is {done.status!r}")

        # 6. list everything back
        listed = await run.guard("list jobs", _collect(client.jobs.list(limit=7)))
        files = await run.guard("list files", _collect(client.files.list(purpose="fine-tune")))
        sample = pick("pause_resume")[:3] + pick("succeed")[:2]
        events = await run.gather(
            "list events", (_collect(client.jobs.list_events(ids[i], limit=5)) for i in sample)
        )
        checkpoints = await run.gather(
            "list checkpoints",
            (_collect(client.jobs.list_checkpoints(ids[i], limit=1)) for i in pick("succeed")[:3]),
        )
        for batch in [*events, *checkpoints]:
            report.texts.extend(repr(item) for item in batch or [])

        # -- the checks -------------------------------------------------------------------
        server_jobs = list(store.jobs())
        report.jobs_on_server = len(server_jobs)
        by_key = collections.Counter((job.metadata or {}).get("chaos_key") for job in server_jobs)
        report.duplicates = sum(count - 1 for count in by_key.values() if count > 1)
        report.missing = sum(1 for key in keys if by_key[key] == 0)
        if report.duplicates:
            dup = sorted(key for key, count in by_key.items() if count > 1)
            report.problems.append(f"{report.duplicates} duplicate jobs (keys {dup[:5]})")
        if report.missing:
            report.problems.append(f"{report.missing} requested jobs missing on the server")
        server_by_key = {(job.metadata or {}).get("chaos_key"): job.id for job in server_jobs}
        for i, job_id in enumerate(ids):
            if job_id is not None and server_by_key.get(keys[i]) != job_id:
                report.problems.append(f"create {keys[i]} returned {job_id}, server has another")
        if listed is not None:
            report.listed_jobs = len(listed)
            listed_ids = [job.id for job in listed]
            if sorted(listed_ids) != sorted(job.id for job in server_jobs):
                report.problems.append(
                    f"listing gave {len(listed_ids)} jobs ({len(set(listed_ids))} distinct), "
                    f"server has {len(server_jobs)}"
                )
        server_files, _ = store.list_files(
            purpose="fine-tune", limit=10**6, order="asc", after=None
        )
        report.files_on_server = len(server_files)
        if len(server_files) != len(payloads):
            report.problems.append(
                f"{len(payloads)} files uploaded, {len(server_files)} on the server"
            )
        if files is not None and sorted(f.id for f in files) != sorted(f.id for f in server_files):
            report.problems.append("file listing differs from the server's files")
        for i in pick("pause_resume")[:3]:
            batch = events[sample.index(i)] if i in sample else None
            if batch is not None and not any("paused" in e.message for e in batch):
                report.problems.append(f"job {ids[i]} has no pause event")

        stats = emu.stats()
        report.requests = stats["requests"]["total"]
        report.idempotent_replays = stats["requests"]["idempotent_replays"]
        report.faults = {k: v for k, v in stats["faults"].items()}
        report.texts.append(json.dumps(stats, default=str))
    report.problems.extend(run.errors)


# -- the figures table ---------------------------------------------------------------------

_COLUMNS: list[tuple[str, Callable[[ChaosReport], Any]]] = [
    ("seed", lambda r: r.config.seed),
    ("jobs req", lambda r: r.jobs_requested),
    ("on server", lambda r: r.jobs_on_server),
    ("dup", lambda r: r.duplicates),
    ("lost", lambda r: r.missing),
    ("files up/srv", lambda r: f"{r.files_uploaded}/{r.files_on_server}"),
    ("waits ok", lambda r: f"{r.waits_right}/{r.waits_total}"),
    ("listed", lambda r: r.listed_jobs),
    ("requests", lambda r: r.requests),
    ("retries", lambda r: r.retries),
    ("replays", lambda r: r.idempotent_replays),
    ("faults", lambda r: sum(v for k, v in r.faults.items() if k != "latency")),
    ("unhandled", lambda r: r.unhandled),
    ("s", lambda r: f"{r.seconds:.1f}"),
    ("result", lambda r: "ok" if r.ok else "FAIL"),
]


def format_table(reports: list[ChaosReport]) -> str:
    """A Markdown table of the figures, one row per run, a totals row, faults by kind."""
    rows = [[str(fn(r)) for _, fn in _COLUMNS] for r in reports]
    headers = [name for name, _ in _COLUMNS]
    if len(reports) > 1:
        total = ["all"]
        for name, fn in _COLUMNS[1:]:
            values = [fn(r) for r in reports]
            if all(isinstance(v, int) for v in values):
                total.append(str(sum(values)))
            elif name == "result":
                total.append("ok" if all(r.ok for r in reports) else "FAIL")
            elif name == "s":
                total.append(f"{sum(r.seconds for r in reports):.1f}")
            else:
                parts = [str(v).split("/") for v in values]
                total.append("/".join(str(sum(int(p[k]) for p in parts)) for k in range(2)))
        rows.append(total)
    widths = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in rows]
    kinds: collections.Counter[str] = collections.Counter()
    causes: collections.Counter[str] = collections.Counter()
    for r in reports:
        kinds.update(r.faults)
        causes.update(r.retries_by_cause)
    out.append("")
    out.append(
        "faults injected by kind: "
        + ", ".join(f"{k}={v}" for k, v in kinds.items() if v)
        + " (latency = delayed past the read timeout or not; counted apart)"
    )
    out.append("retries by cause: " + ", ".join(f"{k}={v}" for k, v in causes.most_common()))
    return "\n".join(out)
