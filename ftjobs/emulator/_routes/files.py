"""Files: upload, list, retrieve, delete, content."""

from __future__ import annotations

from aiohttp import web

from ftjobs.emulator._bodies import read_multipart
from ftjobs.emulator._idempotency import idempotent
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._params import parse_after, parse_limit, parse_order, parse_upload
from ftjobs.emulator._render import render_file
from ftjobs.emulator._responses import json_response, list_response

__all__ = ["ROUTES"]


async def _upload_file(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    upload = parse_upload(*await read_multipart(request))

    def produce() -> web.Response:
        record = emulator.store.add_file(
            upload.filename, upload.purpose, upload.content, expires_after=upload.expires_after
        )
        return json_response(render_file(record, emulator.store.clock.to_wall))

    return idempotent(request, upload.fingerprint_source(), produce)


async def _list_files(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    query = request.query
    limit = parse_limit(query.get("limit"), default=10_000, maximum=10_000)
    order = parse_order(query.get("order"))
    files, has_more = store.list_files(
        purpose=query.get("purpose"), limit=limit, order=order, after=parse_after(query)
    )
    data = [render_file(f, store.clock.to_wall) for f in files]
    return list_response(data, has_more, with_ids=True)


async def _get_file(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    record = store.get_file(request.match_info["file_id"])
    return json_response(render_file(record, store.clock.to_wall))


async def _delete_file(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    file_id = request.match_info["file_id"]
    store.delete_file(file_id)
    return json_response({"id": file_id, "object": "file", "deleted": True})


async def _file_content(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    content = store.file_content(request.match_info["file_id"])
    return web.Response(body=content, content_type="application/octet-stream")


ROUTES = (
    web.post("/files", _upload_file),
    web.get("/files", _list_files),
    web.get("/files/{file_id}", _get_file),
    web.delete("/files/{file_id}", _delete_file),
    web.get("/files/{file_id}/content", _file_content),
)
"""The files routes, relative to an API prefix."""
