"""One client running one workload, in a process of its own; prints one JSON line of results.

``python -m bench.worker --client ftjobs --workload W1 --port 8080 ...``. The client library is
imported here, after the process starts, so every run pays its own imports and none shares a
warm cache with another client. Each workload does a short warm-up (a page, or one request per
concurrent slot) before it is timed, so connection set-up is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import json
import os
import resource
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import data

CLIENTS = ("floor", "ftjobs", "openai")
WORKLOADS = ("W1", "W2", "W3", "W4")
API_KEY = "sk-bench-0000000000000000"
#: Niceness of the benchmark's processes where allowed (root): less time lost to other work.
PRIORITY = -10


def raise_priority() -> None:
    """Run this process at `PRIORITY` if allowed; otherwise leave it as it is."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, PRIORITY)


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _server_cpu(port: int) -> float:
    """The server's CPU seconds so far (a blocking call, outside every timed section)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /__cpu HTTP/1.1\r\nhost: bench\r\n\r\n")
        raw = b""
        while chunk := sock.recv(4096):
            raw += chunk
            head, sep, body = raw.partition(b"\r\n\r\n")
            if not sep:
                continue
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            if len(body) >= length:
                return float(body[:length])
    raise RuntimeError("no answer from the benchmark server's /__cpu")


class Sizes:
    """How big each workload is (the defaults are the issue's)."""

    def __init__(
        self,
        jobs: int = 10_000,
        events: int = 20_000,
        page: int = 100,
        retrieves: int = 5_000,
        in_flight: int = 64,
        sequential: int = 1_000,
    ) -> None:
        self.jobs = jobs
        self.events = events
        self.page = page
        self.retrieves = retrieves
        self.in_flight = in_flight
        self.sequential = sequential

    def as_args(self) -> list[str]:
        """Command-line form, for the worker and server processes."""
        return [f"--{k.replace('_', '-')}={v}" for k, v in vars(self).items()]


# Each client exposes the same four primitives; the workloads below are written once.
ListAll = Callable[[], Awaitable[list[Any]]]
CountEvents = Callable[[], Awaitable[int]]
Retrieve = Callable[[str], Awaitable[Any]]


class _Floor:
    """The floor: aiohttp + json.loads into dicts, nothing else."""

    def __init__(self, base: str, sizes: Sizes) -> None:
        self._aiohttp: Any = importlib.import_module("aiohttp")
        self.base = base
        self.sizes = sizes
        self.session: Any = None
        self.headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}

    async def __aenter__(self) -> _Floor:
        self.session = self._aiohttp.ClientSession(connector=self._aiohttp.TCPConnector(limit=100))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def _get(self, url: str, params: dict[str, str] | None = None) -> Any:
        async with self.session.get(url, params=params, headers=self.headers) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {body[:200]!r}")
        return json.loads(body)

    async def _iterate(self, url: str, keep: bool) -> tuple[list[Any], int]:
        kept: list[Any] = []
        count = 0
        params = {"limit": str(self.sizes.page)}
        while True:
            page = await self._get(url, params)
            items = page["data"]
            count += len(items)
            if keep:
                kept.extend(items)
            if not page["has_more"] or not items:
                return kept, count
            params = {"limit": str(self.sizes.page), "after": items[-1]["id"]}

    async def list_all(self) -> list[Any]:
        return (await self._iterate(f"{self.base}/fine_tuning/jobs", keep=True))[0]

    async def count_events(self) -> int:
        url = f"{self.base}/fine_tuning/jobs/{data.EVENTS_JOB_ID}/events"
        return (await self._iterate(url, keep=False))[1]

    async def retrieve(self, job_id: str) -> Any:
        return await self._get(f"{self.base}/fine_tuning/jobs/{job_id}")


class _FTJobs:
    def __init__(self, base: str, sizes: Sizes) -> None:
        self._ftjobs: Any = importlib.import_module("ftjobs")
        self.base = base
        self.sizes = sizes
        self.client: Any = None

    async def __aenter__(self) -> _FTJobs:
        self.client = self._ftjobs.AsyncClient(api_key=API_KEY, base_url=self.base)
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def list_all(self) -> list[Any]:
        return [job async for job in self.client.jobs.list(limit=self.sizes.page)]

    async def count_events(self) -> int:
        count = 0
        async for _ in self.client.jobs.list_events(data.EVENTS_JOB_ID, limit=self.sizes.page):
            count += 1
        return count

    async def retrieve(self, job_id: str) -> Any:
        return await self.client.jobs.retrieve(job_id)


