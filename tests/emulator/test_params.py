"""Create-body and list-parameter validation (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._params import (
    parse_job_request,
    parse_limit,
    parse_metadata_filter,
    parse_order,
)

BASE = {"model": "gpt-4o-mini", "training_file": "file-1"}


def rejected(body: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_job_request(body)
    assert info.value.status == 400 and info.value.type == "invalid_request_error"
    return info.value


def test_minimal_body_is_normalized() -> None:
    request = parse_job_request(dict(BASE))
    assert request.method_type == "supervised"
    assert request.method == {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
                "n_epochs": "auto",
            }
        },
    }
    assert request.metadata is None and request.seed is None


def test_legacy_hyperparameters_become_supervised_method() -> None:
    request = parse_job_request({**BASE, "hyperparameters": {"n_epochs": 2}})
    assert request.hyperparameters["n_epochs"] == 2


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"training_file": "file-1"}, "model"),
        ({"model": "m"}, "training_file"),
        ({**BASE, "model": ""}, "model"),
        ({**BASE, "suffix": "x" * 65}, "suffix"),
        ({**BASE, "suffix": ""}, "suffix"),
        ({**BASE, "suffix": 5}, "suffix"),
        ({**BASE, "seed": -1}, "seed"),
        ({**BASE, "seed": 2_147_483_648}, "seed"),
        ({**BASE, "seed": True}, "seed"),
        ({**BASE, "seed": 1.5}, "seed"),
        ({**BASE, "metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({**BASE, "metadata": {"k" * 65: "v"}}, "metadata"),
        ({**BASE, "metadata": {"k": "v" * 513}}, "metadata.k"),
        ({**BASE, "metadata": {"k": 1}}, "metadata.k"),
        ({**BASE, "metadata": []}, "metadata"),
        ({**BASE, "method": {"type": "magic"}}, "method.type"),
        ({**BASE, "method": {}}, "method.type"),
        ({**BASE, "method": "supervised"}, "method"),
        ({**BASE, "method": {"type": "dpo", "supervised": {}}}, "method.supervised"),
        (
            {
                **BASE,
                "method": {
                    "type": "supervised",
                    "supervised": {"hyperparameters": {"n_epochs": 51}},
                },
            },
            "method.supervised.hyperparameters.n_epochs",
        ),
        (
            {
                **BASE,
                "method": {
                    "type": "supervised",
                    "supervised": {"hyperparameters": {"batch_size": 0}},
                },
            },
            "method.supervised.hyperparameters.batch_size",
        ),
        (
            {
                **BASE,
                "method": {
                    "type": "supervised",
                    "supervised": {"hyperparameters": {"learning_rate_multiplier": 0}},
                },
            },
            "method.supervised.hyperparameters.learning_rate_multiplier",
        ),
        (
            {**BASE, "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}},
            "method.dpo.hyperparameters.beta",
        ),
        (
            {
                **BASE,
                "method": {"type": "supervised", "supervised": {"hyperparameters": {"foo": 1}}},
            },
            "method.supervised.hyperparameters.foo",
        ),
        ({**BASE, "method": {"type": "reinforcement"}}, "method.reinforcement.grader"),
        ({**BASE, "hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
        (
            {**BASE, "hyperparameters": {"n_epochs": 2}, "method": {"type": "supervised"}},
            "hyperparameters",
        ),
        ({**BASE, "integrations": [{"type": "slack"}]}, "integrations[0].type"),
        (
            {**BASE, "integrations": [{"type": "wandb", "wandb": {}}]},
            "integrations[0].wandb.project",
        ),
        ({**BASE, "validation_file": 3}, "validation_file"),
        ({**BASE, "surprise": 1}, "surprise"),
        ([], "body"),
    ],
)
def test_invalid_bodies_name_the_param(body: Any, param: str) -> None:
    assert rejected(body).param == param


def test_reinforcement_with_grader() -> None:
    grader = {
        "type": "string_check",
        "name": "g",
        "input": "a",
        "reference": "b",
        "operation": "eq",
    }
    request = parse_job_request(
        {
            **BASE,
            "method": {
                "type": "reinforcement",
                "reinforcement": {"grader": grader, "hyperparameters": {"reasoning_effort": "low"}},
            },
        }
    )
    hyper = request.hyperparameters
    assert hyper["reasoning_effort"] == "low" and hyper["eval_interval"] == "auto"
    assert request.method["reinforcement"]["grader"] == grader


def test_limits_of_metadata_are_inclusive() -> None:
    body = {**BASE, "metadata": {f"{i:064d}": "v" * 512 for i in range(16)}, "suffix": "s" * 64}
    assert parse_job_request(body).metadata is not None


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "model",
                "training_file",
                "seed",
                "suffix",
                "metadata",
                "method",
                "hyperparameters",
                "integrations",
                "validation_file",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    )
)
def test_any_body_is_accepted_or_rejected_with_a_400(body: dict[str, Any]) -> None:
    try:
        parse_job_request(body)
    except ApiError as exc:
        assert exc.status == 400 and exc.param


def test_parse_limit() -> None:
    assert parse_limit(None, default=20, maximum=100) == 20
    assert parse_limit("100", default=20, maximum=100) == 100
    for raw in ("0", "101", "-3", "abc", ""):
        with pytest.raises(ApiError) as info:
            parse_limit(raw, default=20, maximum=100)
        assert info.value.param == "limit"


def test_parse_order() -> None:
    assert parse_order(None) == "desc"
    assert parse_order("asc") == "asc"
    with pytest.raises(ApiError):
        parse_order("random")


def test_metadata_filter() -> None:
    flt = parse_metadata_filter(
        [("metadata[team]", "a"), ("metadata[env]", "prod"), ("limit", "5")]
    )
    assert flt.pairs == {"team": "a", "env": "prod"}
    assert flt.matches({"team": "a", "env": "prod", "x": "y"})
    assert not flt.matches({"team": "a"})
    assert not flt.matches(None)
    only_null = parse_metadata_filter([("metadata", "null")])
    assert only_null.matches(None) and not only_null.matches({"a": "b"})
    assert not parse_metadata_filter([]).active
    with pytest.raises(ApiError):
        parse_metadata_filter([("metadata", "yes")])
