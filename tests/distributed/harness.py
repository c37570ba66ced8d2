"""Processes of the distributed test: redis-server, the emulator and arq workers, each a child
process started here and stopped by its pid."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER_SETTINGS = "tests.distributed.workers.E2EWorker"


def redis_server_path() -> str | None:
    """The ``redis-server`` binary, or ``None``."""
    return shutil.which("redis-server")


#: The mark of a test module that starts its own redis-server.
needs_redis_server = pytest.mark.skipif(
    redis_server_path() is None,
    reason="redis-server is not on PATH (CI installs it: apt-get install redis-server)",
)


def worker_env(root: str, redis_url: str) -> dict[str, str]:
    """The environment of a worker process: the emulator at ``root``, Redis, this tree."""
    return {
        **os.environ,
        "OPENAI_API_KEY": "sk-emulator",
        "OPENAI_BASE_URL": root + "/v1",
        "FTJOBS_REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }


async def ftjobs_pool(redis_url: str) -> Any:
    """An arq pool as producers make it for the ftjobs tasks (JSON, the ftjobs queue)."""
    from arq.connections import create_pool

    from ftjobs.contrib import arq as contrib

    return await create_pool(
        contrib.redis_settings(redis_url),
        job_serializer=contrib.dumps,
        job_deserializer=contrib.loads,
        default_queue_name=contrib.QUEUE,
    )


class Child:
    """A child process whose output goes to a log file."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
        self.pid = self.proc.pid

    def kill9(self) -> None:
        """SIGKILL: no clean-up of any kind runs in the child."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaps the process and closes the log."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(check: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {timeout} s")


@contextlib.contextmanager
def redis_server(tmp: Path) -> Iterator[tuple[str, Child]]:
    """A private redis-server on a unix socket in ``tmp`` (no TCP port, no persistence)."""
    binary = redis_server_path()
    assert binary is not None
    sock = tmp / "redis.sock"
    argv = [
        binary,
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(tmp),
    ]  # fmt: skip
    child = Child("redis", argv, tmp, dict(os.environ))
    try:
        _wait_until(sock.exists, "redis-server")
        yield f"unix://{sock}", child
    finally:
        child.stop()


@contextlib.contextmanager
def emulator(
    tmp: Path, *, speed: float, faults: str, honor_idempotency: bool = True
) -> Iterator[str]:
    """The emulator as a server process; yields its root URL."""
    port = free_port()
    argv = [
        sys.executable, "-m", "ftjobs.emulator",
        "--port", str(port),
        "--speed", str(speed),
        "--max-running-jobs", "100000",
        "--faults", faults,
    ]  # fmt: skip
    if not honor_idempotency:
        argv.append("--ignore-idempotency")
    child = Child("emulator", argv, tmp, dict(os.environ))
    root = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(root + "/_emulator/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        _wait_until(healthy, "emulator")
        yield root
    finally:
        child.stop()


class Workers:
    """arq worker processes, started with the arq CLI."""

    def __init__(self, tmp: Path, env: dict[str, str], settings: str = WORKER_SETTINGS) -> None:
        self._tmp = tmp
        self._env = env
        self._settings = settings
        self.started: list[Child] = []
        self.alive: list[Child] = []

    def start(self) -> Child:
        name = f"worker{len(self.started) + 1}"
        argv = [sys.executable, "-m", "arq", self._settings]
        child = Child(name, argv, self._tmp, self._env)
        self.started.append(child)
        self.alive.append(child)
        return child

    def kill9(self, child: Child) -> None:
        child.kill9()
        self.alive.remove(child)

    def stop_all(self) -> None:
        for child in self.started:
            child.stop()
        self.alive.clear()


async def sleep_until(check: object, timeout: float, step: float = 0.01) -> bool:
    """Poll an async predicate until true; ``False`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return True
        await asyncio.sleep(step)
    return False


def emulator_stats(root: str) -> dict[str, Any]:
    """The emulator's ``/_emulator/stats``."""
    request = urllib.request.Request(
        root + "/_emulator/stats", headers={"Authorization": "Bearer sk-emulator"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


def died_early(child: Child) -> str:
    """An assertion message: the child died, and the end of its log."""
    return f"{child.name} died early:\n{child.tail()}"
