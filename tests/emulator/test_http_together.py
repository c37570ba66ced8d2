"""The emulator's Together AI dialect over HTTP: its paths, shapes, statuses, paging and errors,
every answer checked against the repository's copy of Together's description
(``spec/together-fine-tuning.openapi.yaml``), with the lifecycle, faults and persistence of
the other dialects."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ftjobs.emulator import EmulatorConfig, EmulatorHandle, ManualClock, Outcome, serve_emulator
from tests._support.emulator import TOGETHER_MODEL, TogetherApi, auth, chat_file, dpo_file
from tests._support.schemas import together_errors

pytest.importorskip("jsonschema_rs")
pytest.importorskip("yaml")

_JOB = "/fine-tunes/{id}"


async def _checked(
    api: TogetherApi, method: str, path: str, route: str, *, json: Any = None, status: int = 200
) -> Any:
    """Call ``path`` and assert the answer is ``status`` and valid per ``route``'s schema."""
    got, body = await api.call(method, path, json=json)
    assert got == status, body
    errors = together_errors(method, route, body, str(status))
    assert not errors, (errors, body)
    return body


async def _statuses(api: TogetherApi, clock: ManualClock, job_id: str, step: float) -> list[str]:
    """Every status a job shows, read every ``step`` emulated seconds until it ends."""
    seen: list[str] = []
    for _ in range(2000):
        body = await _checked(api, "GET", f"/fine-tunes/{job_id}", _JOB)
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] in ("completed", "error", "user_error", "cancelled"):
            return seen
        clock.advance(step)
    raise AssertionError(seen)


async def test_a_job_runs_through_togethers_statuses_with_valid_answers(
    together_api: TogetherApi, emulator_clock: ManualClock
) -> None:
    training = await together_api.upload()
    assert not together_errors("post", "/files/upload", training)
    assert training["FileType"] == "jsonl" and training["Processed"] is True
    job = await _checked(
        together_api,
        "POST",
        "/fine-tunes",
        "/fine-tunes",
        json={
            "model": TOGETHER_MODEL,
            "training_file": training["id"],
            "n_epochs": 2,
            "batch_size": 8,
            "learning_rate": 2e-5,
            "suffix": "emu",
            "lr_scheduler": {
                "lr_scheduler_type": "cosine",
                "lr_scheduler_args": {"min_lr_ratio": 0.1, "num_cycles": 0.5},
            },
            "training_method": {"method": "sft", "train_on_inputs": "auto"},
            "wandb_api_key": "secret-key",
        },
    )
    assert job["id"].startswith("ft-") and job["status"] == "pending"
    assert job["created_at"].endswith("Z") and "T" in job["created_at"]
    assert job["learning_rate"] == 2e-5 and job["suffix"] == "emu" and job["random_seed"] == 42
    assert "wandb_api_key" not in job and "secret-key" not in json.dumps(job)
    assert job["training_type"] == {
        "type": "Lora",
        "lora_r": 64,
        "lora_alpha": 128,
        "lora_dropout": 0.0,
        "lora_trainable_modules": "all-linear",
    }

    seen = await _statuses(together_api, emulator_clock, job["id"], 0.5)
    assert seen == ["pending", "queued", "running", "compressing", "uploading", "completed"]
    done = await _checked(together_api, "GET", f"/fine-tunes/{job['id']}", _JOB)
    assert done["total_steps"] == done["steps_completed"] == 4  # 12 examples / 8, 2 epochs
    assert done["epochs_completed"] == 2 and done["batch_size"] == 8
    assert done["model_output_name"].startswith(
        "emulator/Meta-Llama-3.1-8B-Instruct-Reference-emu-"
    )
    assert [e["type"] for e in done["events"]][-1] == "job_complete"

    events = await _checked(
        together_api, "GET", f"/fine-tunes/{job['id']}/events", "/fine-tunes/{id}/events"
    )
    assert set(events) == {"data"}  # no cursor: one page holds every event
    kinds = [e["type"] for e in events["data"]]
    assert kinds[:4] == [
        "job_pending",
        "training_data_downloading",
        "training_data_download_complete",
        "training_start",
    ]
    assert kinds.count("epoch_complete") == 2 and kinds[-1] == "job_complete"
    stamps = [e["created_at"] for e in events["data"]]
    assert stamps == sorted(stamps)  # oldest first

    checkpoints = await _checked(
        together_api,
        "GET",
        f"/fine-tunes/{job['id']}/checkpoints",
        "/fine-tunes/{id}/checkpoints",
    )
    assert [(c["checkpoint_type"], c["step"]) for c in checkpoints["data"]] == [
        ("Final", 4),
        ("Intermediate", 2),
    ]
    assert checkpoints["data"][1]["path"] == f"{job['id']}:2"

    status, metrics = await together_api.call(
        "GET", f"/fine-tunes/{job['id']}/metrics?global_step_from=2&global_step_to=3"
    )
    assert status == 200
    assert [m["train/global_step"] for m in metrics["metrics"]] == [2.0, 3.0]
    rates = [m["train/learning_rate"] for m in metrics["metrics"]]
    assert 2e-6 < rates[1] < rates[0] < 2e-5  # cosine decay towards min_lr_ratio * 2e-5


