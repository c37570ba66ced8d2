"""Cursor pagination over the API's list endpoints.

A list call returns an `AsyncPaginator`. Await it for the first `Page`, or iterate it with
``async for`` for every item, pages being fetched lazily as the loop goes on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from ._errors import PaginationError
from ._models import HasId, Page

__all__ = ["AsyncPaginator"]


T = TypeVar("T", bound=HasId)

FetchPage = Callable[[str | None], Awaitable[Page[T]]]


class AsyncPaginator(Generic[T]):
    """A lazily fetched, cursor-paginated list.

    ``await paginator`` gives the first page; ``async for item in paginator`` yields every item
    across pages; ``async for page in paginator.pages()`` yields pages. The cursor of the next
    page is the id of the last item of the previous one; iteration stops when the server says
    ``has_more`` is false. Filters given to the list call are sent with every page. A
    provider whose lists are one page (Together AI: no cursor, no ``has_more``) gives one
    page, the last, whatever it says; iterating it is the same.

    Iteration always ends: a server that hands back a cursor already used, or says
    ``has_more`` on a page with no items, raises
    [PaginationError][ftjobs.PaginationError] (naming the endpoint and the cursor)
    instead of looping. A page may hold more items than the ``limit`` asked for: the spec
    does not promise otherwise, some servers ignore ``limit``, and a page's size is bounded
    by ``max_response_bytes`` anyway.
    """

    __slots__ = ("_after", "_endpoint", "_fetch")

    def __init__(
        self,
        fetch: FetchPage[T],
        after: str | None = None,
        *,
        endpoint: str = "",
    ) -> None:
        self._fetch = fetch
        self._after = after
        self._endpoint = endpoint

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self._fetch(self._after).__await__()

    def _error(self, problem: str, cursor: str | None, page: Page[T]) -> PaginationError:
        return PaginationError(
            f"GET {self._endpoint}: {problem} (after={cursor!r}); stopped rather than "
            "paginate without end",
            endpoint=self._endpoint,
            cursor=cursor,
            request_id=page.request_id,
        )

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn, starting from the cursor given to the list call."""
        after = self._after
        used = {after}
        while True:
            page = await self._fetch(after)
            yield page
            if page.has_more and not page.data:
                raise self._error("has_more with an empty page", after, page)
            cursor = page.next_cursor
            if cursor is None:
                return
            if cursor in used:
                raise self._error(f"the cursor {cursor!r} came back", after, page)
            used.add(cursor)
            after = cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item
