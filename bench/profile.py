"""Profile one client on one workload with pyinstrument (a ``bench`` extra).

``python -m bench.profile --client ftjobs --workload W2 [--html out.html]`` starts the benchmark
server, runs the workload in this process under the profiler and prints the call tree.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
from typing import Any

from .run import _cores, bench_server
from .worker import CLIENTS, WORKLOADS, Sizes, run_workload


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.profile``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=CLIENTS, default="ftjobs")
    parser.add_argument("--workload", choices=WORKLOADS, default="W1")
    parser.add_argument("--html", default=None, help="also write an HTML report here")
    parser.add_argument("--interval", type=float, default=0.0002)
    args = parser.parse_args(argv)
    pyinstrument: Any = importlib.import_module("pyinstrument")
    sizes = Sizes()
    server_cpu, client_cpu = _cores()
    with bench_server(sizes, server_cpu) as (port, _):
        if client_cpu is not None:
            os.sched_setaffinity(0, {client_cpu})
        profiler = pyinstrument.Profiler(interval=args.interval, async_mode="disabled")
        profiler.start()
        result = asyncio.run(run_workload(args.client, args.workload, port, sizes))
        profiler.stop()
    print(result)
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        with open(args.html, "w") as f:
            f.write(profiler.output_html())


if __name__ == "__main__":
    main()
