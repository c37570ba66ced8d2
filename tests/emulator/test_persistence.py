"""SQLite persistence across restarts."""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, ManualClock, open_store, serve_emulator
from tests._support.emulator import Api, chat_file, job_request


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
                json={"model": "gpt-4o", "training_file": training["id"], "metadata": {"k": "v"}},
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
                json={"model": "gpt-4o", "training_file": training["id"], "metadata": {"k": "v"}},
                headers={"Idempotency-Key": "create-1"},
            )
            assert status == 200 and replay == first
            status, _ = await api.call(
                "POST",
                "/fine_tuning/jobs",
                json={"model": "gpt-4.1-mini", "training_file": training["id"]},
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
                assert r.status == 200 and base64.b64decode(await r.read()).startswith(b"step,")


async def test_an_azure_jobs_training_type_survives_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(dialect="azure", state_path=tmp_path / "state.db")
    async with aiohttp.ClientSession() as http:
        async with serve_emulator(config, clock=ManualClock()) as emu:
            api = Api(http, emu)
            training = await api.upload()
            job = await api.create_job(training["id"], trainingType="GlobalStandard")
            assert job["trainingType"] == "GlobalStandard"
        async with serve_emulator(config, clock=ManualClock()) as emu:
            status, again = await Api(http, emu).call("GET", f"/fine_tuning/jobs/{job['id']}")
            assert status == 200 and again["trainingType"] == "GlobalStandard"


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


class Disk:
    """The state file's disk: while ``full``, SQLite refuses every write as it does when the
    disk is full (the statement fails and SQLite ends the transaction)."""

    def __init__(self) -> None:
        self.full = False
        self.unreadable = False
        self.refused = 0


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Disk:
    disk = Disk()

    class Connection(sqlite3.Connection):
        def executemany(self, sql: str, rows: Any, /) -> sqlite3.Cursor:
            rows = list(rows)
            if disk.full and rows:
                disk.refused += 1
                self.execute("ROLLBACK")
                raise sqlite3.OperationalError("database or disk is full")
            return super().executemany(sql, rows)

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            if disk.unreadable and sql.startswith("SELECT"):
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, parameters)

    connect = sqlite3.connect

    def connect_to_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, **kwargs, factory=Connection)

    monkeypatch.setattr(sqlite3, "connect", connect_to_disk)
    return disk


async def test_a_create_that_cannot_be_saved_is_refused_and_forgotten(
    tmp_path: Path, disk: Disk
) -> None:
    config = EmulatorConfig(api_key="sk-test", state_path=tmp_path / "s.db")
    clock = ManualClock()
    key = {"Idempotency-Key": "create-1"}
    async with aiohttp.ClientSession() as http:
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            training = await api.upload()
            body = {"model": "gpt-4o-mini", "training_file": training["id"]}
            disk.full = True
            status, refused = await api.call("POST", "/fine_tuning/jobs", json=body, headers=key)
            assert status == 500 and refused["error"]["code"] == "state_not_saved"
            assert disk.refused == 1
            status, listed = await api.call("GET", "/fine_tuning/jobs")
            assert status == 200 and listed["data"] == []  # memory is as the disk
            status, _ = await api.call("POST", "/fine_tuning/jobs", json=body, headers=key)
            assert status == 500  # not a replay from memory of what was never saved
            disk.full = False
            async with http.post(
                api.base + "/fine_tuning/jobs", json=body, headers={**api.headers, **key}
            ) as response:
                assert response.status == 200
                assert "Idempotent-Replayed" not in response.headers
                job = await response.json()
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            _, listed = await api.call("GET", "/fine_tuning/jobs")
            assert [j["id"] for j in listed["data"]] == [job["id"]]
            status, replay = await api.call("POST", "/fine_tuning/jobs", json=body, headers=key)
            assert status == 200 and replay == job


async def test_progress_that_cannot_be_saved_is_saved_later(tmp_path: Path, disk: Disk) -> None:
    config = EmulatorConfig(api_key="sk-test", state_path=tmp_path / "s.db")
    clock = ManualClock()
    async with aiohttp.ClientSession() as http:
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            training = await api.upload()
            job = await api.create_job(training["id"])
            events = f"/fine_tuning/jobs/{job['id']}/events?limit=100"
            disk.full = True
            clock.advance(30)  # validated, queued, running: events to save
            status, _ = await api.call("GET", events)
            assert status == 500
            disk.full = False
            status, seen = await api.call("GET", events)
            assert status == 200 and len(seen["data"]) > 3
        async with serve_emulator(config, clock=clock) as emu:
            _, after = await Api(http, emu).call("GET", events)
            assert after == seen


async def test_a_state_that_cannot_be_read_back_refuses_everything_until_restarted(
    tmp_path: Path, disk: Disk
) -> None:
    config = EmulatorConfig(api_key="sk-test", state_path=tmp_path / "s.db")
    clock = ManualClock()
    async with aiohttp.ClientSession() as http:
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            training = await api.upload()
            body = {"model": "gpt-4o-mini", "training_file": training["id"]}
            disk.full = disk.unreadable = True
            status, _ = await api.call("POST", "/fine_tuning/jobs", json=body)
            assert status == 500
            disk.full = disk.unreadable = False
            status, _ = await api.call("POST", "/fine_tuning/jobs", json=body)
            assert status == 500  # memory may be ahead of the disk: nothing is answered from it
            status, _ = await api.call("GET", "/fine_tuning/jobs")
            assert status == 500
        async with serve_emulator(config, clock=clock) as emu:
            api = Api(http, emu)
            _, listed = await api.call("GET", "/fine_tuning/jobs")
            assert listed["data"] == []
            status, _ = await api.call("POST", "/fine_tuning/jobs", json=body)
            assert status == 200


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"not a database, just text\n" * 100, "not a readable emulator state file"),
        ("truncated", "not a readable emulator state file"),
        ("foreign", "an SQLite database of another program"),
        ("garbled", "the state file holds a record this emulator cannot read"),
    ],
)
def test_an_unusable_state_file_is_one_line_and_left_untouched(
    tmp_path: Path, content: bytes | str, problem: str
) -> None:
    path = tmp_path / "state.db"
    if content == "truncated":
        _write_state(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content == "foreign":
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            db.commit()
    elif content == "garbled":
        _write_state(path)
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("UPDATE jobs SET state = '{\"id\": 1}'")
            db.commit()
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    before = path.read_bytes(), path.stat().st_mtime_ns
    os.utime(path, ns=(before[1] - 10**9, before[1] - 10**9))
    mtime = path.stat().st_mtime_ns
    result = subprocess.run(
        [sys.executable, "-m", "ftjobs.emulator", "--port", "0", "--state", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {path}: {problem}")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before[0], mtime)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def _write_state(path: Path) -> None:
    """A real state file with a job and some events, closed cleanly."""
    store = open_store(EmulatorConfig(state_path=path), ManualClock())
    training = store.add_file("t.jsonl", "fine-tune", chat_file(12) * 20)
    store.create_job(job_request(training_file=training.id))
    store.advance_clock(30)
    store.close()
