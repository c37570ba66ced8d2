"""``ftjobs jobs ...``: list, get, create, cancel, pause, resume, events, checkpoints, wait."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from rich.console import Console

from .. import AsyncClient, FineTuningJob, JobStatus, PollPolicy, WaitTimeout
from ..metrics import metrics_from_events
from ..training_data import check_training_file
from ..types import AsyncPaginator, FineTuningJobCheckpoint, FineTuningJobEvent
from ..waiting import EventReceived, JobUpdate, StatusChanged
from . import _output as output
from . import _results as results
from ._app import (
    EXIT_JOB_FAILED,
    EXIT_WAIT_TIMEOUT,
    CLIError,
    Commands,
    Handler,
    Interrupted,
    command_line,
    connect,
    join_commands,
    local_file,
    wants_json,
)
from ._chart import sparkline
from ._graders import read_grader
from ._progress import JobProgress, LiveView, fits_live, live_view, print_line
from ._results import METHODS

__all__ = ["register", "since"]

_T = TypeVar("_T")
# Steps of loss the sparkline of `jobs wait --follow` shows.
_SPARK_WIDTH = 30
_DEFAULT_INTERVAL = 2.0


def register(commands: Commands) -> None:
    """Add ``ftjobs jobs ...``."""
    jobs = commands.group("jobs", "fine-tuning jobs")
    listing = jobs.command("list", jobs_list, "list jobs, newest first")
    _paging(listing)
    listing.add_argument("--metadata", action="append", metavar="KEY=VALUE", help="filter")
    listing.add_argument(
        "--status", action="append", help="only jobs in this status (repeat for several)"
    )
    listing.add_argument("--since", help="only jobs created since: 2d, 12h, 30m, or a date")
    listing.add_argument("--model", help="only jobs of this base (or fine-tuned) model")
    jobs.command("get", jobs_get, "show one job").add_argument("job_id")
    create = jobs.command("create", jobs_create, "create a job")
    create.add_argument(
        "--model", required=True, help="base model to fine-tune, e.g. gpt-4o-mini-2024-07-18"
    )
    create.add_argument(
        "--training-file",
        required=True,
        help="file id, or a local path: checked for --method first, then uploaded",
    )
    create.add_argument(
        "--validation-file", help="file id, or a local path: checked, then uploaded"
    )
    create.add_argument("--suffix", help="up to 64 characters added to the fine-tuned model's name")
    create.add_argument("--seed", type=int, help="reproducibility seed, 0-2147483647")
    create.add_argument(
        "--metadata",
        action="append",
        metavar="KEY=VALUE",
        help="a metadata pair to tag the job with (repeat for several, up to 16)",
    )
    create.add_argument(
        "--method",
        choices=METHODS,
        help="supervised when not given (reinforcement needs --grader)",
    )
    create.add_argument(
        "--n-epochs", type=_auto_or(int, "a whole number 1-50"), help="1-50, or auto"
    )
    create.add_argument(
        "--batch-size", type=_auto_or(int, "a whole number 1-256"), help="1-256, or auto"
    )
    create.add_argument(
        "--learning-rate-multiplier",
        type=_auto_or(float, "a number > 0"),
        help="a number > 0, or auto",
    )
    create.add_argument(
        "--beta",
        type=_auto_or(float, "a number in (0, 2]"),
        help="DPO's beta, in (0, 2], or auto (--method dpo only)",
    )
    create.add_argument(
        "--grader",
        metavar="JSON_FILE",
        help="reinforcement: the grader (a JSON file, see `ftjobs graders validate`)",
    )
    create.add_argument(
        "--reasoning-effort",
        choices=("default", "low", "medium", "high"),
        help="reinforcement only",
    )
    create.add_argument("--idempotency-key", help="make the create safe to repeat")
    for name in ("cancel", "pause", "resume"):
        jobs.command(name, _action(name), f"{name} a job").add_argument("job_id")
    events = jobs.command("events", jobs_events, "list a job's events, newest first")
    events.add_argument("job_id")
    _paging(events)
    checkpoints = jobs.command(
        "checkpoints", jobs_checkpoints, "list a job's checkpoints, newest first"
    )
    checkpoints.add_argument("job_id")
    _paging(checkpoints)
    wait = jobs.command("wait", jobs_wait, "follow a job until it ends (exit 0 if it succeeded)")
    wait.add_argument("job_id", help="job id, or a continuation token")
    wait.add_argument("--follow", action="store_true", help="print every event")
    wait.add_argument(
        "--interval", type=float, default=_DEFAULT_INTERVAL, help="first poll interval (s)"
    )
    wait.add_argument(
        "--wait-timeout", type=float, default=None, help="give up after this many seconds"
    )
    results.register_jobs(jobs)


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=20, help="page size (1-100)")
    parser.add_argument("--all", action="store_true", help="fetch every page")


def _auto_or(kind: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    """An option's type: ``auto``, or a number (its range is the SDK's to check)."""

    def parse(text: str) -> Any:
        if text == "auto":
            return text
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected auto or {what}, got {text!r}") from None

    return parse


# -- listings ---------------------------------------------------------------------------------


async def _collect(paginator: AsyncPaginator[Any], every: bool) -> tuple[list[Any], bool]:
    """The items (one page, or every page) and whether the server has more."""
    if every:
        return [item async for item in paginator], False
    page = await paginator
    return list(page.data), page.has_more


# At 80 columns a listing keeps its status and dates whole; model names give way first.
_KEEP = ("status", "created", "finished", "level", "step")
_GIVES_WAY = ("model", "fine_tuned_model", "model_checkpoint")


def _show_list(
    args: argparse.Namespace,
    items: Sequence[_T],
    more: bool,
    headers: Sequence[str],
    row: Callable[[_T], list[Any]],
) -> None:
    """A listing (newest first, as the API lists jobs, events and checkpoints) as JSON or a
    table, then (on stderr) how to see the rest if there is more."""
    if wants_json(args):
        output.print_json(items)
    else:
        rows = [row(item) for item in items]
        output.table(output.stdout(), headers, rows, keep=_KEEP, gives_way=_GIVES_WAY)
    if more:
        output.say(
            output.stderr(),
            f"(the newest {len(items)}; --all shows every page, --limit N sets the page size)",
        )


JOB_COLUMNS = ("id", "status", "fine_tuned_model", "model", "created", "finished")


def _job_row(job: FineTuningJob) -> list[Any]:
    return [
        job.id,
        str(job.status),
        job.fine_tuned_model,
        job.model,
        output.ago(job.created_at),
        output.ago(job.finished_at),
    ]


async def jobs_list(args: argparse.Namespace) -> int:
    """``ftjobs jobs list [--status S] [--since 2d] [--model M] [--metadata K=V]``.

    With a status, a date or a model the pages are searched (``client.jobs.find``, which stops
    at the first job older than ``--since``) and the first ``--limit`` matches shown.
    """
    metadata = _metadata(args.metadata)
    if not (args.status or args.since or args.model):
        async with connect(args) as client:
            paginator = client.jobs.list(limit=args.limit, metadata=metadata)
            jobs, more = await _collect(paginator, args.all)
        _show_list(args, jobs, more, JOB_COLUMNS, _job_row)
        return 0
    created_after = None if args.since is None else since(args.since, time.time())
    jobs = []
    more = False
    async with connect(args) as client:
        found = client.jobs.find(
            status=args.status, model=args.model, created_after=created_after, metadata=metadata
        )
        async for job in found:
            if not args.all and len(jobs) == args.limit:
                more = True
                break
            jobs.append(job)
    _show_list(args, jobs, more, JOB_COLUMNS, _job_row)
    return 0


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def since(text: str, now: float) -> float:
    """The Unix time ``--since`` names: ``2d`` (s, m, h, d, w) before ``now``, or an ISO date
    or time (UTC unless it says otherwise)."""
    amount, unit = text[:-1], text[-1:].lower()
    if unit in _UNITS and amount.replace(".", "", 1).isdigit():
        return now - float(amount) * _UNITS[unit]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CLIError(
            f"--since takes 2d, 12h, 30m or a date like 2026-12-01, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


EVENT_COLUMNS = ("created", "level", "message")


def _event_row(e: FineTuningJobEvent) -> list[Any]:
    return [output.when(e.created_at), e.level, e.message]


async def jobs_events(args: argparse.Namespace) -> int:
    """``ftjobs jobs events``: newest first, as ``client.jobs.list_events`` gives them (``jobs
    wait --follow`` prints them as they come, oldest first)."""
    async with connect(args) as client:
        paginator = client.jobs.list_events(args.job_id, limit=args.limit)
        events, more = await _collect(paginator, args.all)
    _show_list(args, events, more, EVENT_COLUMNS, _event_row)
    return 0


CHECKPOINT_COLUMNS = ("id", "step", "train_loss", "valid_loss", "model_checkpoint")


def _checkpoint_row(c: FineTuningJobCheckpoint) -> list[Any]:
    return [
        c.id,
        c.step_number,
        c.metrics.train_loss,
        c.metrics.valid_loss,
        c.fine_tuned_model_checkpoint,
    ]


async def jobs_checkpoints(args: argparse.Namespace) -> int:
    """``ftjobs jobs checkpoints``."""
    async with connect(args) as client:
        paginator = client.jobs.list_checkpoints(args.job_id, limit=args.limit)
        checkpoints, more = await _collect(paginator, args.all)
    _show_list(args, checkpoints, more, CHECKPOINT_COLUMNS, _checkpoint_row)
    return 0


# -- one job ----------------------------------------------------------------------------------


def show_job(args: argparse.Namespace, job: FineTuningJob) -> None:
    """One job as JSON or as aligned fields."""
    if wants_json(args):
        output.print_json(job)
        return
    pairs: list[tuple[str, Any]] = [
        ("id", job.id),
        ("status", str(job.status)),
        ("model", job.model),
        ("fine_tuned_model", job.fine_tuned_model),
        ("method", job.method.type if job.method else None),
        ("training_file", job.training_file),
        ("validation_file", job.validation_file),
        ("trained_tokens", job.trained_tokens),
        ("created_at", output.when(job.created_at)),
        ("finished_at", output.when(job.finished_at)),
        ("estimated_finish", output.when(job.estimated_finish)),
        ("result_files", ", ".join(job.result_files)),
        ("metadata", ", ".join(f"{k}={v}" for k, v in (job.metadata or {}).items())),
    ]
    if job.error is not None:
        pairs.append(("error", f"[{job.error.code}] {job.error.message}"))
    output.fields(output.stdout(), pairs)


async def jobs_get(args: argparse.Namespace) -> int:
    """``ftjobs jobs get``."""
    async with connect(args) as client:
        show_job(args, await client.jobs.retrieve(args.job_id))
    return 0


def _action(name: str) -> Handler:
    async def handler(args: argparse.Namespace) -> int:
        async with connect(args) as client:
            show_job(args, await getattr(client.jobs, name)(args.job_id))
        return 0

    return handler


def _metadata(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CLIError(f"--metadata takes KEY=VALUE, got {pair!r}")
        result[key] = value
    return result


def _method(args: argparse.Namespace) -> dict[str, Any] | None:
    method = args.method or "supervised"
    if args.beta is not None and method != "dpo":
        raise CLIError("--beta is a DPO hyperparameter: add --method dpo (or drop --beta)")
    if (args.grader is not None or args.reasoning_effort) and method != "reinforcement":
        raise CLIError("--grader and --reasoning-effort go with --method reinforcement")
    if method == "reinforcement" and args.grader is None:
        raise CLIError("--method reinforcement needs --grader JSON_FILE")
    hyper = {
        name: value
        for name in (
            "n_epochs",
            "batch_size",
            "learning_rate_multiplier",
            "beta",
            "reasoning_effort",
        )
        if (value := getattr(args, name)) is not None
    }
    if args.method is None and not hyper:
        return None
    body: dict[str, Any] = {"hyperparameters": hyper} if hyper else {}
    if args.grader is not None:
        body["grader"] = read_grader(args.grader, "--grader")
    return {"type": method, method: body}


async def _file_id(
    client: AsyncClient, option: str, value: str | None, method: dict[str, Any] | None
) -> str | None:
    """A file id as given, or the id of the local file ``value`` after checking it for the
    job's method (nothing is sent when it has errors) and uploading it."""
    if value is None:
        return None
    path = local_file(value, option)
    if path is not None:
        kind = method["type"] if method else "supervised"
        grader = method[kind].get("grader") if method else None
        report = await asyncio.to_thread(check_training_file, path, method=kind, grader=grader)
        if not report.ok:
            results.show_report(output.stderr(), path.name, report)
            raise CLIError(f"{option} {value} has errors: not uploaded, no job created")
        uploaded = await client.files.upload(path, purpose="fine-tune")
        output.say(output.stderr(), f"uploaded {value} as {uploaded.id}")
        return uploaded.id
    if value.endswith((".jsonl", ".json")) or "/" in value or "\\" in value:
        raise CLIError(f"{option} {value}: no such file (and not a file id)")
    return value


