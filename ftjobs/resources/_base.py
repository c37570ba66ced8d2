"""What every resource shares: a transport, the request record, and typed decoding."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from .. import _validation as check
from .._converter import structure
from .._models import Page
from .._options import CallOptions
from .._pagination import AsyncPaginator
from .._request import Multipart, QueryParams, Request
from .._responses import APIResponse
from .._transport import Transport
from ..providers import COMMON_OPERATIONS, OPENAI, Adapter, Dialect

T = TypeVar("T")
_ResourceT = TypeVar("_ResourceT", bound=type)
_S = TypeVar("_S")
_P = ParamSpec("_P")
_R = TypeVar("_R")
#: Bytes per chunk of a streamed body unless the caller asks otherwise.
_STREAM_CHUNK = 64 * 1024


class Resource:
    """Base of the API resources; holds the client's transport.

    A public method checks its arguments, bundles its per-call options once
    (`call_options`) and hands both to `_send`, `_stream` or
    `_paginate`. ``dialect`` is the provider's (paths, paging, adapters).
    """

    __slots__ = ("_dialect", "_transport")

    def __init__(self, transport: Transport, *, dialect: Dialect = OPENAI) -> None:
        self._transport = transport
        self._dialect = dialect

    @property
    def dialect(self) -> Dialect:
        """The provider this resource speaks to."""
        return self._dialect

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
        self,
        path: str,
        options: CallOptions,
        chunk_size: int = _STREAM_CHUNK,
        params: QueryParams | None = None,
    ) -> AsyncGenerator[bytes, None]:
        """`_send` for a body read in chunks (a GET)."""
        request = Request("GET", path, params, options=options, decode_json=False)
        return self._transport.stream(request, chunk_size)

    async def _decoded(
        self,
        cls: type[T],
        pending: Awaitable[APIResponse],
        adapt: Adapter | None = None,
        context: str = "",
    ) -> T:
        """The response of ``pending`` (a `_send`) as a ``cls``, through the dialect's
        ``adapt`` first when it has one for this answer."""
        response = await pending
        data = response.data if adapt is None else adapt(response.data, context)
        return structure(data, cls, request_id=response.request_id)

    def _paginate(
        self,
        item_cls: type[Any],
        path: str,
        params: list[tuple[str, str]],
        options: CallOptions,
        *,
        after: str | None,
        adapt: Adapter | None = None,
        context: str = "",
    ) -> AsyncPaginator[Any]:
        page_cls: type[Page[Any]] = Page[item_cls]  # type: ignore[valid-type]

        async def fetch(cursor: str | None) -> Page[Any]:
            query = params if cursor is None else [*params, ("after", cursor)]
            pending = self._send("GET", path, options, params=query)
            return await self._decoded(page_cls, pending, adapt, context)

        return AsyncPaginator(fetch, after, endpoint=path)

    def _page_params(self, after: str | None, limit: int | None) -> list[tuple[str, str]]:
        """The query of one page: ``limit`` (cursor paging), or nothing for a list that is
        one page (its ``limit`` is moot: a page may hold more items than asked for)."""
        check.optional_str("after", after)
        size = check.limit(limit)
        if self._dialect.paging == "cursor":
            return [] if size is None else [("limit", str(size))]
        if after is not None:
            raise ValueError(
                f"after: {self._dialect.title}'s lists have no cursor (one page holds every item)"
            )
        return []


def refusing(cls: _ResourceT, dialect: Dialect, prefix: str) -> _ResourceT:
    """``cls``, or for a dialect that lacks some of its operations (``{prefix}.{method}``),
    a subclass whose those methods raise
    [`UnsupportedOperationError`][ftjobs.UnsupportedOperationError] when called, before any
    request (with the original's name and signature; the subclass is made once per class,
    dialect and prefix)."""
    return cast("_ResourceT", _refusing(cls, dialect, prefix))


@functools.cache
def _refusing(cls: type, dialect: Dialect, prefix: str) -> type:
    names = sorted(
        op.removeprefix(f"{prefix}.")
        for op in COMMON_OPERATIONS
        if op.startswith(f"{prefix}.")
        and "." not in op.removeprefix(f"{prefix}.")
        and not dialect.supports(op)
    )
    if not names:
        return cls

    def refuser(name: str) -> Callable[..., Any]:
        operation = f"{prefix}.{name}"

        @functools.wraps(getattr(cls, name))
        def refused(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            raise dialect.refuse(operation)

        refused.__doc__ = f"Not on {dialect.title}: raises `UnsupportedOperationError`."
        return refused

    namespace: dict[str, Any] = {"__slots__": (), "__module__": cls.__module__}
    namespace.update((name, refuser(name)) for name in names)
    return type(cls.__name__, (cls,), namespace)


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
