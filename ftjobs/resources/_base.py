"""What every resource shares: a transport, per-call options, and typed decoding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import aiohttp

from .. import _validation as check
from .._types import NOT_GIVEN, NotGiven
from ..converter import structure
from ..models import Page
from ..pagination import AsyncPaginator
from ..transport import APIResponse, QueryParams, Transport

if TYPE_CHECKING:
    # typing.Unpack from Python 3.11 on; annotations are never evaluated at run time.
    from typing_extensions import Unpack

T = TypeVar("T")


class RequestOptions(TypedDict, total=False):
    """What one call may carry besides its method and path (all optional)."""

    params: QueryParams | None
    body: Mapping[str, Any] | None
    multipart: Callable[[], AbstractContextManager[aiohttp.FormData]] | None
    idempotency_key: str | None
    max_retries: int | None
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | NotGiven | None
    #: False for a body that is not JSON (a file's bytes).
    decode_json: bool


class Resource:
    """Base of the API resources; holds the client's transport."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def base_url(self) -> str:
        """The API root this resource talks to."""
        return self._transport.base_url

    async def _send(self, method: str, path: str, **options: Unpack[RequestOptions]) -> APIResponse:
        """The one path of every call: check the per-call options, merge ``extra_*`` into the
        request, send it; the raw response (headers, bytes) for callers that need it."""
        extra_headers = options.get("extra_headers")
        extra_query = options.get("extra_query")
        timeout = options.get("timeout", NOT_GIVEN)
        check.call_options(extra_headers, extra_query, timeout)
        body = options.get("body")
        params = options.get("params")
        extra_body = options.get("extra_body")
        if extra_body:
            body = {**(body or {}), **extra_body}
        if extra_query:
            params = [*_query_items(params), *extra_query.items()]
        return await self._transport.request(
            method,
            path,
            params=params,
            json_body=body,
            multipart=options.get("multipart"),
            headers=extra_headers,
            timeout=timeout,
            idempotency_key=options.get("idempotency_key"),
            max_retries=options.get("max_retries"),
            decode_json=options.get("decode_json", True),
        )

    async def _call(
        self, cls: type[T], method: str, path: str, **options: Unpack[RequestOptions]
    ) -> T:
        """`_send`, then the JSON body as a ``cls``."""
        response = await self._send(method, path, **options)
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
            return await self._call(
                page_cls,
                "GET",
                path,
                params=query,
                extra_headers=extra_headers,
                extra_query=extra_query,
                timeout=timeout,
            )

        return AsyncPaginator(fetch, after)


def _query_items(params: QueryParams | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    return list(params.items()) if isinstance(params, Mapping) else list(params)
