"""Fine-tuning jobs: create, list, retrieve, cancel/pause/resume, events, checkpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
from aiohttp import web

from ftjobs.emulator._azure import pop_azure_fields
from ftjobs.emulator._bodies import read_json
from ftjobs.emulator._idempotency import idempotent
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._params import (
    parse_after,
    parse_job_request,
    parse_limit,
    parse_metadata_filter,
)
from ftjobs.emulator._render import render_checkpoint, render_event
from ftjobs.emulator._responses import json_response, list_response

__all__ = ["ROUTES"]

_JOB = "/fine_tuning/jobs/{fine_tuning_job_id}"


def _job_id(request: web.Request) -> str:
    return request.match_info["fine_tuning_job_id"]


async def _create_job(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    emulator = emulator_of(request)
    store = emulator.store

    def produce() -> web.Response:
        fields, extra = pop_azure_fields(body) if emulator.azure else (body, {})
        job_request = parse_job_request(fields)
        if extra:
            # Kept on the job (and persisted with it) for the Azure rendering to echo.
            job_request = attrs.evolve(job_request, extra=extra)
        return json_response(emulator.render_job(store.create_job(job_request)))

    return idempotent(request, body, produce)


async def _list_jobs(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    query = request.query
    limit = parse_limit(query.get("limit"), default=20, maximum=100)
    metadata = parse_metadata_filter(query.items())
    jobs, has_more = emulator.store.list_jobs(
        limit=limit, after=parse_after(query), metadata=metadata
    )
    return list_response([emulator.render_job(j) for j in jobs], has_more)


async def _get_job(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    hint = emulator.config.poll_after_ms
    headers = None if hint is None else {"openai-poll-after-ms": str(hint)}
    job = emulator.store.get_job(_job_id(request))
    return json_response(emulator.render_job(job), headers=headers)


def _action(action: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        emulator = emulator_of(request)
        job_id = _job_id(request)

        def produce() -> web.Response:
            return json_response(emulator.render_job(emulator.store.act(job_id, action)))

        return idempotent(request, {"action": action, "job": job_id}, produce)

    return handler


async def _list_events(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    limit = parse_limit(request.query.get("limit"), default=20, maximum=100)
    events, has_more = store.list_events(
        _job_id(request), limit=limit, after=parse_after(request.query)
    )
    return list_response([render_event(e, store.clock.to_wall) for e in events], has_more)


async def _list_checkpoints(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    limit = parse_limit(request.query.get("limit"), default=10, maximum=100)
    checkpoints, has_more = store.list_checkpoints(
        _job_id(request), limit=limit, after=parse_after(request.query)
    )
    data = [render_checkpoint(c, store.clock.to_wall) for c in checkpoints]
    return list_response(data, has_more, with_ids=True)


ROUTES = (
    web.post("/fine_tuning/jobs", _create_job),
    web.get("/fine_tuning/jobs", _list_jobs),
    web.get(_JOB, _get_job),
    *(web.post(f"{_JOB}/{action}", _action(action)) for action in ("cancel", "pause", "resume")),
    web.get(_JOB + "/events", _list_events),
    web.get(_JOB + "/checkpoints", _list_checkpoints),
)
"""The jobs routes, relative to an API prefix."""
