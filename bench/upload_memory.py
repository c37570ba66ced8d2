"""Memory of a large ``files.upload`` (``nox -s bench_upload``).

A file of ``--mb`` megabytes (default 200) is uploaded with ``client.files.upload`` to the
emulator, which runs in a separate process so that only the SDK's memory is measured. Above
the default ``multipart_threshold`` (64 MiB) the upload goes through the Uploads API: the file
is read once, in 8 MiB parts, at most four of them in flight.

Reported: the resident set size before the upload (after a warm-up upload, so imports and the
connection pool are counted out), its peak during the upload (sampled every 5 ms from
``/proc/self/status``, and the kernel's own high-water mark ``VmHWM``), and the growth, which
the project's target keeps under 50 MB.

Usage: ``python bench/upload_memory.py [--mb 200] [--out bench/results]``; writes
``upload_memory.json`` and ``upload_memory.md`` there (``--out -`` prints only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import ftjobs
from ftjobs.resources._files import DEFAULT_MULTIPART_THRESHOLD

API_KEY = "sk-bench-upload"
TARGET_MB = 50.0


def status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory figure (``VmRSS``, ``VmHWM``) in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


class PeakSampler:
    """Samples the resident set size in a thread until stopped; keeps the maximum."""

    def __init__(self, interval: float = 0.005) -> None:
        self.peak = status_mb("VmRSS")
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, status_mb("VmRSS"))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status_mb("VmRSS"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _write_file(path: Path, megabytes: int) -> int:
    line = json.dumps(
        {
            "messages": [
                {"role": "user", "content": "What is the capital of France?"},
                {"role": "assistant", "content": "Paris."},
            ]
        }
    ).encode()
    block = (line + b"\n") * (2**20 // (len(line) + 1))
    with path.open("wb") as handle:
        for _ in range(megabytes):
            handle.write(block)
    return path.stat().st_size


def _wait_healthy(root: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise RuntimeError("the emulator exited")
        try:
            with urllib.request.urlopen(root + "/_emulator/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the emulator did not start")


async def _upload(base_url: str, path: Path, threshold: int) -> dict[str, Any]:
    async with ftjobs.AsyncClient(api_key=API_KEY, base_url=base_url) as client:
        await client.files.upload(b'{"messages": []}\n', filename="warm-up.jsonl")
        before = status_mb("VmRSS")
        started = time.perf_counter()
        with PeakSampler() as sampler:
            uploaded = await client.files.upload(path, multipart_threshold=threshold)
        elapsed = time.perf_counter() - started
    return {
        "bytes": uploaded.bytes,
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(sampler.peak, 1),
        "rss_growth_mb": round(sampler.peak - before, 1),
        "vm_hwm_mb": round(status_mb("VmHWM"), 1),
        "seconds": round(elapsed, 2),
    }


def measure(megabytes: int, threshold: int = DEFAULT_MULTIPART_THRESHOLD) -> dict[str, Any]:
    """Upload a file of ``megabytes`` MiB to an emulator process; return the figures."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "ftjobs.emulator", "--port", str(port), "--api-key", API_KEY]
    with tempfile.TemporaryDirectory(prefix="ftjobs-upload-") as tmp:
        path = Path(tmp) / "big.jsonl"
        size = _write_file(path, megabytes)
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(root, server)
            figures = asyncio.run(_upload(root + "/v1", path, threshold))
        finally:
            server.terminate()
            server.wait(timeout=30)
    if figures["bytes"] != size:
        raise RuntimeError(f"uploaded {figures['bytes']} bytes of {size}")
    return {
        "file_mb": round(size / 2**20, 1),
        "multipart_threshold_mb": round(threshold / 2**20, 1),
        "target_growth_mb": TARGET_MB,
        "python": platform.python_version(),
        **figures,
    }


def _markdown(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            "# Memory of a large files.upload",
            "",
            f"`python bench/upload_memory.py --mb {round(result['file_mb'])}` "
            f"(Python {result['python']}; the emulator in its own process).",
            "",
            "| file | RSS before | RSS peak | growth | target | time |",
            "|---|---|---|---|---|---|",
            f"| {result['file_mb']} MiB | {result['rss_before_mb']} MiB "
            f"| {result['rss_peak_mb']} MiB | **{result['rss_growth_mb']} MiB** "
            f"| < {result['target_growth_mb']} MiB | {result['seconds']} s |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: measure, print, and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=200, help="file size in MiB")
    parser.add_argument(
        "--threshold-mb",
        type=float,
        default=DEFAULT_MULTIPART_THRESHOLD / 2**20,
        help="multipart_threshold in MiB (default: the SDK's)",
    )
    parser.add_argument("--out", default="bench/results", help="directory, or - to only print")
    args = parser.parse_args(argv)
    result = measure(args.mb, int(args.threshold_mb * 2**20))
    print(json.dumps(result, sort_keys=True))
    if args.out != "-":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "upload_memory.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        (out / "upload_memory.md").write_text(_markdown(result))
    return 0 if result["rss_growth_mb"] < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
