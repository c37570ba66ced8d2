"""Typed graders: what scores a sample in a reinforcement fine-tuning job.

The five graders a job (or ``client.graders``) takes are `StringCheckGrader`,
`TextSimilarityGrader`, `PythonGrader`, `ScoreModelGrader` and `MultiGrader` (which combines
one more, possibly a `LabelModelGrader`). Every place that takes a grader also takes the plain
JSON mapping, and a grader of a type this SDK does not know comes back from the server as its
mapping.

Inputs and references are template strings: ``{{sample.output_text}}`` is the model's answer
([SAMPLE_OUTPUT_TEXT][ftjobs.graders.SAMPLE_OUTPUT_TEXT]), ``{{item.answer}}`` a field of the
dataset item ([item_field][ftjobs.graders.item_field]).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import attrs

from ._types import NO_EXTRA

__all__ = [
    "SAMPLE_OUTPUT_JSON",
    "SAMPLE_OUTPUT_TEXT",
    "STRING_CHECK_OPERATIONS",
    "TEXT_SIMILARITY_METRICS",
    "Grader",
    "GraderRunMetadata",
    "GraderRunResult",
    "GraderValidation",
    "LabelModelGrader",
    "MultiGrader",
    "PythonGrader",
    "ScoreModelGrader",
    "StringCheckGrader",
    "SubGrader",
    "TextSimilarityGrader",
    "item_field",
]

SAMPLE_OUTPUT_TEXT = "{{sample.output_text}}"
"""Template of the model sample's text, the usual ``input`` of a grader."""

SAMPLE_OUTPUT_JSON = "{{sample.output_json}}"
"""Template of the model sample parsed as JSON (when it is valid JSON)."""

STRING_CHECK_OPERATIONS = ("eq", "ne", "like", "ilike")
"""The operations of a string check: equal, not equal, contains, contains ignoring case."""

TEXT_SIMILARITY_METRICS = (
    "cosine",
    "fuzzy_match",
    "bleu",
    "gleu",
    "meteor",
    "rouge_1",
    "rouge_2",
    "rouge_3",
    "rouge_4",
    "rouge_5",
    "rouge_l",
)
"""The evaluation metrics of a text similarity grader."""


def item_field(path: str) -> str:
    """The template of a field of the dataset item: ``item_field("answer")`` is
    ``"{{item.answer}}"``."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError("item_field: path must be a non-empty string such as 'answer'")
    return "{{item." + path + "}}"


def _user_message(prompt: str) -> tuple[Mapping[str, Any], ...]:
    return ({"role": "user", "content": prompt, "type": "message"},)


@attrs.frozen
class StringCheckGrader:
    """Compares ``input`` with ``reference`` (both templates): 1 when the check holds, else 0.

    ``operation`` is ``eq``, ``ne``, ``like`` (contains) or ``ilike`` (contains, any case).
    """

    name: str
    input: str
    reference: str
    operation: str
    type: Literal["string_check"] = "string_check"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)

    @classmethod
    def exact(cls, name: str, reference: str) -> StringCheckGrader:
        """The sample's text must equal ``reference`` (say ``item_field("answer")``)."""
        return cls(name=name, input=SAMPLE_OUTPUT_TEXT, reference=reference, operation="eq")

    @classmethod
    def contains(cls, name: str, reference: str, *, ignore_case: bool = False) -> StringCheckGrader:
        """The sample's text must contain ``reference``."""
        operation = "ilike" if ignore_case else "like"
        return cls(name=name, input=SAMPLE_OUTPUT_TEXT, reference=reference, operation=operation)


@attrs.frozen
class TextSimilarityGrader:
    """Scores how close ``input`` is to ``reference`` with ``evaluation_metric`` (0..1).

    The metric is one of [TEXT_SIMILARITY_METRICS][ftjobs.graders.TEXT_SIMILARITY_METRICS].
    """

    name: str
    input: str
    reference: str
    evaluation_metric: str
    type: Literal["text_similarity"] = "text_similarity"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)

    @classmethod
    def against(
        cls, name: str, reference: str, metric: str = "fuzzy_match"
    ) -> TextSimilarityGrader:
        """The sample's text scored against ``reference`` with ``metric``."""
        return cls(
            name=name, input=SAMPLE_OUTPUT_TEXT, reference=reference, evaluation_metric=metric
        )


