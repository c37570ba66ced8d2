"""client.jobs: every operation, its request shape, and its local validation (aioresponses)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from aioresponses import aioresponses

import ftjobs
from tests._support.payloads import BASE_URL, event_payload, job_payload, sent

JOBS = f"{BASE_URL}/fine_tuning/jobs"


def _body(kwargs: dict[str, Any]) -> Any:
    return json.loads(kwargs["data"])


async def test_create_sends_every_field(mocked: aioresponses, client: ftjobs.AsyncClient) -> None:
    mocked.post(JOBS, payload=job_payload(status="validating_files"))
    job = await client.jobs.create(
        model="gpt-4o-mini",
        training_file="file-train",
        validation_file="file-valid",
        suffix="bot",
        seed=7,
        metadata={"team": "a"},
        integrations=[
            ftjobs.types.WandbIntegration(ftjobs.types.WandbConfig(project="p", tags=("x",)))
        ],
        method=ftjobs.FineTuneMethod.dpo_method(
            ftjobs.DpoHyperparameters(beta=0.1, n_epochs="auto")
        ),
        extra_body={"trainingType": "Standard"},
    )
    assert job.status is ftjobs.JobStatus.VALIDATING_FILES
    (_, kwargs) = sent(mocked, "POST")[0]
    body = _body(kwargs)
    assert body["model"] == "gpt-4o-mini"
    assert body["training_file"] == "file-train"
    assert body["validation_file"] == "file-valid"
    assert body["suffix"] == "bot"
    assert body["seed"] == 7
    assert body["metadata"] == {"team": "a"}
    assert body["integrations"] == [{"type": "wandb", "wandb": {"project": "p", "tags": ["x"]}}]
    assert body["method"] == {
        "type": "dpo",
        "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": "auto"}},
    }
    assert body["trainingType"] == "Standard"
    assert kwargs["headers"]["Content-Type"] == "application/json"


async def test_create_minimal_omits_unset_fields(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.post(JOBS, payload=job_payload())
    await client.jobs.create(
        model="m",
        training_file="f",
        method={"type": "reinforcement", "reinforcement": {"grader": {"type": "string_check"}}},
        hyperparameters={"n_epochs": 2},
    )
    body = _body(sent(mocked, "POST")[0][1])
    assert body == {
        "model": "m",
        "training_file": "f",
        "method": {"type": "reinforcement", "reinforcement": {"grader": {"type": "string_check"}}},
        "hyperparameters": {"n_epochs": 2},
    }


async def test_retrieve_cancel_pause_resume(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{JOBS}/ftjob-1", payload=job_payload("ftjob-1", status="running"))
    mocked.post(f"{JOBS}/ftjob-1/pause", payload=job_payload("ftjob-1", status="paused"))
    mocked.post(f"{JOBS}/ftjob-1/resume", payload=job_payload("ftjob-1", status="running"))
    mocked.post(f"{JOBS}/ftjob-1/cancel", payload=job_payload("ftjob-1", status="cancelled"))
    job = await client.jobs.retrieve("ftjob-1")
    assert job.status == ftjobs.JobStatus.RUNNING and not job.is_terminal
    paused = await client.jobs.pause(job)
    assert paused.status is ftjobs.JobStatus.PAUSED and not paused.is_terminal
    assert (await client.jobs.resume("ftjob-1")).status is ftjobs.JobStatus.RUNNING
    cancelled = await client.jobs.cancel("ftjob-1", idempotency_key="cancel-1")
    assert cancelled.is_terminal
    assert sent(mocked, "POST")[-1][1]["headers"]["Idempotency-Key"] == "cancel-1"


async def test_path_ids_are_percent_encoded(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{JOBS}/a%2Fb%20c", payload=job_payload("a/b c"))
    job = await client.jobs.retrieve("a/b c")
    assert job.id == "a/b c"


async def test_unknown_status_and_fields_are_kept(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(
        f"{JOBS}/ftjob-1",
        payload=job_payload(
            "ftjob-1",
            status="pending",
            organization_id=None,
            result_files=None,
            user_provided_suffix="s",
        ),
    )
    job = await client.jobs.retrieve("ftjob-1")
    assert job.status == "pending"
    assert not job.is_terminal
    assert job.extra["user_provided_suffix"] == "s"
    assert job.organization_id is None
    assert job.result_files == ()


async def test_bad_job_body_is_a_validation_error(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{JOBS}/ftjob-1", payload=job_payload("ftjob-1", created_at="yesterday"))
    with pytest.raises(ftjobs.ResponseValidationError, match="created_at"):
        await client.jobs.retrieve("ftjob-1")


async def test_list_pages_and_items_with_filters(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    pattern = re.compile(re.escape(JOBS) + r"\?.*")
    pages = [
        ([job_payload("ftjob-1"), job_payload("ftjob-2")], True),
        ([job_payload("ftjob-3"), job_payload("ftjob-4")], True),
        ([job_payload("ftjob-5")], False),
    ]
    for data, more in pages:
        mocked.get(pattern, payload={"object": "list", "data": data, "has_more": more})
    ids = [job.id async for job in client.jobs.list(limit=2, metadata={"team": "a", "env": "x y"})]
    assert ids == ["ftjob-1", "ftjob-2", "ftjob-3", "ftjob-4", "ftjob-5"]
    urls = [str(url) for url, _ in sent(mocked, "GET")]
    assert len(urls) == 3
    for url in urls:
        assert "limit=2" in url
        assert "metadata%5Bteam%5D=a" in url or "metadata[team]=a" in url
        assert "x+y" in url or "x%20y" in url
    assert "after" not in urls[0]
    assert "after=ftjob-2" in urls[1]
    assert "after=ftjob-4" in urls[2]


async def test_list_first_page_by_await(mocked: aioresponses, client: ftjobs.AsyncClient) -> None:
    mocked.get(
        re.compile(re.escape(JOBS) + r"\?.*"),
        payload={"object": "list", "data": [job_payload("ftjob-9")], "has_more": True},
    )
    page = await client.jobs.list(after="ftjob-8", limit=1)
    assert [j.id for j in page.data] == ["ftjob-9"]
    assert page.has_more and page.next_cursor == "ftjob-9"
    assert "after=ftjob-8" in str(sent(mocked, "GET")[0][0])


async def test_an_empty_page_claiming_more_is_refused_after_the_items_before_it(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    # No item, so no cursor to go on from, yet "has_more": stopping quietly would hand back a
    # list the server says is incomplete.
    pattern = re.compile(re.escape(JOBS) + r"/ftjob-1/events.*")
    mocked.get(
        pattern,
        payload={
            "object": "list",
            "data": [event_payload("ev-2"), event_payload("ev-1")],
            "has_more": True,
        },
    )
    mocked.get(pattern, payload={"object": "list", "data": [], "has_more": True})
    events: list[str] = []
    with pytest.raises(ftjobs.PaginationError) as caught:
        async for event in client.jobs.list_events("ftjob-1", limit=2):
            events.append(event.id)
    assert events == ["ev-2", "ev-1"]
    assert caught.value.cursor == "ev-1"
    assert len(sent(mocked, "GET")) == 2


async def test_list_checkpoints(mocked: aioresponses, client: ftjobs.AsyncClient) -> None:
    checkpoint = {
        "object": "fine_tuning.job.checkpoint",
        "id": "ftckpt_1",
        "created_at": 1721764867,
        "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:bot:abc:ckpt-step-88",
        "metrics": {"full_valid_loss": 0.13, "full_valid_mean_token_accuracy": 0.25, "step": 88.0},
        "fine_tuning_job_id": "ftjob-1",
        "step_number": 88,
    }
    mocked.get(
        re.compile(re.escape(JOBS) + r"/ftjob-1/checkpoints.*"),
        payload={
            "object": "list",
            "data": [checkpoint],
            "has_more": False,
            "first_id": "ftckpt_1",
            "last_id": "ftckpt_1",
        },
    )
    pages = [page async for page in client.jobs.list_checkpoints("ftjob-1").pages()]
    assert len(pages) == 1
    (ckpt,) = pages[0].data
    assert ckpt.step_number == 88
    assert ckpt.metrics.full_valid_loss == 0.13
    assert pages[0].first_id == "ftckpt_1"


@pytest.mark.parametrize(
    ("kwargs", "exc", "names"),
    [
        ({"model": "", "training_file": "f"}, ValueError, "model"),
        ({"model": 3, "training_file": "f"}, TypeError, "model"),
        ({"model": "m", "training_file": " "}, ValueError, "training_file"),
        ({"model": "m", "training_file": "f", "suffix": "x" * 65}, ValueError, "suffix"),
        ({"model": "m", "training_file": "f", "suffix": ""}, ValueError, "suffix"),
        ({"model": "m", "training_file": "f", "seed": -1}, ValueError, "seed"),
        ({"model": "m", "training_file": "f", "seed": True}, TypeError, "seed"),
        (
            {"model": "m", "training_file": "f", "metadata": {f"k{i}": "v" for i in range(17)}},
            ValueError,
            "metadata",
        ),
        ({"model": "m", "training_file": "f", "metadata": {"k" * 65: "v"}}, ValueError, "metadata"),
        (
            {"model": "m", "training_file": "f", "metadata": {"k": "v" * 513}},
            ValueError,
            "metadata",
        ),
        ({"model": "m", "training_file": "f", "metadata": {"k": 1}}, TypeError, "metadata"),
        (
            {"model": "m", "training_file": "f", "method": {"type": "magic"}},
            ValueError,
            "method.type",
        ),
        ({"model": "m", "training_file": "f", "method": "supervised"}, TypeError, "method"),
        (
            {"model": "m", "training_file": "f", "integrations": [{}] * 6},
            ValueError,
            "integrations",
        ),
        ({"model": "m", "training_file": "f", "integrations": [42]}, TypeError, "integrations"),
    ],
)
async def test_create_validates_before_any_request(
    mocked: aioresponses,
    client: ftjobs.AsyncClient,
    kwargs: dict[str, Any],
    exc: type[Exception],
    names: str,
) -> None:
    with pytest.raises(exc, match=re.escape(names)):
        await client.jobs.create(**kwargs)
    assert not mocked.requests


@pytest.mark.parametrize("bad_limit", [0, 101, -5])
async def test_limit_out_of_range(
    mocked: aioresponses, client: ftjobs.AsyncClient, bad_limit: int
) -> None:
    with pytest.raises(ValueError, match="limit"):
        client.jobs.list(limit=bad_limit)
    with pytest.raises(ValueError, match="limit"):
        client.jobs.list_events("ftjob-1", limit=bad_limit)
    with pytest.raises(ValueError, match="limit"):
        client.jobs.list_checkpoints("ftjob-1", limit=bad_limit)
    assert not mocked.requests


@pytest.mark.parametrize("bad_id", ["", "   "])
async def test_empty_job_id(mocked: aioresponses, client: ftjobs.AsyncClient, bad_id: str) -> None:
    for call in (client.jobs.retrieve, client.jobs.cancel, client.jobs.pause, client.jobs.resume):
        with pytest.raises(ValueError, match="job_id"):
            await call(bad_id)
    with pytest.raises(ValueError, match="job_id"):
        client.jobs.list_events(bad_id)
    assert not mocked.requests


async def test_retrieve_with_headers_takes_the_common_path(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    # Once a side door that dropped extra_headers and extra_query.
    mocked.get(
        f"{JOBS}/ftjob-1?tenant=t",
        payload=job_payload("ftjob-1"),
        headers={"openai-poll-after-ms": "1500"},
    )
    job, headers = await client.jobs.retrieve_with_headers(
        "ftjob-1", extra_headers={"X-Trace": "abc"}, extra_query={"tenant": "t"}
    )
    assert job.id == "ftjob-1"
    assert headers["openai-poll-after-ms"] == "1500"
    ((_, kwargs),) = sent(mocked, "GET")
    assert kwargs["headers"]["X-Trace"] == "abc"
    assert dict(kwargs["params"]) == {"tenant": "t"}


async def test_find_filters_pages_and_stops_at_created_after(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    listing = re.compile(re.escape(JOBS) + r"\?.*")
    mocked.get(
        listing,
        payload={
            "object": "list",
            "data": [
                job_payload("j5", created_at=500, status="running", model="m1"),
                job_payload("j4", created_at=400, status="succeeded", model="m1"),
                job_payload(
                    "j3",
                    created_at=300,
                    status="running",
                    model="m2",
                    fine_tuned_model="ft:m2:org:bot:abc",
                ),
            ],
            "has_more": True,
        },
    )
    mocked.get(
        listing,
        payload={
            "object": "list",
            "data": [
                job_payload("j2", created_at=200, status="running", model="m1"),
                job_payload("j1", created_at=100, status="running", model="m1"),
            ],
            "has_more": True,
        },
    )
    found = client.jobs.find(status="running", created_after=150, metadata={"team": "a"})
    assert [job.id async for job in found] == ["j5", "j3", "j2"]
    calls = sent(mocked, "GET")
    assert len(calls) == 2  # j1 is older than created_after: no third page is asked for
    assert dict(calls[0][0].query) == {"limit": "100", "metadata[team]": "a"}
    assert calls[1][0].query["after"] == "j3"


async def test_find_by_model_suffix_and_window(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    page = {
        "object": "list",
        "data": [
            job_payload("j3", created_at=300, model="m1"),
            job_payload("j2", created_at=200, model="m2", fine_tuned_model="ft:m2:org:bot:x"),
            job_payload("j1", created_at=100, model="m1", user_provided_suffix="bot"),
        ],
        "has_more": False,
    }
    listing = re.compile(re.escape(JOBS) + r"\?.*")
    mocked.get(listing, payload=page, repeat=True)
    by_suffix = [j.id async for j in client.jobs.find(suffix="bot")]
    by_model = [j.id async for j in client.jobs.find(model="ft:m2:org:bot:x")]
    window = client.jobs.find(
        status=[ftjobs.JobStatus.QUEUED, "running"],
        created_after=datetime.fromtimestamp(100, UTC),
        created_before=300,
    )
    assert by_suffix == ["j2", "j1"]
    assert by_model == ["j2"]
    assert [j.id async for j in window] == ["j2", "j1"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"status": 3}, TypeError, "status"),
        ({"status": []}, ValueError, "status"),
        ({"created_after": "yesterday"}, TypeError, "created_after"),
        ({"created_before": datetime(2024, 1, 1)}, ValueError, "created_before"),
        ({"metadata": {"k": 1}}, TypeError, "metadata"),
        ({"suffix": "x" * 65}, ValueError, "suffix"),
    ],
)
def test_find_checks_its_filters_at_the_call(
    mocked: aioresponses,
    client: ftjobs.AsyncClient,
    kwargs: dict[str, Any],
    error: type,
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        client.jobs.find(**kwargs)
    assert not mocked.requests


async def test_metrics_from_a_gateways_plain_result_file(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    # Some gateways serve the result file decoded, with the API's accuracy spelling.
    done = job_payload("ftjob-1", status="succeeded", result_files=["file-res"])
    mocked.get(f"{JOBS}/ftjob-1", payload=done)
    plain = b"step,train_loss,train_mean_token_accuracy\n1,1.5,0.4\n2,1.1,0.5\n"
    mocked.get(f"{BASE_URL}/files/file-res/content", body=plain)
    rows = await client.jobs.metrics("ftjob-1")
    assert [(r.step, r.train_loss, r.train_mean_token_accuracy) for r in rows] == [
        (1, 1.5, 0.4),
        (2, 1.1, 0.5),
    ]
    urls = [str(url) for url, _ in sent(mocked, "GET")]
    assert not any("/events" in url for url in urls)  # the file, not the events


async def test_metrics_of_a_running_job_read_every_page_of_events(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.get(f"{JOBS}/ftjob-1", payload=job_payload("ftjob-1", status="running"))
    first = [
        event_payload("ev-3", created_at=3, data={"step": 3, "train_loss": 0.7}),
        event_payload("ev-2", created_at=2, type="message", data=None),
    ]
    second = [event_payload("ev-1", created_at=1, data={"step": 1, "train_loss": 0.9})]
    events = re.compile(re.escape(JOBS) + r"/ftjob-1/events.*")
    mocked.get(events, payload={"object": "list", "data": first, "has_more": True})
    mocked.get(events, payload={"object": "list", "data": second, "has_more": False})
    rows = await client.jobs.metrics("ftjob-1")
    assert [(r.step, r.train_loss) for r in rows] == [(1, 0.9), (3, 0.7)]


async def test_best_checkpoint_checks_the_metric_before_any_request(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    with pytest.raises(ValueError, match="metric must be one of"):
        await client.jobs.best_checkpoint("ftjob-1", "loss")
    assert not mocked.requests


_MIN = {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-abc"}
_GRADER = {
    "type": "string_check",
    "name": "g",
    "input": "{{a}}",
    "reference": "b",
    "operation": "eq",
}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c: c.jobs.cancel("ftjob-1", idempotency_key=""), ValueError, "idempotency_key"),
        (lambda c: c.jobs.create(**_MIN, idempotency_key=7), TypeError, "idempotency_key"),
        (lambda c: c.jobs.create(**_MIN, extra_body=[("a", 1)]), TypeError, "extra_body"),
        (lambda c: c.uploads.complete("u_1", part_ids=[], extra_body="x"), TypeError, "extra_body"),
        (lambda c: c.graders.validate(grader=_GRADER, extra_body=1), TypeError, "extra_body"),
    ],
)
async def test_every_call_checks_its_idempotency_key_and_extra_body_before_sending(
    mocked: aioresponses, client: ftjobs.AsyncClient, call: Any, error: type, message: str
) -> None:
    with pytest.raises(error, match=f"^{message} must"):
        await call(client)
    assert not mocked.requests
