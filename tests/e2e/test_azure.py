"""The Azure OpenAI dialect end to end: AsyncAzureClient against the emulator in Azure mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, serve_emulator
from tests._support.emulator import chat_file
from tests._support.live import FAST_RETRIES

MODEL = "gpt-4o-mini-2024-07-18"
AZURE_KEY = "azure-emulator-key-0123456789"


@pytest.fixture
async def azure_emulator(emulator_clock: ManualClock) -> AsyncIterator[EmulatorHandle]:
    config = EmulatorConfig(api_key=AZURE_KEY, dialect="azure", max_running_jobs=2)
    async with serve_emulator(config, clock=emulator_clock) as handle:
        yield handle


def _client(emu: EmulatorHandle, **kw: object) -> ftjobs.AsyncAzureClient:
    if "azure_ad_token_provider" not in kw:
        kw.setdefault("api_key", AZURE_KEY)
    return ftjobs.AsyncAzureClient(
        azure_endpoint=emu.azure_endpoint,
        retry_policy=FAST_RETRIES,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("version", [None, "2024-10-21"], ids=["v1", "dated"])
async def test_lifecycle_in_the_azure_dialect(
    azure_emulator: EmulatorHandle, emulator_clock: ManualClock, version: str | None
) -> None:
    async with _client(azure_emulator, api_version=version) as client:
        assert client.api == ("v1" if version is None else "dated")
        training = await client.files.upload(chat_file(12), filename="train.jsonl")
        job = await client.jobs.create(
            model=MODEL,
            training_file=training.id,
            suffix="contoso",
            extra_body={"trainingType": "globalstandard"},
        )
        # Azure's differences, as the models keep them.
        assert job.status == "pending" and not job.is_terminal
        assert job.organization_id is None
        assert job.result_files == ()
        assert job.hyperparameters is not None and job.hyperparameters.n_epochs == -1
        assert job.extra["user_provided_suffix"] == "contoso"
        assert job.extra["trainingType"] == "globalstandard"
        assert job.request_id is not None and job.request_id.startswith("req_")  # apim-request-id

        emulator_clock.advance(5.5)
        assert (await client.jobs.retrieve(job.id)).status == "notRunning"
        emulator_clock.advance(3)
        running = await client.jobs.retrieve(job.id)
        assert running.status is ftjobs.JobStatus.RUNNING
        assert running.hyperparameters is not None and running.hyperparameters.n_epochs == 3

        cancelling = await client.jobs.cancel(job.id)
        assert cancelling.status == "canceling"
        assert not cancelling.is_terminal and cancelling.finished_at is None
        emulator_clock.advance(2.5)
        cancelled = await client.jobs.retrieve(job.id)
        assert cancelled.status is ftjobs.JobStatus.CANCELLED and cancelled.is_terminal
        assert cancelled.finished_at is not None

        listed = [j.id async for j in client.jobs.list(limit=1)]
        assert listed == [job.id]
        events = [e.message async for e in client.jobs.list_events(job.id)]
        assert any("cancelled" in m for m in events)


async def test_pause_resume_and_success(
    azure_emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    async with _client(azure_emulator, api_version="preview") as client:
        training = await client.files.upload(chat_file(12), filename="train.jsonl")
        job = await client.jobs.create(model=MODEL, training_file=training.id)
        emulator_clock.advance(9)
        paused = await client.jobs.pause(job.id)
        assert paused.status is ftjobs.JobStatus.PAUSED
        resumed = await client.jobs.resume(job.id)
        assert resumed.status in ("notRunning", ftjobs.JobStatus.RUNNING)
        emulator_clock.advance(2000)
        done = await client.jobs.retrieve(job.id)
        assert done.status is ftjobs.JobStatus.SUCCEEDED
        assert len(done.result_files) == 1
        checkpoints = [c async for c in client.jobs.list_checkpoints(job.id)]
        assert checkpoints and checkpoints[0].fine_tuning_job_id == job.id


async def test_entra_token_provider_is_called_per_request(azure_emulator: EmulatorHandle) -> None:
    tokens: list[str] = []

    async def provider() -> str:
        tokens.append(AZURE_KEY)  # the emulator accepts its key as a bearer token
        return AZURE_KEY

    async with _client(azure_emulator, azure_ad_token_provider=provider) as client:
        await client.files.upload(chat_file(12), filename="train.jsonl")
        page = await client.files.list()
        assert len(page.data) == 1
    assert len(tokens) == 2


async def test_dated_path_requires_api_version(azure_emulator: EmulatorHandle) -> None:
    url = f"{azure_emulator.root_url}/openai/fine_tuning/jobs"
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"api-key": AZURE_KEY}) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert "apim-request-id" in resp.headers and "x-request-id" not in resp.headers
        async with session.get(
            url, params={"api-version": "2024-10-21"}, headers={"api-key": AZURE_KEY}
        ) as resp:
            assert resp.status == 200
    assert body["error"]["code"] == "MissingApiVersionParameter"


async def test_wrong_key_is_refused_without_leaking(azure_emulator: EmulatorHandle) -> None:
    secret = "azure-wrong-secret-key-987654321"
    async with ftjobs.AsyncAzureClient(
        azure_endpoint=azure_emulator.azure_endpoint, api_key=secret, max_retries=0
    ) as client:
        with pytest.raises(ftjobs.AuthenticationError) as info:
            await client.jobs.retrieve("ftjob-x")
    assert secret not in str(info.value) and secret not in repr(client)


async def test_wait_until_canceled_on_a_running_clock() -> None:
    config = EmulatorConfig(api_key=AZURE_KEY, dialect="azure", speed=300, canceling_seconds=3)
    poll = ftjobs.PollPolicy(initial_interval=0.005, max_interval=0.02, jitter=0, timeout=30)
    async with serve_emulator(config) as emu, _client(emu) as client:
        training = await client.files.upload(chat_file(12), filename="train.jsonl")
        job = await client.jobs.create(model=MODEL, training_file=training.id)
        first = await client.jobs.cancel(job.id)
        seen = [str(first.status)]
        async for update in client.jobs.watch(job.id, poll=poll):
            if isinstance(update, ftjobs.StatusChanged):
                seen.append(str(update.job.status))
        final = await client.jobs.retrieve(job.id)
    assert final.status is ftjobs.JobStatus.CANCELLED
    assert seen[0] == "canceling" and seen[-1] == "cancelled"
