"""The emulator's graders: their shapes are the spec's, and string_check / text_similarity
really score (pure: no server)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftjobs._converter import unstructure
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._graders import (
    AUDIO_FORMATS,
    CONTENT_PARTS,
    GRADER_SHAPES,
    MESSAGE_ROLES,
    REASONING_EFFORTS,
    SAMPLING_PARAMS,
    check_grader,
    run_grader,
)
from ftjobs.graders import (
    MultiGrader,
    PythonGrader,
    ScoreModelGrader,
    StringCheckGrader,
    TextSimilarityGrader,
    item_field,
)
from tests._support.schemas import valid
from tests.spec import load_spec

SCHEMAS = load_spec()["components"]["schemas"]
SCHEMA_OF = {
    "string_check": "GraderStringCheck",
    "text_similarity": "GraderTextSimilarity",
    "python": "GraderPython",
    "score_model": "GraderScoreModel",
    "label_model": "GraderLabelModel",
    "multi": "GraderMulti",
}


@pytest.mark.parametrize("kind", sorted(GRADER_SHAPES))
def test_each_shape_is_the_spec_s(kind: str) -> None:
    schema = SCHEMAS[SCHEMA_OF[kind]]
    shape = GRADER_SHAPES[kind]
    assert shape.required == set(schema["required"])
    properties = schema["properties"]
    strings = {k for k, v in properties.items() if v.get("type") == "string" and k != "type"}
    assert shape.strings == strings
    arrays = {
        k: "object" if "$ref" in v["items"] else v["items"]["type"]
        for k, v in properties.items()
        if v.get("type") == "array"
    }
    assert dict(shape.arrays) == arrays
    enums = {k: tuple(v["enum"]) for k, v in properties.items() if "enum" in v and k != "type"}
    assert {k: tuple(v) for k, v in shape.enums.items()} == enums
    assert properties["type"]["enum"] == [kind]


def test_message_rules_are_the_spec_s() -> None:
    message = SCHEMAS["EvalItem"]
    assert set(message["required"]) == {"role", "content"}
    assert tuple(message["properties"]["role"]["enum"]) == MESSAGE_ROLES
    assert message["properties"]["type"]["enum"] == ["message"]


def test_content_parts_are_the_spec_s() -> None:
    parts = {}
    for ref in SCHEMAS["EvalItemContentItem"]["oneOf"]:
        schema = SCHEMAS[ref["$ref"].rsplit("/", 1)[-1]]
        if schema.get("type") == "string":
            continue  # a plain string part
        kind = schema["properties"]["type"]["enum"][0]
        required = set(schema["required"]) - {"type"}
        parts[kind] = {k: schema["properties"][k]["type"] for k in required}
    assert parts == {k: dict(v) for k, v in CONTENT_PARTS.items()}
    audio = SCHEMAS["InputAudio"]["properties"]["input_audio"]["properties"]["format"]["enum"]
    assert tuple(audio) == AUDIO_FORMATS


def test_sampling_params_are_the_spec_s() -> None:
    schema = SCHEMAS["GraderScoreModel"]["properties"]["sampling_params"]["properties"]
    types = {}
    for key, sub in schema.items():
        sub = SCHEMAS["ReasoningEffort"] if "$ref" in sub else sub
        (typed,) = [b for b in sub["anyOf"] if b.get("type") != "null"]
        types[key] = typed["type"]
        if "enum" in typed:
            assert tuple(typed["enum"]) == REASONING_EFFORTS
    assert types == dict(SAMPLING_PARAMS)


def _score(grader: Any, sample: str, item: dict[str, Any] | None = None) -> float:
    body = check_grader(unstructure(grader))
    reward: float = run_grader(body, sample, item or {})["reward"]
    return reward


def test_string_check_operations_and_templates() -> None:
    answer = item_field("answer")
    assert _score(StringCheckGrader.exact("g", answer), "Paris", {"answer": "Paris"}) == 1.0
    assert _score(StringCheckGrader.exact("g", answer), "paris", {"answer": "Paris"}) == 0.0
    assert _score(StringCheckGrader.contains("g", "Par"), "In Paris.") == 1.0
    assert _score(StringCheckGrader.contains("g", "PAR", ignore_case=True), "in paris") == 1.0
    ne = StringCheckGrader(name="g", input="{{sample.output_text}}", reference="x", operation="ne")
    assert _score(ne, "y") == 1.0
    from_json = StringCheckGrader(
        name="g", input="{{ sample.output_json.city }}", reference="{{item.city}}", operation="eq"
    )
    assert _score(from_json, '{"city": "Oslo"}', {"city": "Oslo"}) == 1.0


def test_an_unknown_variable_is_an_error_flag_and_no_reward() -> None:
    result = run_grader(unstructure(StringCheckGrader.exact("g", "{{item.nope}}")), "", {})
    assert result["reward"] == 0.0
    assert result["metadata"]["errors"]["invalid_variable_error"] is True


@pytest.mark.parametrize(
    ("metric", "sample", "reference", "expected"),
    [
        ("fuzzy_match", "kitten", "sitting", 8 / 13),
        ("cosine", "a b b", "a b b", 1.0),
        ("cosine", "a", "b", 0.0),
        ("rouge_1", "the cat sat", "the cat ran", 2 / 3),
        ("rouge_2", "the cat sat", "the cat ran", 1 / 2),
        ("rouge_l", "a b c d", "a c d", 2 * (3 / 4) * 1 / (3 / 4 + 1)),
        ("gleu", "the cat", "the cat", 1.0),
        ("meteor", "the cat", "the cat", 1.0),
        ("bleu", "the cat sat on the mat", "the cat sat on the mat", 1.0),
    ],
)
def test_text_similarity_metrics(metric: str, sample: str, reference: str, expected: float) -> None:
    grader = TextSimilarityGrader.against("sim", reference, metric)
    assert _score(grader, sample) == pytest.approx(expected)


def test_bleu_orders_candidates_by_closeness() -> None:
    grader = TextSimilarityGrader.against("sim", "the cat sat on the mat", "bleu")
    close, far = _score(grader, "the cat sat on a mat"), _score(grader, "a dog ran")
    assert 0 < far < close < 1


def test_model_and_python_graders_score_deterministically_in_range() -> None:
    judge = ScoreModelGrader.prompt("j", "gpt-4o", "rate {{sample.output_text}}", range=(1, 5))
    first, again = _score(judge, "hello"), _score(judge, "hello")
    assert first == again and 1 <= first <= 5
    assert _score(judge, "hello") != _score(judge, "goodbye")
    python = PythonGrader(name="p", source="def grade(sample, item): return 1")
    assert 0 <= _score(python, "x") <= 1


def test_multi_evaluates_its_formula_over_sub_scores() -> None:
    exact = StringCheckGrader.exact("exact", "yes")
    multi = MultiGrader(name="m", graders=exact, calculate_output="0.5 * exact + 0.25")
    assert _score(multi, "yes") == 0.75
    named = unstructure(MultiGrader(name="m", graders={}, calculate_output="max(a, b) - abs(-1)"))
    named["graders"] = {
        "a": unstructure(StringCheckGrader.exact("a", "yes")),
        "b": unstructure(StringCheckGrader.exact("b", "no")),
    }
    result = run_grader(check_grader(named), "yes", {})
    assert result["reward"] == 0.0
    assert result["metadata"]["scores"] == {"a": 1.0, "b": 0.0, "m": 0.0}
    broken = MultiGrader(name="m", graders=exact, calculate_output="__import__('os')")
    errors = run_grader(unstructure(broken), "yes", {})["metadata"]["errors"]
    assert errors["formula_parse_error"] is True


@pytest.mark.parametrize(
    ("grader", "param"),
    [
        ("nope", "grader"),
        ({"type": "label_model"}, "grader.type"),
        ({"type": "string_check", "name": "g", "input": "i", "reference": "r"}, "grader.operation"),
        (
            {"type": "string_check", "name": "g", "input": 1, "reference": "r", "operation": "eq"},
            "grader.input",
        ),
        (
            {
                "type": "text_similarity",
                "name": "g",
                "input": "",
                "reference": "",
                "evaluation_metric": "x",
            },
            "grader.evaluation_metric",
        ),
        ({"type": "score_model", "name": "g", "model": "m", "input": {}}, "grader.input"),
        (
            {"type": "score_model", "name": "g", "model": "m", "input": [{"role": "x"}]},
            "grader.input[0].role",
        ),
        (
            {
                "type": "multi",
                "name": "m",
                "calculate_output": "a",
                "graders": {
                    "type": "label_model",
                    "name": "l",
                    "model": "m",
                    "input": [],
                    "labels": ["a"],
                    "passing_labels": [{}],
                },
            },
            "grader.graders.passing_labels",
        ),
        (
            {"type": "score_model", "name": "g", "model": "m", "input": [], "range": [1, 0]},
            "grader.range",
        ),
        (
            {"type": "multi", "name": "m", "calculate_output": "a", "graders": {"type": "multi"}},
            "grader.graders.type",
        ),
    ],
)
def test_a_bad_grader_is_a_400_naming_the_field(grader: Any, param: str) -> None:
    with pytest.raises(ApiError) as info:
        check_grader(grader)
    assert info.value.status == 400 and info.value.param == param


# -- every grader the spec's schemas allow is accepted (generated from the schemas) ------------

GENERATED = ["GraderStringCheck", "GraderTextSimilarity", "GraderPython", "GraderMulti"]


def _as_the_service_takes(value: Any) -> Any:
    """``value`` with what the generator cannot know from the schema made right: a score
    model's ``range`` is a [low, high] pair (the schema puts min_items/max_items inside
    ``items``, where they mean nothing) and an image part's URL a URI (the generator ignores
    ``format: uri``)."""
    if isinstance(value, list):
        return [_as_the_service_takes(v) for v in value]
    if not isinstance(value, dict):
        return value
    fixed = {k: _as_the_service_takes(v) for k, v in value.items()}
    if fixed.get("type") == "score_model" and "range" in fixed:
        fixed["range"] = [0, 1]
    if fixed.get("type") == "input_image":
        fixed["image_url"] = "https://example.com/cat.png"
    return fixed


@pytest.mark.parametrize("name", [*GENERATED, "GraderScoreModel", "GraderLabelModel"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_spec_valid_graders_are_accepted_and_run(name: str, data: st.DataObject) -> None:
    grader = _as_the_service_takes(data.draw(valid(name), label=name))
    inner = name == "GraderLabelModel"
    assert check_grader(grader, inner=inner) == grader
    if not inner:
        result = run_grader(grader, data.draw(st.text(max_size=20), label="sample"), {})
        assert isinstance(result["reward"], float)
        assert set(result["metadata"]["errors"]) >= {"formula_parse_error", "other_error"}


def _judge(**fields: Any) -> dict[str, Any]:
    return {"type": "score_model", "name": "j", "model": "m", "input": [], **fields}


def _said(content: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": content}]


@pytest.mark.parametrize(
    ("grader", "param"),
    [
        (_judge(input=_said([{"type": "input_audio"}])), "grader.input[0].content[0].input_audio"),
        (
            _judge(
                input=_said({"type": "input_audio", "input_audio": {"data": "", "format": "ogg"}})
            ),
            "grader.input[0].content.input_audio",
        ),
        (
            _judge(input=_said({"type": "input_image", "image_url": ""})),
            "grader.input[0].content.image_url",
        ),
        (
            _judge(
                input=_said([{"type": "input_text", "text": "", "prompt_cache_breakpoint": None}])
            ),
            "grader.input[0].content[0].prompt_cache_breakpoint",
        ),
        (_judge(input=_said([{"type": "video"}])), "grader.input[0].content[0]"),
        (_judge(sampling_params=None), "grader.sampling_params"),
        (_judge(sampling_params={"seed": 1.5}), "grader.sampling_params.seed"),
        (
            _judge(sampling_params={"reasoning_effort": "extreme"}),
            "grader.sampling_params.reasoning_effort",
        ),
        (
            _judge(sampling_params={"max_completions_tokens": 0}),
            "grader.sampling_params.max_completions_tokens",
        ),
    ],
)
def test_a_bad_message_or_sampling_option_names_the_field(grader: Any, param: str) -> None:
    with pytest.raises(ApiError) as info:
        check_grader(grader)
    assert info.value.param == param


def test_good_messages_and_sampling_options_pass() -> None:
    content = [
        "plain text",
        {
            "type": "input_text",
            "text": "{{item.question}}",
            "prompt_cache_breakpoint": {"mode": "explicit"},
        },
        {"type": "output_text", "text": "{{sample.output_text}}"},
        {"type": "input_image", "image_url": "{{item.picture}}", "detail": "low"},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    options = {"seed": None, "top_p": 1, "temperature": 0.2, "reasoning_effort": "low"}
    grader = _judge(input=_said(content), sampling_params=options, range=[0, 10])
    assert check_grader(grader) is grader
