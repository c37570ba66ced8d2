"""Checkpoint permissions: share a fine-tuned checkpoint with projects, list, delete."""

from __future__ import annotations

from aiohttp import web

from ftjobs.emulator._bodies import read_json
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._idempotency import idempotent
from ftjobs.emulator._instance import Emulator, emulator_of
from ftjobs.emulator._params import parse_after, parse_limit
from ftjobs.emulator._permissions import (
    parse_permission_order,
    parse_project_ids,
    render_permission,
)
from ftjobs.emulator._responses import json_response, list_response

__all__ = ["ROUTES"]

_PERMISSIONS = "/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions"


def _checkpoint(request: web.Request, emulator: Emulator) -> str:
    name = request.match_info["fine_tuned_model_checkpoint"]
    if not emulator.store.has_model(name):
        raise ApiError.not_found(
            f"No fine-tuned model checkpoint '{name}'.", param="fine_tuned_model_checkpoint"
        )
    return name


async def _create(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    emulator = emulator_of(request)
    checkpoint = _checkpoint(request, emulator)

    def produce() -> web.Response:
        store = emulator.store
        made = emulator.permissions.create(checkpoint, parse_project_ids(body), store.now())
        data = [render_permission(p, store.clock.to_wall) for p in made]
        return list_response(data, False, with_ids=True)

    return idempotent(request, body, produce)


async def _list(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    checkpoint = _checkpoint(request, emulator)
    query = request.query
    found, has_more = emulator.permissions.list(
        checkpoint,
        project_id=query.get("project_id") or None,
        after=parse_after(query),
        limit=parse_limit(query.get("limit"), default=10, maximum=10_000),
        order=parse_permission_order(query.get("order")),
    )
    wall = emulator.store.clock.to_wall
    return list_response([render_permission(p, wall) for p in found], has_more, with_ids=True)


async def _delete(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    checkpoint = _checkpoint(request, emulator)
    permission_id = request.match_info["permission_id"]
    emulator.permissions.delete(checkpoint, permission_id)
    return json_response({"id": permission_id, "object": "checkpoint.permission", "deleted": True})


ROUTES = (
    web.post(_PERMISSIONS, _create),
    web.get(_PERMISSIONS, _list),
    web.delete(f"{_PERMISSIONS}/{{permission_id}}", _delete),
)
"""The checkpoint permission routes, relative to an API prefix."""
