"""The aiohttp.web application: routes, auth, idempotency, fault injection, admin endpoints.

API routes are served under ``/v1`` and under the Azure-style ``/openai/v1`` (an
``api-version`` query parameter is accepted and ignored). Admin routes live under
``/_emulator``: they need no API key and are never faulted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ftjobs.emulator.azure import DATED_PREFIX, azure_job, pop_azure_fields, require_api_version
from ftjobs.emulator.clock import Clock
from ftjobs.emulator.config import EmulatorConfig
from ftjobs.emulator.errors import ApiError, error_body
from ftjobs.emulator.faults import FaultConfig, FaultInjector
from ftjobs.emulator.ids import random_id
from ftjobs.emulator.lifecycle import JobState, Outcome
from ftjobs.emulator.params import (
    parse_job_request,
    parse_limit,
    parse_metadata_filter,
    parse_order,
)
from ftjobs.emulator.persistence import IdempotencyRecord
from ftjobs.emulator.render import render_checkpoint, render_event, render_file
from ftjobs.emulator.store import Store, open_store

__all__ = ["API_PREFIXES", "EMULATOR_KEY", "Emulator", "create_app", "get_emulator"]

API_PREFIXES = ("/v1", "/openai/v1")
"""Path prefixes the API is served under (OpenAI style and Azure OpenAI v1 style)."""

_ADMIN_PREFIX = "/_emulator"
_JOB = "/fine_tuning/jobs/{fine_tuning_job_id}"
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


class Emulator:
    """One emulator instance: config, store, fault injector and request statistics."""

    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.faults = FaultInjector(config.faults)
        self.requests_total = 0
        self.responses_by_status: Counter[str] = Counter()
        self.idempotent_replays = 0
        # Azure-only create fields per job (not persisted: a restart forgets them).
        self.azure_extra: dict[str, dict[str, Any]] = {}

    @property
    def azure(self) -> bool:
        """True when speaking the Azure OpenAI dialect."""
        return self.config.dialect == "azure"

    def render_job(self, job: JobState) -> dict[str, Any]:
        """The job's JSON object in this emulator's dialect."""
        body = self.store.render_job(job)
        if not self.azure:
            return body
        return azure_job(
            body,
            job,
            self.store.fleet.now,
            self.config.canceling_seconds,
            self.azure_extra.get(job.id),
        )

    def set_faults(self, config: FaultConfig) -> None:
        """Replace the fault config at runtime (reseeds the decision RNG)."""
        self.faults.configure(config)

    def reset_stats(self) -> None:
        """Zero request and fault counters."""
        self.requests_total = 0
        self.responses_by_status.clear()
        self.idempotent_replays = 0
        self.faults.reset_counts()

    def stats(self) -> dict[str, Any]:
        """Counters of API requests served, responses by status and faults injected by kind."""
        by_status: Counter[str] = Counter(job.status for job in self.store.jobs())
        return {
            "requests": {
                "total": self.requests_total,
                "by_status": dict(self.responses_by_status),
                "idempotent_replays": self.idempotent_replays,
            },
            "faults": dict(self.faults.counts),
            "faults_config": self.faults.config.to_dict(),
            "jobs": {"total": sum(by_status.values()), "by_status": dict(by_status)},
            "files": self.store.file_count,
            "now": self.store.now(),
            "speed": self.config.speed,
        }


EMULATOR_KEY = web.AppKey("ftjobs_emulator", Emulator)
"""Application key under which the :class:`Emulator` is stored."""


def get_emulator(app: web.Application) -> Emulator:
    """Return the :class:`Emulator` behind an application made by :func:`create_app`."""
    return app[EMULATOR_KEY]


# -- helpers ----------------------------------------------------------------------------------


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _list_json(
    data: list[dict[str, Any]], has_more: bool, *, with_ids: bool = False
) -> web.Response:
    """A page in the spec's list envelope (``first_id``/``last_id`` where the spec has them)."""
    body: dict[str, Any] = {"object": "list", "data": data}
    if with_ids:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    body["has_more"] = has_more
    return _json(body)


def _error_response(error: ApiError) -> web.Response:
    return _json(error.body(), error.status, error.headers or None)


def _api_path(path: str) -> str:
    for prefix in (*API_PREFIXES[::-1], DATED_PREFIX):
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path


def _after(query: Mapping[str, str]) -> str | None:
    # An empty cursor is no cursor (a client that always sends the parameter).
    return query.get("after") or None


