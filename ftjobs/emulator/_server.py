"""Starting the emulator: in-process ([`serve_emulator()`][ftjobs.emulator.serve_emulator])
or as a server ([`run()`][ftjobs.emulator.run], [`main()`][ftjobs.emulator.main], and
[`add_serve_arguments()`][ftjobs.emulator.add_serve_arguments] for a CLI's ``serve``
command)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from ftjobs._signing import resolve_secret
from ftjobs.emulator._app import create_app
from ftjobs.emulator._clock import Clock
from ftjobs.emulator._config import DIALECTS, EmulatorConfig
from ftjobs.emulator._faults import FaultConfig
from ftjobs.emulator._instance import Emulator, get_emulator
from ftjobs.emulator._store import StateFileError, Store

__all__ = [
    "EmulatorHandle",
    "add_serve_arguments",
    "config_from_args",
    "main",
    "run",
    "serve_emulator",
    "serve_from_args",
]

DEFAULT_PORT = 8765
API_KEY_ENV = "FTJOBS_EMULATOR_API_KEY"
"""The variable ``serve`` reads its API key from when ``--api-key`` is not given."""
_SHUTDOWN_TIMEOUT = 1.0


def _root_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class EmulatorHandle:
    """A running emulator, as yielded by
    [`serve_emulator()`][ftjobs.emulator.serve_emulator].

    Attributes:
        app: The aiohttp application.
        host: The address listened on.
        port: The port listened on (the free port picked when 0 was asked for).
    """

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port

    @property
    def root_url(self) -> str:
        """``http://host:port`` (admin endpoints live under ``/_emulator``)."""
        return _root_url(self.host, self.port)

    @property
    def base_url(self) -> str:
        """The OpenAI-style API base, e.g. ``http://127.0.0.1:54321/v1``."""
        return self.root_url + "/v1"

    @property
    def azure_base_url(self) -> str:
        """The Azure-style API base, ``http://host:port/openai/v1``."""
        return self.root_url + "/openai/v1"

    @property
    def azure_endpoint(self) -> str:
        """The endpoint to give an Azure client (``AsyncAzureClient(azure_endpoint=...)``)."""
        return self.root_url

    @property
    def emulator(self) -> Emulator:
        """The emulator instance (config, store, faults, counters)."""
        return get_emulator(self.app)

    @property
    def config(self) -> EmulatorConfig:
        """The emulator's config."""
        return self.emulator.config

    @property
    def api_key(self) -> str:
        """The API key the emulator accepts."""
        return self.emulator.config.api_key

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers an admin request (``/_emulator/...``) needs: the admin key as a bearer token.

        Send bodies as JSON (``Content-Type: application/json``).
        """
        return {"Authorization": f"Bearer {self.config.effective_admin_key}"}

    @property
    def store(self) -> Store:
        """The store: jobs, files, scripting (``script_next_jobs``, ``advance_clock``...)."""
        return self.emulator.store

    @property
    def clock(self) -> Clock:
        """The clock driving the lifecycle."""
        return self.emulator.store.clock

    def stats(self) -> dict[str, Any]:
        """The same counters ``GET /_emulator/stats`` returns."""
        return self.emulator.stats()

    def set_faults(self, faults: FaultConfig | str | None) -> None:
        """Change fault injection at runtime (a config, a spec string, or ``None`` for off)."""
        config = faults if isinstance(faults, FaultConfig) else FaultConfig.parse(faults)
        self.emulator.set_faults(config)


@asynccontextmanager
async def serve_emulator(
    config: EmulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
) -> AsyncIterator[EmulatorHandle]:
    """Run the emulator on ``host:port`` (0 picks a free port) for the ``async with`` block.

    Everything (listening socket, connections, state file) is closed on exit.
    """
    app = create_app(config, clock)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        yield EmulatorHandle(app, host, int(bound))
    finally:
        await runner.cleanup()


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options (``--host``, ``--port``, ``--speed``, ``--api-key``,
    ``--faults``, ``--state``, ...) to ``parser``."""
    defaults = EmulatorConfig()
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0: any free port)")
    parser.add_argument(
        "--speed", type=float, default=defaults.speed, help="emulated seconds per real second"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help=f"the accepted API key (default: ${API_KEY_ENV}, else {defaults.api_key})",
    )
    parser.add_argument(
        "--admin-key",
        default=None,
        help="the key /_emulator/* admin endpoints require (default: the API key)",
    )
    parser.add_argument(
        "--faults",
        default=None,
        help="fault spec, e.g. '429=0.1,500=0.05,latency=0.2:0.5,drop=0.02,seed=7'",
    )
    parser.add_argument("--state", default=None, help="SQLite file to persist state in")
    parser.add_argument(
        "--max-running-jobs",
        type=int,
        default=defaults.max_running_jobs,
        help="jobs allowed to run at once (others queue)",
    )
    parser.add_argument(
        "--daily-job-limit",
        type=int,
        default=None,
        metavar="N",
        help="refuse a create past N creates of a model in a rolling 24 h of emulated time "
        "(the service's 429 daily_rate_limit_exceeded; default: no limit)",
    )
    parser.add_argument(
        "--max-active-jobs",
        type=int,
        default=None,
        metavar="N",
        help="refuse a create while N jobs of its model are not finished (429 "
        "rate_limit_exceeded; default: no limit)",
    )
    parser.add_argument(
        "--organization", default=defaults.organization, help="organization_id of jobs"
    )
    parser.add_argument(
        "--dialect",
        choices=DIALECTS,
        default=defaults.dialect,
        help="API dialect: openai, azure (Azure OpenAI statuses, nulls, dated path) or "
        "together (Together AI's /v1/fine-tunes and /v1/files, its shapes and models)",
    )
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="POST signed fine_tuning.job.* webhooks here when jobs end",
    )
    parser.add_argument(
        "--webhook-secret",
        default=None,
        help="whsec_... secret to sign webhooks with (default: $OPENAI_WEBHOOK_SECRET)",
    )
    parser.add_argument(
        "--webhook-faults",
        default=None,
        help="webhook fault spec, e.g. 'drop=0.3,duplicate=0.1,delay=0.2:1,seed=7'",
    )
    parser.add_argument(
        "--models",
        default=None,
        help="the base models jobs may fine-tune, e.g. "
        "'gpt-4o-mini-2024-07-18,o4-mini-2025-04-16=reinforcement,my-model=supervised+dpo' "
        "(default: the models OpenAI's fine-tuning guide names; with --dialect together, "
        "four of Together's)",
    )
    parser.add_argument(
        "--ignore-idempotency",
        action="store_true",
        help="ignore Idempotency-Key headers (to prove a client test can fail)",
    )


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Build an [`EmulatorConfig`][ftjobs.emulator.EmulatorConfig] from options added by
    [`add_serve_arguments()`][ftjobs.emulator.add_serve_arguments].

    Raises ``ValueError`` for a bad value (e.g. a malformed fault spec).
    """
    optional: dict[str, Any] = {}
    if getattr(args, "models", None) is not None:
        optional["models"] = args.models
    return EmulatorConfig(
        api_key=args.api_key or os.environ.get(API_KEY_ENV) or EmulatorConfig().api_key,
        speed=args.speed,
        max_running_jobs=args.max_running_jobs,
        faults=args.faults,
        state_path=args.state,
        honor_idempotency=not args.ignore_idempotency,
        organization=args.organization,
        dialect=getattr(args, "dialect", "openai"),
        admin_key=getattr(args, "admin_key", None),
        webhook_url=args.webhook_url,
        # The environment's secret is only for a sender: without a URL it is not read, and a
        # secret given alone is refused by the config.
        webhook_secret=(
            resolve_secret(args.webhook_secret) if args.webhook_url else args.webhook_secret
        ),
        webhook_faults=args.webhook_faults,
        daily_job_limit=getattr(args, "daily_job_limit", None),
        max_active_jobs=getattr(args, "max_active_jobs", None),
        **optional,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _exposure_warning(host: str) -> str | None:
    """The warning to print before listening on ``host``, or None for a loopback address."""
    if _is_loopback(host):
        return None
    return (
        f"warning: listening on {host}, not a loopback address: whoever can reach this "
        "port can use the emulator with its API key, and /_emulator/* with the admin key "
        "(set --api-key and --admin-key; the defaults are public)."
    )


def _shown_key(key: str) -> tuple[str, str]:
    """The key as the banner shows it, and as its export line writes it: the built-in
    default in full (it is public), a chosen key masked (the shell that chose it has it)."""
    if key == EmulatorConfig().api_key:
        return key, shlex.quote(key)
    masked = f"{key[:3]}...{key[-2:]}" if len(key) >= 12 else "*" * len(key)
    from_env = os.environ.get(API_KEY_ENV) == key
    return masked, f'"${API_KEY_ENV}"' if from_env else "<your key>"


def _banner(config: EmulatorConfig, url: str) -> str:
    """Where the emulator listens, its key, and the line that points a shell at it.

    The export line names what the CLI, the SDK's ``AsyncClient`` and the openai client read
    (``OPENAI_*``), in either OpenAI dialect (the Azure dialect also serves ``/openai/v1``);
    in the Together dialect, what ``AsyncTogetherClient`` reads (``TOGETHER_*``, the base with
    ``/v1``; Together's own SDK takes the root, as it adds ``/v1`` itself).
    """
    faults = config.faults.to_spec() if config.faults.enabled else "off"
    limits = "".join(
        f", {label} {value}"
        for label, value in (
            ("daily job limit per model", config.daily_job_limit),
            ("max active jobs per model", config.max_active_jobs),
        )
        if value is not None
    )
    shown, exported = _shown_key(config.api_key)
    head = (
        f"speed {config.speed:g}, faults {faults}, state {config.state_path or 'in memory'}"
        f"{limits}\n"
        f"API key: {shown}\n"
    )
    if config.dialect == "together":
        return (
            f"ftjobs emulator listening on {url}/v1 (Together AI dialect)\n{head}"
            f"To use it from another shell (AsyncTogetherClient, the CLI's --provider together, "
            f"Together's SDK):\n"
            f"  export TOGETHER_BASE_URL={shlex.quote(url)} TOGETHER_API_KEY={exported}\n"
            f"(the host alone: Together's own SDK adds /v1 itself, and so does ftjobs)\n"
            f"Press Ctrl-C to stop."
        )
    if config.dialect == "azure":
        where = f"{url} (Azure OpenAI dialect: {url}/openai/v1, {url}/openai?api-version=...)"
        base = f"{url}/openai/v1"
        azure = (
            f"For AsyncAzureClient: AZURE_OPENAI_ENDPOINT={shlex.quote(url)} "
            f"AZURE_OPENAI_API_KEY={exported}\n"
        )
    else:
        where = f"{url}/v1 (Azure style: {url}/openai/v1)"
        base = f"{url}/v1"
        azure = ""
    return (
        f"ftjobs emulator listening on {where}\n{head}"
        f"To use it from another shell (the SDK, the CLI, the openai client):\n"
        f"  export OPENAI_BASE_URL={shlex.quote(base)} OPENAI_API_KEY={exported}\n"
        f"{azure}"
        f"Press Ctrl-C to stop."
    )


def run(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = DEFAULT_PORT
) -> None:
    """Serve the emulator until interrupted (Ctrl-C / SIGTERM). Blocks.

    Raises:
        StateFileError: The state file cannot be used (before anything listens).
        OSError: ``host:port`` cannot be listened on.
    """
    config = config or EmulatorConfig()
    url = _root_url(host, port)
    warning = _exposure_warning(host)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    app = create_app(config)

    def announce(*_: Any, **__: Any) -> None:
        print(_banner(config, url), flush=True)

    web.run_app(
        app,
        host=host,
        port=port,
        print=announce,
        access_log=None,
        shutdown_timeout=_SHUTDOWN_TIMEOUT,
    )


def serve_from_args(args: argparse.Namespace) -> int:
    """Run the emulator with options added by `add_serve_arguments`; return the exit status.

    A bad option (2) or an unusable state file (1) is reported in one line on stderr.
    """
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run(config, args.host, args.port)
    except StateFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the address cannot be listened on (in use, not local...)
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ftjobs.emulator [options]``: parse options and `run`."""
    parser = argparse.ArgumentParser(
        prog="ftjobs serve", description="Run the local OpenAI fine-tuning API emulator."
    )
    add_serve_arguments(parser)
    return serve_from_args(parser.parse_args(argv))
