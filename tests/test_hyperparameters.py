"""Every hyperparameter rule is checked before any request, naming the field: a wrong type is
a ``TypeError``, a value out of the API's range a ``ValueError``; ``"auto"`` and the bounds
themselves pass."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs._hyperparameters import check_hyperparameters, check_method_hyperparameters
from tests._support.payloads import BASE_URL, job_payload

# (method, field, values that pass, values refused with ValueError, with TypeError)
CASES: list[tuple[str, str, list[Any], list[Any], list[Any]]] = [
    ("supervised", "n_epochs", [1, 50, "auto"], [0, 51, -1, "three", "AUTO"], [3.5, True, [3]]),
    ("supervised", "batch_size", [1, 256, "auto"], [0, 257, "big"], [8.0, False]),
    (
        "supervised",
        "learning_rate_multiplier",
        [0.01, 1, 50.0, "auto"],
        [0, -0.5, float("inf"), float("nan"), "fast"],
        [True, b"0.1"],
    ),
    ("dpo", "beta", [0.1, 2, 2.0, "auto"], [0, -1, 2.01, "x"], [True, object()]),
    (
        "reinforcement",
        "reasoning_effort",
        ["default", "low", "medium", "high"],
        ["extreme", "auto"],
        [1, object()],
    ),
    (
        "reinforcement",
        "compute_multiplier",
        [0.5, 10, "auto"],
        [0, 0.00001, 10.5, "lots"],
        [False, {}],
    ),
    ("reinforcement", "eval_interval", [1, 1000, "auto"], [0, -3, "often"], [1.5, True]),
    ("reinforcement", "eval_samples", [1, 64, "auto"], [0, "many"], [2.0, True]),
]

IDS = [f"{method}.{field}" for method, field, *_ in CASES]


@pytest.mark.parametrize(("method", "field", "good", "bad_values", "bad_types"), CASES, ids=IDS)
def test_each_rule(
    method: str, field: str, good: list[Any], bad_values: list[Any], bad_types: list[Any]
) -> None:
    name = f"method.{method}.hyperparameters"
    where = f"{name}.{field}"
    for value in good:
        check_method_hyperparameters({"type": method, method: {"hyperparameters": {field: value}}})
    for value in bad_values:
        with pytest.raises(ValueError, match=rf"^{where} must be"):
            check_hyperparameters(name, {field: value}, method)
    for value in bad_types:
        with pytest.raises(TypeError, match=rf"^{where} must be"):
            check_hyperparameters(name, {field: value}, method)


def test_none_is_not_sent_and_unknown_fields_pass() -> None:
    check_hyperparameters("h", {"n_epochs": None, "future_knob": "anything"})
    check_hyperparameters("h", None)
    with pytest.raises(TypeError, match=r"^h must be a mapping"):
        check_hyperparameters("h", [("n_epochs", 3)])


def test_beta_is_a_dpo_rule_only() -> None:
    check_hyperparameters("h", {"beta": 99}, "supervised")  # not a supervised field: not ours


async def test_create_refuses_before_any_request(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    refused: list[tuple[Any, type[Exception], str]] = [
        (
            ftjobs.FineTuneMethod.supervised_method(
                ftjobs.SupervisedHyperparameters(n_epochs="three")  # type: ignore[arg-type]
            ),
            ValueError,
            "method.supervised.hyperparameters.n_epochs",
        ),
        (
            ftjobs.FineTuneMethod.supervised_method(ftjobs.SupervisedHyperparameters(n_epochs=0)),
            ValueError,
            "method.supervised.hyperparameters.n_epochs",
        ),
        (
            {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3.5}}},
            TypeError,
            "method.supervised.hyperparameters.n_epochs",
        ),
        (
            ftjobs.FineTuneMethod.dpo_method(ftjobs.DpoHyperparameters(beta=3)),
            ValueError,
            "method.dpo.hyperparameters.beta",
        ),
    ]
    for method, error, field in refused:
        with pytest.raises(error, match=field):
            await client.jobs.create(model="gpt-4o-mini", training_file="file-1", method=method)
    with pytest.raises(ValueError, match=r"^hyperparameters\.batch_size must be"):
        await client.jobs.create(
            model="gpt-4o-mini", training_file="file-1", hyperparameters={"batch_size": 0}
        )
    assert not mocked.requests  # nothing was sent

    mocked.post(f"{BASE_URL}/fine_tuning/jobs", payload=job_payload())
    method = ftjobs.FineTuneMethod.supervised_method(
        ftjobs.SupervisedHyperparameters(n_epochs=50, batch_size="auto")
    )
    await client.jobs.create(model="gpt-4o-mini", training_file="file-1", method=method)