async def test_the_job_list_holds_every_job_in_one_page(together_api: TogetherApi) -> None:
    training = await together_api.upload()
    made = [(await together_api.create_job(training["id"]))["id"] for _ in range(25)]
    listed = await _checked(together_api, "GET", "/fine-tunes", "/fine-tunes")
    assert set(listed) == {"data"}
    assert [j["id"] for j in listed["data"]] == made[::-1]  # newest first, all of them
    files = await _checked(together_api, "GET", "/files", "/files")
    assert [f["id"] for f in files["data"]] == [training["id"]]


async def test_cancel_reads_cancel_requested_then_cancelled(
    together_api: TogetherApi, emulator_clock: ManualClock
) -> None:
    training = await together_api.upload()
    job = await together_api.create_job(training["id"])
    cancelled = await _checked(
        together_api,
        "POST",
        f"/fine-tunes/{job['id']}/cancel",
        "/fine-tunes/{id}/cancel",
    )
    assert cancelled["status"] == "cancel_requested"
    emulator_clock.advance(5)
    body = await _checked(together_api, "GET", f"/fine-tunes/{job['id']}", _JOB)
    assert body["status"] == "cancelled"
    status, again = await together_api.call("POST", f"/fine-tunes/{job['id']}/cancel")
    assert status == 400 and not together_errors("post", "/files/upload", again, "400")


async def test_failures_are_user_error_for_bad_data_and_error_otherwise(
    together_api: TogetherApi, together_emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    bad = await together_api.upload(b'{"messages": "not a list"}\n' * 12)
    user = await together_api.create_job(bad["id"])
    together_emulator.store.script_next_jobs(Outcome.failure(at_step=1, message="GPU lost"))
    good = await together_api.upload()
    server = await together_api.create_job(good["id"])
    emulator_clock.advance(3600)
    for job, expected in ((user, "user_error"), (server, "error")):
        body = await _checked(together_api, "GET", f"/fine-tunes/{job['id']}", _JOB)
        assert body["status"] == expected
        errors = [e for e in body["events"] if e["type"] == "job_error"]
        assert errors and errors[0]["level"] == "error"
    assert "GPU lost" in json.dumps(body["events"])


async def test_what_the_sdk_asks_before_a_create(together_api: TogetherApi) -> None:
    supported = await _checked(
        together_api, "GET", "/fine-tunes/models/supported", "/fine-tunes/models/supported"
    )
    assert TOGETHER_MODEL in supported["models"]
    limits = await _checked(
        together_api,
        "GET",
        f"/fine-tunes/models/limits?model_name={TOGETHER_MODEL}",
        "/fine-tunes/models/limits",
    )
    assert limits["model_name"] == TOGETHER_MODEL and limits["full_training"]["min_batch_size"]
    status, missing = await together_api.call(
        "GET", "/fine-tunes/models/limits?model_name=nope/nothing"
    )
    assert status == 404 and set(missing) == {"message"}  # the description's own 404 shape
    assert not together_errors("get", "/fine-tunes/models/limits", missing, "404")

    training = await together_api.upload()
    route = "/fine-tunes/estimate-price"
    one = await _checked(
        together_api,
        "POST",
        route,
        route,
        json={"training_file": training["id"], "model": TOGETHER_MODEL, "n_epochs": 1},
    )
    three = await _checked(
        together_api,
        "POST",
        route,
        route,
        json={"training_file": training["id"], "model": TOGETHER_MODEL, "n_epochs": 3},
    )
    assert one["allowed_to_proceed"] is True and one["estimated_train_token_count"] > 0
    assert three["estimated_train_token_count"] == 3 * one["estimated_train_token_count"]
    assert three["estimated_total_price"] == pytest.approx(3 * one["estimated_total_price"])
    broken = await together_api.upload(b"not json\n" * 12)
    status, unavailable = await together_api.call(
        "POST", route, json={"training_file": broken["id"], "model": TOGETHER_MODEL}
    )
    assert status == 200
    assert unavailable == {
        "estimation_available": False,
        "unavailable_reason": "train_file_invalid",
    }


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "nope/nothing"}, "model"),
        ({"batch_size": 4}, "batch_size"),  # under the model's minimum of 8
        ({"n_epochs": 21}, "n_epochs"),
        ({"n_evals": 2}, "n_evals"),  # evaluations need a validation file
        ({"colour": "blue"}, "colour"),
        (
            {"training_type": {"type": "Lora", "lora_r": 65, "lora_alpha": 8}},
            "training_type.lora_r",
        ),
        ({"training_method": {"method": "grpo"}}, "training_method.method"),
        ({"from_checkpoint": "ft-unknown"}, "from_checkpoint"),
        ({"suffix": "x" * 41}, "suffix"),
    ],
)
async def test_a_bad_create_is_a_400_naming_the_field(
    together_api: TogetherApi, body: dict[str, Any], param: str
) -> None:
    training = await together_api.upload()
    payload = {"model": TOGETHER_MODEL, "training_file": training["id"], **body}
    if "from_checkpoint" in body:
        del payload["model"]
    status, error = await together_api.call("POST", "/fine-tunes", json=payload)
    assert status == 400, error
    assert error["error"]["param"] == param
    assert not together_errors("post", "/files/upload", error, "400")  # Together's ErrorData


