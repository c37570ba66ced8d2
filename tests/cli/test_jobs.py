"""``ftjobs jobs ...`` against the emulator, and ``--since`` (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ftjobs
from ftjobs.cli._app import CLIError
from ftjobs.cli._jobs import since
from ftjobs.emulator import EmulatorHandle, ManualClock
from tests._support.emulator import chat_file
from tests.cli.helpers import emulator_env, run_cli


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d", 1_000_000 - 2 * 86_400),
        ("12h", 1_000_000 - 12 * 3600),
        ("30m", 1_000_000 - 1800),
        ("1.5w", 1_000_000 - 1.5 * 604_800),
        ("90s", 1_000_000 - 90),
        ("1970-01-02", 86_400),
        ("1970-01-01T01:00:00+01:00", 0),
    ],
)
def test_since_reads_durations_and_dates(text: str, expected: float) -> None:
    assert since(text, 1_000_000) == expected


def test_since_refuses_anything_else() -> None:
    with pytest.raises(CLIError, match="--since"):
        since("yesterday", 0)


async def test_list_filters_by_status_model_and_since(
    emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        file = await c.files.upload(chat_file(12), filename="train.jsonl")
        old = await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
        emulator_clock.advance(5 * 86_400)
        other = await c.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=file.id)
        new = await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
        await c.jobs.cancel(other.id)
    env = emulator_env(emulator)
    # The emulator's clock is not the wall clock: --since takes a date here.
    two_days_ago = datetime.fromtimestamp(emulator_clock.now() - 2 * 86_400, UTC)
    code, out, err = await run_cli(
        "jobs", "list", "--status", "validating_files", "--since", two_days_ago.isoformat(),
        "--model", "gpt-4o-mini-2024-07-18", "--json", env=env,
    )  # fmt: skip
    assert code == 0, err
    assert [j["id"] for j in json.loads(out)] == [new.id]
    code, out, _ = await run_cli("jobs", "list", "--status", "cancelled", "--json", env=env)
    assert [j["id"] for j in json.loads(out)] == [other.id]
    start = datetime.fromtimestamp(1_600_000_000, UTC).date().isoformat()
    code, out, err = await run_cli("jobs", "list", "--since", start, "--limit", "1", env=env)
    assert code == 0 and new.id in out and old.id not in out
    assert "--all" in err  # there were more matches than --limit


async def test_files_and_jobs_commands(
    emulator: EmulatorHandle, emulator_clock: ManualClock, tmp_path: Path
) -> None:
    env = emulator_env(emulator)
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
        "jobs", "wait", job.id, "--follow", "--interval", "0.05", env=emulator_env(fast_emulator)
    )
    assert code == 0, err
    assert "Step 1/" in out
    final = out.splitlines()[-1]
    assert final.startswith(f"{job.id}: succeeded") and ", model ft:" in final


async def test_create_uploads_a_local_training_file_first_and_says_so(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(12))
    code, out, err = await run_cli(
        "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(path), "--json",
        env=emulator_env(emulator),
    )  # fmt: skip
    assert code == 0, err
    job = json.loads(out)
    assert err == f"uploaded {path} as {job['training_file']}\n"
    uploaded = await live_client.files.retrieve(job["training_file"])
    assert uploaded.filename == "train.jsonl" and uploaded.bytes == len(chat_file(12))
    code, _, err = await run_cli(
        "jobs",
        "create",
        "--model",
        "gpt-4o-mini",
        "--training-file",
        "missing.jsonl",
        env=emulator_env(emulator),
    )
    assert code == 1 and "missing.jsonl: no such file" in err


async def test_beta_without_dpo_is_refused_before_any_request(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle
) -> None:
    for method in ((), ("--method", "supervised")):
        code, _, err = await run_cli(
            "jobs", "create", "--model", "gpt-4o-mini", "--training-file", "file-x",
            "--beta", "0.1", *method, env=emulator_env(emulator),
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
    env = emulator_env(emulator)
    code, out, err = await run_cli("jobs", "list", "--limit", "2", env=env)
    assert code == 0 and out.count("ftjob-") == 2 and "--all" in err
    code, out, err = await run_cli("jobs", "list", "--limit", "2", "--all", env=env)
    assert code == 0 and out.count("ftjob-") == 3 and err == ""
    code, out, err = await run_cli("jobs", "events", jobs[0].id, "--limit", "1", "--json", env=env)
    assert code == 0 and len(json.loads(out)) == 1 and "--all" in err
    code, out, err = await run_cli("jobs", "events", jobs[0].id, "--all", env=env)
    assert code == 0 and "--all" not in err and out.count("\n") > 3


async def test_wait_on_a_token_names_the_job_and_prints_the_final_line_once(
    fast_client: ftjobs.AsyncClient, fast_emulator: EmulatorHandle
) -> None:
    training = await fast_client.files.upload(chat_file(12))
    job = await fast_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    token = fast_client.jobs.waiter(job.id).continuation_token()
    code, out, err = await run_cli(
        "jobs", "wait", token, "--interval", "0.05", env=emulator_env(fast_emulator)
    )
    assert code == 0, err
    assert token not in out and all(line.startswith(job.id) for line in out.splitlines())
    assert sum("succeeded" in line for line in out.splitlines()) == 1
    assert out.splitlines()[-1].startswith(f"{job.id}: succeeded")


async def test_wait_timeout_prints_the_commands_to_resume_or_cancel(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle
) -> None:
    training = await live_client.files.upload(chat_file(12))
    job = await live_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    code, out, err = await run_cli(
        *("jobs", "wait", job.id, "--interval", "0.05", "--wait-timeout", "0.2"),
        env=emulator_env(emulator),
    )
    assert code == 3, err
    assert err.startswith(f"error: gave up waiting on {job.id}")
    assert err.endswith(
        f"  resume waiting: ftjobs jobs wait {job.id} --interval 0.05\n"
        f"  cancel the job: ftjobs jobs cancel {job.id}\n"
    )
    assert out == f"{job.id}: validating_files\n"  # piped: one line per status change


async def test_hyperparameter_options_take_auto_or_a_number_and_the_sdk_checks_the_range(
    emulator: EmulatorHandle,
) -> None:
    env = emulator_env(emulator)
    base = ("jobs", "create", "--model", "gpt-4o-mini", "--training-file", "file-x")
    code, _, err = await run_cli(*base, "--n-epochs", "three", env=env)
    assert code == 2 and "--n-epochs: expected auto or a whole number 1-50, got 'three'" in err
    code, _, err = await run_cli(*base, "--n-epochs", "0", env=env)
    assert code == 1
    assert "method.supervised.hyperparameters.n_epochs must be an int from 1 to 50" in err
    code, _, err = await run_cli(*base, "--method", "dpo", "--beta", "5", env=env)
    assert code == 1 and "method.dpo.hyperparameters.beta" in err
    code, _, err = await run_cli(*base, "--method", "reinforcement", env=env)
    assert code == 1 and "needs --grader" in err
    assert emulator.stats()["requests"]["total"] == 0


async def test_create_checks_a_local_file_before_uploading_it(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "small.jsonl"
    path.write_bytes(chat_file(5))
    code, _, err = await run_cli(
        "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(path),
        env=emulator_env(emulator),
    )  # fmt: skip
    assert code == 1 and "has errors: not uploaded, no job created" in err
    assert "5 examples" in err
    assert emulator.stats()["requests"]["total"] == 0


async def test_create_a_reinforcement_job_with_a_grader_file(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    grader = {
        "type": "string_check",
        "name": "exact",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.reference_answer }}",
        "operation": "eq",
    }
    (tmp_path / "grader.json").write_text(json.dumps(grader))
    rows = [
        {"messages": [{"role": "user", "content": f"2+{i}?"}], "reference_answer": str(2 + i)}
        for i in range(12)
    ]
    path = tmp_path / "rft.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, out, err = await run_cli(
        "jobs", "create", "--model", "o4-mini-2025-04-16", "--training-file", str(path),
        "--method", "reinforcement", "--grader", str(tmp_path / "grader.json"),
        "--reasoning-effort", "low", "--json", env=emulator_env(emulator),
    )  # fmt: skip
    assert code == 0, err
    method = json.loads(out)["method"]
    assert method["type"] == "reinforcement"
    assert method["reinforcement"]["grader"]["name"] == "exact"
    assert method["reinforcement"]["hyperparameters"]["reasoning_effort"] == "low"


async def test_events_are_listed_newest_first_like_list_events(
    live_client: ftjobs.AsyncClient, emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    training = await live_client.files.upload(chat_file(12))
    job = await live_client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    emulator_clock.advance(1000)
    expected = [e.message async for e in live_client.jobs.list_events(job.id)]
    env = emulator_env(emulator)
    code, out, err = await run_cli("jobs", "events", job.id, "--limit", "3", env=env)
    assert code == 0, err
    shown = out.splitlines()[1:]
    assert len(shown) == 3
    assert all(message[:20] in line for message, line in zip(expected, shown, strict=False))
    assert "(the newest 3;" in err
    code, out, _ = await run_cli("jobs", "events", "--help")
    assert "newest first" in out
