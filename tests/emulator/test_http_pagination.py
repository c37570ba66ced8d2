"""List pagination (jobs, events) and the metadata filter over loopback."""

from __future__ import annotations

from typing import Any

from ftjobs.emulator import ManualClock
from tests._support.emulator import Api, chat_file


async def collect(api: Api, path: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    after: str | None = None
    sep = "&" if "?" in path else "?"
    while True:
        query = f"{path}{sep}limit={limit}" + (f"&after={after}" if after else "")
        status, page = await api.call("GET", query)
        assert status == 200, page
        pages += 1
        assert len(page["data"]) <= limit
        items.extend(page["data"])
        if not page["has_more"]:
            return items, pages
        assert len(page["data"]) == limit
        after = page["data"][-1]["id"]


async def test_paginate_260_jobs(api: Api) -> None:
    async with api.session.post(
        api.handle.root_url + "/_emulator/seed",
        json={"jobs": 260},
        headers=api.handle.admin_headers,
    ) as r:
        seeded = await r.json()
    assert seeded["created"] == 260
    ids = [job.id for job in api.handle.store.jobs()][::-1]  # newest first

    items, pages = await collect(api, "/fine_tuning/jobs", 100)
    assert [j["id"] for j in items] == ids and pages == 3
    items, pages = await collect(api, "/fine_tuning/jobs", 7)
    assert [j["id"] for j in items] == ids and pages == 38

    status, page = await api.call("GET", "/fine_tuning/jobs")
    assert len(page["data"]) == 20 and page["has_more"] is True  # default limit
    status, page = await api.call("GET", f"/fine_tuning/jobs?after={ids[-2]}")
    assert [j["id"] for j in page["data"]] == [ids[-1]] and page["has_more"] is False
    status, page = await api.call("GET", f"/fine_tuning/jobs?after={ids[-1]}")
    assert page["data"] == [] and page["has_more"] is False
    for bad in (0, 101, -1):
        status, body = await api.call("GET", f"/fine_tuning/jobs?limit={bad}")
        assert status == 400 and body["error"]["param"] == "limit"
        assert str(bad) in body["error"]["message"]


async def test_paginate_300_plus_events(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload(chat_file(100))
    job = await api.create_job(
        training["id"],
        method={"type": "supervised", "supervised": {"hyperparameters": {"batch_size": 1}}},
    )
    emulator_clock.advance(10_000)
    path = f"/fine_tuning/jobs/{job['id']}/events"
    items, pages = await collect(api, path, 100)
    assert len(items) > 300 and pages == len(items) // 100 + (1 if len(items) % 100 else 0)
    assert len({e["id"] for e in items}) == len(items)
    steps = [e["data"]["step"] for e in items if e["type"] == "metrics"]
    assert steps == list(range(300, 0, -1))  # newest first, none missing or repeated
    times = [e["created_at"] for e in items]
    assert times == sorted(times, reverse=True)
    again, _ = await collect(api, path, 33)
    assert again == items


async def test_checkpoint_pagination(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    emulator_clock.advance(1000)
    path = f"/fine_tuning/jobs/{job['id']}/checkpoints"
    _, first = await api.call("GET", path + "?limit=2")
    assert len(first["data"]) == 2 and first["has_more"] is True
    _, rest = await api.call("GET", f"{path}?limit=2&after={first['last_id']}")
    assert len(rest["data"]) == 1 and rest["has_more"] is False
    assert rest["data"][0]["step_number"] < first["data"][-1]["step_number"]


async def test_metadata_filter(api: Api) -> None:
    training = await api.upload()
    a1 = await api.create_job(training["id"], metadata={"team": "a", "env": "prod"})
    b1 = await api.create_job(training["id"], metadata={"team": "b", "env": "prod"})
    a2 = await api.create_job(training["id"], metadata={"team": "a", "env": "dev"})
    plain = await api.create_job(training["id"])

    async def ids(query: str) -> list[str]:
        status, page = await api.call("GET", "/fine_tuning/jobs?" + query)
        assert status == 200
        return [j["id"] for j in page["data"]]

    assert await ids("metadata[team]=a") == [a2["id"], a1["id"]]
    assert await ids("metadata[team]=a&metadata[env]=prod") == [a1["id"]]
    assert await ids("metadata[env]=prod") == [b1["id"], a1["id"]]
    assert await ids("metadata[team]=c") == []
    assert await ids("metadata=null") == [plain["id"]]
    assert await ids("metadata[team]=a&limit=1") == [a2["id"]]
    assert await ids(f"metadata[team]=a&after={a2['id']}") == [a1["id"]]
