"""``ftjobs files ...``: upload, list, get, delete, and a sample training file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from .. import TrainingFileError
from ..resources._files import DEFAULT_MULTIPART_THRESHOLD
from ..resources._uploads import OnProgress
from ..types import FileObject
from . import _output as output
from . import _results as results
from ._app import CLIError, Commands, connect, local_file, wants_json
from ._samples import sample_file

__all__ = ["FILE_COLUMNS", "register"]


def register(commands: Commands) -> None:
    """Add ``ftjobs files ...``."""
    files = commands.group("files", "files (training data)")
    upload = files.command("upload", files_upload, "upload a file")
    upload.add_argument("path")
    upload.add_argument("--purpose", default="fine-tune", help="what the file is for")
    upload.add_argument(
        "--multipart-threshold",
        type=int,
        default=DEFAULT_MULTIPART_THRESHOLD,
        metavar="BYTES",
        help="above this size the file goes in parts, with a progress bar on a terminal",
    )
    upload.add_argument(
        "--check",
        action="store_true",
        help="check the training file first; nothing is sent if it has errors",
    )
    results.add_method_option(upload)
    listing = files.command("list", files_list, "list files (every page)")
    listing.add_argument("--purpose", help="only files of this purpose")
    listing.add_argument("--limit", type=int, help="page size")
    for name, handler in (("get", files_get), ("delete", files_delete)):
        files.command(name, handler, f"{name} a file").add_argument("file_id")
    sample = files.command(
        "sample",
        files_sample,
        "print a small valid training file (JSONL) to stdout",
        local=True,
    )
    sample.add_argument(
        "--method",
        choices=("supervised", "dpo", "reinforcement"),
        default="supervised",
        help="the format: chat examples, preference pairs, or prompts with a reference answer",
    )
    sample.add_argument(
        "--validation",
        action="store_true",
        help="a validation file: the same format, other wordings of the questions",
    )
    results.register_files(files)


FILE_COLUMNS = ("id", "filename", "purpose", "bytes", "created")


def _file_row(f: FileObject) -> list[Any]:
    return [f.id, f.filename, f.purpose, f.bytes, output.ago(f.created_at)]


def _show_files(args: argparse.Namespace, files: list[FileObject]) -> None:
    if wants_json(args):
        output.print_json(files)
    else:
        output.table(
            output.stdout(),
            FILE_COLUMNS,
            [_file_row(f) for f in files],
            keep=("purpose", "bytes", "created"),
            gives_way=("filename",),
        )


def _show_file(args: argparse.Namespace, file: FileObject) -> None:
    if wants_json(args):
        output.print_json(file)
    else:
        _show_files(args, [file])


async def files_upload(args: argparse.Namespace) -> int:
    """``ftjobs files upload PATH``."""
    path = local_file(args.path)
    if path is None:
        raise CLIError(f"no such file: {args.path}")
    large = path.stat().st_size > args.multipart_threshold
    async with connect(args) as client:
        with upload_bar(output.stderr(), path.name, shown=large) as on_progress:
            try:
                uploaded = await client.files.upload(
                    path,
                    purpose=args.purpose,
                    multipart_threshold=args.multipart_threshold,
                    on_progress=on_progress,
                    check=args.check,
                    method=args.method,
                )
            except TrainingFileError as exc:
                results.show_report(output.stderr(), path.name, exc.report)
                raise CLIError(f"{path.name} has errors: not uploaded") from None
    _show_file(args, uploaded)
    return 0


@contextmanager
def upload_bar(console: Console, name: str, *, shown: bool) -> Iterator[OnProgress | None]:
    """An ``on_progress`` that draws a bar of bytes sent on ``console`` (a terminal), or
    ``None`` when there is nothing to draw (a small file, output piped)."""
    if not shown or not console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=console) as bar:
        task = bar.add_task(name, total=None)

        def on_progress(sent: int, total: int) -> None:
            bar.update(task, completed=sent, total=total)

        yield on_progress


async def files_list(args: argparse.Namespace) -> int:
    """``ftjobs files list``."""
    async with connect(args) as client:
        files = [f async for f in client.files.list(purpose=args.purpose, limit=args.limit)]
    _show_files(args, files)
    return 0


async def files_get(args: argparse.Namespace) -> int:
    """``ftjobs files get FILE_ID``."""
    async with connect(args) as client:
        found = await client.files.retrieve(args.file_id)
    _show_file(args, found)
    return 0


async def files_delete(args: argparse.Namespace) -> int:
    """``ftjobs files delete FILE_ID``."""
    async with connect(args) as client:
        deleted = await client.files.delete(args.file_id)
    if wants_json(args):
        output.print_json(deleted)
    else:
        output.say(output.stdout(), f"deleted {deleted.id}")
    return 0


def files_sample(args: argparse.Namespace) -> int:
    """``ftjobs files sample [--method M] [--validation] > train.jsonl``: no connection."""
    sys.stdout.write(sample_file(args.method, validation=args.validation).decode())
    return 0
