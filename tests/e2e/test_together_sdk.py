"""Together AI's official Python SDK (``together``, 3.x) drives ``ftjobs serve --dialect
together`` over loopback, unchanged: pointed at it with ``base_url``/``api_key`` only.

If the client Together publishes runs a job from upload to success here, the dialect speaks
Together's protocol (its upload flow through a presigned URL, the model limits and price
estimate it asks for before a create, ISO timestamps, lists without cursors, its error
bodies). ``together`` is a test dependency only (the ``conformance`` extra); without it these tests
are skipped. Every request the SDK sends is recorded through an httpx event hook.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, serve_emulator
from tests._support.emulator import TOGETHER_MODEL, chat_file

together = pytest.importorskip("together")
httpx = pytest.importorskip("httpx")

TERMINAL = ("completed", "error", "user_error", "cancelled")


class Recorder:
    """Every request a client sends: ``(method, path)``."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.sent.append((request.method, request.url.path))

    def take(self) -> list[tuple[str, str]]:
        sent, self.sent = self.sent, []
        return sent


@pytest.fixture
async def served() -> AsyncIterator[EmulatorHandle]:
    # 50 emulated seconds per real second: a 12-step job's life takes about half a second; a
    # cancelled job reads cancel_requested for 4 s.
    config = EmulatorConfig(dialect="together", speed=50, canceling_seconds=200.0)
    async with serve_emulator(config) as handle:
        yield handle


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def tg(served: EmulatorHandle, recorder: Recorder) -> AsyncIterator[Any]:
    http = httpx.AsyncClient(event_hooks={"request": [recorder]})
    client = together.AsyncTogether(
        api_key=served.api_key, base_url=served.root_url, max_retries=0, http_client=http
    )
    async with client:
        yield client


def _training(tmp_path: Path, examples: int = 12) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(examples))
    return path


async def _until_terminal(tg: Any, job_id: str) -> tuple[Any, list[str]]:
    """Poll as Together's users do (its SDK has no waiter); the job and the statuses seen."""
    seen: list[str] = []
    deadline = asyncio.get_running_loop().time() + 60  # generous: a loaded machine
    while asyncio.get_running_loop().time() < deadline:
        job = await tg.fine_tuning.retrieve(job_id)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if job.status in TERMINAL:
            return job, seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish: {seen}")


async def test_upload_create_poll_events_checkpoints_list(
    tg: Any, recorder: Recorder, served: EmulatorHandle, tmp_path: Path
) -> None:
    uploaded = await tg.files.upload(file=_training(tmp_path))
    file_id = uploaded.id
    assert recorder.take() == [
        ("POST", "/v1/files"),  # 302: a file id and a presigned URL
        ("PUT", f"/_storage/{file_id}"),  # the bytes, to that URL
        ("POST", f"/v1/files/{file_id}/preprocess"),
    ]
    assert uploaded.bytes == len(chat_file(12)) and uploaded.file_type == "jsonl"
    assert (await tg.files.retrieve(file_id)).filename == "train.jsonl"
    assert [f.id for f in (await tg.files.list()).data] == [file_id]
    recorder.take()

    job = await tg.fine_tuning.create(
        training_file=file_id, model=TOGETHER_MODEL, n_epochs=2, suffix="sdk", random_seed=7
    )
    assert recorder.take() == [
        ("GET", "/v1/fine-tunes/models/limits"),
        ("POST", "/v1/fine-tunes/estimate-price"),
        ("POST", "/v1/fine-tunes"),
    ]
    assert job.id.startswith("ft-") and job.status == "pending"
    assert job.random_seed == 7 and job.training_file == file_id

    done, seen = await _until_terminal(tg, job.id)
    assert seen[0] == "pending" and seen[-1] == "completed"
    assert set(seen) <= {"pending", "queued", "running", "compressing", "uploading", "completed"}
    assert done.x_model_output_name.endswith(f"-sdk-{job.id[3:11]}")
    assert done.created_at is not None and done.created_at.year >= 2026  # ISO, parsed

    events = (await tg.fine_tuning.list_events(job.id)).data
    assert events[0].type == "job_pending" and events[-1].type == "job_complete"
    assert [e.type for e in events].count("epoch_complete") == 2

    checkpoints = (await tg.fine_tuning.list_checkpoints(job.id)).data
    assert checkpoints[0].checkpoint_type == "Final" and checkpoints[0].step == done.total_steps
    assert all(c.checkpoint_type == "Intermediate" for c in checkpoints[1:])

    metrics = await tg.fine_tuning.list_metrics(job.id, global_step_from=1, global_step_to=3)
    assert [m["train/global_step"] for m in metrics.metrics] == [1.0, 2.0, 3.0]

    listed = (await tg.fine_tuning.list()).data
    assert [j.id for j in listed] == [job.id] and listed[0].status == "completed"

    response = await tg.fine_tuning.content(ft_id=job.id, checkpoint="merged")
    with tarfile.open(fileobj=io.BytesIO(await response.read()), mode="r:gz") as archive:
        assert archive.getnames() == ["manifest.json"]

    content = await tg.files.content(file_id)
    assert await content.read() == chat_file(12)
    assert (await tg.files.delete(file_id)).deleted is True
    assert (await tg.fine_tuning.delete(job.id)).message
    with pytest.raises(together.NotFoundError):
        await tg.fine_tuning.retrieve(job.id)
    assert served.stats()["requests"]["by_status"].get("500") is None


