"""Admin endpoints: scripting outcomes, moving the clock, seeding jobs."""

from __future__ import annotations

from ftjobs.emulator import ManualClock, Outcome
from tests._support.emulator import Api


async def admin(
    api: Api, method: str, path: str, body: object = None
) -> tuple[int, dict[str, object]]:
    async with api.session.request(
        method,
        api.handle.root_url + "/_emulator" + path,
        json=body if body is not None or method == "GET" else {},
        headers=api.handle.admin_headers,
    ) as r:
        return r.status, await r.json()


async def test_script_the_next_job_to_fail(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    status, _ = await admin(api, "POST", "/script", {"fail": True, "at_step": 3, "code": "oops"})
    assert status == 200
    failing = await api.create_job(training["id"])
    fine = await api.create_job(training["id"])
    emulator_clock.advance(1000)
    _, failing = await api.call("GET", f"/fine_tuning/jobs/{failing['id']}")
    _, fine = await api.call("GET", f"/fine_tuning/jobs/{fine['id']}")
    assert failing["status"] == "failed" and failing["error"]["code"] == "oops"
    assert fine["status"] == "succeeded"


async def test_script_an_existing_job(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    status, _ = await admin(api, "POST", "/script", {"job_id": job["id"], "fail": True})
    assert status == 200
    emulator_clock.advance(5)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "failed" and job["error"]["param"] == "training_file"
    status, body = await admin(api, "POST", "/script", {"job_id": job["id"]})
    assert "already finished" in str(body)
    assert status == 400  # already finished
    status, _ = await admin(api, "POST", "/script", {"job_id": "ftjob-nope"})
    assert status == 404
    status, _ = await admin(api, "POST", "/script", {"at_step": "two"})
    assert status == 400


async def test_script_through_the_store(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    api.handle.store.script_next_jobs(Outcome.failure(message="scripted"))
    job = await api.create_job(training["id"])
    emulator_clock.advance(5)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["error"]["message"] == "scripted"


async def test_clock_endpoint_moves_time(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    status, before = await admin(api, "GET", "/clock")
    assert status == 200 and before["now"] == emulator_clock.now()
    status, after = await admin(api, "POST", "/clock", {"advance": 1000})
    assert status == 200 and after["now"] == before["now"] + 1000
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "succeeded"
    status, _ = await admin(api, "POST", "/clock", {"advance": -5})
    assert status == 400


async def test_seed_and_stats(api: Api) -> None:
    status, seeded = await admin(api, "POST", "/seed", {"jobs": 30, "metadata": {"bench": "1"}})
    assert status == 200 and seeded["created"] == 30
    _, page = await api.call("GET", "/fine_tuning/jobs?metadata[bench]=1&limit=100")
    assert len(page["data"]) == 30
    _, stats = await admin(api, "GET", "/stats")
    jobs = stats["jobs"]
    assert isinstance(jobs, dict) and jobs["total"] == 30
    assert jobs["by_status"] == {"validating_files": 30}
    status, _ = await admin(api, "POST", "/seed", {"jobs": -1})
    assert status == 400
