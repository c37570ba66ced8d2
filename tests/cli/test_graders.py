"""``ftjobs graders validate / run`` against the emulator (subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

from ftjobs.emulator import EmulatorHandle
from tests.cli.helpers import emulator_env, run_cli

GRADER = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}


async def test_validate_and_run_a_grader_file(emulator: EmulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "grader.json"
    path.write_text(json.dumps(GRADER))
    env = emulator_env(emulator)
    code, out, err = await run_cli("graders", "validate", str(path), env=env)
    assert code == 0 and "valid: exact (string_check)" in out, err
    code, out, err = await run_cli(
        "graders", "run", str(path), "--sample", "42", "--item", '{"answer": "42"}', env=env
    )
    assert code == 0, err
    assert "reward" in out and "1" in out and "errors" in out and "none" in out
    code, out, err = await run_cli(
        "graders", "run", str(path), "--sample", "41", "--item", '{"answer": "42"}', "--json",
        env=env,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["reward"] == 0.0, err


async def test_mistakes_are_one_line_errors(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = emulator_env(emulator)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**GRADER, "operation": "regex"}))
    code, _, err = await run_cli("graders", "validate", str(bad), env=env)
    assert code == 1 and err.startswith("error: ") and "operation" in err
    code, _, err = await run_cli("graders", "validate", str(tmp_path / "none.json"), env=env)
    assert code == 1 and "no such file" in err
    code, _, err = await run_cli(
        "graders", "run", str(bad), "--sample", "x", "--item", "[1]", env=env
    )
    assert code == 2 and "JSON object" in err
    assert "Traceback" not in err
