"""A daily quota refusal (429 ``daily_rate_limit_exceeded``) is raised at once as
DailyLimitError, never retried on the seconds-scale schedule (aioresponses)."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

import ftjobs
from tests._support.payloads import API_KEY, BASE_URL, job_payload, sent

CREATE_URL = f"{BASE_URL}/fine_tuning/jobs"
MESSAGE = (
    "This fine-tune request has been rate-limited. Your organization has reached the maximum "
    "of 8 fine-tuning requests per day for the model 'gpt-4.1-2025-04-14'."
)
DAILY = {
    "error": {
        "message": MESSAGE,
        "type": "invalid_request_error",
        "param": None,
        "code": "daily_rate_limit_exceeded",
    }
}


async def test_a_daily_limit_is_raised_at_once_with_its_code_and_model(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    # Even a server that asks for a retry is not retried: the slot opens hours later.
    mocked.post(CREATE_URL, status=429, payload=DAILY, headers={"x-should-retry": "true"})
    mocked.post(CREATE_URL, payload=job_payload())
    rate = client.jobs.budget.rate
    with pytest.raises(ftjobs.DailyLimitError) as info:
        await client.jobs.create(model="gpt-4.1-2025-04-14", training_file="file-t")
    error = info.value
    assert isinstance(error, ftjobs.RateLimitError)
    assert (error.status_code, error.code) == (429, "daily_rate_limit_exceeded")
    assert error.model == "gpt-4.1-2025-04-14"
    assert len(sent(mocked, "POST")) == 1
    # A quota says nothing of the request rate: the waits' shared budget is not halved.
    assert client.jobs.budget.rate == rate


async def test_a_daily_limit_without_a_model_in_its_message(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    body = {"error": {"message": "daily limit", "code": "daily_rate_limit_exceeded"}}
    mocked.post(CREATE_URL, status=429, payload=body)
    with pytest.raises(ftjobs.DailyLimitError) as info:
        await client.jobs.create(model="m", training_file="file-t")
    assert info.value.model is None


async def test_another_429_is_still_retried(mocked: aioresponses) -> None:
    policy = ftjobs.RetryPolicy(max_retries=2, initial_delay=0, max_delay=0, max_retry_after=0)
    async with ftjobs.AsyncClient(api_key=API_KEY, base_url=BASE_URL, retry_policy=policy) as c:
        body = {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}
        mocked.post(CREATE_URL, status=429, payload=body)
        mocked.post(CREATE_URL, payload=job_payload())
        rate = c.jobs.budget.rate
        job = await c.jobs.create(model="m", training_file="file-t")
        assert c.jobs.budget.rate < rate  # a request-rate 429 slows the waits down
    assert job.id == "ftjob-abc123"
    assert len(sent(mocked, "POST")) == 2
