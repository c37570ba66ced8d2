"""The ``ftjobs`` CLI, run as real subprocesses against the emulator."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import ftjobs
from ftjobs.emulator import EmulatorHandle, ManualClock
from tests.conftest import free_port
from tests.emulator.helpers import chat_file

PROGRAM = "import sys; from ftjobs.cli import main; sys.exit(main())"


def _clean_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    full_env.update(env or {})
    return full_env


async def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """Run ``ftjobs ARGS`` in a subprocess without blocking the event loop."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROGRAM,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_clean_env(env),
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
    # A missing key names the CLI's two ways to give one, not the SDK's api_key=.
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "--api-key" in err and "OPENAI_API_KEY" in err and "AsyncClient" not in err
    secret = "sk-very-secret-key-123456"
    code, _, err = await run_cli(
        "jobs", "get", "ftjob-x", "--api-key", secret, "--base-url", emulator.base_url
    )
    assert code == 1 and "401" in err and secret not in err and "Traceback" not in err
    code, _, err = await run_cli(
        "files", "upload", str(tmp_path / "nope.jsonl"), env=_env(emulator)
    )
    assert code == 1 and "no such file" in err
    code, _, err = await run_cli("files", "upload", str(tmp_path), env=_env(emulator))
    assert (
        code == 1
        and err == f"error: path {tmp_path} is a directory: give the path of a JSONL file\n"
    )
    code, _, err = await run_cli("jobs", "list", "--limit", "500", env=_env(emulator))
    assert code == 1 and "limit" in err
    code, _, err = await run_cli("jobs", "frobnicate")
    assert code == 2 and "invalid choice" in err


async def test_create_uploads_a_local_training_file_first_and_says_so(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(12))
    code, out, err = await run_cli(
        "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(path), "--json",
        env=_env(emulator),
    )  # fmt: skip
    assert code == 0, err
    job = json.loads(out)
    assert err == f"uploaded {path} as {job['training_file']}\n"
    uploaded = await live_client.files.retrieve(job["training_file"])
    assert uploaded.filename == "train.jsonl" and uploaded.bytes == len(chat_file(12))
    code, _, err = await run_cli(
        "jobs", "create", "--model", "m", "--training-file", "missing.jsonl", env=_env(emulator)
    )
    assert code == 1 and "missing.jsonl: no such file" in err


async def test_beta_without_dpo_is_refused_before_any_request(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle
) -> None:
    for method in ((), ("--method", "supervised")):
        code, _, err = await run_cli(
            "jobs", "create", "--model", "gpt-4o-mini", "--training-file", "file-x",
            "--beta", "0.1", *method, env=_env(emulator),
        )  # fmt: skip
        assert code == 1 and "--beta" in err and "--method dpo" in err
    assert emulator.stats()["requests"]["total"] == 0
    assert [job async for job in live_client.jobs.list()] == []


async def test_paged_lists_say_how_to_see_more(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    training = await live_client.files.upload(chat_file(12))
    jobs = [
        await live_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
        for _ in range(3)
    ]
    emulator_clock.advance(10)
    env = _env(emulator)
    code, out, err = await run_cli("jobs", "list", "--limit", "2", env=env)
    assert code == 0 and out.count("ftjob-") == 2 and "--all" in err
    code, out, err = await run_cli("jobs", "list", "--limit", "2", "--all", env=env)
    assert code == 0 and out.count("ftjob-") == 3 and err == ""
    code, out, err = await run_cli("jobs", "events", jobs[0].id, "--limit", "1", "--json", env=env)
    assert code == 0 and len(json.loads(out)) == 1 and "--all" in err
    code, out, err = await run_cli("jobs", "events", jobs[0].id, "--all", env=env)
    assert code == 0 and "--all" not in err and out.count("\n") > 3


async def test_json_into_a_closed_pipe_exits_quietly(emulator: EmulatorHandle) -> None:
    """``ftjobs jobs list --json | head``: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PROGRAM, "jobs", "list", "--json",
            stdout=write_end, stderr=asyncio.subprocess.PIPE, env=_clean_env(_env(emulator)),
        )  # fmt: skip
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert err == b"" and proc.returncode == 141


async def test_wait_on_a_token_names_the_job_and_prints_the_final_line_once(
    fast_client: ftjobs.AsyncClient, fast_emulator: EmulatorHandle
) -> None:
    training = await fast_client.files.upload(chat_file(12))
    job = await fast_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    token = fast_client.jobs.waiter(job.id).continuation_token()
    code, out, err = await run_cli(
        "jobs", "wait", token, "--interval", "0.05", env=_env(fast_emulator)
    )
    assert code == 0, err
    assert token not in out and all(line.startswith(job.id) for line in out.splitlines())
    assert sum("succeeded" in line for line in out.splitlines()) == 1
    assert out.splitlines()[-1].startswith(f"{job.id}: succeeded")


async def test_files_sample_is_a_training_file_a_job_succeeds_on(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock
) -> None:
    code, out, err = await run_cli("files", "sample")
    assert code == 0 and err == ""
    examples = [json.loads(line) for line in out.splitlines()]
    assert len(examples) >= 10
    for example in examples:
        roles = [message["role"] for message in example["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert all(message["content"].strip() for message in example["messages"])
    training = await live_client.files.upload(out.encode(), filename="train.jsonl")
    job = await live_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    emulator_clock.advance(1000)
    assert (await live_client.jobs.retrieve(job.id)).status == "succeeded"


def test_every_option_help_shows_its_default() -> None:
    from ftjobs.cli import build_parser

    def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    yield from parsers(child)

    for parser in parsers(build_parser()):
        for action in parser._actions:
            takes_value = action.option_strings and action.nargs != 0 and not action.required
            if takes_value and action.dest not in ("help", "version"):
                text = parser.formatter_class(parser.prog)._get_help_string(action) or ""
                assert "default" in text, (parser.prog, action.option_strings)


async def test_serve_prints_the_url_the_key_and_an_export_line_that_works() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROGRAM,
        "serve", "--port", str(port), "--speed", "100", "--api-key", "sk-serve",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(5)]
        assert f"http://127.0.0.1:{port}/v1" in banner[0] and "sk-serve" in banner[2]
        export = banner[4].split()
        assert export[0] == "export"
        variables = dict(word.split("=", 1) for word in export[1:])
        assert variables == {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "OPENAI_API_KEY": "sk-serve",
        }
        code, out, err = await run_cli("files", "list", env=variables)
        assert code == 0 and out.startswith("ID"), err
    finally:
        proc.terminate()
        await proc.communicate()


async def test_demo_runs_and_exits_zero() -> None:
    code, out, err = await run_cli("demo", "--json", "--speed", "40", timeout=60)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] is True
    statuses = sorted(job["status"] for job in summary["jobs"])
    (failed,) = (job for job in summary["jobs"] if job["status"] == "failed")
    assert failed["plan"] == "broken-data" and failed["error"].startswith("invalid_training_file")
    assert statuses.count("succeeded") == 6
    assert "cancelled" in statuses and "failed" in statuses
