"""The middleware in front of every handler: request counting, fault injection, auth, the
rendering of every error as the spec's error body, and the commit of what a request changed
before its answer goes out.

Admin routes (``/_emulator``) and presigned upload URLs (``/_storage``) are never faulted
nor counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ftjobs.emulator._auth import require_admin, require_api_key
from ftjobs.emulator._azure import require_api_version
from ftjobs.emulator._bodies import read_body
from ftjobs.emulator._errors import ApiError, error_body
from ftjobs.emulator._ids import random_id
from ftjobs.emulator._instance import emulator_of
from ftjobs.emulator._paths import is_admin, is_storage
from ftjobs.emulator._responses import error_response, json_response
from ftjobs.emulator._store import StateNotSaved

__all__ = ["gateway"]

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_log = logging.getLogger("ftjobs.emulator")

_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

# Fault kind -> (status, error body, whether it carries Retry-After). The handler does not run.
_FAULT_ERRORS: dict[str, tuple[int, dict[str, Any], bool]] = {
    "429": (
        429,
        error_body(
            "Rate limit reached for requests. Please try again later.",
            type="requests",
            code="rate_limit_exceeded",
        ),
        True,
    ),
    "500": (
        500,
        error_body(
            "The server had an error while processing your request. Sorry about that!",
            type="server_error",
        ),
        False,
    ),
    "503": (
        503,
        error_body(
            "The engine is currently overloaded, please try again later.",
            type="server_error",
            code="service_unavailable",
        ),
        True,
    ),
}

# Some proxies put this in front of JSON to defeat script inclusion; a client must not take it
# for the body.
_GARBLE_PREFIX = b")]}'\n"


async def _answer(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Auth, then the handler, with every error rendered as the spec's error body."""
    emulator = emulator_of(request)
    try:
        if is_admin(request.path):
            require_admin(request, emulator.config)
        elif is_storage(request.path):
            pass  # a presigned URL: its handler checks the signature instead of a key
        else:
            require_api_key(request, emulator.config)
            if emulator.azure:
                require_api_version(request.path, request.query)
        return await handler(request)
    except ApiError as exc:
        return error_response(exc)
    except StateNotSaved as exc:
        return _not_saved(exc)
    except web.HTTPNotFound:
        return error_response(
            ApiError(404, f"Invalid URL ({request.method} {request.path})", code="not_found")
        )
    except web.HTTPMethodNotAllowed as exc:
        # RFC 9110: a 405 lists the methods the resource does support.
        allow = ", ".join(sorted(exc.allowed_methods))
        return error_response(
            ApiError(
                405,
                f"Method {request.method} not allowed for {request.path}.",
                headers={"Allow": allow},
            )
        )
    except web.HTTPException as exc:
        return error_response(ApiError(exc.status, exc.reason))
    except Exception:
        _log.exception("emulator handler failed")
        return error_response(
            ApiError(
                500, "The server had an error while processing your request.", type="server_error"
            )
        )


def _not_saved(exc: StateNotSaved) -> web.Response:
    _log.error("%s", exc)
    return error_response(
        ApiError(
            500,
            "The emulator could not save its state; the request changed nothing. Retry later.",
            type="server_error",
            code="state_not_saved",
        )
    )


async def _dispatch(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Answer, then save what the answer reports: a client is told only what is on disk."""
    response = await _answer(request, handler)
    try:
        emulator_of(request).commit()
    except StateNotSaved as exc:
        return _not_saved(exc)
    if response.status in (408, 413):
        # The rest of the body is not wanted: close rather than drain it.
        response.force_close()
    return response


def _retry_headers(retry_after: float) -> dict[str, str]:
    return {
        "Retry-After": str(math.ceil(retry_after)),
        "retry-after-ms": str(round(retry_after * 1000)),
    }


def _drop(request: web.Request) -> web.Response:
    """Close the connection; the returned response is never written."""
    request.protocol.force_close()
    return web.Response(status=599)


@web.middleware
async def gateway(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Count the request, apply the next fault decision, then run the handler."""
    if is_admin(request.path) or is_storage(request.path):
        return await _dispatch(request, handler)
    emulator = emulator_of(request)
    emulator.requests.total += 1
    decision = emulator.faults.next_decision()
    if decision.latency > 0:
        if request.content_type == "application/json" and request.can_read_body:
            # A slow server has the request in hand before it stalls: read (and keep) the
            # body first, so the handler still runs, and commits, after a client that timed
            # out has hung up. Multipart bodies are left to stream to their handler.
            with contextlib.suppress(ApiError):  # the handler's own read reports it
                await read_body(request, emulator.config.max_json_bytes)
        await asyncio.sleep(decision.latency)
    kind = decision.kind
    response: web.StreamResponse
    if kind in _FAULT_ERRORS:
        status, error, retry = _FAULT_ERRORS[kind]
        headers = _retry_headers(emulator.faults.config.retry_after) if retry else None
        response = json_response(error, status, headers)
    elif kind == "html":
        response = web.Response(body=_HTML_502, status=502, content_type="text/html")
    elif kind == "drop":
        emulator.requests.by_status["dropped"] += 1
        return _drop(request)
    else:
        response = await _dispatch(request, handler)
        if kind == "drop_after":
            emulator.requests.by_status["dropped"] += 1
            return _drop(request)
        if kind in ("malformed", "garbled") and isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b""
            if kind == "malformed":
                body = body[: len(body) // 2] or b'{"object": '
            else:
                body = _GARBLE_PREFIX + body
            response = web.Response(body=body, status=200, content_type="application/json")
    if kind != "html":
        # Azure's API gateway names its request id header differently.
        header = "apim-request-id" if emulator.azure else "x-request-id"
        response.headers[header] = "req_" + random_id("")[:24]
    emulator.requests.by_status[str(response.status)] += 1
    return response
