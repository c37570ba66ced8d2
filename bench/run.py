"""The benchmark harness: one server process, each client x workload in a fresh process.

``python -m bench [--reps N] [--quick]`` (what ``nox -s bench`` runs). The server is pinned to
core 0 and every client process to core 1 (when the machine has two cores or more), so the
client's CPU time is its own. Repetitions are interleaved (rep 1 of every client and workload,
then rep 2...), medians are reported, and ratios are taken to the floor *of the same run*.
Writes ``bench/results/bench.json`` and ``bench/results/bench.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .worker import CLIENTS, PRIORITY, WORKLOADS, Sizes

RESULTS_DIR = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
#: When the server used this share of its core during a run, the run measured the server.
SATURATED = 0.80
PACKAGES = (
    "ftjobs",
    "aiohttp",
    "attrs",
    "cattrs",
    "tenacity",
    "orjson",
    "yarl",
    "multidict",
    "openai",
    "httpx",
    "httpx2",
    "pydantic",
    "pydantic-core",
)
WORKLOAD_TITLES = {
    "W1": "list jobs, keep models",
    "W2": "concurrent retrieves",
    "W3": "sequential retrieves",
    "W4": "iterate events",
}


def _can_raise_priority() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _cores() -> tuple[int | None, int | None]:
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, None
    return cores[0], cores[1]


@contextlib.contextmanager
def bench_server(sizes: Sizes, cpu: int | None) -> Iterator[tuple[int, int]]:
    """Start ``bench.server`` and yield ``(port, pid)``; stop it on exit."""
    cmd = [sys.executable, "-m", "bench.server", f"--jobs={sizes.jobs}"]
    cmd += [f"--events={sizes.events}", f"--page={sizes.page}"]
    if cpu is not None:
        cmd.append(f"--cpu={cpu}")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        yield int(line.split()[1]), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def run_one(client: str, workload: str, port: int, sizes: Sizes, cpu: int | None) -> dict[str, Any]:
    """Run one client on one workload in a fresh process; return its result record."""
    cmd = [sys.executable, "-m", "bench.worker", f"--client={client}", f"--workload={workload}"]
    cmd += [f"--port={port}", *sizes.as_args()]
    if cpu is not None:
        cmd.append(f"--cpu={cpu}")
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{client} {workload} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _import_time_us(module: str) -> int:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"no import time line for {module}")


def import_times(modules: Sequence[str], reps: int) -> dict[str, Any]:
    """Median cumulative ``-X importtime`` of each module, runs interleaved."""
    samples: dict[str, list[int]] = {m: [] for m in modules}
    for m in modules:  # one unrecorded run each: compile .pyc files, warm the page cache
        _import_time_us(m)
    for _ in range(reps):
        for m in modules:
            samples[m].append(_import_time_us(m))
    return {
        m: {"median_ms": statistics.median(s) / 1000, "samples_us": s} for m, s in samples.items()
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions: dict[str, str] = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": versions,
        "loadavg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def summarise(runs: list[dict[str, Any]], clients: Sequence[str]) -> list[dict[str, Any]]:
    """Medians per client and workload, with ratios to the floor's medians."""
    rows: list[dict[str, Any]] = []
    for workload in WORKLOADS:
        floor: dict[str, float] | None = None
        for client in clients:
            mine = [r for r in runs if r["client"] == client and r["workload"] == workload]
            if not mine:
                continue
            items = mine[0]["items"]
            wall = statistics.median(r["wall_s"] for r in mine)
            best = min(r["wall_s"] for r in mine)
            cpu = statistics.median(r["cpu_s"] for r in mine)
            row: dict[str, Any] = {
                "workload": workload,
                "client": client,
                "reps": len(mine),
                "items": items,
                "us_per_item": wall / items * 1e6,
                "best_us_per_item": best / items * 1e6,
                "items_per_s": items / wall,
                "cpu_us_per_item": cpu / items * 1e6,
                "server_util": statistics.median(r["server_cpu_s"] / r["wall_s"] for r in mine),
                "peak_rss_mib": statistics.median(r["peak_rss_kib"] for r in mine) / 1024,
                "rss_growth_mib": statistics.median(
                    (r["rss_end_kib"] - r["rss_before_kib"]) for r in mine
                )
                / 1024,
            }
            if client == "floor":
                floor = row
            if floor is not None:
                row["time_ratio"] = row["us_per_item"] / floor["us_per_item"]
                row["best_time_ratio"] = row["best_us_per_item"] / floor["best_us_per_item"]
                row["cpu_ratio"] = row["cpu_us_per_item"] / floor["cpu_us_per_item"]
                row["rss_ratio"] = row["peak_rss_mib"] / floor["peak_rss_mib"]
            rows.append(row)
    return rows