@attrs.frozen
class PythonGrader:
    """Runs ``source``, which defines ``grade(sample, item) -> float``, in a sandbox image."""

    name: str
    source: str
    image_tag: str | None = None
    type: Literal["python"] = "python"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class ScoreModelGrader:
    """Asks ``model`` for a score within ``range`` (default ``[0, 1]``).

    ``input`` is the list of messages (``{"role", "content"}``) sent to the grading model; use
    [prompt][ftjobs.graders.ScoreModelGrader.prompt] for the common one-message case.
    """

    name: str
    model: str
    input: tuple[Mapping[str, Any], ...]
    sampling_params: Mapping[str, Any] | None = None
    range: tuple[float, ...] | None = None
    type: Literal["score_model"] = "score_model"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)

    @classmethod
    def prompt(
        cls,
        name: str,
        model: str,
        prompt: str,
        *,
        range: tuple[float, float] | None = None,
    ) -> ScoreModelGrader:
        """A grader that sends ``prompt`` (a template) as one user message to ``model``."""
        return cls(name=name, model=model, input=_user_message(prompt), range=range)


@attrs.frozen
class LabelModelGrader:
    """Asks ``model`` to pick one of ``labels``; passes when it is in ``passing_labels``.

    Only inside a [MultiGrader][ftjobs.graders.MultiGrader].
    """

    name: str
    model: str
    input: tuple[Mapping[str, Any], ...]
    labels: tuple[str, ...]
    passing_labels: tuple[str, ...]
    type: Literal["label_model"] = "label_model"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


SubGrader: TypeAlias = (
    StringCheckGrader | TextSimilarityGrader | PythonGrader | ScoreModelGrader | LabelModelGrader
)
"""A grader a [MultiGrader][ftjobs.graders.MultiGrader] combines."""


@attrs.frozen
class MultiGrader:
    """Combines the scores of ``graders`` with the formula ``calculate_output``.

    The spec describes ``graders`` as one grader; a mapping (of grader names to graders, say)
    is sent as it is.
    """

    name: str
    graders: SubGrader | Mapping[str, Any]
    calculate_output: str
    type: Literal["multi"] = "multi"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


Grader: TypeAlias = (
    StringCheckGrader | TextSimilarityGrader | PythonGrader | ScoreModelGrader | MultiGrader
)
"""One of the five graders a reinforcement job or ``client.graders`` takes."""


@attrs.frozen
class GraderRunMetadata:
    """What a grader run reports beside its reward.

    Attributes:
        errors: Error flags by name (``formula_parse_error``, ``python_grader_runtime_error``
            ...); all false when the run went well.
        scores: The score of each sub-grader, by name.
        token_usage: Tokens a model grader used: an int in the spec's schema, an object of
            counts in its example; either is kept as sent.
    """

    name: str
    type: str
    execution_time: float
    errors: Mapping[str, Any] = attrs.field(factory=dict)
    scores: Mapping[str, Any] = attrs.field(factory=dict)
    token_usage: Any = None
    sampled_model_name: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)

    @property
    def failed(self) -> bool:
        """True when any error flag is set."""
        return any(value is True for value in self.errors.values())


@attrs.frozen
class GraderRunResult:
    """The answer of ``client.graders.run``: the reward the grader gave the sample."""

    reward: float
    metadata: GraderRunMetadata
    sub_rewards: Mapping[str, Any] = attrs.field(factory=dict)
    model_grader_token_usage_per_model: Mapping[str, Any] = attrs.field(factory=dict)
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class GraderValidation:
    """The answer of ``client.graders.validate``: the grader as the server understood it."""

    grader: Grader | Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
