"""``ftjobs files upload`` of a large file: in parts, with a progress bar on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

import ftjobs
from ftjobs.cli._files import upload_bar
from ftjobs.emulator import EmulatorHandle, ManualClock, get_emulator
from tests._support.emulator import chat_file
from tests.cli.helpers import emulator_env, run_cli


def test_the_bar_draws_on_a_terminal_only() -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80)
    with upload_bar(terminal, "big.jsonl", shown=True) as on_progress:
        assert on_progress is not None
        on_progress(0, 2_000_000)
        on_progress(2_000_000, 2_000_000)
    assert "big.jsonl" in screen.getvalue() and "2.0/2.0 MB" in screen.getvalue()
    piped = Console(file=io.StringIO(), force_terminal=False)
    with upload_bar(piped, "big.jsonl", shown=True) as on_progress:
        assert on_progress is None
    with upload_bar(terminal, "small.jsonl", shown=False) as on_progress:
        assert on_progress is None


async def test_a_file_above_the_threshold_goes_in_parts(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(50))
    code, out, err = await run_cli(
        "files",
        "upload",
        str(path),
        "--multipart-threshold",
        "100",
        "--json",
        env=emulator_env(emulator),
    )
    assert code == 0, err
    assert json.loads(out)["bytes"] == path.stat().st_size
    assert get_emulator(emulator.app).uploads.by_status() == {"completed": 1}


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