class _OpenAI:
    def __init__(self, base: str, sizes: Sizes) -> None:
        self._openai: Any = importlib.import_module("openai")
        self.base = base
        self.sizes = sizes
        self.client: Any = None

    async def __aenter__(self) -> _OpenAI:
        self.client = self._openai.AsyncOpenAI(api_key=API_KEY, base_url=self.base)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def list_all(self) -> list[Any]:
        jobs = self.client.fine_tuning.jobs
        return [job async for job in jobs.list(limit=self.sizes.page)]

    async def count_events(self) -> int:
        count = 0
        events = self.client.fine_tuning.jobs.list_events
        async for _ in events(data.EVENTS_JOB_ID, limit=self.sizes.page):
            count += 1
        return count

    async def retrieve(self, job_id: str) -> Any:
        return await self.client.fine_tuning.jobs.retrieve(job_id)


_CLIENT_CLASSES: dict[str, Any] = {"floor": _Floor, "ftjobs": _FTJobs, "openai": _OpenAI}


async def _concurrent(retrieve: Retrieve, ids: list[str], in_flight: int) -> int:
    """Retrieve every id with ``in_flight`` requests outstanding at all times."""
    it = iter(ids)
    done = 0

    async def lane() -> None:
        nonlocal done
        for job_id in it:
            await retrieve(job_id)
            done += 1

    await asyncio.gather(*(lane() for _ in range(in_flight)))
    return done


async def run_workload(client: str, workload: str, port: int, sizes: Sizes) -> dict[str, Any]:
    """Run one workload with one client against the server on ``port``; return the metrics."""
    base = f"http://127.0.0.1:{port}/v1"
    impl = _CLIENT_CLASSES[client](base, sizes)
    kept: Any = None
    async with impl as c:
        ids = [data.job_id(i % sizes.jobs) for i in range(max(sizes.retrieves, sizes.sequential))]
        # Warm-up: open the connections the timed part will use, touch every code path once.
        if workload == "W1":
            await c.retrieve(ids[0])
        elif workload == "W2":
            await _concurrent(c.retrieve, ids[: sizes.in_flight], sizes.in_flight)
        elif workload == "W3":
            for job_id in ids[:10]:
                await c.retrieve(job_id)
        else:
            await c.retrieve(ids[0])
        gc.collect()
        rss_before = _rss_kib()
        server_cpu0 = _server_cpu(port)
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        if workload == "W1":
            kept = await c.list_all()
            items = len(kept)
        elif workload == "W2":
            items = await _concurrent(c.retrieve, ids[: sizes.retrieves], sizes.in_flight)
        elif workload == "W3":
            for job_id in ids[: sizes.sequential]:
                await c.retrieve(job_id)
            items = sizes.sequential
        else:
            items = await c.count_events()
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        server_cpu = _server_cpu(port) - server_cpu0
    expected = {
        "W1": sizes.jobs,
        "W2": sizes.retrieves,
        "W3": sizes.sequential,
        "W4": sizes.events,
    }[workload]
    if items != expected:
        raise RuntimeError(f"{client} {workload}: got {items} items, expected {expected}")
    rss_end = _rss_kib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del kept
    return {
        "client": client,
        "workload": workload,
        "items": items,
        "wall_s": wall,
        "cpu_s": cpu,
        "server_cpu_s": server_cpu,
        "rss_before_kib": rss_before,
        "rss_end_kib": rss_end,
        "peak_rss_kib": peak,
    }


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.worker``."""
    parser = argparse.ArgumentParser(description="run one benchmark workload with one client")
    parser.add_argument("--client", choices=CLIENTS, required=True)
    parser.add_argument("--workload", choices=WORKLOADS, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to this core")
    for name, default in vars(Sizes()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    raise_priority()
    sizes = Sizes(**{k: getattr(args, k) for k in vars(Sizes())})
    result = asyncio.run(run_workload(args.client, args.workload, args.port, sizes))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
