"""``ftjobs webhooks listen``: the script receives deliveries over loopback and prints the
verified events only."""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
import orjson

from ftjobs.webhooks import signed_headers
from tests._support.live import free_port
from tests._support.webhooks import EVENT, SECRET
from tests.cli.helpers import PROGRAM, clean_env, run_cli


async def test_listen_prints_verified_events_and_refuses_forged_ones() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROGRAM,
        "webhooks",
        "listen",
        "--port",
        str(port),
        "--secret",
        SECRET,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(None),
    )
    assert proc.stderr is not None and proc.stdout is not None
    try:
        banner = await asyncio.wait_for(proc.stderr.readline(), 60)
        assert f"127.0.0.1:{port}/webhooks" in banner.decode()
        body = orjson.dumps(EVENT)
        url = f"http://127.0.0.1:{port}/webhooks"
        good = signed_headers(SECRET, "wh_1", int(time.time()), body)
        forged = {**good, "webhook-signature": "v1,AAAA"}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=forged) as response:
                assert response.status == 400
            async with session.post(url, data=body, headers=good) as response:
                assert response.status == 200
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert "fine_tuning.job.succeeded" in line and "ftjob_abc123" in line
    finally:
        proc.terminate()
        await proc.wait()
        out = (await proc.stdout.read()).decode()
    assert SECRET.removeprefix("whsec_") not in out
    assert out.count("fine_tuning.job") == 0  # the forged delivery printed nothing


async def test_listen_needs_a_real_secret() -> None:
    code, _, err = await run_cli("webhooks", "listen", "--port", "0")
    assert code != 0 and "OPENAI_WEBHOOK_SECRET" in err
    code, _, err = await run_cli("webhooks", "listen", "--port", "0", "--secret", "nope!")
    assert code != 0 and "--secret" in err and "nope" not in err
