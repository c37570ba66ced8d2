"""``ftjobs files upload`` of a large file: in parts, with a progress bar on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

import ftjobs
from ftjobs import FineTuneMethod, check_training_file
from ftjobs.cli._files import upload_bar
from ftjobs.emulator import EmulatorHandle, ManualClock, get_emulator
from ftjobs.graders import StringCheckGrader, item_field
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


@pytest.mark.parametrize(
    ("method", "model"),
    [("supervised", "gpt-4o-mini"), ("dpo", "gpt-4o-mini"), ("reinforcement", "o4-mini")],
)
async def test_files_sample_for_each_method_and_its_validation_file_train_a_job(
    live_client: ftjobs.AsyncClient, emulator_clock: ManualClock, method: str, model: str
) -> None:
    files = []
    for extra in ((), ("--validation",)):
        code, out, err = await run_cli("files", "sample", "--method", method, *extra)
        assert code == 0 and err == ""
        assert check_training_file(out.encode(), method=method).ok
        files.append(out)
    assert files[0] != files[1]  # the validation file words its questions differently
    training = await live_client.files.upload(files[0].encode(), filename="train.jsonl")
    validation = await live_client.files.upload(files[1].encode(), filename="valid.jsonl")
    grader = StringCheckGrader.exact("exact", item_field("reference_answer"))
    kind = {
        "supervised": FineTuneMethod.supervised_method(),
        "dpo": FineTuneMethod.dpo_method(),
        "reinforcement": FineTuneMethod.reinforcement_method(grader),
    }[method]
    job = await live_client.jobs.create(
        model=model, training_file=training.id, validation_file=validation.id, method=kind
    )
    emulator_clock.advance(10_000)
    assert (await live_client.jobs.retrieve(job.id)).status == "succeeded"


async def test_files_sample_help_lists_no_connection_options() -> None:
    code, out, _ = await run_cli("files", "sample", "--help")
    assert code == 0 and "--method" in out and "--validation" in out
    assert "--api-key" not in out and "--base-url" not in out and "connection" not in out
