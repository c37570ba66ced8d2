"""SQLite persistence across restarts."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp

from ftjobs.emulator import EmulatorConfig, ManualClock, open_store, serve_emulator
from tests.emulator.conftest import Api
from tests.emulator.helpers import chat_file


async def test_a_restarted_emulator_has_lost_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    config = EmulatorConfig(api_key="sk-test", state_path=state, max_running_jobs=1)
    clock = ManualClock()
    content = chat_file(12)
    async with aiohttp.ClientSession() as http:
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            training = await api.upload(content)
            status, first = await api.call(
                "POST",
                "/fine_tuning/jobs",
                json={"model": "m", "training_file": training["id"], "metadata": {"k": "v"}},
                headers={"Idempotency-Key": "create-1"},
            )
            assert status == 200
            second = await api.create_job(training["id"])
            third = await api.create_job(training["id"])
            clock.advance(7 + 40)  # first finished at 45, second running since then
            status, _ = await api.call("POST", f"/fine_tuning/jobs/{third['id']}/cancel")
            assert status == 200
            _, before = await api.call("GET", f"/fine_tuning/jobs/{second['id']}")
            assert before["status"] == "running"
            _, events_before = await api.call(
                "GET", f"/fine_tuning/jobs/{first['id']}/events?limit=100"
            )
            _, files_before = await api.call("GET", "/files")

        clock.advance(100)  # time passes while the emulator is down
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            _, files_after = await api.call("GET", "/files")
            # everything uploaded or produced before, plus the second job's new results file
            ids_after = [f["id"] for f in files_after["data"]]
            assert ids_after[1:] == [f["id"] for f in files_before["data"]]
            assert files_after["data"][0]["purpose"] == "fine-tune-results"
            async with http.get(
                f"{api.base}/files/{training['id']}/content", headers=api.headers
            ) as r:
                assert await r.read() == content
            _, events_after = await api.call(
                "GET", f"/fine_tuning/jobs/{first['id']}/events?limit=100"
            )
            assert events_after == events_before
            _, after = await api.call("GET", f"/fine_tuning/jobs/{second['id']}")
            assert after["status"] == "succeeded"  # the lifecycle continued from the clock
            _, cancelled = await api.call("GET", f"/fine_tuning/jobs/{third['id']}")
            assert cancelled["status"] == "cancelled"
            _, checkpoints = await api.call("GET", f"/fine_tuning/jobs/{first['id']}/checkpoints")
            assert len(checkpoints["data"]) == 3
            status, replay = await api.call(
                "POST",
                "/fine_tuning/jobs",
                json={"model": "m", "training_file": training["id"], "metadata": {"k": "v"}},
                headers={"Idempotency-Key": "create-1"},
            )
            assert status == 200 and replay == first
            status, _ = await api.call(
                "POST",
                "/fine_tuning/jobs",
                json={"model": "other", "training_file": training["id"]},
                headers={"Idempotency-Key": "create-1"},
            )
            assert status == 422
            _, listed = await api.call("GET", "/fine_tuning/jobs?metadata[k]=v")
            assert [j["id"] for j in listed["data"]] == [first["id"]]
            newer = await api.create_job(training["id"])
            _, listed = await api.call("GET", "/fine_tuning/jobs")
            assert [j["id"] for j in listed["data"]] == [
                newer["id"],
                third["id"],
                second["id"],
                first["id"],
            ]
            (result_id,) = after["result_files"]
            async with http.get(f"{api.base}/files/{result_id}/content", headers=api.headers) as r:
                assert r.status == 200 and (await r.read()).startswith(b"step,")


async def test_deleted_files_stay_deleted(tmp_path: Path) -> None:
    config = EmulatorConfig(state_path=tmp_path / "s.db")
    store = open_store(config, ManualClock())
    kept = store.add_file("a.jsonl", "fine-tune", b"a")
    gone = store.add_file("b.jsonl", "fine-tune", b"b")
    store.delete_file(gone.id)
    store.flush()
    store.close()
    reopened = open_store(config, ManualClock())
    try:
        files, _ = reopened.list_files(purpose=None, limit=10, order="asc", after=None)
        assert [f.id for f in files] == [kept.id]
    finally:
        reopened.close()


def test_the_system_clock_timeline_continues_across_restarts(tmp_path: Path) -> None:
    config = EmulatorConfig(state_path=tmp_path / "clock.db", speed=1000)
    store = open_store(config)
    store.advance_clock(86_400)
    before = store.now()
    store.close()
    time.sleep(0.01)
    slower = EmulatorConfig(state_path=tmp_path / "clock.db", speed=1)
    store = open_store(slower)
    try:
        after = store.now()
        assert after >= before  # never goes back, even at another speed
        assert after - before < 60
        assert after > time.time() + 86_000  # the jump forward was kept
    finally:
        store.close()
