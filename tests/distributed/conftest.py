"""Fixtures of the distributed tests: a private redis-server per test (stopped by its pid)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.distributed.harness import ftjobs_pool, redis_server, redis_server_path


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """``unix://...`` of a fresh redis-server on a socket in ``tmp_path``."""
    if redis_server_path() is None:
        pytest.skip("redis-server is not on PATH (CI installs it: apt-get install redis-server)")
    with redis_server(tmp_path) as (url, _child):
        yield url


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[Any]:
    """An arq pool on that redis-server, as producers make it for the ftjobs tasks."""
    pytest.importorskip("arq", reason="the 'arq' extra is not installed")
    redis = await ftjobs_pool(redis_url)
    yield redis
    await redis.aclose()