async def test_dpo_and_full_training_and_a_restart_from_a_checkpoint(
    together_api: TogetherApi, emulator_clock: ManualClock
) -> None:
    preferences = await together_api.upload(dpo_file())
    dpo = await together_api.create_job(
        preferences["id"],
        training_method={"method": "dpo", "dpo_beta": 0.2},
        training_type={"type": "Full"},
    )
    assert dpo["training_method"]["method"] == "dpo" and dpo["training_type"] == {"type": "Full"}
    emulator_clock.advance(3600)
    done = await _checked(together_api, "GET", f"/fine-tunes/{dpo['id']}", _JOB)
    assert done["status"] == "completed"
    status, big = await together_api.call(
        "POST",
        "/fine-tunes",
        json={
            "model": "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
            "training_file": preferences["id"],
            "training_type": {"type": "Full"},
        },
    )
    assert status == 400 and big["error"]["param"] == "training_type"

    training = await together_api.upload()
    status, again = await together_api.call(
        "POST",
        "/fine-tunes",
        json={"training_file": training["id"], "from_checkpoint": f"{dpo['id']}:1"},
    )
    assert status == 200, again
    assert again["model"] == TOGETHER_MODEL and again["from_checkpoint"] == f"{dpo['id']}:1"


async def test_download_serves_a_reproducible_archive_once_completed(
    together_api: TogetherApi, emulator_clock: ManualClock
) -> None:
    training = await together_api.upload()
    job = await together_api.create_job(training["id"])
    url = f"{together_api.base}/finetune/download?ft_id={job['id']}&checkpoint=merged"
    async with together_api.session.get(url, headers=together_api.headers) as early:
        assert early.status == 400
    emulator_clock.advance(3600)
    blobs = []
    for _ in range(2):
        async with together_api.session.get(url, headers=together_api.headers) as response:
            assert response.status == 200
            assert response.content_type == "application/octet-stream"
            blobs.append(await response.read())
    assert blobs[0] == blobs[1]
    with tarfile.open(fileobj=io.BytesIO(blobs[0]), mode="r:gz") as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest["fine_tune_id"] == job["id"] and manifest["checkpoint"] == "merged"
    missing = f"{together_api.base}/finetune/download?ft_id={job['id']}&checkpoint_step=999"
    async with together_api.session.get(missing, headers=together_api.headers) as response:
        assert response.status == 404
    neither = f"{together_api.base}/finetune/download?ft_id={job['id']}"
    async with together_api.session.get(neither, headers=together_api.headers) as response:
        assert response.status == 400


async def test_delete_refuses_a_running_job_and_forgets_a_finished_one(
    together_api: TogetherApi, emulator_clock: ManualClock
) -> None:
    training = await together_api.upload()
    job = await together_api.create_job(training["id"])
    status, refused = await together_api.call("DELETE", f"/fine-tunes/{job['id']}")
    assert status == 400 and refused["error"]["code"] == "invalid_job_state"
    emulator_clock.advance(3600)
    deleted = await _checked(together_api, "DELETE", f"/fine-tunes/{job['id']}", _JOB)
    assert job["id"] in deleted["message"]
    status, _ = await together_api.call("GET", f"/fine-tunes/{job['id']}")
    assert status == 404
    assert (await together_api.call("GET", "/fine-tunes"))[1] == {"data": []}


