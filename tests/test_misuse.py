"""Async misuse in plain words: ``with`` instead of ``async with``, and a client never
closed (one ResourceWarning in ftjobs' words naming the line that made it, none of aiohttp's)."""

from __future__ import annotations

import asyncio
import gc
import linecache
import warnings
from typing import Any

import pytest

import ftjobs
from ftjobs.emulator import EmulatorHandle
from tests._support.payloads import API_KEY


def test_with_instead_of_async_with_says_use_async_with() -> None:
    client = ftjobs.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match=r"use `async with AsyncClient\(\.\.\.\) as client:`"):
        client.__enter__()
    azure = ftjobs.AsyncAzureClient(azure_endpoint="https://r.openai.azure.com", api_key="k")
    with pytest.raises(TypeError, match="async with AsyncAzureClient"):
        azure.__enter__()


async def test_an_unclosed_client_warns_once_naming_where_it_was_made(
    emulator: EmulatorHandle,
) -> None:
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url)  # here
        await client.files.list()  # opens the session
        del client
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert len(messages) == 1, messages
    assert messages[0].startswith("an AsyncClient created at ")
    assert f"{__file__}:" in messages[0] and "was never closed: use `async with" in messages[0]
    made = int(messages[0].split(f"{__file__}:")[1].split()[0])
    assert linecache.getline(__file__, made).rstrip().endswith("# here")
    assert errors == []  # aiohttp's "Unclosed client session" is not reported on top


async def test_a_closed_or_unused_client_does_not_warn(emulator: EmulatorHandle) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
            await c.files.list()
        del c
        unused = ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url)
        del unused
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
