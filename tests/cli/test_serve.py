"""``ftjobs serve``: the banner's export line points a shell at the running emulator."""

from __future__ import annotations

import asyncio
import sys

from tests._support.live import free_port

from .helpers import PROGRAM, run_cli


async def test_serve_prints_the_url_the_key_and_an_export_line_that_works() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROGRAM,
        "serve", "--port", str(port), "--speed", "100", "--api-key", "sk-serve",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(5)]
        assert f"http://127.0.0.1:{port}/v1" in banner[0] and "sk-serve" in banner[2]
        export = banner[4].split()
        assert export[0] == "export"
        variables = dict(word.split("=", 1) for word in export[1:])
        assert variables == {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "OPENAI_API_KEY": "sk-serve",
        }
        code, out, err = await run_cli("files", "list", env=variables)
        assert code == 0 and out.startswith("ID"), err
    finally:
        proc.terminate()
        await proc.communicate()