async def jobs_create(args: argparse.Namespace) -> int:
    """``ftjobs jobs create``; a local ``--training-file`` is uploaded first."""
    method = _method(args)
    metadata = _metadata(args.metadata)
    async with connect(args) as client:
        training = await _file_id(client, "--training-file", args.training_file, method)
        validation = await _file_id(client, "--validation-file", args.validation_file, method)
        assert training is not None
        job = await client.jobs.create(
            model=args.model,
            training_file=training,
            validation_file=validation,
            suffix=args.suffix,
            seed=args.seed,
            metadata=metadata,
            method=method,
            idempotency_key=args.idempotency_key,
        )
    show_job(args, job)
    return 0


# -- wait -------------------------------------------------------------------------------------


def _event_line(event: FineTuningJobEvent) -> str:
    return f"{output.when(event.created_at)}  {event.level:<5}  {event.message}"


class _WaitView(LiveView):
    """What ``jobs wait`` draws: a live row on a terminal, else one line per change."""

    def __init__(self, console: Console, job_id: str, *, follow: bool, quiet: bool) -> None:
        self.console = console
        self.follow = follow
        self.progress = JobProgress(job_id)
        self.final = ""
        self.losses: list[float] = []
        self.start_live(console, not quiet and fits_live(console, 1))

    def show(self, update: JobUpdate) -> None:
        self.progress = self.progress.apply(update)
        now = time.time()
        if self.follow and isinstance(update, EventReceived):
            print_line(self.console, self._followed(update.event))
        elif isinstance(update, StatusChanged):
            line = f"{self.progress.job_id}: {update.describe(now)}"
            # The terminal status is the final line, printed once after the events before it.
            if update.job.is_terminal:
                self.final = line
            elif self.live is None:
                print_line(self.console, line)
        self.redraw()

    def _followed(self, event: FineTuningJobEvent) -> str:
        """The event's line; a metrics event's ends with a sparkline of the loss so far."""
        line = _event_line(event)
        for row in metrics_from_events([event]):
            if row.train_loss is not None:
                self.losses.append(row.train_loss)
                line += "  " + sparkline(self.losses, _SPARK_WIDTH)
        return line

    def redraw(self) -> None:
        if self.live is not None:
            rows = [(self.progress.job_id, self.progress)]
            self.live.update(live_view("job", rows, self.console.width, time.time()), refresh=True)


