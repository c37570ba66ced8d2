"""The command line as a whole: one-line errors, help defaults, a closed pipe."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftjobs.emulator import EmulatorHandle

from .helpers import PROGRAM, clean_env, emulator_env, run_cli


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
        "files", "upload", str(tmp_path / "nope.jsonl"), env=emulator_env(emulator)
    )
    assert code == 1 and "no such file" in err
    code, _, err = await run_cli("files", "upload", str(tmp_path), env=emulator_env(emulator))
    assert code == 1 and err == f"error: {tmp_path} is a directory: give the path of a JSONL file\n"
    code, _, err = await run_cli("jobs", "list", "--limit", "500", env=emulator_env(emulator))
    assert code == 1 and "limit" in err
    code, _, err = await run_cli("jobs", "frobnicate")
    assert code == 2 and "invalid choice" in err


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


async def test_json_into_a_closed_pipe_exits_quietly(emulator: EmulatorHandle) -> None:
    """``ftjobs jobs list --json | head``: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", PROGRAM, "jobs", "list", "--json"),
            stdout=write_end,
            stderr=asyncio.subprocess.PIPE,
            env=clean_env(emulator_env(emulator)),
        )
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert err == b"" and proc.returncode == 141


async def test_bare_ftjobs_prints_help_and_python_m_ftjobs_runs_the_cli() -> None:
    code, out, err = await run_cli()
    assert code == 0 and err == "" and out.startswith("usage: ftjobs") and "jobs" in out
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ftjobs", "--version",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env(None),
    )  # fmt: skip
    out_bytes, err_bytes = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err_bytes
    assert out_bytes.decode().startswith("ftjobs ")


async def test_debug_logs_every_http_attempt_on_stderr(emulator: EmulatorHandle) -> None:
    for flag in ("-v", "--debug"):
        code, out, err = await run_cli("files", "list", flag, env=emulator_env(emulator))
        assert code == 0 and out.startswith("ID")
        assert f"GET {emulator.base_url}/files" in err and "200" in err, err
    code, _, err = await run_cli("files", "list", env=emulator_env(emulator))
    assert code == 0 and err == ""


def test_ctrl_c_wraps_its_message_but_never_the_commands_to_go_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ftjobs.cli import _run
    from ftjobs.cli._app import EXIT_INTERRUPTED, Interrupted

    # A 40-column terminal (rich reads these), where a long command would be cut in lines.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "40")
    command = "  resume: ftjobs campaign run /a/long/path/to/the/plans/lr-sweep.toml --max-active 3"

    def interrupted(args: argparse.Namespace) -> int:
        raise Interrupted("stopped submitting: three jobs go on, on the server.", command)

    code = _run(argparse.Namespace(handler=interrupted))
    err = capsys.readouterr().err
    assert code == EXIT_INTERRUPTED
    assert err.splitlines()[:2] == ["stopped submitting: three jobs go on, on", "the server."]
    assert err.splitlines()[2] == command  # one line to copy, however the terminal folds it
