"""Checkpoint permissions through the SDK against the emulator, over real loopback sockets."""

from __future__ import annotations

import ftjobs
from ftjobs.emulator import ManualClock
from tests._support.emulator import chat_file


async def test_share_list_and_unshare_a_checkpoint(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    file = await live_client.files.upload(chat_file(20), filename="train.jsonl")
    job = await live_client.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
    emulator_clock.advance(5000)
    checkpoint = (await live_client.jobs.list_checkpoints(job.id)).data[0]
    permissions = live_client.checkpoints.permissions
    made = await permissions.create(checkpoint, project_ids=["proj_a", "proj_b", "proj_c"])
    assert {p.project_id for p in made} == {"proj_a", "proj_b", "proj_c"}
    listed = [p.project_id async for p in permissions.list(checkpoint, limit=2, order="ascending")]
    assert listed == ["proj_a", "proj_b", "proj_c"]  # three, across two pages
    only = await permissions.list(checkpoint.fine_tuned_model_checkpoint, project_id="proj_b")
    assert [p.project_id for p in only] == ["proj_b"]
    deleted = await permissions.delete(checkpoint, only.data[0].id)
    assert deleted.deleted and deleted.id == only.data[0].id
    assert len(await permissions.list(checkpoint)) == 2
    try:
        await permissions.create("ft:unknown:model", project_ids=["proj_a"])
    except ftjobs.NotFoundError as exc:
        assert exc.param == "fine_tuned_model_checkpoint"
    else:
        raise AssertionError("an unknown checkpoint must be a 404")
