"""Uploads: create, add a part, complete into a File, cancel."""

from __future__ import annotations

import hashlib

from aiohttp import web

from ftjobs._limits import MAX_PART_BYTES
from ftjobs.emulator._bodies import read_json, read_multipart
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._idempotency import idempotent
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._responses import json_response
from ftjobs.emulator._uploads import parse_create_upload, render_part, render_upload

__all__ = ["ROUTES"]

_UPLOAD = "/uploads/{upload_id}"


def _upload_id(request: web.Request) -> str:
    return request.match_info["upload_id"]


async def _create_upload(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    emulator = emulator_of(request)

    def produce() -> web.Response:
        record = emulator.uploads.create(parse_create_upload(body))
        return json_response(render_upload(record, emulator.store.clock.to_wall))

    return idempotent(request, body, produce)


async def _add_part(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    upload_id = _upload_id(request)
    limit = min(MAX_PART_BYTES, emulator.config.max_upload_bytes)
    fields, _, data = await read_multipart(request, file_field="data", max_bytes=limit)
    if data is None:
        raise ApiError.invalid("Missing required parameter: 'data'.", param="data")
    if fields:
        unknown = sorted(fields)[0]
        raise ApiError.invalid(f"Unrecognized request argument supplied: {unknown}", param=unknown)

    def produce() -> web.Response:
        part_id, created_at = emulator.uploads.add_part(upload_id, data)
        wall = emulator.store.clock.to_wall
        return json_response(render_part(part_id, created_at, upload_id, wall))

    return idempotent(request, {"sha256": hashlib.sha256(data).hexdigest()}, produce)


async def _complete_upload(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    emulator = emulator_of(request)
    upload_id = _upload_id(request)

    def produce() -> web.Response:
        record = emulator.uploads.complete(upload_id, body)
        return json_response(render_upload(record, emulator.store.clock.to_wall))

    return idempotent(request, body, produce)


async def _cancel_upload(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    upload_id = _upload_id(request)

    def produce() -> web.Response:
        record = emulator.uploads.cancel(upload_id)
        return json_response(render_upload(record, emulator.store.clock.to_wall))

    return idempotent(request, {}, produce)


ROUTES = (
    web.post("/uploads", _create_upload),
    web.post(f"{_UPLOAD}/parts", _add_part),
    web.post(f"{_UPLOAD}/complete", _complete_upload),
    web.post(f"{_UPLOAD}/cancel", _cancel_upload),
)
"""The uploads routes, relative to an API prefix."""
