"""AsyncTogetherClient against Together's published shapes (aioresponses): addressing, the
status map, one-page lists, events and checkpoints, create's body, Together's own methods, and
the operations it lacks refused before any request."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

import ftjobs
from ftjobs import JobStatus
from ftjobs.providers import TOGETHER
from tests._support.payloads import sent
from tests._support.together import (
    BASE_URL,
    KEY,
    checkpoint,
    event,
    file_response,
    full_job,
    truncated_job,
)

pytestmark = pytest.mark.usefixtures("no_env")
NO_RETRY_WAIT = ftjobs.RetryPolicy(max_retries=2, initial_delay=0, max_delay=0, max_retry_after=0)
FAST = ftjobs.PollPolicy(initial_interval=0.01, max_interval=0.02, jitter=0)
JOB = "ft-01234567890123456789"


def _client(**kw: Any) -> ftjobs.AsyncTogetherClient:
    kw.setdefault("api_key", KEY)
    kw.setdefault("retry_policy", NO_RETRY_WAIT)
    kw.setdefault("request_budget", ftjobs.waiting.RatePolicy(rate=10_000, burst=1_000))
    return ftjobs.AsyncTogetherClient(**kw)


def _requests(mocked: aioresponses) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (verb, str(url), call.kwargs)
        for (verb, url), calls in mocked.requests.items()
        for call in calls
    ]


# -- addressing ------------------------------------------------------------------------------


async def test_key_and_base_url_from_the_environment(
    mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    mocked.get(f"{BASE_URL}/fine-tunes/{JOB}", payload=full_job())
    async with ftjobs.AsyncTogetherClient() as client:
        assert client.base_url == "https://api.together.ai/v1"
        assert client.dialect is TOGETHER
        await client.jobs.retrieve(JOB)
    (_, url, kwargs), *_ = _requests(mocked)
    assert url == f"{BASE_URL}/fine-tunes/{JOB}"
    assert kwargs["headers"]["Authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(client)

    monkeypatch.setenv("TOGETHER_BASE_URL", "http://127.0.0.1:9/v1")
    other = ftjobs.AsyncTogetherClient()
    assert other.base_url == "http://127.0.0.1:9/v1"
    await other.close()


@pytest.mark.parametrize(
    ("value", "used"),
    [
        # The host alone, as Together's own SDK reads TOGETHER_BASE_URL: /v1 is added.
        ("https://api.together.ai", "https://api.together.ai/v1"),
        ("https://api.together.ai/", "https://api.together.ai/v1"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9/v1"),
        # A path is the caller's: kept as given (a gateway's prefix, another version).
        ("https://gw.example/together", "https://gw.example/together"),
        ("https://api.together.ai/v2", "https://api.together.ai/v2"),
    ],
)
async def test_the_variable_naming_a_host_alone_gets_the_api_root(
    monkeypatch: pytest.MonkeyPatch, value: str, used: str
) -> None:
    monkeypatch.setenv("TOGETHER_BASE_URL", value)
    from_env = ftjobs.AsyncTogetherClient(api_key=KEY)
    assert from_env.base_url == used
    await from_env.close()
    # base_url= in code is used as given: a server of Together's paths at its root (a mock,
    # a gateway) stays reachable.
    given = ftjobs.AsyncTogetherClient(api_key=KEY, base_url="http://127.0.0.1:9")
    assert given.base_url == "http://127.0.0.1:9"
    await given.close()


def test_no_key_is_a_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ftjobs.ConfigurationError, match="TOGETHER_API_KEY"):
        ftjobs.AsyncTogetherClient()
    with pytest.raises(TypeError, match="unexpected keyword argument 'organization'"):
        ftjobs.AsyncTogetherClient(api_key=KEY, organization="org")  # type: ignore[call-arg]


# -- jobs: the status map and the model mapping ------------------------------------------------


async def test_retrieve_maps_a_full_job(mocked: aioresponses) -> None:
    async with _client() as client:
        mocked.get(f"{BASE_URL}/fine-tunes/{JOB}", payload=full_job())
        job = await client.jobs.retrieve(JOB)
    assert job.status is JobStatus.RUNNING
    assert job.provider_status == "running"
    assert job.created_at == 1721815200  # 2024-07-24T10:00:00Z
    assert job.finished_at is None  # not terminal: updated_at is not a finish
    assert job.model == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert job.fine_tuned_model == "me/Meta-Llama-3.1-8B-Instruct-Reference-bot-1a2b3c"
    assert job.trained_tokens == 850000
    assert job.hyperparameters is not None
    assert (job.hyperparameters.n_epochs, job.hyperparameters.batch_size) == (3, 16)
    assert job.method is not None and job.method.type == "supervised"
    assert job.progress == ftjobs.types.JobProgress(
        seconds_remaining=600, estimate_available=True, epochs_completed=1
    )
    assert job.validation_file == "file-98765432109876543210"
    # Everything else is kept, as sent.
    assert job.extra["model_output_path"] == "s3://together/ft-0123/output"
    assert job.extra["learning_rate"] == 1e-05
    assert job.extra["training_type"] == {"type": "Lora", "lora_r": 16, "lora_alpha": 32}
    assert job.extra["started_at"] == "2024-07-24T10:05:00Z"


@pytest.mark.parametrize(
    ("word", "status", "terminal"),
    [
        ("pending", JobStatus.QUEUED, False),
        ("queued", JobStatus.QUEUED, False),
        ("running", JobStatus.RUNNING, False),
        ("compressing", JobStatus.RUNNING, False),
        ("uploading", JobStatus.RUNNING, False),
        ("cancel_requested", "cancel_requested", False),
        ("cancelled", JobStatus.CANCELLED, True),
        ("error", JobStatus.FAILED, True),
        ("user_error", JobStatus.FAILED, True),
        ("completed", JobStatus.SUCCEEDED, True),
        ("evaluating_the_vibes", "evaluating_the_vibes", False),
    ],
)
async def test_every_status_word(
    mocked: aioresponses, word: str, status: object, terminal: bool
) -> None:
    async with _client() as client:
        mocked.get(f"{BASE_URL}/fine-tunes/{JOB}", payload=truncated_job(status=word))
        job = await client.jobs.retrieve(JOB)
    assert job.status == status
    assert job.provider_status == word
    assert job.is_terminal is terminal
    # A finished job was last updated when it finished.
    assert job.finished_at == (1684349183 if terminal else None)


async def test_a_job_of_another_id_is_refused(mocked: aioresponses) -> None:
    async with _client() as client:
        mocked.get(f"{BASE_URL}/fine-tunes/{JOB}", payload=truncated_job("ft-other"))
        with pytest.raises(ftjobs.ResponseValidationError, match="ft-other"):
            await client.jobs.retrieve(JOB)


async def test_a_malformed_job_names_the_field(mocked: aioresponses) -> None:
    async with _client() as client:
        bad = truncated_job(created_at="yesterday")
        mocked.get(f"{BASE_URL}/fine-tunes/{JOB}", payload=bad)
        with pytest.raises(ftjobs.ResponseValidationError, match=r"\$\.created_at"):
            await client.jobs.retrieve(JOB)


# -- lists: one page ---------------------------------------------------------------------------


async def test_the_job_list_is_one_page_newest_first(mocked: aioresponses) -> None:
    jobs = [
        truncated_job("ft-old", created_at="2024-01-01T00:00:00Z", status="completed"),
        truncated_job("ft-new", created_at="2024-03-01T00:00:00Z", status="running"),
        truncated_job("ft-mid", created_at="2024-02-01T00:00:00Z", status="error"),
    ]
    # A server that (wrongly) says has_more on its one page still gives one page.
    mocked.get(f"{BASE_URL}/fine-tunes", payload={"data": jobs, "has_more": True}, repeat=True)
    async with _client() as client:
        page = await client.jobs.list(limit=2)
        assert [j.id for j in page] == ["ft-new", "ft-mid", "ft-old"]
        assert page.has_more is False and page.next_cursor is None
        assert [j.id async for j in client.jobs.list()] == ["ft-new", "ft-mid", "ft-old"]
        with pytest.raises(ValueError, match="after: Together AI's lists have no cursor"):
            client.jobs.list(after="ft-new")
        with pytest.raises(ftjobs.UnsupportedOperationError, match=r"jobs\.list"):
            client.jobs.list(metadata={"team": "a"})
    calls = _requests(mocked)
    assert len(calls) == 2
    assert all(kwargs.get("params") in (None, []) for _, _, kwargs in calls)


async def test_find_reads_the_providers_words_and_stops_at_created_after(
    mocked: aioresponses,
) -> None:
    jobs = [
        truncated_job("ft-a", created_at="2024-03-01T00:00:00Z", status="completed"),
        truncated_job("ft-b", created_at="2024-02-01T00:00:00Z", status="user_error"),
        truncated_job("ft-c", created_at="2024-01-01T00:00:00Z", status="completed"),
    ]
    mocked.get(f"{BASE_URL}/fine-tunes", payload={"data": jobs}, repeat=True)
    async with _client() as client:
        assert [j.id async for j in client.jobs.find(status="completed")] == ["ft-a", "ft-c"]
        failed = client.jobs.find(status=JobStatus.FAILED)
        assert [j.id async for j in failed] == ["ft-b"]
        recent = client.jobs.find(created_after=1_704_100_000)  # after 2024-01-01
        assert [j.id async for j in recent] == ["ft-a", "ft-b"]


async def test_events_are_newest_first_with_stable_ids(mocked: aioresponses) -> None:
    events = [
        event("2024-07-24T10:00:00Z", "Fine tune request created", type="job_pending", level=None),
        event("2024-07-24T10:05:00Z", "Training started", type="training_start"),
        event(
            "2024-07-24T10:06:00Z",
            "Epoch completed",
            type="epoch_complete",
            step=10,
            total_steps=30,
            level="legacy_iwarning",
        ),
    ]
    url = f"{BASE_URL}/fine-tunes/{JOB}/events"
    mocked.get(url, payload={"data": events})
    mocked.get(url, payload={"data": [*events, event("2024-07-24T10:07:00Z", "Done")]})
    async with _client() as client:
        first = [e async for e in client.jobs.list_events(JOB)]
        second = [e async for e in client.jobs.list_events(JOB, limit=100)]
    assert [e.message for e in first] == [
        "Epoch completed",
        "Training started",
        "Fine tune request created",
    ]
    assert [e.id for e in second[1:]] == [e.id for e in first]  # the same events, same ids
    assert len({e.id for e in second}) == 4
    newest = first[0]
    assert newest.created_at == 1721815560
    assert newest.level == ftjobs.types.EventLevel.WARN
    assert newest.type == "epoch_complete"
    assert newest.data == {"step": 10, "total_steps": 30}
    assert newest.object == "fine-tune-event"
    assert newest.extra["checkpoint_path"] == "" and newest.extra["param_count"] == 0
    assert first[-1].level == ftjobs.types.EventLevel.INFO  # Together's null level
    assert all(kwargs.get("params") in (None, []) for _, _, kwargs in _requests(mocked))


async def test_checkpoints_are_newest_step_first_and_name_their_reference(
    mocked: aioresponses,
) -> None:
    data = [
        checkpoint(10, "2024-07-24T10:10:00Z"),
        checkpoint(30, "2024-07-24T10:20:00Z", "Final Merged"),
        checkpoint(20, "2024-07-24T10:15:00Z"),
    ]
    async with _client() as client:
        mocked.get(f"{BASE_URL}/fine-tunes/{JOB}/checkpoints", payload={"data": data})
        found = [c async for c in client.jobs.list_checkpoints(JOB)]
    assert [c.step_number for c in found] == [30, 20, 10]
    final = found[0]
    assert final.fine_tuned_model_checkpoint == f"{JOB}:30"
    assert final.id == f"{JOB}:30:Final Merged"
    assert final.fine_tuning_job_id == JOB
    assert final.created_at == 1721816400
    assert final.extra == {
        "path": "s3://together/ft-0123/checkpoints/30",
        "checkpoint_type": "Final Merged",
    }


# -- create ------------------------------------------------------------------------------------


async def test_create_maps_ftjobs_arguments_and_together_keywords(mocked: aioresponses) -> None:
    mocked.post(f"{BASE_URL}/fine-tunes", payload=truncated_job(status="pending"))
    async with _client() as client:
        job = await client.jobs.create(
            model="meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
            training_file="file-1",
            validation_file="file-2",
            suffix="bot",
            seed=7,
            method=ftjobs.FineTuneMethod.supervised_method(
                ftjobs.SupervisedHyperparameters(n_epochs=3, batch_size=8)
            ),
            integrations=[
                ftjobs.types.WandbIntegration(ftjobs.types.WandbConfig(project="p", name="run"))
            ],
            learning_rate=2e-5,
            n_checkpoints=2,
            warmup_ratio=0.1,
            lr_scheduler="cosine",
            lora_r=16,
            train_on_inputs=False,
            wandb_api_key="wk",
            extra_body={"packing": False},
        )
    assert job.status is JobStatus.QUEUED and job.provider_status == "pending"
    body = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert body == {
        "model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "training_file": "file-1",
        "validation_file": "file-2",
        "suffix": "bot",
        "random_seed": 7,
        "n_epochs": 3,
        "batch_size": 8,
        "wandb_project_name": "p",
        "wandb_name": "run",
        "learning_rate": 2e-5,
        "n_checkpoints": 2,
        "warmup_ratio": 0.1,
        "lr_scheduler": {"lr_scheduler_type": "cosine"},
        "training_type": {"type": "Lora", "lora_r": 16, "lora_alpha": 32},
        "wandb_api_key": "wk",
        "training_method": {"method": "sft", "train_on_inputs": False},
        "packing": False,
    }


async def test_create_from_a_checkpoint_names_no_model(mocked: aioresponses) -> None:
    mocked.post(f"{BASE_URL}/fine-tunes", payload=truncated_job(status="pending"))
    async with _client() as client:
        await client.jobs.create(model=None, training_file="file-1", from_checkpoint="ft-1:10")
    body = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert body == {"training_file": "file-1", "from_checkpoint": "ft-1:10"}


async def test_create_dpo_and_full_training(mocked: aioresponses) -> None:
    mocked.post(f"{BASE_URL}/fine-tunes", payload=truncated_job(status="queued"))
    async with _client() as client:
        await client.jobs.create(
            model="m",
            training_file="file-1",
            method=ftjobs.FineTuneMethod.dpo_method(ftjobs.DpoHyperparameters(beta=0.2)),
            lora=False,
            batch_size="max",
        )
    body = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert body == {
        "model": "m",
        "training_file": "file-1",
        "batch_size": "max",
        "training_type": {"type": "Full"},
        "training_method": {"method": "dpo", "dpo_beta": 0.2},
    }


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"metadata": {"a": "b"}}, ftjobs.UnsupportedOperationError, r"jobs\.create\(metadata"),
        (
            {"method": ftjobs.FineTuneMethod.reinforcement_method({"type": "string_check"})},
            ValueError,
            "reinforcement",
        ),
        (
            {"hyperparameters": {"learning_rate_multiplier": 2.0}},
            ValueError,
            "pass learning_rate= instead",
        ),
        ({"n_epochs": 0}, ValueError, "n_epochs"),
        ({"batch_size": "min"}, TypeError, "batch_size"),
        ({"lora": True}, ValueError, "lora_r"),
        ({"lora": False, "lora_r": 8}, ValueError, "lora"),
        ({"warmup_ratio": 2}, ValueError, "warmup_ratio"),
        ({"n_epochs": 2, "hyperparameters": {"n_epochs": 3}}, ValueError, "n_epochs: given twice"),
        ({"training_file": 3}, TypeError, "training_file"),
        ({"from_checkpoint": "ft-1:10"}, ValueError, "not both"),
        ({"model": None}, TypeError, "model"),
    ],
)
async def test_create_refuses_bad_input_before_any_request(
    mocked: aioresponses, kw: dict[str, Any], error: type[Exception], match: str
) -> None:
    args: dict[str, Any] = {"model": "m", "training_file": "file-1", **kw}
    async with _client() as client:
        with pytest.raises(error, match=match):
            await client.jobs.create(**args)
    assert not mocked.requests


# -- what Together lacks -------------------------------------------------------------------------


async def test_missing_operations_raise_before_any_request(mocked: aioresponses) -> None:
    async with _client() as client:
        calls = {
            "jobs.pause": lambda: client.jobs.pause(JOB),
            "jobs.resume": lambda: client.jobs.resume(JOB),
            "jobs.best_checkpoint": lambda: client.jobs.best_checkpoint(JOB),
            "graders.run": lambda: client.graders.run(grader={}, model_sample="x"),
            "graders.validate": lambda: client.graders.validate(grader={}),
            "uploads.create": lambda: client.uploads.create(
                filename="a", purpose="fine-tune", bytes=1, mime_type="text/jsonl"
            ),
            "checkpoints.permissions.list": lambda: client.checkpoints.permissions.list("c"),
            "files.wait_for_processing": lambda: client.files.wait_for_processing("file-1"),
        }
        for operation, call in calls.items():
            with pytest.raises(ftjobs.UnsupportedOperationError) as caught:
                call()
            assert (caught.value.provider, caught.value.operation) == ("together", operation)
            assert f"together does not support {operation}" in str(caught.value)
        with pytest.raises(ftjobs.UnsupportedOperationError, match="expires_after"):
            await client.files.upload(
                b"{}\n", expires_after={"anchor": "created_at", "seconds": 3600}
            )
    assert not mocked.requests


# -- files -------------------------------------------------------------------------------------


async def test_upload_posts_files_upload_with_togethers_fields(
    mocked: aioresponses, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"messages": []}\n' * 100)
    mocked.post(f"{BASE_URL}/files/upload", payload=file_response(bytes=1700))
    async with _client() as client:
        # Above the threshold there is no Uploads API to switch to: still one request.
        uploaded = await client.files.upload(path, multipart_threshold=10)
    assert uploaded.id == "file-01234567890123456789"
    assert uploaded.extra == {"FileType": "jsonl", "Processed": True}
    form = sent(mocked, "POST")[0][1]["data"]
    fields = {f[0]["name"]: f[2] for f in form._fields if f[0]["name"] != "file"}
    assert fields == {"purpose": "fine-tune", "file_name": "train.jsonl", "file_type": "jsonl"}
    assert [f[0]["name"] for f in form._fields][-1] == "file"


async def test_files_list_delete_content(mocked: aioresponses) -> None:
    mocked.get(f"{BASE_URL}/files", payload={"data": [file_response(), file_response("file-2")]})
    mocked.delete(f"{BASE_URL}/files/file-2", payload={})
    mocked.get(f"{BASE_URL}/files/file-2/content", body=b"line\n")
    async with _client() as client:
        assert [f.id async for f in client.files.list(limit=5)] == [
            "file-01234567890123456789",
            "file-2",
        ]
        with pytest.raises(ftjobs.UnsupportedOperationError, match="purpose"):
            client.files.list(purpose="fine-tune")
        deleted = await client.files.delete("file-2")
        assert (deleted.id, deleted.deleted) == ("file-2", True)
        assert await client.files.content("file-2") == b"line\n"
    assert all(kwargs.get("params") in (None, []) for _, _, kwargs in _requests(mocked))


# -- Together's own --------------------------------------------------------------------------


async def test_metrics_from_the_metrics_endpoint(mocked: aioresponses) -> None:
    example = {
        "metrics": [
            {"train/loss": 0.5, "train/learning_rate": 0.0001, "train/global_step": 7},
            {"train/loss": 0.45, "train/learning_rate": 9.0e-05, "train/global_step": 14},
            {"eval/loss": 0.6, "train/global_step": 14},
        ]
    }
    mocked.get(f"{BASE_URL}/fine-tunes/{JOB}/metrics", payload=example)
    async with _client() as client:
        rows = await client.jobs.metrics(JOB, global_step_from=0)
    assert [(r.step, r.train_loss, r.valid_loss) for r in rows] == [
        (7, 0.5, None),
        (14, 0.45, 0.6),
    ]
    assert json.loads(sent(mocked, "GET")[0][1]["data"]) == {"global_step_from": 0}


async def test_estimate_limits_models_delete_cancel_download(
    mocked: aioresponses, tmp_path: Path
) -> None:
    mocked.post(
        f"{BASE_URL}/fine-tunes/estimate-price",
        payload={
            "estimated_total_price": 4.5,
            "allowed_to_proceed": True,
            "user_limit": 100,
            "estimated_train_token_count": 850000,
            "estimated_eval_token_count": 0,
        },
    )
    limits = {
        "model_name": "m",
        "max_num_epochs": 20,
        "max_num_evals": 100,
        "max_learning_rate": 1,
        "min_learning_rate": 1e-8,
        "supports_vision": False,
        "supports_tools": True,
        "supports_reasoning": False,
        "merge_output_lora": True,
        "lora_training": {
            "max_batch_size": 32,
            "max_batch_size_dpo": 16,
            "min_batch_size": 8,
            "max_rank": 64,
            "target_modules": ["q_proj", "v_proj"],
        },
    }
    mocked.get(re.compile(rf"{re.escape(BASE_URL)}/fine-tunes/models/limits\?.*"), payload=limits)
    mocked.get(f"{BASE_URL}/fine-tunes/models/supported", payload={"models": ["m", "n"]})
    mocked.delete(f"{BASE_URL}/fine-tunes/{JOB}", payload={"message": "deleted"})
    mocked.post(
        f"{BASE_URL}/fine-tunes/{JOB}/cancel", payload=truncated_job(status="cancel_requested")
    )
    mocked.get(re.compile(rf"{re.escape(BASE_URL)}/finetune/download\?.*"), body=b"weights" * 10)
    async with _client() as client:
        price = await client.jobs.estimate_price(training_file="file-1", model="m", n_epochs=2)
        assert (price.estimated_total_price, price.allowed_to_proceed) == (4.5, True)
        found = await client.jobs.model_limits("m")
        assert found.lora_training is not None and found.lora_training["max_rank"] == 64
        assert found.full_training is None and found.supports_tools is True
        assert await client.jobs.supported_models() == ("m", "n")
        assert await client.jobs.delete(JOB) is None
        cancelled = await client.jobs.cancel(JOB)
        assert cancelled.status == "cancel_requested" and not cancelled.is_terminal
        target = tmp_path / "model.tar.zst"
        assert await client.jobs.download(JOB, target) == 70
        assert target.read_bytes() == b"weights" * 10
    estimate = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert estimate == {"training_file": "file-1", "model": "m", "n_epochs": 2}
    queries = [dict(kw.get("params") or []) for v, _, kw in _requests(mocked) if v == "GET"]
    assert {"model_name": "m"} in queries
    assert {"ft_id": JOB, "checkpoint": "merged"} in queries
    urls = [URL(u).path for _, u, _ in _requests(mocked)]
    assert "/v1/finetune/download" in urls


# -- waiting -----------------------------------------------------------------------------------


async def test_a_wait_rides_over_unknown_statuses_to_the_end(mocked: aioresponses) -> None:
    url = f"{BASE_URL}/fine-tunes/{JOB}"
    for word in ("pending", "running", "a_status_nobody_has_seen", "cancel_requested"):
        mocked.get(url, payload=truncated_job(status=word))
    mocked.get(url, payload=truncated_job(status="cancelled"))
    mocked.get(f"{url}/events", payload={"data": []}, repeat=True)
    mocked.get(f"{url}/checkpoints", payload={"data": []}, repeat=True)
    seen: list[str] = []
    async with _client() as client:
        async for update in client.jobs.watch(JOB, poll=FAST):
            if isinstance(update, ftjobs.StatusChanged):
                seen.append(str(update.job.provider_status))
    assert seen == [
        "pending",
        "running",
        "a_status_nobody_has_seen",
        "cancel_requested",
        "cancelled",
    ]


async def test_wait_many_reads_the_one_page(mocked: aioresponses) -> None:
    ids = [f"ft-{i:03d}" for i in range(30)]
    running = [
        truncated_job(j, status="running", created_at=f"2024-01-01T00:{i:02d}:00Z")
        for i, j in enumerate(ids)
    ]
    done = [{**j, "status": "completed"} for j in running]
    mocked.get(f"{BASE_URL}/fine-tunes", payload={"data": running})
    mocked.get(f"{BASE_URL}/fine-tunes", payload={"data": done}, repeat=True)
    async with _client() as client:
        result = await client.jobs.wait_many(ids, poll=FAST)
    assert set(result.done) == set(ids)
    assert all(j.status is JobStatus.SUCCEEDED for j in result.done.values())
    calls = _requests(mocked)
    assert all(URL(u).path == "/v1/fine-tunes" for _, u, _ in calls)  # no GET per job
    assert len(calls) <= 4
