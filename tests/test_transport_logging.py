"""The transport's log contract: one DEBUG record per attempt on the ``ftjobs`` logger, with
method, path, status (or what failed), request id, attempt number and duration, both in the
message and as record attributes; one INFO record per retry; never a credential."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs._request import Request
from ftjobs._retry import RetryPolicy
from ftjobs._transport import Transport
from tests._support.payloads import API_KEY, BASE_URL, job_payload

JOB_PATH = "/fine_tuning/jobs/ftjob-abc123"


def _transport() -> Transport:
    async def no_sleep(_seconds: float) -> None:
        return None

    return Transport(
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
        retry_policy=RetryPolicy(max_retries=3, jitter=0),
        sleep=no_sleep,
    )


def _attempts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ftjobs" and hasattr(r, "ftjobs_attempt")]


async def test_one_debug_record_per_attempt_with_every_field(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ftjobs")
    url = BASE_URL + JOB_PATH
    mocked.get(url, status=503, headers={"x-request-id": "req_1", "retry-after-ms": "0"})
    mocked.get(url, exception=aiohttp.ServerDisconnectedError())
    mocked.get(url, payload=job_payload(), headers={"x-request-id": "req_3"})
    transport = _transport()
    try:
        await transport.request(Request("GET", JOB_PATH))
    finally:
        await transport.close()

    records = _attempts(caplog)
    assert [r.ftjobs_attempt for r in records] == [1, 2, 3]  # type: ignore[attr-defined]
    assert [r.ftjobs_status for r in records] == [503, None, 200]  # type: ignore[attr-defined]
    assert [r.ftjobs_request_id for r in records] == ["req_1", None, "req_3"]  # type: ignore[attr-defined]
    assert records[1].ftjobs_failure == "ServerDisconnectedError"  # type: ignore[attr-defined]
    for record in records:
        assert record.levelno == logging.DEBUG
        assert record.ftjobs_method == "GET"  # type: ignore[attr-defined]
        assert record.ftjobs_path == "/v1" + JOB_PATH  # type: ignore[attr-defined]
        assert record.ftjobs_duration_ms >= 0  # type: ignore[attr-defined]
    messages = [r.getMessage() for r in records]
    assert "-> 503 request_id=req_1 attempt=1 " in messages[0]
    assert "-> ServerDisconnectedError request_id=None attempt=2 " in messages[1]
    assert messages[2].startswith("GET ") and "attempt=3" in messages[2]

    retries = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert [r.levelno for r in retries] == [logging.INFO, logging.INFO]
    assert "after attempt 1 failed: InternalServerError" in retries[0].getMessage()
    assert all(
        API_KEY not in r.getMessage() and API_KEY not in repr(r.__dict__) for r in caplog.records
    )


async def test_timeouts_are_logged_as_such(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ftjobs")
    url = BASE_URL + JOB_PATH
    for _ in range(4):
        mocked.get(url, exception=TimeoutError())
    transport = _transport()
    try:
        with pytest.raises(ftjobs.APITimeoutError):
            await transport.request(Request("GET", JOB_PATH))
    finally:
        await transport.close()
    records = _attempts(caplog)
    assert [r.ftjobs_failure for r in records] == ["timeout"] * 4  # type: ignore[attr-defined]


async def test_nothing_is_formatted_when_debug_is_off(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ftjobs")
    mocked.get(BASE_URL + JOB_PATH, payload=job_payload())
    transport = _transport()
    try:
        await transport.request(Request("GET", JOB_PATH))
    finally:
        await transport.close()
    assert _attempts(caplog) == []
