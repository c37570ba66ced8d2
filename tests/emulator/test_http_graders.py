"""The emulator's grader routes over HTTP (scoring itself: test_graders.py)."""

from __future__ import annotations

from tests._support.emulator import Api

GRADER = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}


async def test_validate_echoes_and_run_scores(api: Api) -> None:
    status, body = await api.call(
        "POST", "/fine_tuning/alpha/graders/validate", json={"grader": GRADER}
    )
    assert (status, body) == (200, {"grader": GRADER})
    status, body = await api.call(
        "POST",
        "/fine_tuning/alpha/graders/run",
        json={"grader": GRADER, "model_sample": "42", "item": {"answer": "42"}},
    )
    assert status == 200 and body["reward"] == 1.0
    assert body["metadata"]["name"] == "exact" and body["metadata"]["scores"] == {"exact": 1.0}


async def test_bad_requests_name_the_field(api: Api) -> None:
    run = "/fine_tuning/alpha/graders/run"
    cases = [
        ({}, "grader"),
        ({"grader": {**GRADER, "operation": "regex"}, "model_sample": "x"}, "grader.operation"),
        ({"grader": GRADER}, "model_sample"),
        ({"grader": GRADER, "model_sample": "x", "item": []}, "item"),
        ({"grader": GRADER, "model_sample": "x", "extra": 1}, "extra"),
    ]
    for body, param in cases:
        status, error = await api.call("POST", run, json=body)
        assert (status, error["error"]["param"]) == (400, param), body


async def test_a_reinforcement_job_s_grader_is_checked_the_same_way(api: Api) -> None:
    file = await api.upload()
    method = {"type": "reinforcement", "reinforcement": {"grader": {**GRADER, "name": 3}}}
    status, error = await api.call(
        "POST",
        "/fine_tuning/jobs",
        json={"model": "o4-mini", "training_file": file["id"], "method": method},
    )
    assert status == 400 and error["error"]["param"] == "method.reinforcement.grader.name"
