"""The ``ftjobs`` command line: jobs, files, the emulator and the demo.

Configured from the same environment variables as :class:`ftjobs.AsyncClient`
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``) or the
matching flags. Tables by default, ``--json`` for scripts. A user mistake is one line on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import FTJobsError
from .commands import (
    Handler,
    add_demo_command,
    add_files_commands,
    add_jobs_commands,
    add_serve_command,
    describe_error,
    serve,
)

__all__ = ["build_parser", "main"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _client_options() -> argparse.ArgumentParser:
    # SUPPRESS lets the options be given before or after the subcommand without the
    # subcommand's defaults overwriting what was given before it.
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parent.add_argument_group("connection")
    group.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY)")
    group.add_argument("--base-url", help="API root (default: $OPENAI_BASE_URL or OpenAI)")
    group.add_argument("--organization", help="OpenAI-Organization (default: $OPENAI_ORG_ID)")
    group.add_argument("--project", help="OpenAI-Project (default: $OPENAI_PROJECT_ID)")
    group.add_argument("--timeout", type=float, help="seconds per request attempt")
    group.add_argument("--max-retries", type=int, help="retries of transient failures")
    group.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for documentation and tests)."""
    common = _client_options()
    parser = argparse.ArgumentParser(
        prog="ftjobs",
        description="Fine-tuning jobs from the command line (OpenAI, Azure, gateways, emulator).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"ftjobs {__version__}")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    add_jobs_commands(groups, common)
    add_files_commands(groups, common)
    add_serve_command(groups)
    add_demo_command(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.group == "serve":
            return serve(args)
        handler: Handler = args.handler
        return asyncio.run(handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (FTJobsError, ValueError, TypeError, OSError) as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_ERROR