async def test_cancel_another_job(tg: Any, tmp_path: Path) -> None:
    uploaded = await tg.files.upload(file=_training(tmp_path, 40))
    job = await tg.fine_tuning.create(training_file=uploaded.id, model=TOGETHER_MODEL)
    cancelled = await tg.fine_tuning.cancel(job.id)
    assert cancelled.status == "cancel_requested"
    done, seen = await _until_terminal(tg, job.id)
    assert done.status == "cancelled" and seen[0] == "cancel_requested"
    events = (await tg.fine_tuning.list_events(job.id)).data
    assert events[-1].type == "cancel_requested"


async def test_a_bad_model_is_the_sdks_typed_error(
    tg: Any, recorder: Recorder, tmp_path: Path
) -> None:
    uploaded = await tg.files.upload(file=_training(tmp_path))
    recorder.take()
    # The SDK asks for the model's limits first: Together's 404 for a model it cannot tune.
    with pytest.raises(together.NotFoundError) as caught:
        await tg.fine_tuning.create(training_file=uploaded.id, model="nope/not-a-model")
    assert "nope/not-a-model" in caught.value.body["message"]
    assert recorder.take() == [("GET", "/v1/fine-tunes/models/limits")]
    # Given the limits, it goes straight to the create, which the service refuses (400).
    limits = await tg.fine_tuning.model_limits(model_name=TOGETHER_MODEL)
    with pytest.raises(together.BadRequestError) as refused:
        await tg.fine_tuning.create(
            training_file=uploaded.id, model="nope/not-a-model", model_limits=limits
        )
    assert refused.value.body["error"]["param"] == "model"
    # A file the service does not have: refused at the price estimate's check.
    with pytest.raises(together.BadRequestError) as missing:
        await tg.fine_tuning.create(training_file="file-missing", model=TOGETHER_MODEL)
    assert missing.value.body["error"]["param"] == "training_file"
    with pytest.raises(together.AuthenticationError):
        await tg.with_options(api_key="wrong-key").fine_tuning.list()


async def test_the_sdk_retries_through_the_emulators_faults(tmp_path: Path) -> None:
    # Refusals the handler never sees (429, 503, with a 10 ms Retry-After): retrying is safe
    # even without an idempotency key, which Together's SDK does not send.
    config = EmulatorConfig(
        dialect="together", speed=50, faults="429=0.2,503=0.15,retry_after=0.01,seed=7"
    )
    async with serve_emulator(config) as served:
        async with together.AsyncTogether(
            api_key=served.api_key, base_url=served.root_url, max_retries=10
        ) as tg:
            uploaded = await tg.files.upload(file=_training(tmp_path))
            job = await tg.fine_tuning.create(training_file=uploaded.id, model=TOGETHER_MODEL)
            # The seed's decisions fault 5 of the 10 requests of the upload and the create.
            faults = served.stats()["faults"]
            assert (faults["429"], faults["503"]) != (0, 0)
            assert faults["429"] + faults["503"] == served.stats()["requests"]["total"] - 5
            done, _ = await _until_terminal(tg, job.id)
        assert done.status == "completed"
        assert served.stats()["jobs"]["total"] == 1  # no retry made a second job
