"""Running the ``ftjobs`` CLI in tests: in this process (`run_cli`) or as the script a user
runs (`run_process`), against an emulator (`emulator_env`)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import threading
from unittest import mock

from ftjobs.cli import main
from ftjobs.emulator import EmulatorHandle

PROGRAM = "import sys; from ftjobs.cli import main; sys.exit(main())"


def clean_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    full_env.update(env or {})
    return full_env


async def run_process(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    cwd: str | os.PathLike[str] | None = None,
) -> tuple[int, str, str]:
    """Run ``ftjobs ARGS`` in a subprocess, the way the installed script runs (in the
    directory ``cwd``, default: this one)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROGRAM,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(env),
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


_ONE_AT_A_TIME = threading.Lock()


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``ftjobs ARGS`` in this process (in a thread, with its own event loop), with
    ``env`` as its only ``OPENAI_*`` variables; returns (exit code, stdout, stderr).

    Starting an interpreter costs seconds on a busy machine; `run_process` covers the script.
    """
    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        with (
            _ONE_AT_A_TIME,
            mock.patch.dict(os.environ, clean_env(env), clear=True),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                return main(list(args))
            except SystemExit as exc:  # argparse rejecting the command line
                return int(exc.code or 0)

    code = await asyncio.to_thread(call)
    return code, out.getvalue(), err.getvalue()


def emulator_env(emulator: EmulatorHandle) -> dict[str, str]:
    """The variables that point the CLI at ``emulator``."""
    return {"OPENAI_API_KEY": emulator.api_key, "OPENAI_BASE_URL": emulator.base_url}
