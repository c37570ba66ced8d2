"""Jobs endpoints over real loopback sockets (manual clock: time moves only when told)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ftjobs.emulator import EmulatorHandle, ManualClock
from tests._support.emulator import Api, chat_file, chat_line
from tests.spec import load_spec


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    found: dict[str, Any] = load_spec()["components"]["schemas"]
    return found


def assert_fits(body: dict[str, Any], schema: dict[str, Any]) -> None:
    missing = set(schema.get("required", [])) - set(body)
    assert not missing, f"missing required fields {missing}"


def assert_error(body: Any, *, param: str | None = None, code: str | None = None) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if param is not None:
        assert body["error"]["param"] == param
    if code is not None:
        assert body["error"]["code"] == code


async def test_create_and_follow_a_job_to_success(
    api: Api, emulator_clock: ManualClock, schemas: dict[str, Any]
) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"], suffix="demo", metadata={"team": "a"}, seed=7)
    assert_fits(job, schemas["FineTuningJob"])
    assert job["id"].startswith("ftjob-") and job["object"] == "fine_tuning.job"
    assert job["status"] == "validating_files"
    assert job["metadata"] == {"team": "a"} and job["seed"] == 7
    assert job["organization_id"] == "org-emulator"
    assert isinstance(job["created_at"], int)
    assert job["error"] is None and job["finished_at"] is None and job["trained_tokens"] is None

    emulator_clock.advance(5)
    status, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert status == 200 and job["status"] == "queued"
    emulator_clock.advance(2)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "running"
    assert job["estimated_finish"] == job["created_at"] + 7 + 36 + 2
    emulator_clock.advance(100)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert_fits(job, schemas["FineTuningJob"])
    assert job["status"] == "succeeded"
    assert job["fine_tuned_model"].startswith("ft:gpt-4o-mini:emulator:demo:")
    assert job["trained_tokens"] > 0 and job["finished_at"] == job["created_at"] + 45
    assert job["hyperparameters"] == {
        "batch_size": 1,
        "learning_rate_multiplier": 1.8,
        "n_epochs": 3,
    }

    (result_id,) = job["result_files"]
    status, meta = await api.call("GET", f"/files/{result_id}")
    assert status == 200 and meta["purpose"] == "fine-tune-results"
    async with api.session.get(f"{api.base}/files/{result_id}/content", headers=api.headers) as r:
        csv = base64.b64decode(await r.read(), validate=True).decode()  # as the service
    assert csv.splitlines()[0].startswith("step,train_loss") and len(csv.splitlines()) == 37

    status, events = await api.call("GET", f"/fine_tuning/jobs/{job['id']}/events?limit=100")
    assert status == 200 and events["object"] == "list"
    for event in events["data"]:
        assert_fits(event, schemas["FineTuningJobEvent"])
        assert event["id"].startswith("ftevent-")
        assert set(event) == {"object", "id", "created_at", "level", "message", "type", "data"}
    assert events["data"][0]["message"] == "The job has successfully completed"
    metrics = [e for e in events["data"] if e["type"] == "metrics"]
    assert len(metrics) == 36
    assert metrics[0]["message"].startswith("Step 36/36: training loss=")
    assert set(metrics[0]["data"]) >= {"step", "train_loss", "total_steps"}

    status, checkpoints = await api.call("GET", f"/fine_tuning/jobs/{job['id']}/checkpoints")
    assert status == 200
    assert_fits(checkpoints, schemas["ListFineTuningJobCheckpointsResponse"])
    assert [c["step_number"] for c in checkpoints["data"]] == [36, 24, 12]
    assert checkpoints["first_id"] == checkpoints["data"][0]["id"]
    assert checkpoints["last_id"] == checkpoints["data"][-1]["id"]
    for checkpoint in checkpoints["data"]:
        assert_fits(checkpoint, schemas["FineTuningJobCheckpoint"])
        assert checkpoint["id"].startswith("ftckpt_") and checkpoint["metrics"]["train_loss"] > 0


async def test_azure_prefix_and_api_version_are_accepted(
    api: Api, emulator: EmulatorHandle
) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    url = f"{emulator.azure_base_url}/fine_tuning/jobs/{job['id']}?api-version=2025-04-01-preview"
    async with api.session.get(url, headers={"api-key": emulator.api_key}) as response:
        assert response.status == 200
        assert (await response.json())["id"] == job["id"]
    url = f"{emulator.azure_base_url}/fine_tuning/jobs?api-version=2024-10-21&limit=5"
    async with api.session.get(url, headers={"api-key": emulator.api_key}) as response:
        assert [j["id"] for j in (await response.json())["data"]] == [job["id"]]


async def test_list_jobs_shape(api: Api, schemas: dict[str, Any]) -> None:
    training = await api.upload()
    created = [await api.create_job(training["id"]) for _ in range(3)]
    status, page = await api.call("GET", "/fine_tuning/jobs")
    assert status == 200
    assert_fits(page, schemas["ListPaginatedFineTuningJobsResponse"])
    assert [j["id"] for j in page["data"]] == [j["id"] for j in reversed(created)]
    assert page["has_more"] is False


async def test_unknown_job_is_a_404_with_error_body(api: Api) -> None:
    for path in ("", "/cancel", "/pause", "/resume", "/events", "/checkpoints"):
        method = "POST" if path in ("/cancel", "/pause", "/resume") else "GET"
        status, body = await api.call(method, f"/fine_tuning/jobs/ftjob-nope{path}")
        assert status == 404, path
        assert_error(body, param="fine_tuning_job_id", code="not_found")


async def test_unknown_route_is_a_json_404(api: Api) -> None:
    status, body = await api.call("GET", "/fine_tuning/nothing")
    assert status == 404
    assert_error(body)
    status, body = await api.call("DELETE", "/fine_tuning/jobs")
    assert status == 405
    assert_error(body)


async def test_pause_resume_cancel_over_http(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    path = f"/fine_tuning/jobs/{job['id']}"
    emulator_clock.advance(10)
    status, paused = await api.call("POST", path + "/pause")
    assert status == 200 and paused["status"] == "paused" and paused["estimated_finish"] is None
    emulator_clock.advance(1000)
    _, still = await api.call("GET", path)
    assert still["status"] == "paused"
    status, resumed = await api.call("POST", path + "/resume")
    assert status == 200 and resumed["status"] == "running"
    _, events = await api.call("GET", path + "/events?limit=3")
    assert events["data"][0]["message"].startswith("Fine-tuning job continued at step 4/36")
    assert events["data"][1]["message"] == "Fine-tuning job resumed"
    assert events["data"][2]["message"] == "Fine-tuning job paused at step 3/36"
    status, cancelled = await api.call("POST", path + "/cancel")
    assert status == 200 and cancelled["status"] == "cancelled"
    assert cancelled["finished_at"] is not None


@pytest.mark.parametrize(
    ("advance", "action", "state"),
    [
        (1000, "cancel", "succeeded"),
        (10, "resume", "running"),
        (6, "pause", "queued"),
        (1, "pause", "validating_files"),
    ],
)
async def test_impossible_transitions_are_400(
    api: Api, emulator_clock: ManualClock, advance: float, action: str, state: str
) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    emulator_clock.advance(advance)
    status, body = await api.call("POST", f"/fine_tuning/jobs/{job['id']}/{action}")
    assert status == 400
    assert_error(body, code="invalid_job_state")
    assert state in body["error"]["message"] and action in body["error"]["message"]


async def test_queue_limit_is_visible_over_http(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload()
    jobs = [await api.create_job(training["id"]) for _ in range(3)]
    emulator_clock.advance(8)
    statuses = [(await api.call("GET", f"/fine_tuning/jobs/{j['id']}"))[1]["status"] for j in jobs]
    assert statuses == ["running", "running", "queued"]  # the fixture allows 2 at once


async def test_bad_training_file_fails_the_job(api: Api, emulator_clock: ManualClock) -> None:
    content = ("\n".join([chat_line(i) for i in range(11)] + ['{"messages": [}'])).encode()
    training = await api.upload(content)
    job = await api.create_job(training["id"])
    emulator_clock.advance(5)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "failed"
    assert job["error"]["code"] == "invalid_training_file"
    assert job["error"]["param"] == "training_file"
    assert "Line 12" in job["error"]["message"]
    _, events = await api.call("GET", f"/fine_tuning/jobs/{job['id']}/events")
    assert events["data"][0]["level"] == "error"


async def test_too_few_examples_fails_the_job(api: Api, emulator_clock: ManualClock) -> None:
    training = await api.upload(chat_file(3))
    job = await api.create_job(training["id"])
    emulator_clock.advance(5)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "failed" and job["error"]["code"] == "invalid_n_examples"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"training_file": "file-x"}, "model"),
        ({"model": "gpt-4o-mini"}, "training_file"),
        ({"model": "gpt-4o-mini", "training_file": "file-missing"}, "training_file"),
        ({"model": "gpt-4o-mini", "training_file": "TRAIN", "suffix": "x" * 65}, "suffix"),
        ({"model": "gpt-4o-mini", "training_file": "TRAIN", "seed": 2**31}, "seed"),
        (
            {"model": "gpt-4o-mini", "training_file": "TRAIN", "method": {"type": "x"}},
            "method.type",
        ),
        (
            {
                "model": "gpt-4o-mini",
                "training_file": "TRAIN",
                "metadata": {str(i): "v" for i in range(17)},
            },
            "metadata",
        ),
        (
            {"model": "gpt-4o-mini", "training_file": "TRAIN", "validation_file": "file-nope"},
            "validation_file",
        ),
    ],
)
async def test_invalid_create_bodies_are_400_with_param(
    api: Api, body: dict[str, Any], param: str
) -> None:
    training = await api.upload()
    if body.get("training_file") == "TRAIN":
        body = {**body, "training_file": training["id"]}
    status, error = await api.call("POST", "/fine_tuning/jobs", json=body)
    assert status == 400
    assert_error(error, param=param)
    assert error["error"]["type"] == "invalid_request_error"
    _, page = await api.call("GET", "/fine_tuning/jobs")
    assert page["data"] == []


async def test_training_file_must_have_fine_tune_purpose(api: Api) -> None:
    other = await api.upload(b"hello", filename="notes.txt", purpose="assistants")
    status, error = await api.call(
        "POST", "/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": other["id"]}
    )
    assert status == 400
    assert_error(error, param="training_file", code="invalid_file_purpose")


@pytest.mark.parametrize("raw", [b"", b"{", b"[1,2]", b"null", b"\xff\xfe", b'"model"'])
async def test_unparsable_bodies_are_400_never_500(api: Api, raw: bytes) -> None:
    async with api.session.post(
        f"{api.base}/fine_tuning/jobs",
        data=raw,
        headers={**api.headers, "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert_error(await response.json())


async def test_bad_query_values_are_400(api: Api) -> None:
    training = await api.upload()
    job = await api.create_job(training["id"])
    for path in (
        "/fine_tuning/jobs?limit=abc",
        "/fine_tuning/jobs?after=ftjob-unknown",
        "/fine_tuning/jobs?metadata=maybe",
        f"/fine_tuning/jobs/{job['id']}/events?limit=0",
        f"/fine_tuning/jobs/{job['id']}/events?after=ftevent-unknown",
        f"/fine_tuning/jobs/{job['id']}/checkpoints?limit=101",
        "/files?order=sideways",
    ):
        status, body = await api.call("GET", path)
        assert status == 400, path
        assert_error(body)


async def test_dpo_job_runs_on_a_dpo_file(api: Api, emulator_clock: ManualClock) -> None:
    from tests._support.emulator import dpo_file

    training = await api.upload(dpo_file(12))
    job = await api.create_job(
        training["id"], method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}
    )
    assert job["method"]["type"] == "dpo"
    emulator_clock.advance(1000)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "succeeded"
    assert job["method"]["dpo"]["hyperparameters"]["beta"] == 0.2
    # and a chat file fails a DPO job
    chat = await api.upload(chat_file(12))
    job = await api.create_job(chat["id"], method={"type": "dpo"})
    emulator_clock.advance(5)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    assert job["status"] == "failed" and "'input'" in job["error"]["message"]


async def test_deeply_nested_json_is_400(api: Api) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    async with api.session.post(
        f"{api.base}/fine_tuning/jobs",
        data=raw,
        headers={**api.headers, "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
