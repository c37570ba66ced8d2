"""``ftjobs checkpoints share / shares / unshare`` against the emulator (subprocesses)."""

from __future__ import annotations

import json

import ftjobs
from ftjobs.emulator import EmulatorHandle, ManualClock
from tests._support.emulator import chat_file
from tests.cli.helpers import emulator_env, run_cli


async def test_share_list_and_unshare(
    emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        file = await c.files.upload(chat_file(12), filename="train.jsonl")
        job = await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
        emulator_clock.advance(5000)
        checkpoint = (await c.jobs.list_checkpoints(job.id)).data[0].fine_tuned_model_checkpoint
    # $OPENAI_PROJECT_ID still sets the header: --project names the project shared with.
    env = {**emulator_env(emulator), "OPENAI_PROJECT_ID": "proj_caller"}
    code, out, err = await run_cli(
        "checkpoints", "share", checkpoint, "--project", "proj_a", "--project", "proj_b", env=env
    )
    assert code == 0, err
    assert "proj_a" in out and "proj_b" in out and "PROJECT" in out
    code, out, err = await run_cli("checkpoints", "shares", checkpoint, "--json", env=env)
    assert code == 0, err
    listed = json.loads(out)
    assert [p["project_id"] for p in listed] == ["proj_b", "proj_a"]
    code, out, err = await run_cli("checkpoints", "unshare", checkpoint, listed[0]["id"], env=env)
    assert code == 0 and f"deleted {listed[0]['id']}" in out, err
    code, out, _ = await run_cli("checkpoints", "shares", checkpoint, "--json", env=env)
    assert [p["project_id"] for p in json.loads(out)] == ["proj_a"]


async def test_share_needs_a_project_and_a_known_checkpoint(emulator: EmulatorHandle) -> None:
    code, _, err = await run_cli("checkpoints", "share", "ft:x", env=emulator_env(emulator))
    assert code == 2 and "--project" in err
    code, _, err = await run_cli(
        "checkpoints", "share", "ft:unknown", "--project", "p", env=emulator_env(emulator)
    )
    assert code == 1 and err.startswith("error: ") and "ft:unknown" in err
    assert "Traceback" not in err