def _emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise ApiError.invalid("The request body must be a JSON object; it was empty.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError.invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)"
        ) from None


def _fingerprint(source: Any) -> str:
    text = json.dumps(source, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _idempotent(
    request: web.Request, source: Any, produce: Callable[[], web.Response]
) -> web.Response:
    """Run ``produce`` once per Idempotency-Key; replay its 2xx response for the same request."""
    emulator = _emulator(request)
    key = request.headers.get("Idempotency-Key")
    if not key or not emulator.config.honor_idempotency:
        return produce()
    scope = f"{request.method} {_api_path(request.path)}"
    fingerprint = _fingerprint(source)
    record = emulator.store.idempotency_record(scope, key)
    if record is not None:
        if record.fingerprint != fingerprint:
            raise ApiError(
                422,
                f"Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                param="Idempotency-Key",
                code="idempotency_key_reused",
            )
        emulator.idempotent_replays += 1
        return web.Response(
            body=record.body,
            status=record.status,
            content_type=record.content_type,
            headers={"Idempotent-Replayed": "true"},
        )
    response = produce()
    if 200 <= response.status < 300 and isinstance(response.body, bytes):
        emulator.store.remember_response(
            IdempotencyRecord(
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                status=response.status,
                content_type=response.content_type,
                body=response.body,
            )
        )
    return response


def _authorized(request: web.Request, api_key: str) -> str | None:
    """Return ``None`` when authorized, else the 401 message."""
    header = request.headers.get("Authorization")
    given: str | None = None
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            given = token.strip()
    if given is None:
        given = request.headers.get("api-key")
    if given == api_key:
        return None
    if not given:
        return (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or as the api-key header."
        )
    shown = given[:3] + "*" * 4 + given[-4:] if len(given) > 8 else "*" * len(given)
    return f"Incorrect API key provided: {shown}."


# -- middleware ---------------------------------------------------------------------------------


async def _dispatch(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Auth, then the handler, with every error rendered as the spec's error body."""
    emulator = _emulator(request)
    try:
        message = _authorized(request, emulator.config.api_key)
        if message is not None:
            raise ApiError(401, message, code="invalid_api_key")
        if emulator.azure:
            require_api_version(request.path, request.query)
        return await handler(request)
    except ApiError as exc:
        return _error_response(exc)
    except web.HTTPNotFound:
        return _error_response(
            ApiError(404, f"Invalid URL ({request.method} {request.path})", code="not_found")
        )
    except web.HTTPMethodNotAllowed as exc:
        # RFC 9110: a 405 lists the methods the resource does support.
        allow = ", ".join(sorted(exc.allowed_methods))
        return _error_response(
            ApiError(
                405,
                f"Method {request.method} not allowed for {request.path}.",
                headers={"Allow": allow},
            )
        )
    except web.HTTPRequestEntityTooLarge:
        return _error_response(ApiError(413, "Request body too large.", code="body_too_large"))
    except web.HTTPException as exc:
        return _error_response(ApiError(exc.status, exc.reason))
    except Exception:
        _log.exception("emulator handler failed")
        return _error_response(
            ApiError(
                500, "The server had an error while processing your request.", type="server_error"
            )
        )
    finally:
        emulator.store.flush()


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
async def _gateway(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if request.path.startswith(_ADMIN_PREFIX + "/") or request.path == _ADMIN_PREFIX:
        try:
            return await handler(request)
        except ApiError as exc:
            return _error_response(exc)
        finally:
            _emulator(request).store.flush()
    emulator = _emulator(request)
    emulator.requests_total += 1
    decision = emulator.faults.next_decision()
    if decision.latency > 0:
        if request.content_type == "application/json" and request.can_read_body:
            # A slow server has the request in hand before it stalls: read (and cache) the
            # body first, so the handler still runs, and commits, after a client that timed
            # out has hung up. Multipart bodies are left to stream to their handler.
            await request.read()
        await asyncio.sleep(decision.latency)
    kind = decision.kind
    response: web.StreamResponse
    if kind in _FAULT_ERRORS:
        status, error, retry = _FAULT_ERRORS[kind]
        headers = _retry_headers(emulator.faults.config.retry_after) if retry else None
        response = _json(error, status, headers)
    elif kind == "html":
        response = web.Response(body=_HTML_502, status=502, content_type="text/html")
    elif kind == "drop":
        emulator.responses_by_status["dropped"] += 1
        return _drop(request)
    else:
        response = await _dispatch(request, handler)
        if kind == "drop_after":
            emulator.responses_by_status["dropped"] += 1
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
    emulator.responses_by_status[str(response.status)] += 1
    return response


# -- API handlers --------------------------------------------------------------------------------


def _job_id(request: web.Request) -> str:
    return request.match_info["fine_tuning_job_id"]


async def _create_job(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    emulator = _emulator(request)
    store = emulator.store

    def produce() -> web.Response:
        fields, extra = pop_azure_fields(body) if emulator.azure else (body, {})
        job = store.create_job(parse_job_request(fields))
        if extra:
            emulator.azure_extra[job.id] = extra
        return _json(emulator.render_job(job))

    return _idempotent(request, body, produce)


async def _list_jobs(request: web.Request) -> web.StreamResponse:
    emulator = _emulator(request)
    query = request.query
    limit = parse_limit(query.get("limit"), default=20, maximum=100)
    metadata = parse_metadata_filter(query.items())
    jobs, has_more = emulator.store.list_jobs(limit=limit, after=_after(query), metadata=metadata)
    return _list_json([emulator.render_job(j) for j in jobs], has_more)


async def _get_job(request: web.Request) -> web.StreamResponse:
    emulator = _emulator(request)
    hint = emulator.config.poll_after_ms
    headers = None if hint is None else {"openai-poll-after-ms": str(hint)}
    return _json(emulator.render_job(emulator.store.get_job(_job_id(request))), headers=headers)


def _action(action: str) -> _Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        emulator = _emulator(request)
        job_id = _job_id(request)

        def produce() -> web.Response:
            return _json(emulator.render_job(emulator.store.act(job_id, action)))

        return _idempotent(request, {"action": action, "job": job_id}, produce)

    return handler


async def _list_events(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    limit = parse_limit(request.query.get("limit"), default=20, maximum=100)
    events, has_more = store.list_events(_job_id(request), limit=limit, after=_after(request.query))
    return _list_json([render_event(e, store.clock.to_wall) for e in events], has_more)


async def _list_checkpoints(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    limit = parse_limit(request.query.get("limit"), default=10, maximum=100)
    checkpoints, has_more = store.list_checkpoints(
        _job_id(request), limit=limit, after=_after(request.query)
    )
    data = [render_checkpoint(c, store.clock.to_wall) for c in checkpoints]
    return _list_json(data, has_more, with_ids=True)


async def _read_upload(
    request: web.Request, max_bytes: int
) -> tuple[dict[str, str], str | None, bytes | None]:
    if not request.content_type.startswith("multipart/"):
        raise ApiError.invalid(
            "Uploads must be multipart/form-data with 'file' and 'purpose'.", param="file"
        )
    fields: dict[str, str] = {}
    filename: str | None = None
    content: bytes | None = None
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader):
                raise ApiError.invalid("Nested multipart bodies are not supported.")
            if part.name == "file":
                data = bytearray()
                while chunk := await part.read_chunk():
                    data.extend(chunk)
                    if len(data) > max_bytes:
                        raise ApiError(413, f"File is larger than {max_bytes} bytes.", param="file")
                filename, content = part.filename or "file", bytes(data)
            elif part.name:
                fields[part.name] = (await part.read(decode=True)).decode("utf-8", "replace")
    except (
        ValueError,
        AssertionError,
        aiohttp.ClientError,
        asyncio.IncompleteReadError,
        HttpProcessingError,
    ) as exc:
        # aiohttp's multipart reader signals malformed input with these: a client error.
        raise ApiError.invalid(f"Malformed multipart body: {exc}") from None
    return fields, filename, content


_UPLOAD_FIELDS = frozenset(
    {"purpose", "expires_after", "expires_after[anchor]", "expires_after[seconds]"}
)


def _expires_after_part(raw: str) -> tuple[Any, Any]:
    """``expires_after`` sent as one JSON part: ``{"anchor": ..., "seconds": ...}``."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or set(value) - {"anchor", "seconds"}:
        raise ApiError.invalid(
            "Invalid 'expires_after': expected an object with 'anchor' and 'seconds'.",
            param="expires_after",
        )
    seconds = value.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        seconds = "invalid"
    return value.get("anchor"), str(seconds) if seconds is not None else None


def _expires_after(fields: dict[str, str]) -> int | None:
    anchor: Any = fields.get("expires_after[anchor]")
    seconds: Any = fields.get("expires_after[seconds]")
    if "expires_after" in fields:
        if anchor is not None or seconds is not None:
            raise ApiError.invalid(
                "Send 'expires_after' either as one part or as bracketed fields, not both.",
                param="expires_after",
            )
        anchor, seconds = _expires_after_part(fields["expires_after"])
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise ApiError.invalid(
            "Invalid 'expires_after[anchor]': expected 'created_at'.", param="expires_after.anchor"
        )
    try:
        value = int(seconds or "")
    except ValueError:
        value = -1
    if not 3600 <= value <= 2_592_000:
        raise ApiError.invalid(
            "Invalid 'expires_after[seconds]': expected an integer between 3600 and 2592000.",
            param="expires_after.seconds",
        )
    return value


async def _upload_file(request: web.Request) -> web.StreamResponse:
    emulator = _emulator(request)
    fields, filename, content = await _read_upload(request, emulator.config.max_upload_bytes)
    if content is None or filename is None:
        raise ApiError.invalid("Missing required parameter: 'file'.", param="file")
    unknown = sorted(set(fields) - _UPLOAD_FIELDS)
    if unknown:
        # The spec's CreateFileRequest allows no other fields (additionalProperties: false).
        raise ApiError.invalid(
            f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0]
        )
    purpose = fields.get("purpose")
    if not purpose:
        raise ApiError.invalid("Missing required parameter: 'purpose'.", param="purpose")
    if purpose == "fine-tune" and not filename.endswith(".jsonl"):
        raise ApiError.invalid(
            f"Invalid file format for Fine-Tuning API. Must be .jsonl (got '{filename}').",
            param="file",
        )
    expires_after = _expires_after(fields)
    source = {
        "purpose": purpose,
        "filename": filename,
        "sha256": hashlib.sha256(content).hexdigest(),
        "expires_after": expires_after,
    }

    def produce() -> web.Response:
        record = emulator.store.add_file(filename, purpose, content, expires_after=expires_after)
        return _json(render_file(record, emulator.store.clock.to_wall))

    return _idempotent(request, source, produce)


async def _list_files(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    query = request.query
    limit = parse_limit(query.get("limit"), default=10_000, maximum=10_000)
    order = parse_order(query.get("order"))
    files, has_more = store.list_files(
        purpose=query.get("purpose"), limit=limit, order=order, after=_after(query)
    )
    data = [render_file(f, store.clock.to_wall) for f in files]
    return _list_json(data, has_more, with_ids=True)


async def _get_file(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    return _json(render_file(store.get_file(request.match_info["file_id"]), store.clock.to_wall))


async def _delete_file(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    file_id = request.match_info["file_id"]
    store.delete_file(file_id)
    return _json({"id": file_id, "object": "file", "deleted": True})


async def _file_content(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    content = store.file_content(request.match_info["file_id"])
    return web.Response(body=content, content_type="application/octet-stream")


# -- admin handlers ------------------------------------------------------------------------------


async def _admin_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError.invalid("Admin request bodies must be JSON objects.") from None
    if not isinstance(body, dict):
        raise ApiError.invalid("Admin request bodies must be JSON objects.")
    return body


async def _admin_stats(request: web.Request) -> web.StreamResponse:
    return _json(_emulator(request).stats())


async def _admin_reset_stats(request: web.Request) -> web.StreamResponse:
    emulator = _emulator(request)
    emulator.reset_stats()
    return _json(emulator.stats())


async def _admin_get_faults(request: web.Request) -> web.StreamResponse:
    return _json(_emulator(request).faults.config.to_dict())


async def _admin_set_faults(request: web.Request) -> web.StreamResponse:
    emulator = _emulator(request)
    body = await _admin_body(request)
    try:
        config = FaultConfig.from_mapping(body)
    except (ValueError, TypeError) as exc:
        raise ApiError.invalid(f"Invalid fault config: {exc}", param="faults") from None
    emulator.set_faults(config)
    return _json(config.to_dict())


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


async def _admin_script(request: web.Request) -> web.StreamResponse:
    store = _emulator(request).store
    body = await _admin_body(request)
    outcome = _outcome_from(body)
    job_id = body.get("job_id")
    if job_id is not None:
        job = store.script_job(str(job_id), outcome)
        return _json({"scripted": job.id})
    count = body.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ApiError.invalid("'count' must be a positive integer.", param="count")
    store.script_next_jobs(*([outcome] * count))
    return _json({"scripted_next": count})


async def _admin_clock(request: web.Request) -> web.StreamResponse:
    emulator = _emulator(request)
    if request.method == "POST":
        body = await _admin_body(request)
        seconds = body.get("advance", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ApiError.invalid("'advance' must be a number of seconds >= 0.", param="advance")
        emulator.store.advance_clock(float(seconds))
    return _json({"now": emulator.store.now(), "speed": emulator.config.speed})


async def _admin_seed(request: web.Request) -> web.StreamResponse:
    """Create many jobs at once (for benchmarks): ``{"jobs": N, "metadata": {...}}``."""
    store = _emulator(request).store
    body = await _admin_body(request)
    count = body.get("jobs", 0)
    if not isinstance(count, int) or not 0 <= count <= 100_000:
        raise ApiError.invalid("'jobs' must be an integer between 0 and 100000.", param="jobs")
    template: dict[str, Any] = {"model": body.get("model", "gpt-4o-mini-2024-07-18")}
    if body.get("metadata") is not None:
        template["metadata"] = body["metadata"]
    line = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    }
    examples = max(store.config.min_training_examples, 1)
    content = ("\n".join([json.dumps(line)] * examples) + "\n").encode()
    file = store.add_file("seed.jsonl", "fine-tune", content)
    request_ = parse_job_request({**template, "training_file": file.id})
    ids = [store.create_job(request_).id for _ in range(count)]
    return _json(
        {
            "training_file": file.id,
            "created": len(ids),
            "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None,
        }
    )


async def _admin_health(request: web.Request) -> web.StreamResponse:
    return _json({"ok": True})


def _add_routes(app: web.Application, prefixes: tuple[str, ...]) -> None:
    for prefix in prefixes:
        router = app.router
        router.add_post(prefix + "/fine_tuning/jobs", _create_job)
        router.add_get(prefix + "/fine_tuning/jobs", _list_jobs)
        router.add_get(prefix + _JOB, _get_job)
        for action in ("cancel", "pause", "resume"):
            router.add_post(f"{prefix}{_JOB}/{action}", _action(action))
        router.add_get(prefix + _JOB + "/events", _list_events)
        router.add_get(prefix + _JOB + "/checkpoints", _list_checkpoints)
        router.add_post(prefix + "/files", _upload_file)
        router.add_get(prefix + "/files", _list_files)
        router.add_get(prefix + "/files/{file_id}", _get_file)
        router.add_delete(prefix + "/files/{file_id}", _delete_file)
        router.add_get(prefix + "/files/{file_id}/content", _file_content)
    admin = _ADMIN_PREFIX
    app.router.add_get(admin + "/health", _admin_health)
    app.router.add_get(admin + "/stats", _admin_stats)
    app.router.add_post(admin + "/stats/reset", _admin_reset_stats)
    app.router.add_get(admin + "/faults", _admin_get_faults)
    app.router.add_post(admin + "/faults", _admin_set_faults)
    app.router.add_post(admin + "/script", _admin_script)
    app.router.add_get(admin + "/clock", _admin_clock)
    app.router.add_post(admin + "/clock", _admin_clock)
    app.router.add_post(admin + "/seed", _admin_seed)


def create_app(config: EmulatorConfig | None = None, clock: Clock | None = None) -> web.Application:
    """Build the emulator's aiohttp application.

    Args:
        config: Emulator settings (defaults: key ``sk-emulator``, speed 1, in memory).
        clock: Source of emulated time; defaults to a :class:`SystemClock` at
            ``config.speed`` (continuing a persisted timeline when ``state_path`` is set).

    The state file, if any, is opened now and closed on the application's cleanup.
    """
    config = config or EmulatorConfig()
    store = open_store(config, clock)
    app = web.Application(middlewares=[_gateway], client_max_size=config.max_upload_bytes + 65536)
    app[EMULATOR_KEY] = Emulator(config, store)

    async def close_store(app: web.Application) -> None:
        app[EMULATOR_KEY].store.close()

    app.on_cleanup.append(close_store)
    prefixes = (*API_PREFIXES, DATED_PREFIX) if config.dialect == "azure" else API_PREFIXES
    _add_routes(app, prefixes)
    return app
