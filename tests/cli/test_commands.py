"""The ``ftjobs`` CLI, run as real subprocesses against the emulator."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import ftjobs
from ftjobs.emulator import EmulatorHandle, ManualClock
from tests.conftest import free_port
from tests.emulator.helpers import chat_file


async def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """Run ``python -m ftjobs.cli``-equivalent ``ftjobs`` without blocking the event loop."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    full_env.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from ftjobs.cli import main; sys.exit(main())",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _env(emulator: EmulatorHandle) -> dict[str, str]:
    return {"OPENAI_API_KEY": emulator.api_key, "OPENAI_BASE_URL": emulator.base_url}


async def test_files_and_jobs_commands(
    emulator: EmulatorHandle, emulator_clock: ManualClock, tmp_path: Path
) -> None:
    env = _env(emulator)
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(12))
    code, out, err = await run_cli("files", "upload", str(path), "--json", env=env)
    assert code == 0, err
    file_id = json.loads(out)["id"]

    code, out, _ = await run_cli("files", "list", env=env)
    assert code == 0 and file_id in out and "FILENAME" in out

    code, out, err = await run_cli(
        "jobs", "create", "--model", "gpt-4o-mini", "--training-file", file_id,
        "--suffix", "cli", "--n-epochs", "2", "--metadata", "team=cli", "--json", env=env,
    )  # fmt: skip
    assert code == 0, err
    job = json.loads(out)
    assert job["status"] == "validating_files" and job["metadata"] == {"team": "cli"}
    assert job["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2

    code, out, _ = await run_cli("jobs", "list", env=env)
    assert code == 0 and job["id"] in out and "STATUS" in out
    code, out, _ = await run_cli("jobs", "list", "--json", "--metadata", "team=nobody", env=env)
    assert code == 0 and json.loads(out) == []

    emulator_clock.advance(10)
    code, out, _ = await run_cli("jobs", "pause", job["id"], env=env)
    assert code == 0 and "paused" in out
    code, out, _ = await run_cli("jobs", "resume", job["id"], "--json", env=env)
    assert code == 0 and json.loads(out)["status"] in ("running", "queued")
    emulator_clock.advance(1000)
    code, out, _ = await run_cli("jobs", "get", job["id"], env=env)
    assert code == 0 and "succeeded" in out and "ft:gpt-4o-mini" in out
    code, out, _ = await run_cli("jobs", "events", job["id"], "--all", env=env)
    assert code == 0 and "paused" in out.lower() and "Step 1/" in out
    code, out, _ = await run_cli("jobs", "checkpoints", job["id"], "--json", env=env)
    assert code == 0 and json.loads(out)[0]["object"] == "fine_tuning.job.checkpoint"
    code, out, _ = await run_cli("jobs", "wait", job["id"], env=env)
    assert code == 0 and "succeeded" in out

    code, out, err = await run_cli("jobs", "cancel", job["id"], env=env)
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    code, out, _ = await run_cli("files", "delete", file_id, env=env)
    assert code == 0 and f"deleted {file_id}" in out


async def test_wait_follows_a_live_job(fast_emulator: EmulatorHandle) -> None:
    async with ftjobs.AsyncClient(
        api_key=fast_emulator.api_key, base_url=fast_emulator.base_url
    ) as client:
        training = await client.files.upload(chat_file(12))
        job = await client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    code, out, err = await run_cli(
        "jobs", "wait", job.id, "--follow", "--interval", "0.05", env=_env(fast_emulator)
    )
    assert code == 0, err
    assert "Step 1/" in out
    assert out.splitlines()[-1].startswith(f"{job.id}: succeeded, model ft:")


async def test_user_mistakes_are_one_line_errors(emulator: EmulatorHandle, tmp_path: Path) -> None:
    code, _, err = await run_cli(
        "jobs", "get", "ftjob-x", env={"OPENAI_BASE_URL": emulator.base_url}
    )
    assert code == 1 and "OPENAI_API_KEY" in err and "Traceback" not in err
    secret = "sk-very-secret-key-123456"
    code, _, err = await run_cli(
        "jobs", "get", "ftjob-x", "--api-key", secret, "--base-url", emulator.base_url
    )
    assert code == 1 and "401" in err and secret not in err and "Traceback" not in err
    code, _, err = await run_cli(
        "files", "upload", str(tmp_path / "nope.jsonl"), env=_env(emulator)
    )
    assert code == 1 and "no such file" in err
    code, _, err = await run_cli("jobs", "list", "--limit", "500", env=_env(emulator))
    assert code == 1 and "limit" in err
    code, _, err = await run_cli("jobs", "frobnicate")
    assert code == 2 and "invalid choice" in err


async def test_serve_runs_a_usable_emulator() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from ftjobs.cli import main; sys.exit(main())",
        "serve", "--port", str(port), "--speed", "100", "--api-key", "sk-serve",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert f"127.0.0.1:{port}/v1" in banner.decode()
        async with ftjobs.AsyncClient(
            api_key="sk-serve", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            uploaded = await client.files.upload(chat_file(12))
            assert (await client.files.retrieve(uploaded.id)).id == uploaded.id
    finally:
        proc.terminate()
        await proc.communicate()


async def test_demo_runs_and_exits_zero() -> None:
    code, out, err = await run_cli("demo", "--json", "--speed", "40", timeout=60)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] is True
    statuses = sorted(job["status"] for job in summary["jobs"])
    assert statuses.count("succeeded") == 6
    assert "cancelled" in statuses and "failed" in statuses
