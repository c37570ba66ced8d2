"""A campaign driven by a process killed with ``kill -9`` at three random moments, resumed by
name each time: the server ends with one job per member, none twice, and the report whole."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import ftjobs
from ftjobs.campaigns import CAMPAIGN_KEY
from ftjobs.emulator import EmulatorConfig, serve_emulator
from tests._support.campaign_driver import NAME
from tests._support.emulator import chat_file
from tests._support.live import eventually

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 15
# Kill once the server holds this many of the campaign's jobs (a random pick in each range):
# early, mid-way and late, so each resume finds members ended, active and never created.
KILL_AT = ((1, 3), (5, 8), (9, 12))


async def _driver(
    base_url: str, api_key: str, train: str, valid: str, state: Path
) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests._support.campaign_driver",
        base_url, api_key, train, valid, str(state),
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_kill_9_at_three_moments_then_resume(tmp_path: Path) -> None:
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    state = tmp_path / "campaign.json"
    config = EmulatorConfig(speed=150, max_running_jobs=8)
    async with (
        serve_emulator(config) as handle,
        ftjobs.AsyncClient(api_key=handle.api_key, base_url=handle.base_url) as client,
    ):
        train = (await client.files.upload(chat_file(12), filename="t.jsonl")).id
        valid = (await client.files.upload(chat_file(10), filename="v.jsonl")).id

        def created() -> int:
            return sum(1 for _ in handle.store.jobs())

        args = (handle.base_url, handle.api_key, train, valid, state)
        for low, high in KILL_AT:
            target = rng.randint(low, high)
            proc = await _driver(*args)
            await eventually(
                lambda: created() >= target or proc.returncode is not None,  # noqa: B023
                timeout=90,
            )
            await asyncio.sleep(rng.uniform(0.0, 0.3))  # anywhere: a create, a wait...
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
            assert proc.returncode == -signal.SIGKILL, f"seed {seed}: ended on its own"

        proc = await _driver(*args)
        async with asyncio.timeout(120):
            out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
        report = json.loads(out.decode().strip().splitlines()[-1])

        jobs = [j async for j in client.jobs.find(metadata={CAMPAIGN_KEY: NAME})]
        on_server = created()
    members = Counter(int((j.metadata or {})["ftjobs_member"]) for j in jobs)
    assert members == Counter(range(MEMBERS)), f"seed {seed}: {members}"  # 0 lost, 0 twice
    assert len(jobs) == on_server == MEMBERS
    rows = report["rows"]
    assert [r[0] for r in rows] == list(range(MEMBERS))
    assert all(r[2] == "succeeded" and r[3] == 1 for r in rows), rows
    assert {r[1] for r in rows} == {j.id for j in jobs}
    assert report["best"] is not None
    # The state file the killed processes wrote is whole JSON, naming jobs of the campaign.
    saved = json.loads(state.read_text(encoding="utf-8"))
    recorded = [job_id for attempts in saved["jobs"].values() for job_id in attempts.values()]
    assert set(recorded) <= {j.id for j in jobs}
