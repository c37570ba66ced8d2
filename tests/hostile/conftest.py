"""The hostile-server suite's fixture: a scripted aiohttp server on 127.0.0.1 per behaviour.

Each test scripts the misbehaviour it needs (a redirect, a body that never ends, a cursor that
repeats) as a plain aiohttp handler; the server records every request it receives, so a test
can also prove that something was *not* sent.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from multidict import CIMultiDict

from tests._support.hostile import Handler, Received, ScriptedServer, StartServer


@pytest.fixture
async def scripted_server() -> AsyncIterator[StartServer]:
    """Start scripted servers (``await scripted_server(handler)``); all stop after the test."""
    runners: list[web.BaseRunner] = []

    async def start(handler: Handler) -> ScriptedServer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = ScriptedServer(f"http://127.0.0.1:{sock.getsockname()[1]}")

        async def recording(request: web.BaseRequest) -> web.StreamResponse:
            # The stream, not request.read(): that refuses bodies over 1 MiB.
            body = await request.content.read()
            server.received.append(
                Received(
                    request.method,
                    request.path,
                    request.raw_path,
                    dict(request.query),
                    CIMultiDict(request.headers),
                    body,
                )
            )
            return await handler(request)

        runner = web.ServerRunner(web.Server(recording), handle_signals=False)
        await runner.setup()
        runners.append(runner)
        await web.SockSite(runner, sock).start()
        return server

    yield start
    for runner in runners:
        await runner.cleanup()
