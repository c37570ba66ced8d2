"""One checker: every file of the corpus that check_training_file refuses fails an emulated job
(over HTTP) with the checker's own message and the service's error code."""

from __future__ import annotations

from typing import Any

from ftjobs.emulator import ManualClock
from ftjobs.training_data import check_training_file
from tests._support.emulator import Api
from tests.training_files import CORPUS, ERRORS, GOOD


def _method(case: dict[str, Any]) -> dict[str, Any]:
    method: dict[str, Any] = {"type": case["method"]}
    if "grader" in case:
        method["reinforcement"] = {"grader": case["grader"]}
    return {"method": method}


async def _run(api: Api, emulator_clock: ManualClock, case: dict[str, Any]) -> dict[str, Any]:
    training = await api.upload((CORPUS / case["file"]).read_bytes())
    job = await api.create_job(training["id"], **_method(case))
    emulator_clock.advance(5)
    _, job = await api.call("GET", f"/fine_tuning/jobs/{job['id']}")
    return dict(job)


async def test_refused_files_fail_the_job_with_the_checkers_message(
    api: Api, emulator_clock: ManualClock
) -> None:
    assert len(ERRORS) > 30
    for case in ERRORS:
        report = check_training_file(
            CORPUS / case["file"], method=case["method"], grader=case.get("grader")
        )
        job = await _run(api, emulator_clock, case)
        assert job["status"] == "failed", case
        assert job["error"] == {
            "code": report.failure_code(),
            "message": report.failure_message(),
            "param": "training_file",
        }, case


async def test_accepted_files_pass_validation(api: Api, emulator_clock: ManualClock) -> None:
    for case in GOOD:
        job = await _run(api, emulator_clock, case)
        assert job["status"] != "failed", (case, job["error"])
