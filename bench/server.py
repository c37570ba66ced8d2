"""A minimal HTTP/1.1 server for the benchmark: every response is encoded before it starts.

It is deliberately not the emulator (and not aiohttp.web): an asyncio protocol that finds the
request line, looks the pre-encoded response up in a dict and writes it, so that the server's
own CPU cost per request is a few microseconds and the client is what gets measured.

Routes (``/v1`` prefix): ``GET /fine_tuning/jobs?limit=P[&after=ID]`` (pages of the job list),
``GET /fine_tuning/jobs/ID`` (one job), ``GET /fine_tuning/jobs/ID/events?limit=P[&after=ID]``
(pages of one job's events, whatever the job id), and ``GET /__cpu`` (the server's own CPU
seconds, for the harness). Run as ``python -m bench.server --jobs N --events M --page P``; it
prints ``READY <port>`` once listening and stops on SIGTERM/SIGINT or when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import stat
import threading
import time
from typing import Any

from . import data
from .worker import raise_priority

_PREFIX = b"/v1/fine_tuning/jobs"


def _response(status: int, body: bytes, reason: bytes = b"OK") -> bytes:
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"x-request-id: req_bench0000000000000000\r\n\r\n" % (status, reason, len(body))
    )
    return head + body


def _encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


_NOT_FOUND = _response(
    404, _encode({"error": {"message": "not found", "type": "invalid_request_error"}}), b"Not Found"
)


class Payloads:
    """Every response the server can send, keyed by what selects it."""

    def __init__(self, jobs: int, events: int, page_size: int) -> None:
        all_jobs = [data.job(i) for i in range(jobs)]
        self.job_by_id = {j["id"].encode(): _response(200, _encode(j)) for j in all_jobs}
        self.job_pages = self._pages(all_jobs, page_size)
        all_events = [data.event(i, events) for i in range(events)]
        self.event_pages = self._pages(all_events, page_size)

    @staticmethod
    def _pages(items: list[dict[str, Any]], size: int) -> dict[bytes, bytes]:
        """Pages keyed by their ``after`` cursor (``b""`` for the first page)."""
        pages: dict[bytes, bytes] = {}
        cursor = b""
        for start in range(0, max(len(items), 1), size):
            chunk = items[start : start + size]
            more = start + size < len(items)
            pages[cursor] = _response(200, _encode(data.page(chunk, more)))
            if chunk:
                cursor = chunk[-1]["id"].encode()
        return pages


def _after(query: bytes) -> bytes:
    for part in query.split(b"&"):
        if part.startswith(b"after="):
            return part[6:]
    return b""


class _Protocol(asyncio.Protocol):
    __slots__ = ("_buf", "_payloads", "_transport")

    def __init__(self, payloads: Payloads) -> None:
        self._payloads = payloads
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, chunk: bytes) -> None:
        buf = self._buf + chunk if self._buf else chunk
        out: list[bytes] = []
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            body_len = 0
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                body_len = int(lower[at + 17 : stop if stop >= 0 else len(lower)])
            if len(buf) < end + 4 + body_len:
                break
            target = head[head.find(b" ") + 1 : head.find(b" HTTP/")]
            out.append(self._route(target))
            buf = buf[end + 4 + body_len :]
        self._buf = buf
        if out and self._transport is not None:
            self._transport.write(b"".join(out) if len(out) > 1 else out[0])

    def _route(self, target: bytes) -> bytes:
        path, _, query = target.partition(b"?")
        p = self._payloads
        if path == _PREFIX:
            return p.job_pages.get(_after(query), _NOT_FOUND)
        if path.startswith(_PREFIX + b"/"):
            rest = path[len(_PREFIX) + 1 :]
            if rest.endswith(b"/events"):
                return p.event_pages.get(_after(query), _NOT_FOUND)
            return p.job_by_id.get(rest, _NOT_FOUND)
        if path == b"/__cpu":
            return _response(200, b"%.9f" % time.process_time())
        return _NOT_FOUND


async def serve(payloads: Payloads, host: str, port: int) -> None:
    """Listen until cancelled, SIGTERM/SIGINT, or end of stdin; print ``READY <port>``."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(payloads), host, port, backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stat.S_ISFIFO(os.fstat(0).st_mode):
        # The harness holds our stdin pipe: when it dies, EOF stops us (no orphan servers).
        def watch_stdin() -> None:
            while os.read(0, 1024):
                pass
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, daemon=True).start()
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.server``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this core")
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    raise_priority()
    payloads = Payloads(args.jobs, args.events, args.page)
    asyncio.run(serve(payloads, args.host, args.port))


if __name__ == "__main__":
    main()