async def _tick(view: _WaitView) -> None:
    # The ETA counts down between polls.
    while True:
        await asyncio.sleep(1.0)
        view.redraw()


async def jobs_wait(args: argparse.Namespace) -> int:
    """``ftjobs jobs wait``: follow a job to its end; exit 0 if it succeeded."""
    poll = PollPolicy(initial_interval=args.interval, max_interval=max(args.interval, 30.0))
    console = output.stdout()
    async with connect(args) as client:
        waiter = client.jobs.waiter(args.job_id, poll=poll, timeout=args.wait_timeout, follow=True)
        view = _WaitView(console, waiter.job_id, follow=args.follow, quiet=wants_json(args))
        ticker = asyncio.create_task(_tick(view))
        try:
            with view:
                async for update in waiter.updates():
                    if not wants_json(args):
                        view.show(update)
        except WaitTimeout as exc:
            raise CLIError(
                f"{exc}\n{_resume(args, waiter.job_id)}", exit_code=EXIT_WAIT_TIMEOUT
            ) from None
        except asyncio.CancelledError:
            job = waiter.job
            if job is None or not job.is_terminal:
                status = f" (status {job.status})" if job is not None else ""
                raise Interrupted(
                    f"stopped waiting; job {waiter.job_id} is still running on the server{status}.",
                    _resume(args, waiter.job_id),
                ) from None
            raise
        finally:
            ticker.cancel()
    job = waiter.job
    assert job is not None
    if wants_json(args):
        output.print_json(job)
    else:
        output.say(console, view.final)
    return 0 if job.status == JobStatus.SUCCEEDED else EXIT_JOB_FAILED


def _resume(args: argparse.Namespace, job_id: str) -> str:
    """The commands that resume this wait (with the options it was given) or cancel the job."""
    wait = ["jobs", "wait", job_id, *(["--follow"] if args.follow else [])]
    if args.interval != _DEFAULT_INTERVAL:
        wait += ["--interval", f"{args.interval:g}"]
    return join_commands(
        [
            ("resume waiting", command_line(args, *wait)),
            ("cancel the job", command_line(args, "jobs", "cancel", job_id)),
        ]
    )
