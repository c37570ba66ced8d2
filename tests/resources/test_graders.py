"""client.graders: run and validate, typed graders and mappings alike (aioresponses)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aioresponses import aioresponses

import ftjobs
from ftjobs.graders import (
    GraderRunResult,
    MultiGrader,
    ScoreModelGrader,
    StringCheckGrader,
    TextSimilarityGrader,
    item_field,
)
from tests._support.payloads import BASE_URL, job_payload, sent

GRADERS = f"{BASE_URL}/fine_tuning/alpha/graders"


def _run_payload(reward: float = 1.0) -> dict[str, Any]:
    return {
        "reward": reward,
        "metadata": {
            "name": "exact",
            "type": "string_check",
            "errors": {"formula_parse_error": False, "other_error": False},
            "execution_time": 0.01,
            "scores": {"exact": reward},
            "token_usage": None,
            "sampled_model_name": None,
        },
        "sub_rewards": {},
        "model_grader_token_usage_per_model": {},
    }


async def test_run_sends_the_typed_grader_as_json(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    mocked.post(f"{GRADERS}/run", payload=_run_payload())
    grader = StringCheckGrader.exact("exact", item_field("answer"))
    result = await client.graders.run(grader=grader, model_sample="Paris", item={"answer": "Paris"})
    assert isinstance(result, GraderRunResult)
    assert result.reward == 1.0 and not result.metadata.failed
    body = json.loads(sent(mocked, "POST")[0][1]["data"])
    assert body == {
        "grader": {
            "type": "string_check",
            "name": "exact",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "operation": "eq",
        },
        "model_sample": "Paris",
        "item": {"answer": "Paris"},
    }


async def test_validate_takes_a_mapping_and_types_the_answer(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    grader = {
        "type": "text_similarity",
        "name": "close",
        "input": "{{sample.output_text}}",
        "reference": "hello",
        "evaluation_metric": "bleu",
    }
    mocked.post(f"{GRADERS}/validate", payload={"grader": grader})
    validated = await client.graders.validate(grader=grader)
    assert validated.grader == TextSimilarityGrader.against("close", "hello", "bleu")
    assert json.loads(sent(mocked, "POST")[0][1]["data"]) == {"grader": grader}


async def test_a_reinforcement_job_takes_typed_graders_anywhere(
    mocked: aioresponses, client: ftjobs.AsyncClient
) -> None:
    judge = ScoreModelGrader.prompt("judge", "gpt-4o", "Score {{sample.output_text}}")
    multi = MultiGrader(name="both", graders=judge, calculate_output="judge")
    for _ in range(2):
        mocked.post(f"{BASE_URL}/fine_tuning/jobs", payload=job_payload())
    await client.jobs.create(
        model="o4-mini", training_file="f", method=ftjobs.FineTuneMethod.reinforcement_method(multi)
    )
    await client.jobs.create(
        model="o4-mini",
        training_file="f",
        method={"type": "reinforcement", "reinforcement": {"grader": multi}},
    )
    first, second = (json.loads(kw["data"])["method"] for _, kw in sent(mocked, "POST"))
    assert first == second
    assert first["reinforcement"]["grader"]["graders"]["type"] == "score_model"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"grader": "string_check", "model_sample": "x"}, TypeError, "grader"),
        ({"grader": {"name": "no type"}, "model_sample": "x"}, ValueError, "type"),
        (
            {"grader": StringCheckGrader.exact("g", "x"), "model_sample": 3},
            TypeError,
            "model_sample",
        ),
        (
            {"grader": StringCheckGrader.exact("g", "x"), "model_sample": "x", "item": [1]},
            TypeError,
            "item",
        ),
    ],
)
async def test_bad_input_fails_before_any_request(
    mocked: aioresponses,
    client: ftjobs.AsyncClient,
    kwargs: dict[str, Any],
    error: type,
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        await client.graders.run(**kwargs)
    assert not mocked.requests


def test_item_field_names_the_template() -> None:
    assert item_field("answer.text") == "{{item.answer.text}}"
    with pytest.raises(ValueError, match="path"):
        item_field("")
