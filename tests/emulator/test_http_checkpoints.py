"""The emulator's checkpoint permissions over HTTP: per project, listed, paged, deleted."""

from __future__ import annotations

from ftjobs.emulator import ManualClock
from tests._support.emulator import Api


async def _checkpoint(api: Api, emulator_clock: ManualClock) -> str:
    file = await api.upload()
    job = await api.create_job(file["id"])
    emulator_clock.advance(5000)
    status, page = await api.call("GET", f"/fine_tuning/jobs/{job['id']}/checkpoints")
    assert status == 200 and page["data"], page
    return str(page["data"][0]["fine_tuned_model_checkpoint"])


async def test_share_list_filter_page_and_unshare(api: Api, emulator_clock: ManualClock) -> None:
    checkpoint = await _checkpoint(api, emulator_clock)
    path = f"/fine_tuning/checkpoints/{checkpoint}/permissions"
    status, made = await api.call("POST", path, json={"project_ids": ["proj_a", "proj_b"]})
    assert status == 200, made
    assert [p["project_id"] for p in made["data"]] == ["proj_a", "proj_b"]
    assert made["data"][0]["object"] == "checkpoint.permission" and made["has_more"] is False
    emulator_clock.advance(1)
    _, later = await api.call("POST", path, json={"project_ids": ["proj_c"]})
    status, newest = await api.call("GET", f"{path}?limit=2")
    assert [p["project_id"] for p in newest["data"]] == ["proj_c", "proj_b"]
    assert newest["has_more"] is True and newest["last_id"] == newest["data"][-1]["id"]
    _, rest = await api.call("GET", f"{path}?limit=2&after={newest['last_id']}")
    assert [p["project_id"] for p in rest["data"]] == ["proj_a"] and rest["has_more"] is False
    _, oldest = await api.call("GET", f"{path}?order=ascending")
    assert [p["project_id"] for p in oldest["data"]] == ["proj_a", "proj_b", "proj_c"]
    _, only = await api.call("GET", f"{path}?project_id=proj_b")
    assert [p["project_id"] for p in only["data"]] == ["proj_b"]

    status, error = await api.call("POST", path, json={"project_ids": ["proj_a"]})
    assert status == 400 and error["error"]["param"] == "project_ids"  # one per project

    permission = later["data"][0]["id"]
    status, deleted = await api.call("DELETE", f"{path}/{permission}")
    assert status == 200
    assert deleted == {"id": permission, "object": "checkpoint.permission", "deleted": True}
    status, error = await api.call("DELETE", f"{path}/{permission}")
    assert status == 404 and error["error"]["param"] == "permission_id"


async def test_unknown_checkpoints_and_bad_bodies(api: Api, emulator_clock: ManualClock) -> None:
    status, error = await api.call(
        "POST", "/fine_tuning/checkpoints/ft:nope/permissions", json={"project_ids": ["p"]}
    )
    assert status == 404 and error["error"]["param"] == "fine_tuned_model_checkpoint"
    checkpoint = await _checkpoint(api, emulator_clock)
    path = f"/fine_tuning/checkpoints/{checkpoint}/permissions"
    for body in ({}, {"project_ids": []}, {"project_ids": [3]}, {"project_ids": ["a", "a"]}):
        status, error = await api.call("POST", path, json=body)
        assert status == 400, body
    status, error = await api.call("GET", f"{path}?order=asc")
    assert status == 400 and error["error"]["param"] == "order"
    status, error = await api.call("GET", f"{path}?after=cp_nope")
    assert status == 400 and error["error"]["param"] == "after"
