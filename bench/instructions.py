"""Instructions per unit of work, ftjobs against the raw-aiohttp floor, on the shared harness.

    python -m bench.instructions [--harness ../shared/bench] [--clients raw,ftjobs]
                                 [--workloads W1,W2,W3,W4] [--out FILE.json]

Why: wall time on a shared machine moves 20-80% between runs; the instructions a process
executes do not (valgrind's cachegrind counts them, repeatable to about 1%). Each (client,
workload) runs twice under cachegrind, over N1 and over N2 units (jobs listed, retrieves,
events); ``(I(N2) - I(N1)) / (N2 - N1)`` is the cost of one unit with start-up, imports and
warm-up cancelled out. The ratio of ftjobs' figure to the floor's is the one to quote.

The workloads are the harness's (``../shared/bench``, read-only, used in place): its adapters
(``clients.py``) make the calls and its server (``server.py``, not under valgrind) answers
them. Only the number of units differs from its run. Needs ``valgrind`` on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# ``../shared/bench`` from the project's root (or from a parent's, for a git worktree).
DEFAULT_HARNESS = next(
    (p / "shared" / "bench" for p in ROOT.parents if (p / "shared" / "bench").is_dir()),
    ROOT.parent / "shared" / "bench",
)

#: Units per run (N1, N2): jobs listed, retrieves, retrieves, events.
SIZES: dict[str, tuple[int, int]] = {
    "W1": (2_000, 10_000),
    "W2": (640, 3_200),
    "W3": (200, 1_000),
    "W4": (2_000, 10_000),
}
TITLES = {
    "W1": "list jobs, page 100, keep them",
    "W2": "retrieves, 64 in flight",
    "W3": "sequential retrieves",
    "W4": "iterate events, page 100",
}


# -- the measured process (run under valgrind) ----------------------------------------------


async def _units(harness: Path, client: str, workload: str, port: int, n: int) -> int:
    """Run ``n`` units of ``workload`` with the harness adapter ``client``; the count done."""
    sys.path.insert(0, str(harness))
    clients: Any = importlib.import_module("clients")  # the harness's adapters and workloads
    dataset: Any = importlib.import_module("dataset")

    adapter = clients.CLIENTS[client]()
    await adapter.open(f"http://127.0.0.1:{port}/v1")
    params = clients.Params.make(dataset.N_JOBS, dataset.N_BIG_EVENTS)
    try:
        await clients.WORKLOADS[workload].warmup(adapter, params)
        gc.collect()
        if workload in ("W1", "W4"):
            items = (
                adapter.list_jobs(clients.PAGE)
                if workload == "W1"
                else adapter.list_events(dataset.BIG_EVENTS_JOB, clients.PAGE)
            )
            iterator = aiter(items)
            kept = []  # W1 keeps what it lists, as the harness does (memory and GC included)
            async for item in iterator:
                kept.append(item)
                if len(kept) == n:
                    break
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            return len(kept)
        if workload == "W2":
            await clients.retrieve_all(adapter, params.order[:n], in_flight=64)
        else:
            await clients.retrieve_all(adapter, params.order[:n], in_flight=1)
        return n
    finally:
        await adapter.close()


# -- the driver -----------------------------------------------------------------------------


def _start_server(harness: Path) -> tuple[subprocess.Popen[bytes], int]:
    cmd = [sys.executable, str(harness / "server.py"), "0", "--parent-watch", "--lifetime", "3600"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=harness)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else b""
    if not line:
        proc.kill()
        raise SystemExit("the harness server did not come up within 60 s")
    return proc, int(json.loads(line)["port"])


def _instructions(harness: Path, client: str, workload: str, port: int, n: int) -> int:
    """Instructions executed by one process that runs ``n`` units."""
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--run",
        f"{client},{workload},{n}",
        "--port",
        str(port),
        "--harness",
        str(harness),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or found is None or f"done {n}" not in proc.stdout:
        raise SystemExit(f"{client} {workload} n={n} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def measure(harness: Path, clients: list[str], workloads: list[str]) -> list[dict[str, Any]]:
    """Per-unit instructions of every (client, workload)."""
    server, port = _start_server(harness)
    rows = []
    try:
        for workload in workloads:
            n1, n2 = SIZES[workload]
            for client in clients:
                started = time.perf_counter()
                i1 = _instructions(harness, client, workload, port, n1)
                i2 = _instructions(harness, client, workload, port, n2)
                row: dict[str, Any] = {
                    "workload": workload,
                    "client": client,
                    "n1": n1,
                    "n2": n2,
                    "instructions_n1": i1,
                    "instructions_n2": i2,
                    "per_unit": (i2 - i1) / (n2 - n1),
                }
                rows.append(row)
                print(
                    f"{workload} {client:7} {row['per_unit']:>12,.0f} instructions/unit "
                    f"({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    floor = {r["workload"]: r["per_unit"] for r in rows if r["client"] == "raw"}
    for row in rows:
        if row["workload"] in floor:
            row["x_floor"] = row["per_unit"] / floor[row["workload"]]
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    lines = [
        "| workload | client | N1 | N2 | instructions/unit | x floor |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['x_floor']:.3f}" if "x_floor" in r else ""
        lines.append(
            f"| {r['workload']} {TITLES[r['workload']]} | {r['client']} | {r['n1']:,} "
            f"| {r['n2']:,} | {r['per_unit']:,.0f} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.instructions``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harness", type=Path, default=DEFAULT_HARNESS)
    parser.add_argument("--clients", default="raw,ftjobs")
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)  # CLIENT,WORKLOAD,N
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    harness = args.harness.resolve()
    if args.run:
        client, workload, n = args.run.split(",")
        done = asyncio.run(_units(harness, client, workload, args.port, int(n)))
        print(f"done {done}")
        return
    rows = measure(harness, args.clients.split(","), args.workloads.split(","))
    print(table(rows))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
