"""Instructions per unit of work, ftjobs against the raw-aiohttp floor, on the project's bench.

    python -m bench.instructions [--clients floor,ftjobs] [--workloads W1,W2,W3,W4]
                                 [--out FILE.json]

Why: wall time on a shared machine moves 20-80% between runs; the instructions a process
executes do not (valgrind's cachegrind counts them, repeatable to about 1%). Each (client,
workload) runs twice under cachegrind, over N1 and over N2 units (jobs listed, retrieves,
events); ``(I(N2) - I(N1)) / (N2 - N1)`` is the cost of one unit with start-up, imports and
warm-up cancelled out. The ratio of ftjobs' figure to the floor's is the one to quote.

The workloads, clients and server are this folder's (``bench.worker``, ``bench.server``, the
same ones ``python -m bench`` times): the worker runs under valgrind, the server does not.
Only the number of units differs from a timed run. Needs ``valgrind`` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .run import bench_server
from .worker import Sizes

ROOT = Path(__file__).resolve().parent.parent

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
#: Which of the workload's sizes its units are.
_UNIT = {"W1": "jobs", "W2": "retrieves", "W3": "sequential", "W4": "events"}


def _sizes(workload: str, n: int) -> Sizes:
    sizes = Sizes()
    setattr(sizes, _UNIT[workload], n)
    return sizes


# -- the driver -----------------------------------------------------------------------------


def _instructions(client: str, workload: str, n: int) -> int:
    """Instructions executed by one worker process that runs ``n`` units."""
    sizes = _sizes(workload, n)
    with bench_server(sizes, None) as (port, _pid):
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
        cmd += [sys.executable, "-m", "bench.worker", f"--client={client}"]
        cmd += [f"--workload={workload}", f"--port={port}", *sizes.as_args()]
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"{client} {workload} n={n} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def measure(clients: list[str], workloads: list[str]) -> list[dict[str, Any]]:
    """Per-unit instructions of every (client, workload)."""
    rows = []
    for workload in workloads:
        n1, n2 = SIZES[workload]
        for client in clients:
            started = time.perf_counter()
            i1 = _instructions(client, workload, n1)
            i2 = _instructions(client, workload, n2)
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
    floor = {r["workload"]: r["per_unit"] for r in rows if r["client"] == "floor"}
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
    parser.add_argument("--clients", default="floor,ftjobs")
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = measure(args.clients.split(","), args.workloads.split(","))
    print(table(rows))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
