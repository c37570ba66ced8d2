"""client.checkpoints.permissions: create, list, delete; request shapes and local validation
(aioresponses)."""

from __future__ import annotations

import json
import re

import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs._models import CheckpointPermission, CheckpointPermissionDeleted
from tests._support.payloads import BASE_URL, sent

CKPT = "ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd:ckpt-step-10"
PERMISSIONS = f"{BASE_URL}/fine_tuning/checkpoints/{CKPT}/permissions"


def _permission(pid: str, project: str = "proj_a") -> dict[str, object]:
    return {
        "id": pid,
        "object": "checkpoint.permission",
        "created_at": 1721764800,
        "project_id": project,
    }


def _page(*items: dict[str, object], has_more: bool = False) -> dict[str, object]:
    return {"object": "list", "data": list(items), "has_more": has_more}


async def test_create_sends_project_ids_and_types_the_page(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.post(PERMISSIONS, payload=_page(_permission("cp_1"), _permission("cp_2", "proj_b")))
    page = await client.checkpoints.permissions.create(CKPT, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in page] == ["proj_a", "proj_b"]
    assert isinstance(page.data[0], CheckpointPermission)
    assert page.data[0].created_at_datetime.year == 2024
    url, kwargs = sent(mocked, "POST")[0]
    assert url.path == f"/v1/fine_tuning/checkpoints/{CKPT}/permissions"
    assert json.loads(kwargs["data"]) == {"project_ids": ["proj_a", "proj_b"]}


async def test_a_checkpoint_object_stands_for_its_model_name(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.delete(
        f"{PERMISSIONS}/cp_1",
        payload={"id": "cp_1", "object": "checkpoint.permission", "deleted": True},
    )
    checkpoint = ftjobs.types.FineTuningJobCheckpoint(
        id="ftckpt_1", created_at=1, fine_tuned_model_checkpoint=CKPT, step_number=10
    )
    deleted = await client.checkpoints.permissions.delete(checkpoint, "cp_1")
    assert deleted == CheckpointPermissionDeleted(
        id="cp_1", deleted=True, object="checkpoint.permission"
    )


async def test_list_sends_filters_and_pages_with_the_last_id(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    listing = re.compile(re.escape(PERMISSIONS) + r"\?.*")
    mocked.get(listing, payload=_page(_permission("cp_2"), has_more=True))
    mocked.get(listing, payload=_page(_permission("cp_1")))
    paginator = client.checkpoints.permissions.list(
        CKPT, project_id="proj_a", limit=1, order="ascending"
    )
    assert [p.id async for p in paginator] == ["cp_2", "cp_1"]
    queries = [url.query for url, _ in sent(mocked, "GET")]
    assert dict(queries[0]) == {"project_id": "proj_a", "limit": "1", "order": "ascending"}
    assert queries[1]["after"] == "cp_2"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda c: c.checkpoints.permissions.create("", project_ids=["p"]),
            ValueError,
            "checkpoint",
        ),
        (
            lambda c: c.checkpoints.permissions.create(CKPT, project_ids="proj"),
            TypeError,
            "project_ids",
        ),
        (
            lambda c: c.checkpoints.permissions.create(CKPT, project_ids=[]),
            ValueError,
            "project_ids",
        ),
        (
            lambda c: c.checkpoints.permissions.create(CKPT, project_ids=[""]),
            ValueError,
            r"project_ids\[0\]",
        ),
        (lambda c: c.checkpoints.permissions.list(CKPT, order="asc"), ValueError, "order"),
        (lambda c: c.checkpoints.permissions.list(CKPT, limit=0), ValueError, "limit"),
        (lambda c: c.checkpoints.permissions.delete(CKPT, ""), ValueError, "permission_id"),
    ],
)
async def test_bad_input_fails_before_any_request(
    mocked: aioresponses, client: ftjobs.AsyncClient, call: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        result = call(client)  # type: ignore[operator]
        if hasattr(result, "__await__"):
            await result
    assert not mocked.requests
