"""The hostile-server suite's scripted server: what it records, and how a test starts one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
from aiohttp import web
from multidict import CIMultiDict

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@attrs.frozen
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes


@attrs.define
class ScriptedServer:
    """A running scripted server: its URL and what it received."""

    url: str
    received: list[Received] = attrs.field(factory=list)

    @property
    def base_url(self) -> str:
        """The API root clients are pointed at."""
        return f"{self.url}/v1"


StartServer = Callable[[Handler], Awaitable[ScriptedServer]]
