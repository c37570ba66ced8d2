"""Memory of refusing an answer over ``max_response_bytes`` (``nox -s bench_capped_read``).

A server in its own process (so that only the SDK's memory is measured) answers a job GET
with ``--mb`` MiB (default 100) of JSON, either with a ``Content-Length`` ("declared") or
chunked with none ("chunked"); the client, with the default 64 MiB cap, must refuse it with
`ResponseTooLargeError`. Each case runs once alone and ``--concurrent`` times at once.

Reported per case: the resident set size before (after a warm-up request, so imports and
the connection pool are counted out), its peak (the kernel's high-water mark ``VmHWM``,
reset before each case through ``/proc/self/clear_refs``, and a 5 ms sampler as a cross-check),
the growth and the growth over the cap. Issue 22's target: a 100 MiB answer refused at
64 MiB grows the process by less than 100 MiB (it was 232 MiB: a growing bytearray copied
twice).

Usage: ``python -m bench.capped_read [--mb 100] [--cap-mb 64] [--concurrent 8]
[--out bench/results]``;
writes ``capped_read.json`` and ``capped_read.md`` there (``--out -`` prints only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

import ftjobs
from bench.upload_memory import PeakSampler, status_mb
from ftjobs._responses import DEFAULT_MAX_RESPONSE_BYTES

TARGET_MB = 100.0
_CHUNK = 1 << 20
CASES = ("declared", "chunked")


# -- the server (its own process) --------------------------------------------------------------


def _serve(port: int, megabytes: int) -> None:
    head = b'{"id": "ftjob-big", "object": "fine_tuning.job", "padding": "'
    size = megabytes * _CHUNK

    async def big(request: web.Request) -> web.StreamResponse:
        declared = request.match_info["job_id"] == "ftjob-declared"
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if declared:
            response.content_length = size
        await response.prepare(request)
        await response.write(head)
        sent, block = len(head), b"x" * _CHUNK
        while sent < size - 2:
            part = block[: min(_CHUNK, size - 2 - sent)]
            await response.write(part)
            sent += len(part)
        await response.write(b'"}')
        return response

    async def small(request: web.Request) -> web.Response:
        return web.json_response({"id": "ftjob-small", "object": "fine_tuning.job"})

    app = web.Application()
    app.router.add_get("/v1/fine_tuning/jobs/{job_id}", big)
    app.router.add_get("/health", small)
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


# -- the client --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(root: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            with urllib.request.urlopen(root + "/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def _reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux 4.0+); False where it cannot be."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


async def _refuse(client: ftjobs.AsyncClient, case: str) -> None:
    try:
        await client.jobs.retrieve(f"ftjob-{case}")
    except ftjobs.ResponseTooLargeError:
        return
    raise RuntimeError(f"{case}: the answer over the cap was not refused")


async def _measure(base_url: str, concurrent: int, cap: int) -> list[dict[str, Any]]:
    rows = []
    async with ftjobs.AsyncClient(
        api_key="k", base_url=base_url, max_retries=0, max_response_bytes=cap
    ) as client:
        for case in CASES:
            for at_once in (1, concurrent):
                await _refuse(client, case)  # warm-up: imports, the pool, the allocator
                before = status_mb("VmRSS")
                exact = _reset_peak()
                started = time.perf_counter()
                with PeakSampler() as sampler:
                    await asyncio.gather(*(_refuse(client, case) for _ in range(at_once)))
                elapsed = time.perf_counter() - started
                peak = max(status_mb("VmHWM") if exact else 0.0, sampler.peak)
                growth = peak - before
                rows.append(
                    {
                        "case": case,
                        "at_once": at_once,
                        "rss_before_mb": round(before, 1),
                        "rss_peak_mb": round(peak, 1),
                        "rss_growth_mb": round(growth, 1),
                        "growth_over_cap": round(growth / (cap / 2**20), 2),
                        "peak_exact": exact,
                        "seconds": round(elapsed, 2),
                    }
                )
    return rows


def measure(
    megabytes: int, concurrent: int, cap: int = DEFAULT_MAX_RESPONSE_BYTES
) -> dict[str, Any]:
    """Serve ``megabytes`` MiB answers from another process and measure their refusal at
    ``cap`` bytes."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "bench.capped_read",
        "--serve",
        str(port),
        "--mb",
        str(megabytes),
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(root, server)
        rows = asyncio.run(_measure(root + "/v1", concurrent, cap))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "answer_mb": megabytes,
        "cap_mb": cap / 2**20,
        "target_growth_mb": TARGET_MB,
        "python": platform.python_version(),
        "rows": rows,
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Memory of refusing an answer over max_response_bytes",
        "",
        f"`python -m bench.capped_read --mb {result['answer_mb']} --cap-mb {result['cap_mb']:g}` "
        f"(Python {result['python']}; "
        f"the server in its own process; cap {result['cap_mb']:g} MiB; target: one answer "
        f"grows the process by less than {result['target_growth_mb']:g} MiB).",
        "",
        "| body | at once | RSS before | RSS peak | growth | growth / cap | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['case']} | {row['at_once']} | {row['rss_before_mb']} MiB "
            f"| {row['rss_peak_mb']} MiB | **{row['rss_growth_mb']} MiB** "
            f"| {row['growth_over_cap']}x | {row['seconds']} s |"
        )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    """Command line: measure, print, and write the results (or ``--serve`` the answers)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=100, help="answer size in MiB")
    parser.add_argument("--concurrent", type=int, default=8, help="answers refused at once")
    parser.add_argument(
        "--cap-mb",
        type=float,
        default=DEFAULT_MAX_RESPONSE_BYTES / 2**20,
        help="max_response_bytes in MiB (default: the SDK's)",
    )
    parser.add_argument("--out", default="bench/results", help="directory, or - to only print")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        _serve(args.serve, args.mb)
        return 0
    result = measure(args.mb, args.concurrent, int(args.cap_mb * 2**20))
    print(json.dumps(result, sort_keys=True))
    if args.out != "-":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "capped_read.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        (out / "capped_read.md").write_text(_markdown(result))
    singles = [row for row in result["rows"] if row["at_once"] == 1]
    return 0 if all(row["rss_growth_mb"] < TARGET_MB for row in singles) else 1


if __name__ == "__main__":
    sys.exit(main())
