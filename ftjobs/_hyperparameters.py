"""The ranges the API states for hyperparameters, checked on the body a create will send.

The models (`SupervisedHyperparameters`...) also hold what servers send back (Azure writes
``-1`` for "not set"), so they take any value; what is checked is the request, before it is
sent: a ``TypeError`` for a wrong type, a ``ValueError`` for a value out of range, each naming
the field by its path in the body (``method.supervised.hyperparameters.n_epochs``). ``None``
means "not sent" and passes; ``bool`` is not a number here, whatever Python says.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["RULES", "check_hyperparameters", "check_method_hyperparameters"]

_Rule = Callable[[str, object], None]


def _kind(value: object) -> str:
    return type(value).__name__


def _auto_or_int(low: int, high: int | None) -> _Rule:
    span = f"from {low} to {high}" if high is not None else f">= {low}"

    def check(name: str, value: object) -> None:
        if value == "auto" and isinstance(value, str):
            return
        if isinstance(value, str):
            raise ValueError(f"{name} must be an int {span} or 'auto', got {value!r}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int {span} or 'auto', got {_kind(value)}")
        if value < low or (high is not None and value > high):
            raise ValueError(f"{name} must be an int {span} or 'auto', got {value}")

    return check


def _auto_or_number(above: float, at_most: float | None) -> _Rule:
    span = f"> {above:g}" + (f" and <= {at_most:g}" if at_most is not None else "")

    def check(name: str, value: object) -> None:
        if value == "auto" and isinstance(value, str):
            return
        if isinstance(value, str):
            raise ValueError(f"{name} must be a number {span} or 'auto', got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number {span} or 'auto', got {_kind(value)}")
        if not (math.isfinite(value) and value > above) or (
            at_most is not None and value > at_most
        ):
            raise ValueError(f"{name} must be a number {span} or 'auto', got {value!r}")

    return check


def _one_of(*choices: str) -> _Rule:
    listed = ", ".join(repr(c) for c in choices)

    def check(name: str, value: object) -> None:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be one of {listed}, got {_kind(value)}")
        if value not in choices:
            raise ValueError(f"{name} must be one of {listed}, got {value!r}")

    return check


_COMMON: dict[str, _Rule] = {
    "n_epochs": _auto_or_int(1, 50),
    "batch_size": _auto_or_int(1, 256),
    "learning_rate_multiplier": _auto_or_number(0, None),
}

RULES: Mapping[str, Mapping[str, _Rule]] = {
    "supervised": _COMMON,
    "dpo": {**_COMMON, "beta": _auto_or_number(0, 2)},
    "reinforcement": {
        **_COMMON,
        "reasoning_effort": _one_of("default", "low", "medium", "high"),
        "compute_multiplier": _auto_or_number(0.00001, 10),
        "eval_interval": _auto_or_int(1, None),
        "eval_samples": _auto_or_int(1, None),
    },
}
"""Method type -> field -> its rule (the spec's ``Fine*Hyperparameters`` schemas)."""


def check_hyperparameters(name: str, body: object, method: str = "supervised") -> None:
    """Check a ``hyperparameters`` body (``None``: none sent) against ``method``'s rules;
    fields without a rule (a newer server's) pass as they are."""
    if body is None:
        return
    if not isinstance(body, Mapping):
        raise TypeError(f"{name} must be a mapping, got {_kind(body)}")
    rules = RULES.get(method, _COMMON)
    for field, value in body.items():
        rule = rules.get(field)
        if rule is not None and value is not None:
            rule(f"{name}.{field}", value)


def check_method_hyperparameters(method: Mapping[str, Any]) -> None:
    """Check the hyperparameters of a ``method`` body (``{"type": "dpo", "dpo": {...}}``)."""
    kind = method.get("type")
    inner = method.get(kind) if isinstance(kind, str) else None
    if isinstance(inner, Mapping):
        check_hyperparameters(
            f"method.{kind}.hyperparameters", inner.get("hyperparameters"), str(kind)
        )
