"""Seeing many jobs' statuses with few requests: the I/O edge shared by `JobGroup` and the
`Watcher`.

One request of the newest-first list endpoint sees up to 100 jobs, so a refresh of several
jobs lists instead of one GET per job, and falls back to GETs, under a concurrency cap, for
the jobs the list did not show. A refresh of a few jobs (or of jobs spread over more pages than
they are jobs) uses GETs. Every request goes through the shared request budget.

The first scan reads pages one after another (each page's cursor is the previous page's last
job), stopping once every wanted id was seen or once the pages are older than the oldest
wanted job. It remembers on which page (by its ``after`` cursor) each job was. Jobs only ever
get newer jobs on top of them, so a page read again from the same cursor shows the same jobs:
later refreshes read just the pages their jobs are on, side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import attrs

from .._errors import AuthenticationError, ClientClosedError, PermissionDeniedError
from .._models import FineTuningJob, Page
from ._pacer import is_transient
from ._source import JobSource

__all__ = ["Refresher", "Seen", "refuses_every_job"]

_PAGE = 100


@attrs.frozen
class Seen:
    """What one refresh saw.

    Attributes:
        jobs: Jobs seen, by id.
        headers: Response headers of the GETs, by job id (a list page carries no per-job
            pacing hint).
        errors: Why a job was not seen, by id (its GET failed, or the scan failed before it).
    """

    jobs: dict[str, FineTuningJob]
    headers: dict[str, Mapping[str, str]]
    errors: dict[str, Exception]

    def worst_error(self) -> Exception | None:
        """A permanent error if any (a wrong id outranks a hiccup), else a transient one."""
        return min(self.errors.values(), key=is_transient, default=None)


def refuses_every_job(exc: BaseException) -> bool:
    """A failure that any other request of the client would meet too: the key is refused (401,
    403) or the client is closed. A page failing so is not a reason to try each job's GET."""
    return isinstance(exc, (AuthenticationError, PermissionDeniedError, ClientClosedError))


