"""The HTTP layer: retries, idempotency keys, request ids and error mapping (aioresponses)."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs._request import Request
from ftjobs._retry import RetryPolicy
from ftjobs._transport import Transport
from tests._support.payloads import API_KEY, BASE_URL, job_payload, sent

JOB_URL = f"{BASE_URL}/fine_tuning/jobs/ftjob-abc123"
CREATE_URL = f"{BASE_URL}/fine_tuning/jobs"


def _transport(sleeps: list[float], max_retries: int = 2) -> Transport:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return Transport(
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
        retry_policy=RetryPolicy(max_retries=max_retries, jitter=0),
        sleep=fake_sleep,
    )


async def test_retry_after_is_honoured(mocked: aioresponses) -> None:
    sleeps: list[float] = []
    transport = _transport(sleeps)
    mocked.get(JOB_URL, status=429, headers={"Retry-After": "7"})
    mocked.get(JOB_URL, status=503, headers={"retry-after-ms": "250"})
    mocked.get(JOB_URL, payload=job_payload())
    try:
        response = await transport.request(Request("GET", "/fine_tuning/jobs/ftjob-abc123"))
    finally:
        await transport.close()
    assert response.data["id"] == "ftjob-abc123"
    assert sleeps == [7.0, 0.25]


async def test_backoff_without_retry_after(mocked: aioresponses) -> None:
    sleeps: list[float] = []
    transport = _transport(sleeps)
    mocked.get(JOB_URL, status=500)
    mocked.get(JOB_URL, status=502)
    mocked.get(JOB_URL, payload=job_payload())
    try:
        await transport.request(Request("GET", "/fine_tuning/jobs/ftjob-abc123"))
    finally:
        await transport.close()
    assert sleeps == [0.5, 1.0]


async def test_gives_up_after_max_retries(mocked: aioresponses) -> None:
    sleeps: list[float] = []
    transport = _transport(sleeps, max_retries=2)
    for _ in range(3):
        mocked.get(JOB_URL, status=503, payload={"error": {"message": "busy", "type": "server"}})
    try:
        with pytest.raises(ftjobs.InternalServerError) as info:
            await transport.request(Request("GET", "/fine_tuning/jobs/ftjob-abc123"))
    finally:
        await transport.close()
    assert info.value.status_code == 503
    assert len(sent(mocked, "GET")) == 3


async def test_x_should_retry_false_stops_retrying(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(JOB_URL, status=503, headers={"x-should-retry": "false"})
    with pytest.raises(ftjobs.InternalServerError):
        await client.jobs.retrieve("ftjob-abc123")
    assert len(sent(mocked, "GET")) == 1


async def test_x_should_retry_true_retries_a_400(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(JOB_URL, status=400, headers={"x-should-retry": "true"})
    mocked.get(JOB_URL, payload=job_payload())
    job = await client.jobs.retrieve("ftjob-abc123")
    assert job.id == "ftjob-abc123"


@pytest.mark.parametrize(
    ("status", "error_cls"),
    [
        (400, ftjobs.BadRequestError),
        (401, ftjobs.AuthenticationError),
        (403, ftjobs.PermissionDeniedError),
        (404, ftjobs.NotFoundError),
        (422, ftjobs.UnprocessableEntityError),
    ],
)
async def test_client_errors_are_typed_and_not_retried(
    mocked: aioresponses, client: ftjobs.AsyncClient, status: int, error_cls: type[Exception]
) -> None:
    body = {
        "error": {"message": "nope", "type": "invalid_request_error", "param": "x", "code": "c"}
    }
    mocked.get(JOB_URL, status=status, payload=body, headers={"x-request-id": "req_1"})
    with pytest.raises(error_cls) as info:
        await client.jobs.retrieve("ftjob-abc123")
    err = info.value
    assert isinstance(err, ftjobs.APIStatusError)
    assert (err.status_code, err.message, err.code, err.param, err.type) == (
        status,
        "nope",
        "c",
        "x",
        "invalid_request_error",
    )
    assert err.request_id == "req_1"
    assert err.body == body
    assert "req_1" in str(err)
    assert len(sent(mocked, "GET")) == 1


@pytest.mark.parametrize(
    ("status", "error_cls"),
    [
        (408, ftjobs.APIStatusError),
        (409, ftjobs.ConflictError),
        (429, ftjobs.RateLimitError),
        (500, ftjobs.InternalServerError),
        (504, ftjobs.InternalServerError),
    ],
)
async def test_transient_statuses_are_retried_then_typed(
    mocked: aioresponses, client: ftjobs.AsyncClient, status: int, error_cls: type[Exception]
) -> None:
    for _ in range(3):
        mocked.get(JOB_URL, status=status, payload={"error": {"message": "later"}})
    with pytest.raises(error_cls) as info:
        await client.jobs.retrieve("ftjob-abc123")
    assert info.value.status_code == status  # type: ignore[attr-defined]
    assert len(sent(mocked, "GET")) == 3


async def test_html_error_page_gives_typed_error(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    for _ in range(3):
        mocked.get(JOB_URL, status=502, body=html, content_type="text/html")
    with pytest.raises(ftjobs.InternalServerError) as info:
        await client.jobs.retrieve("ftjob-abc123")
    assert info.value.status_code == 502
    assert "text/html" in info.value.message
    assert info.value.body == html


async def test_malformed_2xx_body_is_retried_then_a_validation_error(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(JOB_URL, body='{"id": "ftjob-abc1', content_type="application/json")
    mocked.get(JOB_URL, payload=job_payload())
    assert (await client.jobs.retrieve("ftjob-abc123")).id == "ftjob-abc123"
    for _ in range(3):
        mocked.get(JOB_URL, body="{not json", content_type="application/json")
    with pytest.raises(ftjobs.ResponseValidationError, match="not valid JSON"):
        await client.jobs.retrieve("ftjob-abc123")


async def test_connection_errors_are_retried_then_raised(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(JOB_URL, exception=aiohttp.ClientConnectionError("reset by peer"))
    mocked.get(JOB_URL, payload=job_payload())
    assert (await client.jobs.retrieve("ftjob-abc123")).id == "ftjob-abc123"
    for _ in range(3):
        mocked.get(JOB_URL, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(ftjobs.APIConnectionError) as info:
        await client.jobs.retrieve("ftjob-abc123")
    assert not isinstance(info.value, ftjobs.APITimeoutError)


async def test_timeouts_are_typed(mocked: aioresponses, client: ftjobs.AsyncClient) -> None:
    for _ in range(3):
        mocked.get(JOB_URL, exception=TimeoutError())
    with pytest.raises(ftjobs.APITimeoutError):
        await client.jobs.retrieve("ftjob-abc123")


async def test_idempotency_key_is_the_same_on_every_attempt(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.post(CREATE_URL, status=500)
    mocked.post(CREATE_URL, exception=aiohttp.ServerDisconnectedError())
    mocked.post(CREATE_URL, payload=job_payload())
    await client.jobs.create(model="gpt-4o-mini", training_file="file-abc123")
    keys = [kwargs["headers"]["Idempotency-Key"] for _, kwargs in sent(mocked, "POST")]
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert keys[0].startswith("ftjobs-")


async def test_caller_idempotency_key_is_sent_and_new_calls_get_new_keys(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    for _ in range(3):
        mocked.post(CREATE_URL, payload=job_payload())
    await client.jobs.create(model="m", training_file="f", idempotency_key="mine-1")
    await client.jobs.create(model="m", training_file="f")
    await client.jobs.create(model="m", training_file="f")
    keys = [kwargs["headers"]["Idempotency-Key"] for _, kwargs in sent(mocked, "POST")]
    assert keys[0] == "mine-1"
    assert keys[1] != keys[2]


async def test_request_id_reachable_from_results(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(JOB_URL, payload=job_payload(), headers={"x-request-id": "req_abc"})
    job = await client.jobs.retrieve("ftjob-abc123")
    assert job.request_id == "req_abc"
    mocked.get(
        re.compile(re.escape(CREATE_URL) + r".*"),
        payload={"object": "list", "data": [job_payload()], "has_more": False},
        headers={"x-request-id": "req_page"},
    )
    page = await client.jobs.list()
    assert page.request_id == "req_page"


async def test_headers_sent(mocked: aioresponses) -> None:
    mocked.get(JOB_URL, payload=job_payload())
    async with ftjobs.AsyncClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        organization="org-1",
        project="proj-1",
        default_headers={"X-Gateway": "yes"},
    ) as client:
        await client.jobs.retrieve("ftjob-abc123", extra_headers={"X-Call": "1"})
    (_, kwargs) = sent(mocked, "GET")[0]
    headers: Any = kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["OpenAI-Organization"] == "org-1"
    assert headers["OpenAI-Project"] == "proj-1"
    assert headers["User-Agent"].startswith(f"ftjobs/{ftjobs.__version__}")
    assert headers["X-Gateway"] == "yes"
    assert headers["X-Call"] == "1"
    assert "Idempotency-Key" not in headers


async def test_per_call_timeout_and_query(mocked: aioresponses, client: ftjobs.AsyncClient) -> None:
    mocked.get(JOB_URL + "?trace=1", payload=job_payload())
    await client.jobs.retrieve("ftjob-abc123", timeout=1.5, extra_query={"trace": "1"})
    (_, kwargs) = sent(mocked, "GET")[0]
    assert kwargs["timeout"].total == 1.5


async def test_retry_log_names_each_failed_attempt(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    # The first attempt runs outside the retry loop; its failure must still be attempt 1.
    sleeps: list[float] = []
    transport = _transport(sleeps)
    mocked.get(JOB_URL, status=429, headers={"Retry-After": "7"})
    mocked.get(JOB_URL, status=503, headers={"retry-after-ms": "250"})
    mocked.get(JOB_URL, payload=job_payload())
    caplog.set_level("INFO", logger="ftjobs")
    try:
        await transport.request(Request("GET", "/fine_tuning/jobs/ftjob-abc123"))
    finally:
        await transport.close()
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert retries == [
        "retrying GET /fine_tuning/jobs/ftjob-abc123 after attempt 1 failed: RateLimitError"
        " (sleeping 7.00s)",
        "retrying GET /fine_tuning/jobs/ftjob-abc123 after attempt 2 failed: InternalServerError"
        " (sleeping 0.25s)",
    ]


async def test_no_retries_means_one_attempt_and_typed_errors(mocked: aioresponses) -> None:
    sleeps: list[float] = []
    transport = _transport(sleeps, max_retries=0)
    mocked.get(JOB_URL, status=503)
    mocked.get(JOB_URL, body="{not json", content_type="application/json")
    try:
        with pytest.raises(ftjobs.InternalServerError):
            await transport.request(Request("GET", "/fine_tuning/jobs/ftjob-abc123"))
        with pytest.raises(ftjobs.ResponseValidationError, match="not valid JSON"):
            await transport.request(Request("GET", "/fine_tuning/jobs/ftjob-abc123"))
    finally:
        await transport.close()
    assert sleeps == []
    assert len(sent(mocked, "GET")) == 2
