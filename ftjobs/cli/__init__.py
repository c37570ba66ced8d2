"""The ``ftjobs`` command line: jobs, files, checkpoints, graders, the emulator and the demo.

Configured from the same environment variables as `ftjobs.AsyncClient` (``OPENAI_API_KEY``,
``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``) or the matching flags. Tables
by default (fitted to the terminal), ``--json`` for scripts. A user mistake is one line on
stderr and a non-zero exit code, never a traceback.

Each command module has a ``register(commands)`` function; to add a command group, write a
module like ``_files.py`` and add it to ``MODULES``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .. import FTJobsError, __version__
from . import _campaigns, _checkpoints, _demo, _files, _graders, _jobs, _serve, _webhooks
from ._app import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    CLIError,
    Commands,
    Handler,
    HelpFormatter,
    Interrupted,
    connection_options,
)
from ._output import say, stderr

__all__ = ["MODULES", "build_parser", "main"]

#: The command modules, in the order ``ftjobs --help`` lists them.
MODULES = (_jobs, _campaigns, _files, _checkpoints, _graders, _serve, _webhooks, _demo)

#: 128 + SIGPIPE, what a Unix tool exits with when its reader went away (``| head``).
_EXIT_BROKEN_PIPE = 141


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for documentation and tests)."""
    connection = connection_options()
    parser = argparse.ArgumentParser(
        prog="ftjobs",
        description="Fine-tuning jobs from the command line (OpenAI, Azure, gateways, emulator).",
        formatter_class=HelpFormatter,
        parents=[connection],
    )
    parser.add_argument("--version", action="version", version=f"ftjobs {__version__}")
    commands = Commands(parser, connection)
    for module in MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    words = sys.argv[1:] if argv is None else list(argv)
    if not words:
        parser.print_help()
        return 0
    args = parser.parse_args(words)
    with _http_log(getattr(args, "debug", False)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    try:
        code = handler(args)
        if not isinstance(code, int):
            code = asyncio.run(code)
        # What is still buffered goes now, so a reader that has gone is noticed here.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader (``head``) has gone: exit quietly, and keep the interpreter's final flush
        # of stdout from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _EXIT_BROKEN_PIPE
    except Interrupted as exc:
        console = stderr()
        say(console, str(exc))
        if exc.commands:
            console.print(exc.commands, soft_wrap=True, markup=False, highlight=False)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        say(stderr(), "interrupted")
        return EXIT_INTERRUPTED
    except CLIError as exc:
        _error(str(exc))
        return exc.exit_code
    except (FTJobsError, ValueError, TypeError, OSError) as exc:
        _error(describe_error(exc))
        return EXIT_ERROR


@contextmanager
def _http_log(shown: bool) -> Iterator[None]:
    """``-v/--debug``: the SDK's ``ftjobs`` logger (one DEBUG record per HTTP attempt, INFO per
    retry) on stderr, for the run."""
    if not shown:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("ftjobs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def describe_error(exc: BaseException) -> str:
    """One line for a failure, naming the status and request id where there is one."""
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a directory, not a file"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    return str(exc) or type(exc).__name__


def _error(text: str) -> None:
    say(stderr(), f"error: {text}")
