"""``client.graders``: try a grader out before a reinforcement job depends on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .. import _validation as check
from .._converter import unstructure
from .._options import call_options
from .._types import NOT_GIVEN, NotGiven
from ..graders import Grader, GraderRunResult, GraderValidation
from ._base import Resource

__all__ = ["Graders", "grader_body"]

_GRADERS = "/fine_tuning/alpha/graders"


def grader_body(grader: object) -> dict[str, Any]:
    """The JSON of a typed grader or a mapping, checked to carry a ``type``."""
    if attrs.has(type(grader)) and isinstance(getattr(grader, "type", None), str):
        return dict(unstructure(grader))
    if isinstance(grader, Mapping):
        if not isinstance(grader.get("type"), str):
            raise ValueError("grader must have a 'type' such as 'string_check'")
        return dict(grader)
    raise TypeError(f"grader must be a grader model or a mapping, got {type(grader).__name__}")


class Graders(Resource):
    """Run and validate graders (``client.graders``)."""

    __slots__ = ()

    async def run(
        self,
        *,
        grader: Grader | Mapping[str, Any],
        model_sample: str,
        item: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> GraderRunResult:
        """Score ``model_sample`` with ``grader``.

        Args:
            grader: A typed grader (`StringCheckGrader.exact("g", "{{item.answer}}")`...) or
                its JSON mapping.
            model_sample: The model output to grade (``{{sample.output_text}}``; also
                ``{{sample.output_json}}`` when it is valid JSON).
            item: The dataset item (``{{item.*}}``).
        """
        options = call_options(extra_headers, extra_query, extra_body, timeout)
        if not isinstance(model_sample, str):
            raise TypeError(f"model_sample must be a str, got {type(model_sample).__name__}")
        body: dict[str, Any] = {"grader": grader_body(grader), "model_sample": model_sample}
        if check.plain_mapping("item", item) is not None:
            body["item"] = dict(item or {})
        return await self._decoded(
            GraderRunResult,
            self._send(
                "POST",
                f"{_GRADERS}/run",
                options,
                body=body,
            ),
        )

    async def validate(
        self,
        *,
        grader: Grader | Mapping[str, Any],
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> GraderValidation:
        """Have the server check ``grader``; a bad one raises `BadRequestError` naming the
        field."""
        options = call_options(extra_headers, extra_query, extra_body, timeout)
        return await self._decoded(
            GraderValidation,
            self._send(
                "POST",
                f"{_GRADERS}/validate",
                options,
                body={"grader": grader_body(grader)},
            ),
        )
