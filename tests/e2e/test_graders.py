"""Graders through the SDK against the emulator, over real loopback sockets."""

from __future__ import annotations

import pytest

import ftjobs
from ftjobs.graders import (
    MultiGrader,
    ScoreModelGrader,
    StringCheckGrader,
    TextSimilarityGrader,
    item_field,
)
from tests._support.emulator import chat_file


async def test_validate_and_run_typed_graders(live_client: ftjobs.AsyncClient) -> None:
    exact = StringCheckGrader.exact("exact", item_field("answer"))
    assert (await live_client.graders.validate(grader=exact)).grader == exact
    hit = await live_client.graders.run(grader=exact, model_sample="4", item={"answer": "4"})
    miss = await live_client.graders.run(grader=exact, model_sample="5", item={"answer": "4"})
    assert (hit.reward, miss.reward) == (1.0, 0.0)
    similar = TextSimilarityGrader.against("sim", "the cat sat on the mat", "rouge_1")
    scored = await live_client.graders.run(grader=similar, model_sample="the cat sat")
    assert scored.reward == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    judge = ScoreModelGrader.prompt("judge", "gpt-4o", "Rate: {{sample.output_text}}")
    both = MultiGrader(name="both", graders=judge, calculate_output="judge")
    first = await live_client.graders.run(grader=both, model_sample="hello")
    again = await live_client.graders.run(grader=both, model_sample="hello")
    assert first.reward == again.reward and 0 <= first.reward <= 1
    assert first.metadata.scores["judge"] == first.reward


async def test_a_bad_grader_is_refused_naming_the_field(live_client: ftjobs.AsyncClient) -> None:
    with pytest.raises(ftjobs.BadRequestError) as info:
        await live_client.graders.validate(grader={**_exact_json(), "operation": "regex"})
    assert info.value.param == "grader.operation"


async def test_a_reinforcement_job_takes_a_typed_grader(live_client: ftjobs.AsyncClient) -> None:
    file = await live_client.files.upload(chat_file(20), filename="train.jsonl")
    grader = StringCheckGrader.exact("exact", item_field("answer"))
    job = await live_client.jobs.create(
        model="o4-mini-2025-04-16",
        training_file=file.id,
        method=ftjobs.FineTuneMethod.reinforcement_method(grader),
    )
    assert job.method is not None and job.method.reinforcement is not None
    assert job.method.reinforcement.grader == grader


def _exact_json() -> dict[str, str]:
    return {
        "type": "string_check",
        "name": "exact",
        "input": "{{sample.output_text}}",
        "reference": "x",
        "operation": "eq",
    }
