"""AsyncTogetherClient end to end, against the emulator's Together dialect over loopback:
upload, create, wait, events, checkpoints, metrics, cancel, Together's own methods,
``wait_many`` over 200 jobs (requests counted), and a status nobody knows arriving mid-wait."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

import ftjobs
from ftjobs import JobStatus
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import chat_file

MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
FAST_POLL = ftjobs.PollPolicy(initial_interval=0.05, max_interval=0.2, jitter=0)
FAST_RETRIES = ftjobs.RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)


def _client(base_url: str, api_key: str, **kw: object) -> ftjobs.AsyncTogetherClient:
    return ftjobs.AsyncTogetherClient(
        api_key=api_key,
        base_url=base_url,
        retry_policy=FAST_RETRIES,
        request_budget=ftjobs.waiting.RatePolicy(rate=1000, burst=100),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def together() -> AsyncIterator[EmulatorHandle]:
    config = EmulatorConfig(dialect="together", speed=300, max_running_jobs=8)
    async with serve_emulator(config) as handle:
        yield handle


def _requests(handle: EmulatorHandle) -> int:
    total: int = handle.stats()["requests"]["total"]
    return total


async def test_a_job_from_upload_to_success(together: EmulatorHandle, tmp_path: Path) -> None:
    async with _client(together.base_url, together.api_key) as client:
        assert MODEL in await client.jobs.supported_models()
        limits = await client.jobs.model_limits(MODEL)
        assert limits.model_name == MODEL and limits.lora_training is not None
        uploaded = await client.files.upload(chat_file(12), filename="train.jsonl")
        assert (await client.files.retrieve(uploaded.id)).bytes == uploaded.bytes
        price = await client.jobs.estimate_price(training_file=uploaded.id, model=MODEL)
        assert price.allowed_to_proceed is True and (price.estimated_total_price or 0) > 0

        job = await client.jobs.create(
            model=MODEL, training_file=uploaded.id, suffix="bot", n_epochs=2, lora_r=8
        )
        assert job.id.startswith("ft-") and not job.is_terminal
        assert job.provider_status in ("pending", "queued")

        updates = [u async for u in client.jobs.watch(job.id, poll=FAST_POLL)]
        statuses = [u.job.provider_status for u in updates if isinstance(u, ftjobs.StatusChanged)]
        assert statuses[-1] == "completed"
        events = [u.event for u in updates if isinstance(u, ftjobs.EventReceived)]
        assert len({e.id for e in events}) == len(events) > 3  # each once
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert any(e.type == "epoch_complete" and (e.data or {}).get("step") for e in events)
        checkpoints = [u.checkpoint for u in updates if isinstance(u, ftjobs.CheckpointReceived)]
        assert checkpoints and checkpoints[-1].step_number == max(
            c.step_number for c in checkpoints
        )

        done = await client.jobs.retrieve(job.id)
        assert done.status is JobStatus.SUCCEEDED and done.finished_at is not None
        assert done.fine_tuned_model and "bot" in done.fine_tuned_model
        assert done.progress is not None and done.progress.epochs_completed == 2
        # The events list again: the same ids, newest first.
        again = [e async for e in client.jobs.list_events(job.id)]
        assert [e.id for e in reversed(again)] == [e.id for e in events]
        listed = [c async for c in client.jobs.list_checkpoints(job.id)]
        assert listed[0].fine_tuned_model_checkpoint == f"{job.id}:{listed[0].step_number}"

        curve = await client.jobs.metrics(job.id)
        assert curve and all(row.train_loss is not None for row in curve)
        assert [row.step for row in curve] == sorted(row.step for row in curve)

        target = tmp_path / "model.tar.zst"
        assert await client.jobs.download(job.id, target) == target.stat().st_size > 0
        assert [j.id async for j in client.jobs.find(status="completed")] == [job.id]

        # Continue from a checkpoint of it, by the reference its checkpoints name.
        follow = await client.jobs.create(
            model=None, training_file=uploaded.id, from_checkpoint=listed[-1]
        )
        await client.jobs.cancel(follow)
        await client.jobs.wait_until_terminal(follow.id, poll=FAST_POLL)
        await client.jobs.delete(follow.id)
        with pytest.raises(ftjobs.NotFoundError):
            await client.jobs.retrieve(follow.id)
        assert (await client.files.delete(uploaded.id)).deleted


async def test_cancel_is_requested_then_cancelled(together: EmulatorHandle) -> None:
    async with _client(together.base_url, together.api_key) as client:
        uploaded = await client.files.upload(chat_file(12), filename="train.jsonl")
        job = await client.jobs.create(model=MODEL, training_file=uploaded.id, n_epochs=20)
        cancelled = await client.jobs.cancel(job.id)
        # Together answers a cancel before the job stops: not terminal yet.
        assert cancelled.provider_status in ("cancel_requested", "cancelled")
        final = await client.jobs.wait_until_terminal(job.id, poll=FAST_POLL)
        assert final.status is JobStatus.CANCELLED and final.provider_status == "cancelled"
        with pytest.raises(ftjobs.UnsupportedOperationError, match=r"jobs\.resume"):
            client.jobs.resume(job.id)


async def test_wait_many_over_200_jobs_reads_the_one_page() -> None:
    # Slow enough that every job is looked at over several ticks.
    config = EmulatorConfig(dialect="together", speed=40, max_running_jobs=200)
    async with serve_emulator(config) as handle, _client(handle.base_url, handle.api_key) as client:
        uploaded = await client.files.upload(chat_file(10), filename="train.jsonl")
        jobs = await asyncio.gather(
            *(client.jobs.create(model=MODEL, training_file=uploaded.id) for _ in range(200))
        )
        ids = [job.id for job in jobs]
        before = _requests(handle)
        steady = ftjobs.PollPolicy(
            initial_interval=0.05, max_interval=0.1, steer_to_eta=False, timeout=120
        )
        group = ftjobs.waiting.JobGroup(client.jobs, ids, poll=steady)
        finished = [job.id async for job in group.as_completed()]
        spent = _requests(handle) - before
        assert sorted(finished) == sorted(ids)  # each job exactly once
        assert spent == group.requests
        # One page holds all 200: a tick is one request, where a GET per job per tick would
        # have cost group.refreshed (at least 200, one look at each job).
        # (Measured: 7 requests for 1,400 looks.)
        assert group.refreshed >= 400 and spent * 20 <= group.refreshed
        result = await client.jobs.wait_many(ids, poll=FAST_POLL)
        assert len(result.done) == 200 and not result.pending


@pytest.fixture
async def renaming_proxy(together: EmulatorHandle) -> AsyncIterator[tuple[str, list[str]]]:
    """A server in front of the emulator that answers the second to fourth looks at a job
    still under way with a status nobody has seen (``evaluating``), as a provider adding one
    without notice would. Yields its base URL and the statuses it sent."""
    sent: list[str] = []
    looks = 0

    async def forward(request: web.Request) -> web.StreamResponse:
        nonlocal looks
        async with session.request(
            request.method,
            f"{together.root_url}{request.rel_url}",
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            data=await request.read(),
        ) as upstream:
            body = await upstream.read()
            status = upstream.status
            kind = upstream.headers.get("Content-Type", "application/json")
        if request.method == "GET" and request.path.count("/") == 3 and status == 200:
            data = json.loads(body)
            looks += 1
            if 2 <= looks <= 4 and data.get("status") not in ("completed", "error", "cancelled"):
                data["status"] = "evaluating"
            sent.append(data["status"])
            body = json.dumps(data).encode()
        return web.Response(body=body, status=status, content_type=kind.split(";")[0])

    session = aiohttp.ClientSession()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/v1", sent
    finally:
        await runner.cleanup()
        await session.close()


async def test_a_status_nobody_knows_arrives_mid_wait(
    together: EmulatorHandle, renaming_proxy: tuple[str, list[str]]
) -> None:
    base_url, sent = renaming_proxy
    async with _client(base_url, together.api_key) as client:
        uploaded = await client.files.upload(chat_file(12), filename="train.jsonl")
        # Twenty epochs: still training at the fourth look, even on a loaded machine.
        job = await client.jobs.create(model=MODEL, training_file=uploaded.id, n_epochs=20)
        seen = []
        async for update in client.jobs.watch(job.id, poll=FAST_POLL):
            if isinstance(update, ftjobs.StatusChanged):
                seen.append((update.job.status, update.job.is_terminal))
    assert sent[1:4] == ["evaluating"] * 3  # the server did send it, mid-wait
    assert ("evaluating", False) in seen  # kept as the word, not terminal, never an error
    assert seen.index(("evaluating", False)) > 0  # after a status ftjobs knows
    assert seen[-1] == (JobStatus.SUCCEEDED, True)
