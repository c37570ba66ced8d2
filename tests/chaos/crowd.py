"""The crowd run: thousands of concurrent calls through one client, against a slow, faulty
emulator, with no failure.

Every call is a ``jobs.retrieve`` issued at once (``asyncio.gather``), so nearly all of them
queue for one of the client's pooled connections. The per-attempt ``timeout`` counts from
the moment an attempt has its connection, so queueing costs no failure; retries (of the
emulator's 5xx, 429s and dropped connections) rejoin the queue and succeed later. Before
that rule, 8,000 such calls with retries on failed 7,178 times.

``python -m tests.chaos.crowd --calls 8000`` (``nox -s chaos`` runs it); the suite runs a
bounded version (tests/chaos/test_chaos.py).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from collections.abc import Sequence

import attrs

import ftjobs
from ftjobs.emulator import EmulatorConfig, FaultConfig, ManualClock, serve_emulator

__all__ = ["CrowdConfig", "CrowdReport", "run_crowd"]

#: Every answer 50 ms late; 2.5% of requests faulted (429 asking for 10 ms, 503, dropped
#: connection), so that with 3 retries a call fails only if 4 attempts in a row are faulted
#: (about 1 in 2.5 million: the run has no failure to expect).
CROWD_FAULTS = "latency=0.05,429=0.01,503=0.01,drop=0.005,retry_after=0.01"


@attrs.frozen
class CrowdConfig:
    """One crowd run."""

    calls: int = 8000
    faults: str = CROWD_FAULTS
    seed: int = 1
    #: Seconds per attempt: far less than the time the last call waits in the queue.
    timeout: float = 1.0
    max_retries: int = 3
    connection_limit: int = 100


@attrs.frozen
class CrowdReport:
    """What a crowd run saw."""

    config: CrowdConfig
    failures: collections.Counter[str]
    requests: int
    faults: dict[str, int]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every call succeeded."""
        return not self.failures

    def summary(self) -> str:
        """One line of figures."""
        c = self.config
        fired = ", ".join(f"{k}={v}" for k, v in sorted(self.faults.items()) if v)
        return (
            f"{c.calls} concurrent calls, {c.connection_limit} connections, timeout={c.timeout}s,"
            f" max_retries={c.max_retries}: {sum(self.failures.values())} failures, "
            f"{self.requests} requests ({fired}), {self.seconds:.1f}s, "
            f"{c.calls / self.seconds:.0f} calls/s"
        )


async def run_crowd(config: CrowdConfig) -> CrowdReport:
    """Run ``config.calls`` concurrent ``jobs.retrieve`` calls through one client."""
    faults = FaultConfig.parse(f"{config.faults},seed={config.seed}")
    emulator = EmulatorConfig(api_key="sk-crowd", faults=FaultConfig())
    async with serve_emulator(emulator, clock=ManualClock(time.time())) as emu:
        policy = ftjobs.RetryPolicy(
            max_retries=config.max_retries, initial_delay=0.01, max_delay=0.5, max_retry_after=0.1
        )
        async with ftjobs.AsyncClient(
            api_key="sk-crowd",
            base_url=emu.base_url,
            timeout=config.timeout,
            retry_policy=policy,
            connection_limit=config.connection_limit,
        ) as client:
            upload = await client.files.upload(b'{"messages": [{"role": "user"}]}\n')
            job = await client.jobs.create(model="gpt-4o-mini", training_file=upload.id)
            before = emu.stats()["requests"]["total"]
            emu.set_faults(faults)
            started = time.perf_counter()
            results = await asyncio.gather(
                *(client.jobs.retrieve(job.id) for _ in range(config.calls)),
                return_exceptions=True,
            )
            seconds = time.perf_counter() - started
            stats = emu.stats()
    failures = collections.Counter(
        type(r).__name__ for r in results if not isinstance(r, ftjobs.FineTuningJob)
    )
    return CrowdReport(
        config,
        failures,
        stats["requests"]["total"] - before,
        dict(stats["faults"]),
        seconds,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one crowd and print its figures; exit 1 if any call failed."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.crowd", description=__doc__)
    parser.add_argument("--calls", type=int, default=8000)
    parser.add_argument("--faults", default=CROWD_FAULTS)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--connection-limit", type=int, default=100)
    args = parser.parse_args(argv)
    config = CrowdConfig(
        calls=args.calls,
        faults=args.faults,
        timeout=args.timeout,
        max_retries=args.max_retries,
        connection_limit=args.connection_limit,
    )
    report = asyncio.run(run_crowd(config))
    print(report.summary())
    if report.failures:
        print(f"FAILED: {dict(report.failures)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
