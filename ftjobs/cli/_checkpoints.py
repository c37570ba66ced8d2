"""``ftjobs checkpoints ...``: share a fine-tuned checkpoint with other projects."""

from __future__ import annotations

import argparse
from typing import Any

from ..types import CheckpointPermission
from . import _output as output
from ._app import Commands, connect, wants_json

__all__ = ["PERMISSION_COLUMNS", "register"]

PERMISSION_COLUMNS = ("id", "project", "created")


def register(commands: Commands) -> None:
    """Add ``ftjobs checkpoints ...``."""
    checkpoints = commands.group("checkpoints", "fine-tuned checkpoints (sharing)")
    share = checkpoints.command(
        "share", checkpoints_share, "share a checkpoint with projects", without=("project",)
    )
    share.add_argument("checkpoint", help="the checkpoint's model name (ft:...)")
    share.add_argument(
        "--project",
        dest="project_ids",
        action="append",
        required=True,
        metavar="PROJECT",
        help="a project to share with (repeat for several)",
    )
    shares = checkpoints.command(
        "shares", checkpoints_shares, "list who a checkpoint is shared with"
    )
    shares.add_argument("checkpoint")
    unshare = checkpoints.command("unshare", checkpoints_unshare, "remove one permission")
    unshare.add_argument("checkpoint")
    unshare.add_argument("permission_id")


def _row(p: CheckpointPermission) -> list[Any]:
    return [p.id, p.project_id, output.when(p.created_at)]


def _show(args: argparse.Namespace, permissions: list[CheckpointPermission]) -> None:
    if wants_json(args):
        output.print_json(permissions)
    else:
        output.table(output.stdout(), PERMISSION_COLUMNS, [_row(p) for p in permissions])


async def checkpoints_share(args: argparse.Namespace) -> int:
    """``ftjobs checkpoints share CKPT --project P [--project Q]``."""
    async with connect(args) as client:
        made = await client.checkpoints.permissions.create(
            args.checkpoint, project_ids=args.project_ids
        )
    _show(args, list(made))
    return 0


async def checkpoints_shares(args: argparse.Namespace) -> int:
    """``ftjobs checkpoints shares CKPT``: every permission, newest first."""
    async with connect(args) as client:
        found = [p async for p in client.checkpoints.permissions.list(args.checkpoint)]
    _show(args, found)
    return 0


async def checkpoints_unshare(args: argparse.Namespace) -> int:
    """``ftjobs checkpoints unshare CKPT PERMISSION``."""
    async with connect(args) as client:
        deleted = await client.checkpoints.permissions.delete(args.checkpoint, args.permission_id)
    if wants_json(args):
        output.print_json(deleted)
    else:
        output.say(output.stdout(), f"deleted {deleted.id}")
    return 0
