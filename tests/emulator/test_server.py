"""Starting and stopping the emulator: serve_emulator, the CLI entry points, real speed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from ftjobs.emulator import (
    EmulatorConfig,
    add_serve_arguments,
    config_from_args,
    main,
    serve_emulator,
)
from tests._support.emulator import Api, chat_file
from tests._support.live import free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_handle_urls_and_full_cleanup() -> None:
    async with serve_emulator() as emu:
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/v1"
        assert emu.azure_base_url == f"http://127.0.0.1:{emu.port}/openai/v1"
        assert emu.api_key == "sk-emulator"
        assert emu.stats()["requests"]["total"] == 0
        port = emu.port
        async with (
            aiohttp.ClientSession() as http,
            http.get(emu.root_url + "/_emulator/health") as r,
        ):
            assert r.status == 200
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_speed_100_finishes_a_job_quickly() -> None:
    async with serve_emulator(EmulatorConfig(speed=100)) as emu, aiohttp.ClientSession() as http:
        api = Api(http, emu)
        training = await api.upload(chat_file(12))
        job = await api.create_job(training["id"])
        started = time.monotonic()
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() - started < 5, job["status"]
            await asyncio.sleep(0.02)
            _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
        assert job["status"] == "succeeded"
        assert time.monotonic() - started < 2.0


def test_cli_arguments_build_a_config() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    args = parser.parse_args(
        [
            "--port",
            "0",
            "--speed",
            "50",
            "--api-key",
            "k",
            "--faults",
            "500=0.5,seed=3",
            "--state",
            "x.db",
            "--max-running-jobs",
            "7",
            "--ignore-idempotency",
        ]
    )
    config = config_from_args(args)
    assert (config.speed, config.api_key, config.state_path, config.max_running_jobs) == (
        50.0,
        "k",
        "x.db",
        7,
    )
    assert config.faults.rate_500 == 0.5 and config.faults.seed == 3
    assert config.honor_idempotency is False
    assert args.host == "127.0.0.1"


def test_main_rejects_a_bad_fault_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--faults", "teapot=1"]) == 2
    assert "unknown fault kind" in capsys.readouterr().err


async def test_python_m_ftjobs_emulator_serves() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ftjobs.emulator",
        "--port",
        str(port),
        "--api-key",
        "k2",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 10
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/_emulator/health") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline, "emulator did not start"
                    await asyncio.sleep(0.05)
            async with http.get(
                f"http://127.0.0.1:{port}/v1/files", headers={"api-key": "k2"}
            ) as r:
                assert r.status == 200
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), 10)
    assert b"listening on" in output
