"""Idempotent create end to end: a create the server committed but whose answer was lost is
retried with the same Idempotency-Key and returns the same job, never a second one."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

import ftjobs
from ftjobs.emulator import EmulatorHandle, FaultConfig
from ftjobs.emulator._faults import decide
from tests._support.emulator import chat_file
from tests._support.live import FAST_RETRIES

MODEL = "gpt-4o-mini-2024-07-18"


def first_request_only(spec: str) -> FaultConfig:
    """A seeded config whose first decision injects the fault and whose next few do not."""
    kind = spec.split("=")[0]
    for seed in range(1000):
        config = FaultConfig.parse(f"{spec},seed={seed}")
        rng = random.Random(seed)
        first, *rest = [decide(config, rng) for _ in range(4)]
        hit = first.latency > 0 if kind == "latency" else first.kind == kind
        if hit and all(d.kind is None and d.latency == 0 for d in rest):
            return config
    raise AssertionError(f"no seed makes only the first request fault for {spec!r}")


async def create_under(emulator: EmulatorHandle, client: ftjobs.AsyncClient, spec: str) -> str:
    training = (await client.files.upload(chat_file(12), filename="train.jsonl")).id
    emulator.emulator.set_faults(first_request_only(spec))
    job = await client.jobs.create(model=MODEL, training_file=training, suffix="once")
    emulator.emulator.set_faults(FaultConfig())
    return job.id


@pytest.mark.parametrize(
    "spec",
    [
        "drop_after=0.5",  # connection closed after the commit
        "malformed=0.5",  # committed, then a truncated 200
        "garbled=0.5",  # committed, then a 200 that is not JSON at all
    ],
)
async def test_create_whose_answer_was_lost_after_commit_returns_the_same_job(
    emulator: EmulatorHandle,
    live_client: ftjobs.AsyncClient,
    spec: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ftjobs")
    job_id = await create_under(emulator, live_client, spec)

    jobs = list(emulator.store.jobs())
    assert [job.id for job in jobs] == [job_id]
    stats = emulator.stats()
    kind = spec.split("=")[0]
    assert stats["faults"][kind] == 1
    # The retry reached the server and was answered from the first attempt's record.
    assert stats["requests"]["idempotent_replays"] == 1
    attempts = [
        r.ftjobs_attempt  # type: ignore[attr-defined]
        for r in caplog.records
        if getattr(r, "ftjobs_path", "").endswith("/fine_tuning/jobs")
    ]
    assert attempts[-1] == 2
    assert [job.id async for job in live_client.jobs.list()] == [job_id]


async def test_create_before_commit_is_dropped_and_retried_once(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    # Dropped before the handler ran: nothing was committed, the retry creates the one job.
    job_id = await create_under(emulator, live_client, "drop=0.5")
    assert [job.id for job in emulator.store.jobs()] == [job_id]
    assert emulator.stats()["requests"]["idempotent_replays"] == 0


async def test_create_that_outlived_the_read_timeout_is_not_duplicated(
    emulator: EmulatorHandle,
) -> None:
    # The first attempt stalls past the client's timeout and its handler commits late; the
    # retry, whichever of the two lands first, is answered from the same record: one job.
    async with ftjobs.AsyncClient(
        api_key=emulator.api_key,
        base_url=emulator.base_url,
        retry_policy=FAST_RETRIES,
        timeout=0.2,
    ) as client:
        job_id = await create_under(emulator, client, "latency=0.5:0.6")
        # Wait (without a timing assertion) for the late handler to have run.
        for _ in range(200):
            if emulator.stats()["requests"]["idempotent_replays"] == 1:
                break
            await asyncio.sleep(0.02)
        assert emulator.stats()["requests"]["idempotent_replays"] == 1
        assert [job.id for job in emulator.store.jobs()] == [job_id]


async def test_caller_key_makes_a_repeat_from_another_client_safe(
    emulator: EmulatorHandle, live_client: ftjobs.AsyncClient
) -> None:
    # A process that crashed after sending its create can send it again with the same key.
    training = (await live_client.files.upload(chat_file(12), filename="train.jsonl")).id
    emulator.emulator.set_faults(first_request_only("drop_after=0.5"))
    async with ftjobs.AsyncClient(
        api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0
    ) as no_retries:
        with pytest.raises(ftjobs.APIConnectionError):
            await no_retries.jobs.create(
                model=MODEL, training_file=training, idempotency_key="order-42"
            )
    emulator.emulator.set_faults(FaultConfig())
    job = await live_client.jobs.create(
        model=MODEL, training_file=training, idempotency_key="order-42"
    )
    assert [j.id for j in emulator.store.jobs()] == [job.id]
