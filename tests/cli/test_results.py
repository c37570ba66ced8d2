"""``ftjobs files check``, ``files upload --check``, ``files content``, ``jobs metrics`` and the
loss sparkline of ``jobs wait --follow``, against the emulator."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import ftjobs
from ftjobs.emulator import EmulatorHandle, ManualClock
from ftjobs.metrics import parse_results_file
from tests._support.emulator import chat_file
from tests.cli.helpers import emulator_env, run_cli
from tests.training_files import CORPUS

GOOD = CORPUS / "good" / "supervised_basic.jsonl"
BAD = CORPUS / "bad" / "unknown_role.jsonl"


async def test_files_check_prints_the_report_and_exits_1_on_errors() -> None:
    code, out, err = await run_cli("files", "check", str(GOOD))
    assert code == 0, err
    assert out.startswith("supervised_basic.jsonl: 12 examples, ") and out.rstrip().endswith(": OK")
    code, out, _ = await run_cli("files", "check", str(BAD))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith(": 1 error(s)")
    assert lines[1].split() == ["LINE", "LEVEL", "CODE", "MESSAGE"]
    assert lines[2].split()[:3] == ["11", "error", "unknown_role"]


async def test_files_check_for_another_method_and_as_json(tmp_path: Path) -> None:
    dpo = CORPUS / "good" / "dpo_basic.jsonl"
    assert (await run_cli("files", "check", str(dpo)))[0] == 1
    code, out, _ = await run_cli("files", "check", str(dpo), "--method", "dpo", "--json")
    assert code == 0 and json.loads(out)["errors"] == []
    code, out, _ = await run_cli("files", "check", str(BAD), "--json")
    report = json.loads(out)
    assert [(e["code"], e["line"]) for e in report["errors"]] == [("unknown_role", 11)]
    rft = CORPUS / "bad" / "reinforcement_missing_grader_field.jsonl"
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps({"type": "string_check", "reference": "{{ item.answer }}"}))
    code, out, _ = await run_cli(
        "files", "check", str(rft), "--method", "reinforcement", "--grader", str(grader)
    )
    assert code == 1 and "item.answer" in out
    code, _, err = await run_cli("files", "check", "missing.jsonl")
    assert code == 1 and err == "error: no such file: missing.jsonl\n"


async def test_files_upload_check_sends_nothing_when_the_file_has_errors(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    env = emulator_env(emulator)
    code, _, err = await run_cli("files", "upload", str(BAD), "--check", env=env)
    assert code == 1
    assert "unknown_role" in err and err.rstrip().endswith(
        "unknown_role.jsonl has errors: not uploaded"
    )
    assert [f async for f in live_client.files.list()] == []
    code, out, err = await run_cli("files", "upload", str(GOOD), "--check", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["bytes"] == GOOD.stat().st_size


async def _finished_job(client: ftjobs.AsyncClient, clock: ManualClock) -> ftjobs.FineTuningJob:
    training = await client.files.upload(chat_file(12), filename="train.jsonl")
    validation = await client.files.upload(chat_file(10), filename="valid.jsonl")
    job = await client.jobs.create(
        model="gpt-4o-mini", training_file=training.id, validation_file=validation.id
    )
    clock.advance(1000)
    return await client.jobs.retrieve(job.id)


async def test_jobs_metrics_chart_table_csv_and_plot(
    emulator: EmulatorHandle,
    live_client: ftjobs.AsyncClient,
    emulator_clock: ManualClock,
    tmp_path: Path,
) -> None:
    job = await _finished_job(live_client, emulator_clock)
    env = {**emulator_env(emulator), "COLUMNS": "72"}
    csv_path, svg_path = tmp_path / "curve.csv", tmp_path / "curve.svg"
    code, out, err = await run_cli(
        "jobs", "metrics", job.id, "--csv", str(csv_path), "--plot", str(svg_path), env=env
    )
    assert code == 0, err
    lines = out.splitlines()
    chart = lines[: lines.index("")]
    assert max(len(line) for line in chart) <= 72  # the chart fits the width (the table,
    # piped, keeps its natural width)
    assert "┤" in lines[0] and any("• train_loss" in line for line in lines)
    header = next(line for line in lines if line.startswith("STEP"))
    assert header.split() == [
        "STEP",
        "TRAIN_LOSS",
        "TRAIN_ACC",
        "VALID_LOSS",
        "VALID_ACC",
        "FULL_VALID_LOSS",
        "FULL_VALID_ACC",
    ]
    assert "steps shown; --csv PATH writes them all" in lines[-1]  # 36 steps, a sample shown
    rows = await live_client.jobs.metrics(job)
    assert parse_results_file(csv_path.read_bytes()) == rows
    assert ET.fromstring(svg_path.read_text()).tag.endswith("svg")
    assert err == f"wrote 36 steps to {csv_path}\ndrew 36 steps in {svg_path}\n"
    code, out, _ = await run_cli("jobs", "metrics", job.id, "--csv", "-", env=env)
    assert code == 0 and parse_results_file(out.encode()) == rows  # the CSV alone
    code, out, _ = await run_cli("jobs", "metrics", job.id, "--json", env=env)
    assert [row["step"] for row in json.loads(out)] == list(range(1, 37))


async def test_files_content_downloads_and_decodes_a_result_file(
    emulator: EmulatorHandle,
    live_client: ftjobs.AsyncClient,
    emulator_clock: ManualClock,
    tmp_path: Path,
) -> None:
    job = await _finished_job(live_client, emulator_clock)
    (result,) = job.result_files
    env = emulator_env(emulator)
    raw = await live_client.files.content(result)
    target = tmp_path / "result.b64"
    code, _, err = await run_cli("files", "content", result, "-o", str(target), env=env)
    assert code == 0 and target.read_bytes() == raw and str(target) in err
    code, _, _ = await run_cli(
        "files", "content", result, "-o", str(tmp_path / "r.csv"), "--decode", env=env
    )
    assert code == 0
    assert (tmp_path / "r.csv").read_bytes() == base64.b64decode(raw)
    code, out, _ = await run_cli("files", "content", result, "--decode", env=env)
    assert code == 0 and out.startswith("step,train_loss,train_accuracy,")
    training = await live_client.files.upload(chat_file(12))
    code, _, err = await run_cli("files", "content", training.id, "--decode", env=env)
    assert code == 1 and "not a result file" in err


async def test_wait_follow_shows_a_sparkline_of_the_loss(fast_emulator: EmulatorHandle) -> None:
    async with ftjobs.AsyncClient(
        api_key=fast_emulator.api_key, base_url=fast_emulator.base_url
    ) as client:
        training = await client.files.upload(chat_file(12))
        job = await client.jobs.create(model="gpt-4o-mini", training_file=training.id)
    code, out, err = await run_cli(
        "jobs", "wait", job.id, "--follow", "--interval", "0.05", env=emulator_env(fast_emulator)
    )
    assert code == 0, err
    steps = [line for line in out.splitlines() if "training loss=" in line]
    assert steps
    sparks = [line.rsplit("  ", 1)[-1] for line in steps]
    assert all(set(spark) <= set("▁▂▃▄▅▆▇█") for spark in sparks)
    assert [len(spark) for spark in sparks] == [min(i + 1, 30) for i in range(len(sparks))]


async def test_files_content_of_an_encoded_result_file_hints_decode(
    emulator: EmulatorHandle,
    live_client: ftjobs.AsyncClient,
    emulator_clock: ManualClock,
    tmp_path: Path,
) -> None:
    job = await _finished_job(live_client, emulator_clock)
    (result,) = job.result_files
    env = emulator_env(emulator)
    code, _, err = await run_cli("files", "content", result, env=env)
    assert code == 0 and f"`ftjobs files content {result} --decode` gives its CSV" in err
    code, _, err = await run_cli("files", "content", result, "--decode", env=env)
    assert code == 0 and "--decode` gives" not in err
    code, _, err = await run_cli("files", "content", result, "-o", str(tmp_path / "r"), env=env)
    assert code == 0 and f"`ftjobs files content {result} --decode` gives its CSV" in err
    training = await live_client.files.upload(chat_file(12))
    code, _, err = await run_cli("files", "content", training.id, env=env)
    assert code == 0 and err == ""
