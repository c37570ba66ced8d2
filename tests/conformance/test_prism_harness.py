"""The Prism harness's own decisions (tests/_support/prism.py), without a Prism: the spec it
serves means what the vendored one means, requests map onto the right operations, and what
Prism reports is turned into failures that name it."""

from __future__ import annotations

from typing import Any

import pytest

import ftjobs
from tests._support import prism
from tests._support.prism import (
    Exchange,
    Operation,
    Outcome,
    Violation,
    for_prism,
    operation_of,
    problems,
    spec_operations,
    uncovered,
)
from tests.spec import load_spec


def _bounds(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "exclusiveMinimum" in node or "exclusiveMaximum" in node:
            found.append(node)
        for value in node.values():
            found += _bounds(value)
    elif isinstance(node, list):
        for value in node:
            found += _bounds(value)
    return found


def test_for_prism_adds_only_the_plain_bound_beside_an_exclusive_one() -> None:
    raw = load_spec()
    served = for_prism(raw)
    bounded = _bounds(served)
    assert len(bounded) == 7  # the spec's numeric exclusive bounds (learning rates, beta...)
    for schema in bounded:
        assert schema["minimum"] == schema["exclusiveMinimum"]
        del schema["minimum"]  # what for_prism added
    # Nothing else changed, and the vendored spec itself is left alone.
    assert served == raw
    assert all("minimum" not in schema for schema in _bounds(raw))


def test_a_request_maps_onto_its_operation() -> None:
    spec = {
        "paths": {
            "/fine-tunes/{id}": {"get": {}, "delete": {}, "parameters": []},
            "/fine-tunes/estimate-price": {"post": {}},
            "/fine-tunes/{id}/cancel": {"post": {}},
        }
    }
    operations = spec_operations(spec)
    assert sorted(op.name for op in operations) == [
        "DELETE /fine-tunes/{id}",
        "GET /fine-tunes/{id}",
        "POST /fine-tunes/estimate-price",
        "POST /fine-tunes/{id}/cancel",
    ]
    assert operation_of(operations, "GET", "/fine-tunes/ft-1%2F2") == "GET /fine-tunes/{id}"
    assert operation_of(operations, "POST", "/fine-tunes/estimate-price") == (
        "POST /fine-tunes/estimate-price"
    )
    assert operation_of(operations, "POST", "/fine-tunes/ft-1/cancel/x") is None
    assert operation_of(operations, "PUT", "/fine-tunes/ft-1") is None


def _outcome(*violations: Violation, error: BaseException | None = None) -> Outcome:
    operation = Operation("jobs.list", lambda c: c.jobs.list(), ftjobs.types.Page)
    exchange = Exchange("GET", "/fine_tuning/jobs", "limit=2", 200, list(violations))
    value = ftjobs.types.Page(data=(), has_more=False) if error is None else None
    return Outcome(operation, (exchange,), value, error)


def test_every_kind_of_finding_is_named() -> None:
    flagged_request = Violation("request", "query.limit", "Warning", "limit is odd")
    flagged_answer = Violation("response", "body.data.0.id", "Error", "must be string")
    found = problems([_outcome(flagged_request, flagged_answer)], answers=True)
    assert found == [
        "jobs.list: GET /fine_tuning/jobs?limit=2 -> 200: Prism flagged the request: "
        "[request query.limit] Warning: limit is odd",
        "jobs.list: GET /fine_tuning/jobs?limit=2 -> 200: Prism's own answer breaks the spec "
        "(its generator's fault, not ftjobs'): [response body.data.0.id] Error: must be string",
    ]
    # A flagged answer is not the request check's business.
    assert len(problems([_outcome(flagged_answer)])) == 0
    refusal = ftjobs.UnprocessableEntityError(
        "invalid",
        status_code=422,
        body={"validation": [{"location": ["body", "model"], "severity": "Error", "message": "x"}]},
    )
    assert problems([_outcome(error=refusal)]) == [
        "jobs.list: Prism refused the request (422): [request body.model] Error: x"
    ]
    assert problems(
        [_outcome(error=ftjobs.PaginationError("cursor came back", endpoint="/x", cursor="c"))]
    ) == ["jobs.list: raised PaginationError: cursor came back"]


def test_an_operation_no_request_reached_is_named() -> None:
    operations = spec_operations(load_spec())
    assert len(operations) == 22
    missing = uncovered(operations, [_outcome()])
    assert "GET /fine_tuning/jobs" not in missing
    assert len(missing) == 21


def test_why_prism_cannot_run_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prism, "_node_version", lambda: None)
    assert "node is not on PATH" in (prism.unavailable() or "")
    monkeypatch.setattr(prism, "_node_version", lambda: (18, 19, 1))
    assert prism.unavailable() == "node 18.19.1 is older than the 20.19 Prism's dependencies need"
    monkeypatch.setattr(prism, "_node_version", lambda: (20, 19, 0))
    monkeypatch.setattr(prism, "_PACKAGE", prism.PRISM_DIR / "no-such-install")
    assert prism.unavailable() == f"Prism is not installed ({prism.INSTALL_HINT})"
