"""``ftjobs serve``: the banner's export line points a shell at the running emulator (the
variables the CLI reads, in either dialect), and a key the user chose is never printed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig
from ftjobs.emulator._server import API_KEY_ENV, _banner
from tests._support.emulator import chat_file
from tests._support.live import free_port

from .helpers import PROGRAM, clean_env, run_cli

CHOSEN = "sk-chosen-secret-0123456789"


async def _serve(*options: str, env: dict[str, str] | None = None) -> tuple[object, list[str]]:
    """Start ``ftjobs serve OPTIONS`` and read its banner up to the Ctrl-C line."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROGRAM, "serve", "--speed", "100", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env(env),
    )  # fmt: skip
    assert proc.stdout is not None
    banner: list[str] = []
    while not banner or not banner[-1].startswith("Press Ctrl-C"):
        banner.append((await asyncio.wait_for(proc.stdout.readline(), 30)).decode())
    return proc, banner


def _exported(banner: list[str], env: dict[str, str]) -> dict[str, str]:
    """What a shell holds after running the banner's export line (with ``env`` set)."""
    line = next(line for line in banner if line.strip().startswith("export "))
    names = [word.split("=", 1)[0] for word in line.split()[1:]]
    script = line.strip() + "; " + "; ".join(f'printf "%s\\n" "${name}"' for name in names)
    out = subprocess.run(
        ["sh", "-c", script], env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout
    return dict(zip(names, out.splitlines(), strict=True))


@pytest.mark.parametrize("dialect", ["openai", "azure"])
async def test_the_export_line_is_what_the_cli_reads_and_the_key_comes_from_the_env(
    dialect: str,
) -> None:
    port = free_port()
    env = {API_KEY_ENV: CHOSEN}
    proc, banner = await _serve("--port", str(port), "--dialect", dialect, env=env)
    try:
        assert not any(CHOSEN in line for line in banner), banner
        variables = _exported(banner, env)
        assert variables["OPENAI_API_KEY"] == CHOSEN
        assert variables["OPENAI_BASE_URL"].startswith(f"http://127.0.0.1:{port}/")
        code, out, err = await run_cli("files", "list", env=variables)
        assert code == 0 and out.startswith("ID"), err
    finally:
        proc.terminate()  # type: ignore[attr-defined]
        await proc.communicate()  # type: ignore[attr-defined]


def test_the_banner_prints_the_built_in_key_and_masks_a_chosen_one() -> None:
    default = _banner(EmulatorConfig(), "http://127.0.0.1:8765")
    assert "API key: sk-emulator" in default
    assert "OPENAI_API_KEY=sk-emulator" in default
    for dialect in ("openai", "azure"):
        chosen = _banner(EmulatorConfig(api_key=CHOSEN, dialect=dialect), "http://h:1")
        assert CHOSEN not in chosen
        assert CHOSEN[:4] not in chosen.replace("sk-...", "")  # no more than a 3-char head
    assert "short-key" not in _banner(EmulatorConfig(api_key="short-key"), "http://h:1")


async def test_serve_api_key_option_is_not_echoed() -> None:
    proc, banner = await _serve("--port", str(free_port()), "--api-key", CHOSEN)
    try:
        assert not any(CHOSEN in line for line in banner), banner
        assert any("OPENAI_API_KEY=<your key>" in line for line in banner), banner
    finally:
        proc.terminate()  # type: ignore[attr-defined]
        await proc.communicate()  # type: ignore[attr-defined]


def test_serve_takes_the_per_model_create_limits() -> None:
    from ftjobs.cli import build_parser
    from ftjobs.emulator import config_from_args

    args = build_parser().parse_args(["serve", "--daily-job-limit", "20", "--max-active-jobs", "3"])
    config = config_from_args(args)
    assert config.daily_job_limit == 20 and config.max_active_jobs == 3
    unlimited = config_from_args(build_parser().parse_args(["serve"]))
    assert unlimited.daily_job_limit is None and unlimited.max_active_jobs is None


async def test_serve_refuses_a_limit_below_one_in_one_line() -> None:
    code, out, err = await run_cli("serve", "--port", "0", "--daily-job-limit", "0")
    assert code == 2 and out == ""
    assert err == "error: daily_job_limit must be >= 1 (None: no limit), got 0\n"


async def test_a_served_daily_limit_refuses_the_next_create_with_the_services_429() -> None:
    port = free_port()
    proc, banner = await _serve("--port", str(port), "--daily-job-limit", "1")
    try:
        assert any("daily job limit per model 1" in line for line in banner), banner
        base = f"http://127.0.0.1:{port}/v1"
        async with ftjobs.AsyncClient(api_key="sk-emulator", base_url=base, max_retries=0) as c:
            training = await c.files.upload(chat_file(12), filename="train.jsonl")
            await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
            with pytest.raises(ftjobs.RateLimitError) as caught:
                await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
        assert caught.value.code == "daily_rate_limit_exceeded"
        assert "maximum of 1 fine-tuning requests per day" in caught.value.message
    finally:
        proc.terminate()  # type: ignore[attr-defined]
        await proc.communicate()  # type: ignore[attr-defined]
