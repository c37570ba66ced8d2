"""Cursor pagination over the API's list endpoints.

A list call returns an `AsyncPaginator`. Await it for the first `Page`, or iterate it with
``async for`` for every item, pages being fetched lazily as the loop goes on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from .models import HasId, Page

__all__ = ["AsyncPaginator"]


T = TypeVar("T", bound=HasId)

FetchPage = Callable[[str | None], Awaitable[Page[T]]]


class AsyncPaginator(Generic[T]):
    """A lazily fetched, cursor-paginated list.

    ``await paginator`` gives the first page; ``async for item in paginator`` yields every item
    across pages; ``async for page in paginator.pages()`` yields pages. The cursor of the next
    page is the id of the last item of the previous one; iteration stops when the server says
    ``has_more`` is false or returns an empty page. Filters given to the list call are sent
    with every page.
    """

    __slots__ = ("_after", "_fetch")

    def __init__(self, fetch: FetchPage[T], after: str | None = None) -> None:
        self._fetch = fetch
        self._after = after

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self._fetch(self._after).__await__()

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn, starting from the cursor given to the list call."""
        after = self._after
        while True:
            page = await self._fetch(after)
            yield page
            after = page.next_cursor
            if after is None:
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item
