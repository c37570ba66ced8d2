"""Checkpoint permissions: which projects a fine-tuned checkpoint is shared with.

A permission belongs to one checkpoint and names one project; a project holds at most one
permission per checkpoint. The checkpoint must be one the emulator made (a job's checkpoint or
fine-tuned model). Permissions live in memory: a restart with a state file forgets them.
"""

from __future__ import annotations

from typing import Any

import attrs

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._ids import random_id
from ftjobs.emulator._render import ToWall

__all__ = ["Permission", "PermissionBook", "parse_project_ids", "render_permission"]

_ORDERS = ("ascending", "descending")


@attrs.frozen
class Permission:
    """One checkpoint shared with one project."""

    id: str
    created_at: float
    project_id: str


def parse_project_ids(body: Any) -> list[str]:
    """Check a ``CreateFineTuningCheckpointPermissionRequest``."""
    if not isinstance(body, dict) or set(body) - {"project_ids"}:
        raise ApiError.invalid("Expected a JSON object with 'project_ids'.")
    ids = body.get("project_ids")
    if not isinstance(ids, list) or not ids:
        raise ApiError.invalid(
            "Missing required parameter: 'project_ids' (a non-empty array).", param="project_ids"
        )
    for i, project in enumerate(ids):
        if not isinstance(project, str) or not project:
            raise ApiError.invalid(
                f"Invalid 'project_ids[{i}]': expected a project id.", param="project_ids"
            )
    if len(set(ids)) != len(ids):
        raise ApiError.invalid(
            "Invalid 'project_ids': a project is listed twice.", param="project_ids"
        )
    return ids


def parse_permission_order(raw: str | None) -> str:
    """``ascending`` or ``descending`` (the default)."""
    if raw is None:
        return "descending"
    if raw not in _ORDERS:
        raise ApiError.invalid(
            "Invalid 'order': expected 'ascending' or 'descending'.", param="order"
        )
    return raw


class PermissionBook:
    """Every checkpoint's permissions, oldest first."""

    def __init__(self) -> None:
        self._by_checkpoint: dict[str, list[Permission]] = {}

    def create(self, checkpoint: str, project_ids: list[str], now: float) -> list[Permission]:
        """Share ``checkpoint`` with each project; a 400 if one already has it."""
        held = self._by_checkpoint.setdefault(checkpoint, [])
        for project in project_ids:
            if any(p.project_id == project for p in held):
                raise ApiError.invalid(
                    f"Project '{project}' already has access to this checkpoint.",
                    param="project_ids",
                )
        made = [Permission(random_id("cp_"), now, project) for project in project_ids]
        held.extend(made)
        return made

    def list(
        self, checkpoint: str, *, project_id: str | None, after: str | None, limit: int, order: str
    ) -> tuple[list[Permission], bool]:
        """A page of a checkpoint's permissions, strictly after the cursor ``after``."""
        held = self._by_checkpoint.get(checkpoint, [])
        ordered = held if order == "ascending" else held[::-1]
        if after is not None:
            ids = [p.id for p in ordered]
            if after not in ids:
                raise ApiError.invalid(
                    f"Invalid 'after': no permission with id '{after}'.", param="after"
                )
            ordered = ordered[ids.index(after) + 1 :]
        found = [p for p in ordered if project_id is None or p.project_id == project_id]
        return found[:limit], len(found) > limit

    def delete(self, checkpoint: str, permission_id: str) -> None:
        """Remove one permission; a 404 if the checkpoint has no such permission."""
        held = self._by_checkpoint.get(checkpoint, [])
        for i, permission in enumerate(held):
            if permission.id == permission_id:
                del held[i]
                return
        raise ApiError.not_found(
            f"No permission '{permission_id}' on checkpoint '{checkpoint}'.", param="permission_id"
        )


def render_permission(permission: Permission, wall: ToWall) -> dict[str, Any]:
    """The spec's ``FineTuningCheckpointPermission`` object."""
    return {
        "id": permission.id,
        "object": "checkpoint.permission",
        "created_at": int(wall(permission.created_at)),
        "project_id": permission.project_id,
    }
