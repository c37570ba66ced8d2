"""Where a request is built: what a resource asks for (`Request`) and what goes out (`Wire`).

A resource builds one `Request` per call (method, path, query, body, its `CallOptions`);
`Preparer` turns it, once per call, into the `Wire` every attempt sends: the URL, the client's
headers and query with the call's options over them, the body as JSON bytes, the timeout.
Pure: no I/O, so every attempt of a call sends the same bytes (one ``Idempotency-Key``); the
transport (`ftjobs._transport`) sends it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

import aiohttp
import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._options import NO_OPTIONS, CallOptions
from ._types import NOT_GIVEN

__all__ = ["Headers", "Multipart", "Preparer", "QueryParams", "Request", "Wire"]

QueryParams = Iterable[tuple[str, str]] | Mapping[str, str]
#: Builds a fresh multipart form for each attempt (a file is reopened or rewound).
Multipart = Callable[[], AbstractContextManager[aiohttp.FormData]]
Headers = CIMultiDict[str] | CIMultiDictProxy[str]


# Both records are NamedTuples: immutable and the cheapest to build (every call builds both;
# attrs' frozen __init__ costs about twice as much, measurable on a plain retrieve).
class Request(NamedTuple):
    """One logical request, as a resource asks the transport for it.

    Attributes:
        method: ``GET``, ``POST``, ``DELETE``.
        path: Below the base URL, e.g. ``/fine_tuning/jobs``.
        params: Query parameters (the client's default query goes before them, the call's
            ``extra_query`` after).
        json_body: Sent as JSON (the call's ``extra_body`` is merged over it).
        multipart: Or a multipart form, built afresh for each attempt.
        options: The call's per-call options.
        max_retries: Overrides the client's retry count (0 for a body that can be sent once).
        decode_json: Decode the body as JSON (``False``: keep the bytes).
    """

    method: str
    path: str
    params: QueryParams | None = None
    json_body: Any = None
    multipart: Multipart | None = None
    options: CallOptions = NO_OPTIONS
    max_retries: int | None = None
    decode_json: bool = True


# attrs.define: slotted, with a plain __init__ (no frozen setattr), the cheapest to build.
@attrs.define
class Wire:
    """A request as it goes out: prepared once per call, the same on every attempt (not
    changed once sent)."""

    method: str
    url: str
    query: list[tuple[str, str]] | None
    data: bytes | None
    headers: Headers
    timeout: aiohttp.ClientTimeout
    decode_json: bool


class Preparer:
    """The client's side of every request (base URL, headers, query, timeout), applied to
    each `Request` with the call's options over it."""

    __slots__ = (
        "_bytes_headers",
        "_client_timeout",
        "_default_query",
        "_headers",
        "base_url",
        "headers",
        "timeout",
    )

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        default_query: Mapping[str, str] | None,
        timeout: float | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = CIMultiDict(headers)
        self.headers = CIMultiDictProxy(self._headers)
        """The client's headers, shared and never changed: a plain GET's `Wire` holds this very
        object (no per-request copy), which tells the transport it may send the session's."""
        # A body kept as bytes (a file's content, a model download) may be of any type: an
        # endpoint that serves text/plain or octet-stream may refuse `Accept: application/json`
        # with a 406 (Together's description does).
        bytes_headers = CIMultiDict(self._headers)
        bytes_headers["Accept"] = "*/*"
        self._bytes_headers = CIMultiDictProxy(bytes_headers)
        self._default_query = dict(default_query or {})
        self.timeout = timeout
        """The client's per-attempt timeout (``None``: no limit)."""
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)

    def wire(self, request: Request) -> Wire:
        """``request`` as it goes out. A POST gets its ``Idempotency-Key`` here, once: the
        call's own or a fresh one, the same on every retry."""
        method, options, body = request.method, request.options, request.json_body
        url = self.base_url + request.path
        headers: Headers = self.headers if request.decode_json else self._bytes_headers
        if options is NO_OPTIONS and body is None and method != "POST":
            # The common call, a plain GET: the client's own headers, query and timeout.
            query = self._query(request.params, None)
            return Wire(
                method, url, query, None, headers, self._client_timeout, request.decode_json
            )
        if options.extra_body:
            body = {**(body or {}), **options.extra_body}
        data: bytes | None = None
        if method == "POST" or options.extra_headers or body is not None:
            own_headers = CIMultiDict(headers)
            if method == "POST":
                own_headers["Idempotency-Key"] = options.idempotency_key or f"ftjobs-{uuid.uuid4()}"
            if options.extra_headers:
                own_headers.update(options.extra_headers)
            if body is not None:
                data = json.dumps(body, separators=(",", ":")).encode()
                own_headers["Content-Type"] = "application/json"
            headers = own_headers
        timeout = options.timeout
        if timeout is NOT_GIVEN or timeout == self.timeout:
            client_timeout = self._client_timeout
        else:
            client_timeout = aiohttp.ClientTimeout(total=timeout)
        query = self._query(request.params, options.extra_query)
        return Wire(method, url, query, data, headers, client_timeout, request.decode_json)

    def stream_wire(self, request: Request) -> Wire:
        """`wire` for a body read in chunks: the timeout bounds each wait for data, not the
        whole transfer, so a large download is not cut off by the per-request default."""
        given = request.options.timeout
        seconds = self.timeout if given is NOT_GIVEN else given
        chunked = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        wire = self.wire(request)
        wire.timeout = chunked
        return wire

    def _query(
        self, params: QueryParams | None, extra: Mapping[str, str] | None
    ) -> list[tuple[str, str]] | None:
        if not (self._default_query or params or extra):
            return None
        query = list(self._default_query.items())
        if params:
            query.extend(params.items() if isinstance(params, Mapping) else params)
        if extra:
            query.extend(extra.items())
        return query
