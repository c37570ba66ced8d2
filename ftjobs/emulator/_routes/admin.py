"""Admin endpoints under ``/_emulator``: statistics, faults, scripting, clock, seeding, health."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ftjobs.emulator._bodies import read_admin_json
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._faults import FaultConfig
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._lifecycle import Outcome
from ftjobs.emulator._params import parse_job_request
from ftjobs.emulator._responses import json_response

__all__ = ["ROUTES"]


async def _stats(request: web.Request) -> web.StreamResponse:
    return json_response(emulator_of(request).stats())


async def _reset_stats(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    emulator.reset_stats()
    return json_response(emulator.stats())


async def _get_faults(request: web.Request) -> web.StreamResponse:
    return json_response(emulator_of(request).faults.config.to_dict())


async def _set_faults(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    body = await read_admin_json(request)
    try:
        config = FaultConfig.from_mapping(body)
    except (ValueError, TypeError) as exc:
        raise ApiError.invalid(f"Invalid fault config: {exc}", param="faults") from None
    emulator.set_faults(config)
    return json_response(config.to_dict())


def _outcome_from(body: dict[str, Any]) -> Outcome:
    at_step = body.get("at_step")
    if at_step is not None and (not isinstance(at_step, int) or at_step < 1):
        raise ApiError.invalid("'at_step' must be a positive integer or null.", param="at_step")
    if not body.get("fail", True):
        return Outcome()
    for key in ("code", "message", "param"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError.invalid(f"'{key}' must be a string.", param=key)
    return Outcome.failure(
        at_step=at_step, code=body.get("code"), message=body.get("message"), param=body.get("param")
    )


async def _script(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    body = await read_admin_json(request)
    outcome = _outcome_from(body)
    job_id = body.get("job_id")
    if job_id is not None:
        job = store.script_job(str(job_id), outcome)
        return json_response({"scripted": job.id})
    count = body.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ApiError.invalid("'count' must be a positive integer.", param="count")
    store.script_next_jobs(*([outcome] * count))
    return json_response({"scripted_next": count})


async def _clock(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    if request.method == "POST":
        body = await read_admin_json(request)
        seconds = body.get("advance", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ApiError.invalid("'advance' must be a number of seconds >= 0.", param="advance")
        emulator.store.advance_clock(float(seconds))
    return json_response({"now": emulator.store.now(), "speed": emulator.config.speed})


_SEED_MODEL = "gpt-4o-mini-2024-07-18"


async def _seed(request: web.Request) -> web.StreamResponse:
    """Create many jobs at once (for benchmarks): ``{"jobs": N, "metadata": {...}}``; the
    per-model create limits do not refuse them."""
    store = emulator_of(request).store
    body = await read_admin_json(request)
    count = body.get("jobs", 0)
    if not isinstance(count, int) or not 0 <= count <= 100_000:
        raise ApiError.invalid("'jobs' must be an integer between 0 and 100000.", param="jobs")
    models = store.config.models
    default = _SEED_MODEL if _SEED_MODEL in models else next(iter(models))
    template: dict[str, Any] = {"model": body.get("model", default)}
    if body.get("metadata") is not None:
        template["metadata"] = body["metadata"]
    line = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    }
    examples = max(store.config.min_training_examples, 1)
    content = ("\n".join([json.dumps(line)] * examples) + "\n").encode()
    file = store.add_file("seed.jsonl", "fine-tune", content)
    job_request = parse_job_request({**template, "training_file": file.id})
    # Seeded jobs count toward the per-model limits but are never refused by them.
    ids = [store.create_job(job_request, limited=False).id for _ in range(count)]
    return json_response(
        {
            "training_file": file.id,
            "created": len(ids),
            "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None,
        }
    )


async def _health(request: web.Request) -> web.StreamResponse:
    return json_response({"ok": True})


ROUTES = (
    web.get("/health", _health),
    web.get("/stats", _stats),
    web.post("/stats/reset", _reset_stats),
    web.get("/faults", _get_faults),
    web.post("/faults", _set_faults),
    web.post("/script", _script),
    web.get("/clock", _clock),
    web.post("/clock", _clock),
    web.post("/seed", _seed),
)
"""The admin routes, relative to ``/_emulator``."""
