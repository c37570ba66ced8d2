"""What every command shares: registration, connection options, the client, errors, exit codes.

A command module (``_jobs.py``, ``_files.py``...) has one ``register(commands)`` function that
adds its parsers through `Commands`; ``ftjobs/cli/__init__.py`` lists
the modules. A handler takes the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from .. import AsyncAzureClient, AsyncClient, AsyncPortkeyClient, AsyncTogetherClient
from ..providers import DIALECTS, Dialect
from ..types import DEFAULT_REQUEST_TIMEOUT

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_JOB_FAILED",
    "EXIT_USAGE",
    "EXIT_WAIT_TIMEOUT",
    "CLIError",
    "Commands",
    "Group",
    "Handler",
    "HelpFormatter",
    "Interrupted",
    "add_debug_option",
    "command_line",
    "connect",
    "connection_options",
    "join_commands",
    "local_file",
    "wants_json",
]

EXIT_ERROR = 1
EXIT_USAGE = 2
#: ``jobs wait`` gave up (``--wait-timeout``).
EXIT_WAIT_TIMEOUT = 3
#: ``jobs wait``: the job failed or was cancelled.
EXIT_JOB_FAILED = 4
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int] | int]
"""A command: ``async def`` (run with ``asyncio.run``), or a plain function for one that runs
its own event loop (``serve``)."""

_CONNECTION = ("api_key", "base_url", "organization", "project", "timeout", "max_retries")
#: Names the provider when --provider does not.
PROVIDER_ENV = "FTJOBS_PROVIDER"
#: The Portkey virtual key the CLI routes through (the client takes it as virtual_key=).
PORTKEY_VIRTUAL_KEY_ENV = "PORTKEY_VIRTUAL_KEY"


class CLIError(Exception):
    """A mistake or failure the CLI reports as an ``error:`` line (exit code 1 unless given)."""

    def __init__(self, message: str, *, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(Exception):
    """Ctrl-C, carrying what to tell the user, and the commands that go on from there (say,
    how to resume what was interrupted), which are printed unwrapped: a terminal may fold a
    long one, but it is still one line to copy."""

    def __init__(self, message: str, commands: str = "") -> None:
        super().__init__(message)
        self.commands = commands


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default (unless it has none, or says it already)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or isinstance(default, bool)
            or default == argparse.SUPPRESS
            or not action.option_strings
            or action.required
            or action.nargs == 0
        ):
            return text
        return f"{text} (default: {'none' if default is None else '%(default)s'})"


def connection_options(without: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The options every command talking to the API takes, before or after its name (less the
    ones named in ``without``)."""
    # SUPPRESS lets the options be given before or after the subcommand without the
    # subcommand's defaults overwriting what was given before it.
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parent.add_argument_group("connection")
    group.add_argument(
        "--provider",
        choices=sorted(DIALECTS),
        help="the API to talk to (default: $FTJOBS_PROVIDER or openai); each reads its own "
        "variables: openai $OPENAI_API_KEY/$OPENAI_BASE_URL, azure "
        "$AZURE_OPENAI_API_KEY/$AZURE_OPENAI_ENDPOINT/$OPENAI_API_VERSION, portkey "
        "$PORTKEY_API_KEY/$PORTKEY_BASE_URL/$PORTKEY_VIRTUAL_KEY, together "
        "$TOGETHER_API_KEY/$TOGETHER_BASE_URL",
    )
    group.add_argument("--api-key", help="API key (default: the provider's, $OPENAI_API_KEY)")
    group.add_argument(
        "--base-url",
        help="API root (default: the provider's, $OPENAI_BASE_URL or OpenAI; azure: the "
        "resource endpoint)",
    )
    group.add_argument("--organization", help="OpenAI-Organization (default: $OPENAI_ORG_ID)")
    if "project" not in without:
        group.add_argument("--project", help="OpenAI-Project (default: $OPENAI_PROJECT_ID)")
    group.add_argument(
        "--timeout",
        type=float,
        help=f"seconds per request attempt (default: {DEFAULT_REQUEST_TIMEOUT:g})",
    )
    group.add_argument("--max-retries", type=int, help="retries of transient failures (default: 2)")
    group.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_debug_option(parent)
    return parent


def add_debug_option(parser: argparse.ArgumentParser) -> None:
    """``-v/--debug``: log every HTTP attempt (method, URL, status, request id, duration) and
    every retry on stderr."""
    parser.add_argument(
        "-v",
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log every HTTP request and retry on stderr",
    )


