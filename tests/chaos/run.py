"""Run the chaos workload from the command line and print the figures table.

    python -m tests.chaos.run --jobs 200 --seeds 5        # seeds 1..5
    python -m tests.chaos.run --jobs 20 --seed-list 3 7   # exactly these seeds

Exits 1 (after printing every failing seed and its problems) when any run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from tests.chaos.workload import CHAOS_KEY, DEFAULT_FAULTS, ChaosConfig, ChaosReport, format_table


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run every seed in turn, print the table; 0 when all passed."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.run", description=__doc__)
    parser.add_argument("--jobs", type=int, default=20, help="jobs per run (default 20)")
    parser.add_argument("--seeds", type=int, default=2, help="run seeds 1..N (default 2)")
    parser.add_argument("--seed-list", type=int, nargs="+", help="run exactly these seeds")
    parser.add_argument("--faults", default=DEFAULT_FAULTS, help="emulator fault spec")
    parser.add_argument("--max-retries", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32, help="operations in flight")
    parser.add_argument("--read-timeout", type=float, default=0.5, help="seconds per attempt")
    parser.add_argument("--connection-limit", type=int, help="client connection pool size")
    parser.add_argument("--dialect", choices=("openai", "azure"), default="openai")
    args = parser.parse_args(argv)
    seeds = args.seed_list or list(range(1, args.seeds + 1))
    reports: list[ChaosReport] = []
    for seed in seeds:
        config = ChaosConfig(
            jobs=args.jobs,
            seed=seed,
            faults=args.faults,
            max_retries=args.max_retries,
            concurrency=args.concurrency,
            read_timeout=args.read_timeout,
            connection_limit=args.connection_limit,
            dialect=args.dialect,
        )
        report = asyncio.run(_run(config))
        reports.append(report)
        status = "ok" if report.ok else "FAIL"
        print(f"seed {seed}: {status} in {report.seconds:.1f}s", file=sys.stderr, flush=True)
    print(f"dialect: {args.dialect}; jobs: {args.jobs}; faults: {args.faults}")
    print(format_table(reports))
    failed = [r for r in reports if not r.ok]
    leaked = [r for r in reports if r.leaks(CHAOS_KEY)]
    for report in failed:
        print(f"\nFAILING SEED {report.config.seed} (jobs={args.jobs}):")
        for problem in report.problems[:20]:
            print(f"  - {problem}")
    for report in leaked:
        print(f"\nSEED {report.config.seed}: the API key appeared in captured output")
    return 1 if failed or leaked else 0


async def _run(config: ChaosConfig) -> ChaosReport:
    from tests.chaos.workload import run_chaos

    return await run_chaos(config)


if __name__ == "__main__":
    sys.exit(main())
