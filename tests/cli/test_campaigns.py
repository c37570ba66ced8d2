"""``ftjobs campaign run|status|report|cancel`` end to end: the CLI as a subprocess against the
emulator over loopback, and Ctrl-C in a real 80x24 pseudo-terminal."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import ftjobs
from ftjobs.campaigns import CAMPAIGN_KEY
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import chat_file

from .helpers import PROGRAM, clean_env, emulator_env, run_cli, run_process
from .terminal import run_in_terminal

MODEL = "gpt-4o-mini-2024-07-18"


async def _files(emulator: EmulatorHandle) -> tuple[str, str]:
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        training = await c.files.upload(chat_file(12), filename="train.jsonl")
        validation = await c.files.upload(chat_file(10), filename="valid.jsonl")
        return training.id, validation.id


async def _plan(emulator: EmulatorHandle, folder: Path, name: str, grid: str) -> Path:
    """A plan file: ``name``, a base on freshly uploaded files, and the TOML ``grid`` lines."""
    training, validation = await _files(emulator)
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\n\n[base]\nmodel = "{MODEL}"\ntraining_file = "{training}"\n'
        f'validation_file = "{validation}"\n\n[grid]\n{grid}\n',
        encoding="utf-8",
    )
    return path


async def _jobs(emulator: EmulatorHandle, name: str) -> list[ftjobs.FineTuningJob]:
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        return [job async for job in c.jobs.find(metadata={CAMPAIGN_KEY: name})]


async def test_a_plan_runs_under_its_bound_reports_and_resumes_without_creating(
    fast_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    emulator = fast_emulator
    env = emulator_env(emulator)
    grid = "n_epochs = [1, 2]\nlearning_rate_multiplier = [0.5, 2.0]"
    plan = await _plan(emulator, tmp_path, "sweep", grid)
    run = ("campaign", "run", str(plan), "--max-active", "2", "--interval", "0.1")
    code, out, err = await run_process(*run, env=env)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "campaign sweep: 4 members"
    assert sum(bool(re.search(r"member \d: created ftjob-", line)) for line in lines) == 4
    assert lines[-1] == "campaign sweep: all 4 members succeeded."
    # The bound, seen from the server's side.
    counters = emulator.stats()["models"][MODEL]
    assert counters["creates"] == 4 and 1 <= counters["peak_active"] <= 2

    code, out, err = await run_cli("campaign", "status", "sweep", "--plan", str(plan), env=env)
    assert code == 0, err
    assert out.splitlines()[0] == "campaign sweep: 4 members: 4 succeeded"
    jobs = {job.id: job for job in await _jobs(emulator, "sweep")}
    rows = [line.split() for line in out.splitlines()[2:]]
    assert sorted(row[2] for row in rows) == sorted(jobs)
    assert [row[:2] for row in rows] == [[str(i), "succeeded"] for i in range(4)]
    assert rows[3][-2:] == ["n_epochs=2", "learning_rate_multiplier=2"]

    # By its name alone: the report, its CSV, and the best member it names.
    csv_path = tmp_path / "sweep.csv"
    code, out, err = await run_cli("campaign", "report", "sweep", "--csv", str(csv_path), env=env)
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert len(table) == 4 and {row["job_id"] for row in table} == set(jobs)
    assert all(row["status"] == "succeeded" and float(row["valid_loss"]) > 0 for row in table)
    best = min(table, key=lambda row: float(row["valid_loss"]))
    (line,) = [line for line in out.splitlines() if line.startswith("best by valid_loss")]
    assert line.startswith(f"best by valid_loss: member {best['index']} (")
    assert f"job {best['job_id']}" in line

    code, out, err = await run_cli("campaign", "report", "sweep", "--plot", env=env)
    assert code == 0, err
    charts = out[out.index("\nmember 0 (") :].splitlines()
    assert sum(line.startswith("member ") for line in charts) == 4
    assert max(len(line) for line in charts) <= 80
    assert sum("• train_loss   ◦ valid_loss" in line for line in charts) == 4

    drawn = await asyncio.to_thread(
        run_in_terminal, "campaign", "report", "sweep", "--plot", env=env
    )
    assert drawn.code == 0 and drawn.widest <= 80, "\n".join(drawn.lines)

    # Run again: every member is found, none created.
    code, out, err = await run_process(*run, env=env)
    assert code == 0, out + err
    assert sum(" found ftjob-" in line for line in out.splitlines()) == 4
    assert " created " not in out
    assert emulator.stats()["models"][MODEL]["creates"] == 4
    code, out, err = await run_cli(*run, "--json", env=env)
    assert code == 0, err
    report = json.loads(out)  # the report alone
    assert report["name"] == "sweep" and len(report["rows"]) == 4
    assert {row["job_id"] for row in report["rows"]} == set(jobs)


async def test_cancel_by_name_ends_a_run_that_stops_on_failure(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    # The manual clock never moves: the jobs stay active until cancelled.
    env = emulator_env(emulator)
    plan = await _plan(emulator, tmp_path, "held", "seed = [1, 2, 3]")
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", PROGRAM, "campaign", "run", str(plan)),
        *("--max-active", "2", "--stop-on-failure", "--interval", "0.1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(env),
    )
    try:
        for _ in range(600):
            if len(await _jobs(emulator, "held")) == 2 or proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        code, out, err = await run_cli("campaign", "cancel", "held", env=env)
        assert code == 0, err
        assert len(re.findall(r"^\d\s+cancelled\s+ftjob-", out, re.MULTILINE)) == 2, out
        assert out.splitlines()[-1].startswith("campaign held: cancelled 2 job(s).")
        raw_out, raw_err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out, err = raw_out.decode(), raw_err.decode()
    assert proc.returncode == 4, out + err  # not every member succeeded
    assert out.splitlines()[-1] == "campaign held: 0 of 3 members succeeded."
    assert sorted(str(job.status) for job in await _jobs(emulator, "held")) == ["cancelled"] * 2
    code, out, _ = await run_cli("campaign", "cancel", "held", env=env)
    assert code == 0 and out == "campaign held: no job to cancel (none is active)\n"
    code, out, _ = await run_cli(
        "campaign", "status", "held", "--plan", str(plan), "--json", env=env
    )
    members = json.loads(out)["members"]
    assert [m["status"] for m in members] == ["cancelled", "cancelled", "pending"]


async def test_a_plan_or_a_name_that_cannot_be_used_is_one_line(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    env = emulator_env(emulator)
    code, out, err = await run_cli("campaign", "run", str(tmp_path / "nope.toml"), env=env)
    assert code == 1 and out == "" and err.startswith("error: ") and "nope.toml" in err
    assert len(err.splitlines()) == 1

    local = tmp_path / "local.toml"
    local.write_text(
        f'name = "local"\n[base]\nmodel = "{MODEL}"\ntraining_file = "train.jsonl"\n'
        "[grid]\nseed = [1, 2]\n",
        encoding="utf-8",
    )
    code, _, err = await run_cli("campaign", "run", str(local), env=env)
    assert code == 1
    assert "training_file 'train.jsonl' is a file name: upload it first" in err

    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        f'name = "unknown"\n[base]\nmodel = "{MODEL}"\ntraining_file = "file-x"\n'
        "[grid]\nepochs = [1, 2]\n",
        encoding="utf-8",
    )
    code, _, err = await run_cli("campaign", "run", str(unknown), env=env)
    assert code == 1 and "epochs" in err and len(err.splitlines()) == 1

    code, _, err = await run_cli("campaign", "status", "never-ran", env=env)
    assert (code, err) == (1, "error: no job of campaign 'never-ran' found\n")
    code, _, err = await run_cli("campaign", "report", "other", "--plan", str(unknown), env=env)
    assert code == 1 and "unknown" in err


@pytest.fixture
async def daily_emulator() -> AsyncIterator[EmulatorHandle]:
    """Real time at speed 1 (the client's clock and the server's agree on the day), two
    creates of a model a day."""
    config = EmulatorConfig(daily_job_limit=2, max_running_jobs=8)
    async with serve_emulator(config) as handle:
        yield handle


async def _advance(emulator: EmulatorHandle, seconds: float, every: float) -> None:
    while True:
        emulator.store.advance_clock(seconds)
        await asyncio.sleep(every)


async def test_ctrl_c_stops_submitting_and_prints_the_command_that_resumes_it(
    daily_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    emulator = daily_emulator
    env = emulator_env(emulator)
    plan = await _plan(emulator, tmp_path, "daily", "seed = [1, 2, 3, 4]")
    drawn = await asyncio.to_thread(
        run_in_terminal,
        *("campaign", "run", plan.name, "--interval", "0.2"),
        env=env,
        interrupt_on=b"next slot for",
        cwd=tmp_path,
    )
    assert drawn.code == 130, "\n".join(drawn.lines)
    assert drawn.widest <= 80, f"drew to column {drawn.widest}: {drawn.widest_text!r}"
    text = "\n".join(drawn.lines)
    # A day after the first create (within the second it took).
    assert re.search(rf"next slot for {MODEL} in (24 h|23 h 59 min)\n", text), text
    assert "stopped submitting: campaign daily has 2 job(s) still running on the server" in text
    # The live footer was drawn (the counts, the slot, the active members) and is gone.
    footer = drawn.raw.decode()
    assert "active 2 · pending here 2 · done 0 · failed 0\r\nnext slot for" in footer
    assert re.search(r"#1  ftjob-\w+  created \d+s ago  seed=2", footer)
    assert not any("pending here" in line for line in drawn.lines)
    assert drawn.lines[-3] == "  resume the campaign: ftjobs campaign run daily.toml --interval 0.2"
    assert drawn.lines[-2] == "  see its jobs:        ftjobs campaign status daily"
    assert drawn.lines[-1] == "  cancel its jobs:     ftjobs campaign cancel daily"
    assert len(await _jobs(emulator, "daily")) == 2  # nothing more was submitted
    assert emulator.stats()["models"][MODEL]["daily_limit_refusals"] >= 1

    # A day later (on the emulator's clock, which then runs fast) the printed command resumes
    # the campaign: the two members are found, the two others created, none twice.
    emulator.store.advance_clock(86_400)
    resume = drawn.lines[-3].split(": ", 1)[1].split()[1:]
    ticking = asyncio.create_task(_advance(emulator, 30, 0.1))
    try:
        code, out, err = await run_process(*resume, env=env, cwd=tmp_path)
    finally:
        ticking.cancel()
    assert code == 0, out + err
    assert sum(" found ftjob-" in line for line in out.splitlines()) == 2
    assert sum(" created ftjob-" in line for line in out.splitlines()) == 2
    jobs = await _jobs(emulator, "daily")
    assert len(jobs) == 4 and {str(job.status) for job in jobs} == {"succeeded"}
    assert emulator.stats()["models"][MODEL]["creates"] == 4
