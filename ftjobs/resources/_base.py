"""What every resource shares: a transport, per-call options, and typed decoding."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import aiohttp

from .. import _validation as check
from .._converter import structure
from .._models import Page
from .._pagination import AsyncPaginator
from .._transport import APIResponse, QueryParams, Transport
from .._types import NOT_GIVEN, NotGiven

T = TypeVar("T")
#: Bytes per chunk of a streamed body unless the caller asks otherwise.
_STREAM_CHUNK = 64 * 1024


class Resource:
    """Base of the API resources; holds the client's transport."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def base_url(self) -> str:
        """The API root this resource talks to."""
        return self._transport.base_url

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        body: Mapping[str, Any] | None = None,
        multipart: Callable[[], AbstractContextManager[aiohttp.FormData]] | None = None,
        idempotency_key: str | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        decode_json: bool = True,
    ) -> Coroutine[Any, Any, APIResponse]:
        """The one path of every call: check the per-call options, merge ``extra_*`` into the
        request, and send it. Awaited, the raw response (headers, bytes); `_decoded` makes a
        model of it. Not a coroutine itself: the checks run at the call, and every request
        reaches the transport without a frame of its own here."""
        check.call_options(extra_headers, extra_query, timeout)
        if idempotency_key is not None:  # most calls (every GET) have none: skip the calls
            check.require_str("idempotency_key", idempotency_key)
            check.header_values(idempotency_key=idempotency_key)
        if extra_body is not None:
            check.plain_mapping("extra_body", extra_body)
        if extra_body:
            body = {**(body or {}), **extra_body}
        if extra_query:
            params = [*_query_items(params), *extra_query.items()]
        return self._transport.request(
            method,
            path,
            params=params,
            json_body=body,
            multipart=multipart,
            headers=extra_headers,
            timeout=timeout,
            idempotency_key=idempotency_key,
            max_retries=max_retries,
            decode_json=decode_json,
        )

    def _stream(
        self,
        path: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        chunk_size: int = _STREAM_CHUNK,
    ) -> AsyncGenerator[bytes, None]:
        """`_send` for a body read in chunks (a GET): the same option checks, the same query."""
        check.call_options(extra_headers, extra_query, timeout)
        return self._transport.stream(
            path,
            params=None if extra_query is None else list(extra_query.items()),
            headers=extra_headers,
            timeout=timeout,
            chunk_size=chunk_size,
        )

    async def _decoded(self, cls: type[T], pending: Awaitable[APIResponse]) -> T:
        """The response of ``pending`` (a `_send`) as a ``cls``."""
        response = await pending
        return structure(response.data, cls, request_id=response.request_id)

    def _paginate(
        self,
        item_cls: type[Any],
        path: str,
        params: list[tuple[str, str]],
        *,
        after: str | None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[Any]:
        # Checked now, not at the first page: a bad option should fail at the list call.
        check.call_options(extra_headers, extra_query, timeout)
        page_cls: type[Page[Any]] = Page[item_cls]  # type: ignore[valid-type]

        async def fetch(cursor: str | None) -> Page[Any]:
            query = params if cursor is None else [*params, ("after", cursor)]
            return await self._decoded(
                page_cls,
                self._send(
                    "GET",
                    path,
                    params=query,
                    extra_headers=extra_headers,
                    extra_query=extra_query,
                    timeout=timeout,
                ),
            )

        # The limit sent is the most a page may hold (a larger one is refused, not kept).
        limit = next((int(value) for name, value in params if name == "limit"), None)
        return AsyncPaginator(fetch, after, endpoint=path, limit=limit)


def _query_items(params: QueryParams | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    return list(params.items()) if isinstance(params, Mapping) else list(params)