async def test_the_presigned_upload_flow(together_api: TogetherApi) -> None:
    content = chat_file()
    fields = {
        "purpose": "fine-tune",
        "file_name": "train.jsonl",
        "file_type": "jsonl",
        "checksum": hashlib.sha256(content).hexdigest(),
    }
    async with together_api.session.post(
        together_api.base + "/files",
        data=aiohttp.FormData(fields, default_to_multipart=True),
        headers=together_api.headers,
        allow_redirects=False,
    ) as response:
        assert response.status == 302
        location = response.headers["Location"]
        file_id = response.headers["X-Together-File-Id"]
    status, early = await together_api.call("POST", f"/files/{file_id}/preprocess")
    assert status == 400, early
    session = together_api.session
    async with session.put(location.replace("Signature=", "Signature=0"), data=content) as put:
        assert put.status == 403
    async with session.put(location, data=content[:-1]) as put:
        assert put.status == 400  # not the announced checksum
    async with session.put(location, data=content) as put:  # no API key: the URL is signed
        assert put.status == 200 and put.headers["ETag"]
    status, made = await together_api.call("POST", f"/files/{file_id}/preprocess")
    assert status == 200 and not together_errors("get", "/files/{id}", made)
    assert made["id"] == file_id and made["bytes"] == len(content)
    got = await _checked(together_api, "GET", f"/files/{file_id}", "/files/{id}")
    assert got == made
    async with session.get(
        f"{together_api.base}/files/{file_id}/content", headers=together_api.headers
    ) as response:
        assert await response.read() == content
    deleted = await _checked(together_api, "DELETE", f"/files/{file_id}", "/files/{id}")
    assert deleted == {"id": file_id, "deleted": True}


async def test_errors_faults_and_openai_paths(
    together_api: TogetherApi, together_emulator: EmulatorHandle
) -> None:
    status, body = await together_api.call("GET", "/fine_tuning/jobs")
    assert status == 404  # OpenAI's API is not served in this dialect
    async with together_api.session.get(
        together_api.base + "/fine-tunes", headers=auth("wrong")
    ) as response:
        assert response.status == 401
        assert not together_errors("post", "/files/upload", await response.json(), "401")
    together_emulator.set_faults("429=1,retry_after=0")
    status, body = await together_api.call("GET", "/fine-tunes")
    assert status == 429 and body["error"]["message"]
    together_emulator.set_faults(None)
    status, body = await together_api.call("GET", "/fine-tunes/ft-nothing")
    assert status == 404 and body["error"]["type"] == "invalid_request_error"


async def test_create_honours_idempotency_keys(together_api: TogetherApi) -> None:
    training = await together_api.upload()
    body = {"model": TOGETHER_MODEL, "training_file": training["id"]}
    key = {"Idempotency-Key": "one-create"}
    first = await together_api.call("POST", "/fine-tunes", json=body, headers=key)
    second = await together_api.call("POST", "/fine-tunes", json=body, headers=key)
    assert first == second
    assert len((await together_api.call("GET", "/fine-tunes"))[1]["data"]) == 1


async def test_a_restart_keeps_jobs_their_create_fields_and_deletions(tmp_path: Path) -> None:
    clock = ManualClock(1_700_000_000.0)
    config = EmulatorConfig(dialect="together", state_path=tmp_path / "state.sqlite3")
    async with aiohttp.ClientSession() as http:
        async with serve_emulator(config, clock=clock) as emu:
            api = TogetherApi(http, emu)
            training = await api.upload()
            kept = await api.create_job(training["id"], learning_rate=3e-5, n_checkpoints=2)
            gone = await api.create_job(training["id"])
            clock.advance(3600)
            assert (await api.call("DELETE", f"/fine-tunes/{gone['id']}"))[0] == 200
        async with serve_emulator(config, clock=clock) as emu:
            api = TogetherApi(http, emu)
            status, job = await api.call("GET", f"/fine-tunes/{kept['id']}")
            assert status == 200 and job["status"] == "completed"
            assert job["learning_rate"] == 3e-5 and job["n_checkpoints"] == 2
            assert (await api.call("GET", f"/fine-tunes/{gone['id']}"))[0] == 404
            events = (await api.call("GET", f"/fine-tunes/{kept['id']}/events"))[1]["data"]
            assert events[-1]["type"] == "job_complete"
