"""``ftjobs serve``: run the local API emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import signal
import sys

from .app import EXIT_USAGE, CLIError, Commands, Interrupted

__all__ = ["banner", "register"]


def register(commands: Commands) -> None:
    """Add ``ftjobs serve``."""
    from ..emulator import add_serve_arguments

    parser = commands.command("serve", serve, "run the local API emulator")
    add_serve_arguments(parser)


def banner(base_url: str, api_key: str, details: str, *, azure_endpoint: str | None) -> str:
    """What ``serve`` prints: where it listens, the key, and the line that points a shell at it."""
    if azure_endpoint is not None:
        names = {"AZURE_OPENAI_ENDPOINT": azure_endpoint, "AZURE_OPENAI_API_KEY": api_key}
    else:
        names = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": api_key}
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in names.items())
    return (
        f"ftjobs emulator at {base_url} ({details})\n"
        f"API key: {api_key}\n"
        f"Point the SDK, the CLI or the openai client at it from another shell:\n"
        f"  export {exports}\n"
        f"Ctrl-C stops it."
    )


async def serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM (both close the state file cleanly)."""
    from ..emulator import StateFileError, config_from_args, exposure_warning, serve_emulator

    try:
        config = config_from_args(args)
    except ValueError as exc:
        raise CLIError(str(exc), exit_code=EXIT_USAGE) from None
    warning = exposure_warning(args.host)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        async with serve_emulator(config, host=args.host, port=args.port) as emulator:
            azure = config.dialect == "azure"
            faults = config.faults.to_spec() if config.faults.enabled else "off"
            details = (
                f"speed {config.speed:g}, faults {faults}, "
                f"state {config.state_path or 'in memory'}" + (", Azure dialect" if azure else "")
            )
            base = emulator.azure_base_url if azure else emulator.base_url
            endpoint = emulator.azure_endpoint if azure else None
            print(banner(base, emulator.api_key, details, azure_endpoint=endpoint), flush=True)
            try:
                await stop.wait()
            except asyncio.CancelledError:
                raise Interrupted("emulator stopped") from None
    except StateFileError as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:  # the address cannot be listened on (in use, not local...)
        raise CLIError(f"cannot serve on {args.host}:{args.port}: {exc}") from None
    return 0
