"""The CLI's commands: each builds a client from the options and calls the SDK."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from ..client import AsyncClient
from ..errors import JobFailed, WaitTimeout
from ..models import (
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    JobStatus,
)
from ..pagination import AsyncPaginator
from ..polling import PollPolicy
from ..waiting import EventReceived
from . import output
from .progress import JobProgress

EXIT_WAIT_TIMEOUT = 3
EXIT_JOB_FAILED = 4

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
_T = TypeVar("_T")


def describe_error(exc: BaseException) -> str:
    """One line for a failure, naming the status and request id where there is one."""
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    return str(exc) or type(exc).__name__


@asynccontextmanager
async def _client(args: argparse.Namespace) -> AsyncIterator[AsyncClient]:
    options: dict[str, Any] = {}
    for name in ("api_key", "base_url", "organization", "project", "timeout", "max_retries"):
        if getattr(args, name, None) is not None:
            options[name] = getattr(args, name)
    async with AsyncClient(**options) as client:
        yield client


def _json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def _metadata(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--metadata takes KEY=VALUE, got {pair!r}")
        result[key] = value
    return result


async def _collect(paginator: AsyncPaginator[Any], every: bool) -> list[Any]:
    if every:
        return [item async for item in paginator]
    return list((await paginator).data)


def _show_list(
    args: argparse.Namespace,
    items: Sequence[_T],
    columns: Sequence[str],
    row: Callable[[_T], list[Any]],
    *,
    table_reversed: bool = False,
) -> None:
    """A listing: the items as JSON for scripts, else one table row per item."""
    if _json(args):
        print(output.to_json(items))
    else:
        shown = reversed(items) if table_reversed else items
        output.table(columns, [row(item) for item in shown])


# -- jobs -------------------------------------------------------------------------------------

JOB_COLUMNS = ("id", "status", "model", "fine_tuned_model", "created", "finished")


def _job_row(job: FineTuningJob) -> list[Any]:
    return [
        job.id,
        str(job.status),
        job.model,
        job.fine_tuned_model,
        output.when(job.created_at),
        output.when(job.finished_at),
    ]


def _show_job(args: argparse.Namespace, job: FineTuningJob) -> None:
    if _json(args):
        print(output.to_json(job))
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
    output.fields(pairs)


async def jobs_list(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        paginator = client.jobs.list(limit=args.limit, metadata=_metadata(args.metadata))
        jobs = await _collect(paginator, args.all)
    _show_list(args, jobs, JOB_COLUMNS, _job_row)
    return 0


async def jobs_get(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        _show_job(args, await client.jobs.retrieve(args.job_id))
    return 0


def _method(args: argparse.Namespace) -> dict[str, Any] | None:
    hyper = {
        name: value
        for name in ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")
        if (value := getattr(args, name)) is not None
    }
    if args.method is None:
        if hyper:
            return {"type": "supervised", "supervised": {"hyperparameters": hyper}}
        return None
    if "beta" in hyper and args.method != "dpo":
        raise ValueError("--beta applies to --method dpo only")
    body: dict[str, Any] = {"hyperparameters": hyper} if hyper else {}
    if args.method == "reinforcement":
        raise ValueError("--method reinforcement needs a grader: create it from Python")
    return {"type": args.method, args.method: body}


async def jobs_create(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        job = await client.jobs.create(
            model=args.model,
            training_file=args.training_file,
            validation_file=args.validation_file,
            suffix=args.suffix,
            seed=args.seed,
            metadata=_metadata(args.metadata),
            method=_method(args),
            idempotency_key=args.idempotency_key,
        )
    _show_job(args, job)
    return 0


def _action(name: str) -> Handler:
    async def handler(args: argparse.Namespace) -> int:
        async with _client(args) as client:
            _show_job(args, await getattr(client.jobs, name)(args.job_id))
        return 0

    return handler


async def jobs_events(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        events = await _collect(client.jobs.list_events(args.job_id, limit=args.limit), args.all)
    # The API lists newest first; a table reads like a log, oldest first.
    _show_list(args, events, EVENT_COLUMNS, _event_row, table_reversed=True)
    return 0


async def jobs_checkpoints(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        checkpoints = await _collect(
            client.jobs.list_checkpoints(args.job_id, limit=args.limit), args.all
        )
    _show_list(args, checkpoints, CHECKPOINT_COLUMNS, _checkpoint_row)
    return 0


EVENT_COLUMNS = ("created", "level", "type", "message")


def _event_row(e: FineTuningJobEvent) -> list[Any]:
    return [output.when(e.created_at), e.level, e.type, e.message]


CHECKPOINT_COLUMNS = ("id", "step", "train_loss", "valid_loss", "model_checkpoint")


def _checkpoint_row(c: FineTuningJobCheckpoint) -> list[Any]:
    return [
        c.id,
        c.step_number,
        c.metrics.train_loss if c.metrics else None,
        c.metrics.valid_loss if c.metrics else None,
        c.fine_tuned_model_checkpoint,
    ]


def _event_line(event: FineTuningJobEvent) -> str:
    return f"{output.when(event.created_at)}  {event.level:<5}  {event.message}"


async def jobs_wait(args: argparse.Namespace) -> int:
    """Follow a job to its end: a live line on a terminal, plain lines otherwise."""
    live = sys.stdout.isatty() and not _json(args)
    poll = PollPolicy(initial_interval=args.interval, max_interval=max(args.interval, 30.0))
    progress = JobProgress(args.job_id)
    shown = ""
    async with _client(args) as client:
        waiter = client.jobs.waiter(args.job_id, poll=poll, timeout=args.wait_timeout, follow=True)
        try:
            async for update in waiter.updates():
                progress = progress.apply(update)
                if _json(args):
                    continue
                event = update.event if isinstance(update, EventReceived) else None
                if args.follow and event is not None:
                    if live:
                        print("\r\033[K", end="")
                    print(_event_line(event))
                line = progress.line(time.time())
                if live:
                    print(f"\r\033[K{line}", end="", flush=True)
                elif line != shown and event is None:
                    print(line, flush=True)
                shown = line
        except WaitTimeout as exc:
            if live:
                print()
            print(f"error: {exc}\nresume with: ftjobs jobs wait {exc.token}", file=sys.stderr)
            return EXIT_WAIT_TIMEOUT
        job = waiter.job
    if live:
        print()
    assert job is not None
    if _json(args):
        print(output.to_json(job))
    else:
        print(progress.line(time.time()))
        if job.fine_tuned_model:
            print(f"fine_tuned_model: {job.fine_tuned_model}")
    if job.status == JobStatus.FAILED:
        print(f"error: {JobFailed(job, job.error)}", file=sys.stderr)
        return EXIT_JOB_FAILED
    return 0 if job.status == JobStatus.SUCCEEDED else EXIT_JOB_FAILED


def _command_adder(
    groups: Any, group: str, help: str, common: argparse.ArgumentParser
) -> Callable[[str, Handler, str], argparse.ArgumentParser]:
    """Add ``ftjobs <group>``; returns a function adding one of its commands (with the
    connection options and its handler)."""
    commands = groups.add_parser(group, help=help).add_subparsers(
        dest="command", metavar="COMMAND", required=True
    )

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=help, parents=[common])
        parser.set_defaults(handler=handler)
        return parser

    return command


def add_jobs_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """``ftjobs jobs ...``."""
    command = _command_adder(groups, "jobs", "fine-tuning jobs", common)

    def paging(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="page size (1-100)")
        parser.add_argument("--all", action="store_true", help="fetch every page")

    listing = command("list", jobs_list, "list jobs, newest first")
    paging(listing)
    listing.add_argument("--metadata", action="append", metavar="KEY=VALUE", help="filter")
    command("get", jobs_get, "show one job").add_argument("job_id")
    create = command("create", jobs_create, "create a job")
    create.add_argument("--model", required=True)
    create.add_argument("--training-file", required=True, help="file id")
    create.add_argument("--validation-file", help="file id")
    create.add_argument("--suffix")
    create.add_argument("--seed", type=int)
    create.add_argument("--metadata", action="append", metavar="KEY=VALUE")
    create.add_argument("--method", choices=("supervised", "dpo", "reinforcement"))
    create.add_argument("--n-epochs", type=_auto_or(int))
    create.add_argument("--batch-size", type=_auto_or(int))
    create.add_argument("--learning-rate-multiplier", type=_auto_or(float))
    create.add_argument("--beta", type=_auto_or(float), help="dpo only")
    create.add_argument("--idempotency-key", help="make the create safe to repeat")
    for name in ("cancel", "pause", "resume"):
        command(name, _action(name), f"{name} a job").add_argument("job_id")
    events = command("events", jobs_events, "list a job's events")
    events.add_argument("job_id")
    paging(events)
    checkpoints = command("checkpoints", jobs_checkpoints, "list a job's checkpoints")
    checkpoints.add_argument("job_id")
    paging(checkpoints)
    wait = command("wait", jobs_wait, "follow a job until it ends (exit 0 if it succeeded)")
    wait.add_argument("job_id", help="job id, or a continuation token")
    wait.add_argument("--follow", action="store_true", help="print every event")
    wait.add_argument("--interval", type=float, default=2.0, help="initial poll interval (s)")
    wait.add_argument(
        "--wait-timeout", type=float, default=None, help="give up after this many seconds"
    )


def _auto_or(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        return "auto" if text == "auto" else kind(text)

    parse.__name__ = kind.__name__
    return parse


# -- files ------------------------------------------------------------------------------------

FILE_COLUMNS = ("id", "filename", "purpose", "bytes", "created")


def _file_row(f: FileObject) -> list[Any]:
    return [f.id, f.filename, f.purpose, f.bytes, output.when(f.created_at)]


def _show_file(args: argparse.Namespace, f: FileObject) -> None:
    if _json(args):
        print(output.to_json(f))
    else:
        output.table(FILE_COLUMNS, [_file_row(f)])


async def files_upload(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        _show_file(args, await client.files.upload(args.path, purpose=args.purpose))
    return 0


async def files_list(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        files = await _collect(client.files.list(purpose=args.purpose, limit=args.limit), True)
    _show_list(args, files, FILE_COLUMNS, _file_row)
    return 0


async def files_get(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        _show_file(args, await client.files.retrieve(args.file_id))
    return 0


async def files_delete(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        deleted = await client.files.delete(args.file_id)
    print(output.to_json(deleted) if _json(args) else f"deleted {deleted.id}")
    return 0


def add_files_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """``ftjobs files ...``."""
    command = _command_adder(groups, "files", "files (training data)", common)
    upload = command("upload", files_upload, "upload a file")
    upload.add_argument("path")
    upload.add_argument("--purpose", default="fine-tune")
    listing = command("list", files_list, "list files")
    listing.add_argument("--purpose")
    listing.add_argument("--limit", type=int, default=None)
    for name, handler in (("get", files_get), ("delete", files_delete)):
        command(name, handler, f"{name} a file").add_argument("file_id")


# -- serve and demo ---------------------------------------------------------------------------


def add_serve_command(groups: Any) -> None:
    """``ftjobs serve``: run the emulator."""
    from ..emulator import add_serve_arguments

    serve_parser = groups.add_parser("serve", help="run the local API emulator")
    add_serve_arguments(serve_parser)


def serve(args: argparse.Namespace) -> int:
    """Run the emulator until interrupted."""
    from ..emulator import serve_from_args

    return serve_from_args(args)


def add_demo_command(groups: Any) -> None:
    """``ftjobs demo``: the whole product in one command, on the embedded emulator."""
    from .demo import add_demo_arguments, run_demo

    demo = groups.add_parser("demo", help="run 8 jobs on the embedded emulator, live")
    add_demo_arguments(demo)
    demo.set_defaults(handler=run_demo)
