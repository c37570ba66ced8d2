"""ftjobs.waiting._waits: ``client.jobs``' wait methods are the waiting package's, handed on
as they are (the package builds every waiter and group; ``client.jobs`` only delegates)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import ftjobs
from ftjobs import FineTuningJob
from ftjobs._converter import structure
from ftjobs.resources import Jobs
from ftjobs.waiting import JobWaiter
from ftjobs.waiting._waits import JobWaits
from tests._support.payloads import job_payload

WAITS = ("waiter", "step", "wait_until_terminal", "watch", "wait_many", "as_completed")


@pytest.mark.parametrize("name", WAITS)
def test_jobs_offers_each_wait_with_the_waits_signature(name: str) -> None:
    ours = inspect.signature(getattr(Jobs, name))
    theirs = inspect.signature(getattr(JobWaits, name))
    assert ours == theirs
    assert inspect.iscoroutinefunction(getattr(Jobs, name)) == inspect.iscoroutinefunction(
        getattr(JobWaits, name)
    )


@pytest.mark.parametrize("name", WAITS)
async def test_each_wait_method_hands_its_call_to_the_waits(
    name: str, client: ftjobs.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, ...]] = []
    answer = object()
    is_async = inspect.iscoroutinefunction(getattr(JobWaits, name))

    def handed(waits: JobWaits, *args: Any, **kwargs: Any) -> Any:
        seen.append((waits, args, kwargs))
        if is_async:

            async def awaited() -> Any:
                return answer

            return awaited()
        return answer

    monkeypatch.setattr(JobWaits, name, handed)
    first: Any = ["ftjob-1"] if name in ("wait_many", "as_completed") else "ftjob-1"
    result = getattr(client.jobs, name)(first, poll=None)
    if inspect.isawaitable(result):
        result = await result
    assert result is answer
    [(waits, args, kwargs)] = seen
    assert waits is client.jobs._waits
    assert args == (first,)
    assert kwargs["poll"] is None


async def test_the_waits_share_the_clients_watcher_and_budget(
    client: ftjobs.AsyncClient,
) -> None:
    waits = client.jobs._waits
    assert client.jobs.watcher is waits.watcher
    assert waits.budget is client.jobs.budget
    waiter = client.jobs.waiter(structure(job_payload("ftjob-7"), FineTuningJob))
    assert isinstance(waiter, JobWaiter)
    assert waiter.job_id == "ftjob-7"
