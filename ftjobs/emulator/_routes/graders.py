"""Graders: validate and run (see `ftjobs.emulator._graders` for how each type scores)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ftjobs.emulator._bodies import read_json
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._graders import check_grader, run_grader
from ftjobs.emulator._responses import json_response

__all__ = ["ROUTES"]

_GRADERS = "/fine_tuning/alpha/graders"


def _body(raw: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApiError.invalid("The request body must be a JSON object.")
    if "grader" not in raw:
        raise ApiError.invalid("Missing required parameter: 'grader'.", param="grader")
    for key in sorted(set(raw) - allowed):
        raise ApiError.invalid(f"Unrecognized request argument supplied: {key}", param=key)
    check_grader(raw["grader"])
    return raw


async def _validate(request: web.Request) -> web.StreamResponse:
    body = _body(await read_json(request), {"grader"})
    return json_response({"grader": body["grader"]})


async def _run(request: web.Request) -> web.StreamResponse:
    body = _body(await read_json(request), {"grader", "model_sample", "item"})
    sample = body.get("model_sample")
    if not isinstance(sample, str):
        raise ApiError.invalid(
            "Missing required parameter: 'model_sample' (a string).", param="model_sample"
        )
    item = body.get("item", {})
    if not isinstance(item, dict):
        raise ApiError.invalid("Invalid 'item': expected an object.", param="item")
    return json_response(run_grader(body["grader"], sample, item))


ROUTES = (
    web.post(f"{_GRADERS}/validate", _validate),
    web.post(f"{_GRADERS}/run", _run),
)
"""The grader routes, relative to an API prefix."""
