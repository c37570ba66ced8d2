"""JSON responses in the API's shapes: a body, a list page, an error."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ftjobs.emulator._errors import ApiError

__all__ = ["error_response", "json_response", "list_response"]


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``body`` as compact JSON."""
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def list_response(
    data: list[dict[str, Any]], has_more: bool, *, with_ids: bool = False
) -> web.Response:
    """A page in the spec's list envelope (``first_id``/``last_id`` where the spec has them)."""
    body: dict[str, Any] = {"object": "list", "data": data}
    if with_ids:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    body["has_more"] = has_more
    return json_response(body)


def error_response(error: ApiError) -> web.Response:
    """The spec's error body with the error's status and headers."""
    return json_response(error.body(), error.status, error.headers or None)