def run_suite(
    *,
    sizes: Sizes,
    reps: int,
    clients: Sequence[str] = CLIENTS,
    workloads: Sequence[str] = WORKLOADS,
    slow_reps: int | None = None,
    budget_s: float | None = None,
    import_reps: int = 5,
    progress: bool = True,
) -> dict[str, Any]:
    """Run every client on every workload ``reps`` times, interleaved; return all results.

    ``slow_reps`` caps the repetitions of the official client (it takes ~10x the others).
    Past ``budget_s`` seconds, a client x workload that already has a result is not run again
    (on a busy machine the suite still ends in time; each row reports its repetitions).
    """
    server_cpu, client_cpu = _cores()
    info = machine()
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    with bench_server(sizes, server_cpu) as (port, _pid):
        for rep in range(reps):
            for workload in workloads:
                # Rotate the order each repetition so no client always runs first.
                order = list(clients[rep % len(clients) :]) + list(clients[: rep % len(clients)])
                for client in order:
                    if client == "openai" and slow_reps is not None and rep >= slow_reps:
                        continue
                    over = budget_s is not None and time.perf_counter() - started > budget_s
                    if over and rep > 0:
                        continue
                    result = run_one(client, workload, port, sizes, client_cpu)
                    result["rep"] = rep
                    runs.append(result)
                    if progress:
                        print(
                            f"  rep {rep + 1}/{reps} {workload} {client:<7}"
                            f" {result['wall_s']:7.3f}s wall {result['cpu_s']:7.3f}s cpu",
                            file=sys.stderr,
                            flush=True,
                        )
    modules = [c for c in ("ftjobs", "openai") if c in clients]
    imports = import_times(modules, import_reps) if import_reps > 0 else {}
    info["loadavg_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": info,
        "pinning": {"server_core": server_cpu, "client_core": client_cpu},
        "sizes": vars(sizes),
        "reps": reps,
        "slow_reps": slow_reps,
        "budget_s": budget_s,
        "priority": f"nice {PRIORITY}" if _can_raise_priority() else "default",
        "summary": summarise(runs, clients),
        "import_time": imports,
        "runs": runs,
        "elapsed_s": time.perf_counter() - started,
    }


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (plus the import-time line)."""
    lines = [
        "| workload | client | reps | µs/item | items/s | x floor | best x floor"
        " | client CPU µs/item | CPU x floor | peak RSS MiB | server core |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["summary"]:
        wl = row["workload"]
        util = row["server_util"]
        server = f"{util:.0%}" + (" **saturated**" if util >= SATURATED else "")
        lines.append(
            f"| {wl} {WORKLOAD_TITLES[wl]} | {row['client']} | {row['reps']}"
            f" | {row['us_per_item']:.1f} | {row['items_per_s']:,.0f}"
            f" | {row.get('time_ratio', float('nan')):.2f}"
            f" | {row.get('best_time_ratio', float('nan')):.2f}"
            f" | {row['cpu_us_per_item']:.1f} | {row.get('cpu_ratio', float('nan')):.2f}"
            f" | {row['peak_rss_mib']:.1f} | {server} |"
        )
    imp = results["import_time"]
    if "ftjobs" in imp and "openai" in imp:
        ft, oa = imp["ftjobs"]["median_ms"], imp["openai"]["median_ms"]
        lines.append("")
        lines.append(
            "Import time (`python -X importtime`, cumulative, median):"
            f" `import ftjobs` {ft:.0f} ms, `import openai` {oa:.0f} ms (ratio {ft / oa:.2f})."
        )
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[str]:
    """The issue's targets, each checked against this run (wall and CPU ratios)."""
    rows = {(r["workload"], r["client"]): r for r in results["summary"]}
    lines: list[str] = []
    for workload, limit in (("W1", 1.5), ("W2", 1.25), ("W3", 1.25), ("W4", 1.5)):
        row = rows.get((workload, "ftjobs"))
        if row is None or "time_ratio" not in row:
            continue
        ok = "met" if row["time_ratio"] <= limit else "NOT met"
        lines.append(
            f"- {workload}: ftjobs time per item {row['time_ratio']:.2f}x the floor (median;"
            f" best run {row['best_time_ratio']:.2f}x; client CPU {row['cpu_ratio']:.2f}x),"
            f" target <= {limit}x: {ok}"
        )
    ft, oa, fl = rows.get(("W1", "ftjobs")), rows.get(("W1", "openai")), rows.get(("W1", "floor"))
    if ft and oa and fl:
        rss = ft["peak_rss_mib"]
        ok = rss <= oa["peak_rss_mib"] and rss <= 1.3 * fl["peak_rss_mib"]
        lines.append(
            f"- W1 peak RSS: ftjobs {rss:.1f} MiB, official {oa['peak_rss_mib']:.1f},"
            f" floor {fl['peak_rss_mib']:.1f} (target <= official and <= 1.3x floor):"
            f" {'met' if ok else 'NOT met'}"
        )
    imp = results["import_time"]
    if "ftjobs" in imp and "openai" in imp:
        ratio = imp["ftjobs"]["median_ms"] / imp["openai"]["median_ms"]
        lines.append(
            f"- Import time: ftjobs/openai {ratio:.2f} (target <= 0.5):"
            f" {'met' if ratio <= 0.5 else 'NOT met'}"
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The whole results file: table, sizes, method and machine."""
    m = results["machine"]
    s = results["sizes"]
    pkgs = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    load0 = " / ".join(f"{x:.1f}" for x in m.get("loadavg_at_start") or ())
    load1 = " / ".join(f"{x:.1f}" for x in m.get("loadavg_at_end") or ())
    return f"""# ftjobs benchmark results

{table(results)}

Targets (issue #8), this run:

{chr(10).join(targets(results))}

Measured {results["date"]} by `nox -s bench` ({results["elapsed_s"]:.0f} s).

- W1: list all {s["jobs"]:,} jobs, page size {s["page"]}, keeping every item.
- W2: {s["retrieves"]:,} retrieves, {s["in_flight"]} in flight.
- W3: {s["sequential"]:,} sequential retrieves.
- W4: iterate {s["events"]:,} events of one job, page size {s["page"]}.

Each client x workload ran in a fresh process ({results["reps"]} interleaved repetitions; the
official client {results["slow_reps"] or results["reps"]}), after a short warm-up that opens its
connections; the figures are medians. "x floor" is the ratio of time per item to the floor
(aiohttp + `json.loads` into dicts) in the same run, "best x floor" the same ratio of the
fastest runs (the least disturbed by other work on the machine); "client CPU" is
`time.process_time()` of the client process over the timed part, the SDK's own cost and the
steadiest figure on a busy machine. Server and clients run at raised priority
({results.get("priority", "default")}) where allowed. "server core" is the server's CPU time
over the run's wall time (saturated at >= {SATURATED:.0%}: then the run measured the server).
Peak RSS is the client process's `ru_maxrss`. Server pinned to core
{results["pinning"]["server_core"]}, clients to core {results["pinning"]["client_core"]}.

Machine: {m["cpu"]}, {m["cores"]} cores, {m["python"]}, {m["platform"]}.
Load average {load0} at start, {load1} at end (other work shared the machine: compare ratios
within this run, not absolute figures across runs).
Packages: {pkgs}.
"""


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench``."""
    parser = argparse.ArgumentParser(description="ftjobs vs the floor vs the official client")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--budget", type=float, default=200.0, help="seconds after which no repetition starts"
    )
    parser.add_argument("--openai-reps", type=int, default=2)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, 1 rep")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    sizes = Sizes()
    if args.quick:
        sizes = Sizes(jobs=1000, events=2000, retrieves=500, sequential=100)
        args.reps = 1
    results = run_suite(
        sizes=sizes,
        reps=args.reps,
        clients=args.clients.split(","),
        workloads=args.workloads.split(","),
        slow_reps=args.openai_reps,
        budget_s=args.budget,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "bench.md").write_text(markdown(results))
    print(table(results))
    print(f"\nwritten: {args.out / 'bench.md'}, {args.out / 'bench.json'}")


if __name__ == "__main__":
    main()
