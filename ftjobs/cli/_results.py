"""Before and after a job: ``ftjobs files check``, ``files content`` and ``jobs metrics``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ..metrics import StepMetrics, decode_results_file, metrics_csv
from ..training_data import DEFAULT_MAX_ERRORS, TrainingFileReport, check_training_file
from . import _output as output
from ._app import EXIT_ERROR, CLIError, Group, connect, local_file, wants_json
from ._chart import svg_chart, text_chart

__all__ = ["register_files", "register_jobs", "show_report"]

METHODS = ("supervised", "dpo", "reinforcement")
# A longer curve is shown as a sample of this many rows (the chart and --csv have them all).
_TABLE_ROWS = 20
_COLUMNS = (
    ("step", "step"),
    ("train_loss", "train_loss"),
    ("train_acc", "train_mean_token_accuracy"),
    ("valid_loss", "valid_loss"),
    ("valid_acc", "valid_mean_token_accuracy"),
    ("full_valid_loss", "full_valid_loss"),
    ("full_valid_acc", "full_valid_mean_token_accuracy"),
)


def register_files(files: Group) -> None:
    """Add ``ftjobs files check`` and ``ftjobs files content``."""
    check = files.command(
        "check",
        files_check,
        "check a training file locally, not uploading it (exit 1 on errors)",
    )
    check.add_argument("path")
    add_method_option(check)
    check.add_argument(
        "--max-errors", type=int, default=DEFAULT_MAX_ERRORS, help="stop after this many errors"
    )
    check.add_argument(
        "--grader",
        metavar="JSON_FILE",
        help="reinforcement: the grader, whose item.* fields every example must have",
    )
    content = files.command("content", files_content, "download a file's content")
    content.add_argument("file_id")
    content.add_argument("-o", "--output", default="-", metavar="PATH", help="- for stdout")
    content.add_argument(
        "--decode", action="store_true", help="decode a result file (base64) into its CSV"
    )


def register_jobs(jobs: Group) -> None:
    """Add ``ftjobs jobs metrics``."""
    metrics = jobs.command(
        "metrics", jobs_metrics, "a job's training curve: a chart and a table of the steps"
    )
    metrics.add_argument("job_id")
    metrics.add_argument("--csv", metavar="PATH", help="write every step as CSV (- for stdout)")
    metrics.add_argument("--plot", metavar="PATH", help="draw the curve as an SVG file")


def add_method_option(parser: argparse.ArgumentParser) -> None:
    """``--method``: the format a training file is checked against."""
    parser.add_argument(
        "--method", choices=METHODS, default="supervised", help="the job's fine-tuning method"
    )


# -- files check ------------------------------------------------------------------------------


def show_report(console: Console, name: str, report: TrainingFileReport) -> None:
    """A summary line, then every error and warning (line, level, code, message)."""
    verdict = "OK" if report.ok else f"{len(report.errors)} error(s)"
    if report.warnings:
        verdict += f", {len(report.warnings)} warning(s)"
    if not report.complete:
        verdict += f" (stopped after {len(report.errors)} errors)"
    tokens = f"{report.n_tokens:,} tokens ({report.tokenizer})"
    output.say(
        console,
        f"{name}: {report.n_examples:,} examples, {tokens}, {report.n_bytes:,} bytes: {verdict}",
    )
    issues = sorted(report.errors + report.warnings, key=lambda i: (i.line or 0, i.severity))
    if issues:
        rows = [[i.line, i.severity, i.code, i.message] for i in issues]
        output.table(console, ("line", "level", "code", "message"), rows, whole=3)


def files_check(args: argparse.Namespace) -> int:
    """``ftjobs files check PATH [--method dpo]``: local, no connection, no event loop."""
    path = local_file(args.path, "path")
    if path is None:
        raise CLIError(f"no such file: {args.path}")
    grader = None
    if args.grader is not None:
        try:
            grader = json.loads(Path(args.grader).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CLIError(f"--grader {args.grader}: not a readable JSON file ({exc})") from None
    try:
        report = check_training_file(
            path, method=args.method, grader=grader, max_errors=args.max_errors
        )
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if wants_json(args):
        output.print_json(report)
    else:
        show_report(output.stdout(), path.name, report)
    return 0 if report.ok else EXIT_ERROR


# -- files content ----------------------------------------------------------------------------


async def files_content(args: argparse.Namespace) -> int:
    """``ftjobs files content FILE_ID [-o PATH] [--decode]``."""
    async with connect(args) as client:
        if args.output != "-" and not args.decode:
            # Streamed to the file, never whole in memory.
            written = await client.files.content(args.file_id, to=args.output)
            output.say(output.stderr(), f"wrote {written:,} bytes to {args.output}")
            head = (
                await asyncio.to_thread(Path(args.output).read_bytes)
                if written <= _HINT_BYTES
                else b""
            )
            if _is_encoded_results(head):
                _hint_decode(args.file_id)
            return 0
        content = await client.files.content(args.file_id)
    if args.decode:
        try:
            content = decode_results_file(content).encode()
        except ValueError as exc:
            raise CLIError(f"--decode: {args.file_id} is {exc}") from None
    _write(args.output, content)
    if not args.decode and _is_encoded_results(content):
        _hint_decode(args.file_id)
    return 0


# A file written to disk is read back for the hint only up to this size (result files are small).
_HINT_BYTES = 8 * 1024 * 1024


def _hint_decode(file_id: str) -> None:
    output.say(
        output.stderr(),
        f"(this is a result file, base64-encoded as the service writes it: "
        f"`ftjobs files content {file_id} --decode` gives its CSV)",
    )


def _is_encoded_results(content: bytes) -> bool:
    """A result file as the service serves it: base64 of a CSV whose first column is step."""
    if content.lstrip().startswith(b"step"):
        return False
    try:
        decode_results_file(content)
    except ValueError:
        return False
    return True


def _write(path: str, data: bytes) -> None:
    if path == "-":
        binary = getattr(sys.stdout, "buffer", None)  # absent when stdout is a text stream
        if binary is not None:
            binary.write(data)
        else:
            sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()
    else:
        Path(path).write_bytes(data)
        output.say(output.stderr(), f"wrote {len(data):,} bytes to {path}")


# -- jobs metrics -----------------------------------------------------------------------------


def _sample(rows: Sequence[StepMetrics], count: int) -> list[StepMetrics]:
    """About ``count`` rows, evenly spaced, plus the last one and every full validation pass
    (each epoch's end)."""
    if len(rows) <= count:
        return list(rows)
    every = -(-len(rows) // count)
    return [
        row
        for index, row in enumerate(rows)
        if index % every == 0 or index == len(rows) - 1 or row.full_valid_loss is not None
    ]


def show_curve(console: Console, rows: Sequence[StepMetrics]) -> None:
    """The chart (as wide as the console) and a table of (a sample of) the steps."""
    for line in text_chart(rows, console.width):
        output.say(console, line)
    shown = _sample(rows, _TABLE_ROWS)
    columns = [
        (header, name)
        for header, name in _COLUMNS
        if name == "step" or any(row.get(name) is not None for row in rows)
    ]
    table = [
        [row.step if name == "step" else row.get(name) for _, name in columns] for row in shown
    ]
    output.say(console, "")
    output.table(console, [header for header, _ in columns], table)
    if len(shown) < len(rows):
        output.say(
            console, f"({len(shown)} of {len(rows)} steps shown; --csv PATH writes them all)"
        )


async def jobs_metrics(args: argparse.Namespace) -> int:
    """``ftjobs jobs metrics JOB [--csv PATH] [--plot PATH]``."""
    async with connect(args) as client:
        rows = await client.jobs.metrics(args.job_id)
    return _show_metrics(args, rows)


def _show_metrics(args: argparse.Namespace, rows: Sequence[StepMetrics]) -> int:
    if args.csv:
        text = metrics_csv(rows)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            Path(args.csv).write_text(text, encoding="utf-8")
            output.say(output.stderr(), f"wrote {len(rows)} steps to {args.csv}")
    if args.plot:
        Path(args.plot).write_text(svg_chart(rows, title=args.job_id), encoding="utf-8")
        output.say(output.stderr(), f"drew {len(rows)} steps in {args.plot}")
    if args.csv == "-":
        return 0
    if wants_json(args):
        output.print_json(list(rows))
    elif not rows:
        output.say(output.stdout(), f"{args.job_id}: no metrics reported yet")
    else:
        show_curve(output.stdout(), rows)
    return 0