class Group:
    """``ftjobs NAME``: a group of commands (``ftjobs jobs list``, ``ftjobs jobs get``...)."""

    def __init__(self, subparsers: Any, connection: argparse.ArgumentParser) -> None:
        self._subparsers = subparsers
        self._connection = connection

    def command(
        self,
        name: str,
        handler: Handler,
        help: str,
        *,
        without: Sequence[str] = (),
        local: bool = False,
    ) -> argparse.ArgumentParser:
        """Add ``ftjobs GROUP NAME`` (with the connection options) run by ``handler``.

        ``without`` names connection options the command uses for something else (``checkpoints
        share --project`` names the project to share with; ``$OPENAI_PROJECT_ID`` still sets
        the header). A ``local`` command talks to no API and lists no connection options.
        """
        connection = connection_options(without) if without else self._connection
        parents = [] if local else [connection]
        parser: argparse.ArgumentParser = self._subparsers.add_parser(
            name,
            help=help,
            description=help,
            parents=parents,
            formatter_class=HelpFormatter,
        )
        parser.set_defaults(handler=handler)
        return parser


class Commands:
    """Where the command modules register their commands."""

    def __init__(
        self, parser: argparse.ArgumentParser, connection: argparse.ArgumentParser
    ) -> None:
        self._connection = connection
        self._groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)

    def group(self, name: str, help: str) -> Group:
        """Add ``ftjobs NAME``, whose commands are added with ``Group.command``."""
        parser = self._groups.add_parser(
            name, help=help, description=help, formatter_class=HelpFormatter
        )
        subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
        return Group(subparsers, self._connection)

    def command(self, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        """Add a top-level ``ftjobs NAME`` (``serve``, ``demo``) run by ``handler``; it takes
        no connection options (a command talking to the API belongs in a group)."""
        parser: argparse.ArgumentParser = self._groups.add_parser(
            name, help=help, description=help, formatter_class=HelpFormatter
        )
        parser.set_defaults(handler=handler)
        return parser


def wants_json(args: argparse.Namespace) -> bool:
    """``--json`` was given."""
    return bool(getattr(args, "json", False))


def provider_of(args: argparse.Namespace) -> Dialect:
    """The dialect ``--provider`` (or ``$FTJOBS_PROVIDER``) names; OpenAI by default."""
    name = getattr(args, "provider", None) or os.environ.get(PROVIDER_ENV) or "openai"
    dialect = DIALECTS.get(name)
    if dialect is None:
        names = ", ".join(sorted(DIALECTS))
        raise CLIError(f"${PROVIDER_ENV} must be one of {names}; got {name!r}")
    return dialect


def _client(dialect: Dialect, options: dict[str, Any]) -> AsyncClient:
    """The client of ``dialect`` for the connection options given."""
    if dialect.name == "openai":
        return AsyncClient(**options)
    for name in ("organization", "project"):
        if name in options:
            raise CLIError(f"--{name} is OpenAI's; {dialect.title} takes no {name}")
    if dialect.name == "azure":
        endpoint = options.pop("base_url", None)
        return AsyncAzureClient(azure_endpoint=endpoint, **options)
    if dialect.name == "portkey":
        virtual_key = os.environ.get(PORTKEY_VIRTUAL_KEY_ENV)
        if not virtual_key:
            raise CLIError(f"Portkey needs a route: set {PORTKEY_VIRTUAL_KEY_ENV}")
        return AsyncPortkeyClient(virtual_key=virtual_key, **options)
    return AsyncTogetherClient(**options)


@asynccontextmanager
async def connect(args: argparse.Namespace) -> AsyncIterator[AsyncClient]:
    """The client the connection options (or the environment) describe."""
    dialect = provider_of(args)
    options = {name: getattr(args, name) for name in _CONNECTION if hasattr(args, name)}
    if "api_key" not in options and not os.environ.get(dialect.api_key_env):
        raise CLIError(
            f"no API key: pass --api-key KEY or set {dialect.api_key_env} "
            "(on the local emulator, `ftjobs serve` prints both)"
        )
    async with _client(dialect, options) as client:
        yield client


def local_file(value: str, option: str | None = None) -> Path | None:
    """``value`` as the path of an existing file; ``None`` when nothing is there.

    A directory is refused by name (and by the ``option`` it was given to, if any).
    """
    path = Path(value)
    if path.is_dir():
        given = f"{option} {value}" if option else value
        raise CLIError(f"{given} is a directory: give the path of a JSONL file")
    return path if path.exists() else None


def command_line(args: argparse.Namespace, *words: str) -> str:
    """``ftjobs WORDS...`` plus the connection options this run was given, ready to paste.

    The key itself is never printed: a key given as ``--api-key`` shows as ``--api-key KEY``.
    """
    parts = ["ftjobs", *words]
    for name in _CONNECTION:
        if hasattr(args, name):
            value = "KEY" if name == "api_key" else str(getattr(args, name))
            parts += [f"--{name.replace('_', '-')}", value]
    return " ".join(part if part == "KEY" else shlex.quote(part) for part in parts)


def join_commands(lines: Sequence[tuple[str, str]]) -> str:
    """``label: command`` lines, commands aligned."""
    width = max(len(label) for label, _ in lines) + 1
    return "\n".join(f"  {(label + ':').ljust(width)} {command}" for label, command in lines)