class Refresher:
    """Refreshes sets of jobs through a `JobSource`, remembering where the list showed them.

    Args:
        source: Where jobs are fetched.
        list_threshold: With at most this many jobs to refresh, always use GETs.
        max_concurrency: Cap on GETs in flight at once.
    """

    def __init__(self, source: JobSource, *, list_threshold: int = 3, max_concurrency: int = 8):
        self._source = source
        self._list_threshold = list_threshold
        self._semaphore = asyncio.Semaphore(max_concurrency)
        # For each job a scan saw: the cursor of the page it was on (None: the first page).
        self._cursor_of: dict[str, str | None] = {}
        self.requests = 0
        """Requests made so far (pages and GETs)."""

    def forget(self, job_id: str) -> None:
        """Stop remembering a job (it is terminal, or no longer watched)."""
        self._cursor_of.pop(job_id, None)

    def _pages(self, ids: Mapping[str, object]) -> dict[str | None, list[str]] | None:
        """The jobs of ``ids`` by the page (its cursor) they are on, when a scan has placed
        every one of them."""
        pages: dict[str | None, list[str]] = {}
        for job_id in ids:
            if job_id not in self._cursor_of:
                return None
            pages.setdefault(self._cursor_of[job_id], []).append(job_id)
        return pages

    def should_scan(self, ids: Mapping[str, object]) -> bool:
        """Whether listing is cheaper than one GET per job for ``ids``."""
        return self._should_scan(ids, self._pages(ids))

    def _should_scan(
        self, ids: Mapping[str, object], pages: dict[str | None, list[str]] | None
    ) -> bool:
        if len(ids) <= self._list_threshold:
            return False
        return pages is None or len(pages) < len(ids)

    async def refresh(
        self, wanted: Mapping[str, FineTuningJob | None], *, scan: bool | None = None
    ) -> Seen:
        """Fetch every job of ``wanted`` (its last known state, ``None`` if never seen).

        ``scan`` forces listing (True) or GETs only (False); ``None`` picks the cheaper one.
        Failures do not raise: they are in the result, beside what was seen before them.
        """
        seen = Seen({}, {}, {})
        pages = self._pages(wanted)
        use_list = self._should_scan(wanted, pages) if scan is None else scan
        if use_list and pages is not None:
            await asyncio.gather(
                *(
                    self._read_page(cursor, on_page, wanted, seen)
                    for cursor, on_page in pages.items()
                )
            )
        elif use_list:
            try:
                await self._scan_list(wanted, seen.jobs)
            except Exception as exc:
                seen.errors.update((job_id, exc) for job_id in wanted if job_id not in seen.jobs)
                return seen
        missing = [j for j in wanted if j not in seen.jobs and j not in seen.errors]
        if missing:
            await self._get_all(missing, seen)
        return seen

    async def _request_slot(self) -> None:
        await self._source.budget.acquire()
        self.requests += 1

    async def _get(
        self, job_id: str, refused: list[Exception]
    ) -> tuple[FineTuningJob, Mapping[str, str]]:
        async with self._semaphore:
            if not refused:
                await self._request_slot()
            if refused:  # a GET before this one was refused for every job: no use asking
                raise refused[0]
            try:
                return await self._source.retrieve_with_headers(job_id)
            except Exception as exc:
                if refuses_every_job(exc):
                    refused.append(exc)
                raise

    async def _get_all(self, ids: list[str], seen: Seen) -> None:
        refused: list[Exception] = []
        # return_exceptions: one failed GET must not orphan the others still in flight.
        results = await asyncio.gather(
            *(self._get(job_id, refused) for job_id in ids), return_exceptions=True
        )
        for job_id, result in zip(ids, results, strict=True):
            if isinstance(result, tuple):
                seen.jobs[job_id], seen.headers[job_id] = result
            elif isinstance(result, Exception):
                seen.errors[job_id] = result
            else:
                raise result

    async def _read_page(
        self,
        cursor: str | None,
        on_page: list[str],
        wanted: Mapping[str, FineTuningJob | None],
        seen: Seen,
    ) -> None:
        """Read the one page at ``cursor`` for ``on_page``, the wanted jobs placed on it."""
        try:
            async with self._semaphore:
                await self._request_slot()
                page: Page[FineTuningJob] = await self._source.list(after=cursor, limit=_PAGE)
        except Exception as exc:
            if is_transient(exc) or refuses_every_job(exc):
                # A GET per job would fare no better: a hiccup is ridden out, a revoked key
                # or a closed client ends the waits on these jobs (it cost a GET each).
                seen.errors.update(dict.fromkeys(on_page, exc))
            else:  # a cursor the server no longer knows: place these jobs afresh
                for job_id in on_page:
                    self.forget(job_id)
            return
        for job in page.data:
            if job.id in wanted:
                seen.jobs[job.id] = job
        for job_id in on_page:
            if job_id not in seen.jobs:
                # Moved off its page (new jobs on top of the first page): a GET finds it, and
                # the next scan places it again.
                self.forget(job_id)

    async def _scan_list(
        self, wanted: Mapping[str, FineTuningJob | None], seen: dict[str, FineTuningJob]
    ) -> None:
        known = [job.created_at for job in wanted.values() if job is not None]
        # Only when every wanted job has been seen once is its creation time a safe floor.
        oldest = min(known) if len(known) == len(wanted) else None
        await self._request_slot()
        cursor: str | None = None
        async for page in self._source.list(limit=_PAGE).pages():
            for job in page.data:
                if job.id in wanted:
                    seen[job.id] = job
                    self._cursor_of[job.id] = cursor
            if len(seen) == len(wanted) or not page.has_more or not page.data:
                return
            if oldest is not None and page.data[-1].created_at < oldest:
                return
            cursor = page.next_cursor
            await self._request_slot()
