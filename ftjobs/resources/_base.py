"""What every resource shares: a transport, the request record, and typed decoding."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from .._converter import structure
from .._models import Page
from .._options import CallOptions
from .._pagination import AsyncPaginator
from .._request import Multipart, QueryParams, Request
from .._responses import APIResponse
from .._transport import Transport

T = TypeVar("T")
_S = TypeVar("_S")
_P = ParamSpec("_P")
_R = TypeVar("_R")
#: Bytes per chunk of a streamed body unless the caller asks otherwise.
_STREAM_CHUNK = 64 * 1024


class Resource:
    """Base of the API resources; holds the client's transport.

    A public method checks its arguments, bundles its per-call options once
    (`call_options`) and hands both to `_send`, `_stream` or
    `_paginate`.
    """

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
        options: CallOptions,
        *,
        params: QueryParams | None = None,
        body: Mapping[str, Any] | None = None,
        multipart: Multipart | None = None,
        max_retries: int | None = None,
        decode_json: bool = True,
    ) -> Coroutine[Any, Any, APIResponse]:
        """The one path of every call: awaited, the raw response (headers, bytes); `_decoded`
        makes a model of it. Not a coroutine itself: every request reaches the transport
        without a frame of its own here."""
        request = Request(method, path, params, body, multipart, options, max_retries, decode_json)
        return self._transport.request(request)

    def _stream(
        self, path: str, options: CallOptions, chunk_size: int = _STREAM_CHUNK
    ) -> AsyncGenerator[bytes, None]:
        """`_send` for a body read in chunks (a GET)."""
        return self._transport.stream(Request("GET", path, options=options), chunk_size)

    async def _decoded(self, cls: type[T], pending: Awaitable[APIResponse]) -> T:
        """The response of ``pending`` (a `_send`) as a ``cls``."""
        response = await pending
        return structure(response.data, cls, request_id=response.request_id)

    def _paginate(
        self,
        item_cls: type[Any],
        path: str,
        params: list[tuple[str, str]],
        options: CallOptions,
        *,
        after: str | None,
    ) -> AsyncPaginator[Any]:
        page_cls: type[Page[Any]] = Page[item_cls]  # type: ignore[valid-type]

        async def fetch(cursor: str | None) -> Page[Any]:
            query = params if cursor is None else [*params, ("after", cursor)]
            return await self._decoded(page_cls, self._send("GET", path, options, params=query))

        return AsyncPaginator(fetch, after, endpoint=path)


def named_action(
    action: Callable[Concatenate[_S, str, _P], Awaitable[_R]], name: str, doc: str
) -> Callable[Concatenate[_S, _P], Coroutine[Any, Any, _R]]:
    """``action`` with its first argument fixed to ``name``, as a method of its own (named
    ``name``, documented by ``doc``): methods that differ only by a name in the path are written
    once (``jobs.cancel``, ``pause``, ``resume``). The signature is ``action``'s without that
    argument, for type checkers, ``inspect`` and ``help`` alike."""

    async def method(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return await action(self, name, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"{action.__qualname__.rpartition('.')[0]}.{name}"
    method.__module__ = action.__module__
    method.__doc__ = doc
    signature = inspect.signature(action)
    params = list(signature.parameters.values())
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[params[0], *params[2:]]
    )
    return method
