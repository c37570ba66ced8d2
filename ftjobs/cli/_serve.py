"""``ftjobs serve``: run the local API emulator until Ctrl-C."""

from __future__ import annotations

import argparse

from ._app import Commands

__all__ = ["register"]


def register(commands: Commands) -> None:
    """Add ``ftjobs serve``."""
    from ..emulator import add_serve_arguments

    parser = commands.command("serve", serve, "run the local API emulator")
    add_serve_arguments(parser)


def serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; prints the base URL, the key and an ``export`` line."""
    from ..emulator import serve_from_args

    return serve_from_args(args)
