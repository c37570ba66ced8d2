"""What the two structuring paths share: the JSON shapes the models accept.

`ftjobs._converter` (the validating cattrs hooks, which report every problem) and
`ftjobs._fastpath` (the generated functions that run first) must accept exactly the same
JSON. Both read it from here: the strict scalar hooks, the type predicates that pick a hook
for a field's type, the open enums' tables, the lenient timestamp, and the two small hooks
(literal, ``"auto"`` unions) that both call as they are.
"""

from __future__ import annotations

import functools
import math
import re
import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from ._models import OPEN_ENUMS, JobError, Timestamp

__all__ = [
    "AUTO",
    "EXTRA",
    "NONE_TYPE",
    "OPTIONAL_SCALARS",
    "REQUEST_ID",
    "SCALAR_HOOKS",
    "Hook",
    "Invalid",
    "auto_union_hook",
    "is_auto_union",
    "is_free_form_mapping",
    "is_job_error",
    "is_literal",
    "is_mapping",
    "is_model",
    "is_optional",
    "is_status",
    "is_tagged_union",
    "is_timestamp",
    "is_var_tuple",
    "literal_hook",
    "open_enum_values",
    "show",
    "structure_timestamp",
    "tagged_models",
    "union_args",
]

#: A structure hook: ``hook(value, type) -> model or value``.
Hook = Callable[[Any, Any], Any]
NONE_TYPE = type(None)
AUTO = Literal["auto"]
# Fields the converter fills itself rather than reading them from a JSON key.
EXTRA = "extra"
REQUEST_ID = "request_id"


class Invalid(ValueError):
    """A JSON value of the wrong shape; its message is the complete description."""


def show(value: Any) -> str:
    """A value as an error message shows it: its repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- strict JSON scalars -----------------------------------------------------------------
# cattrs' defaults call str()/int()/float() on the value, which would turn None into "None",
# True into 1 and "5" into 5: a response that does not fit must fail instead.


def structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise Invalid(f"expected str, got {show(value)}")


def structure_int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    raise Invalid(f"expected int, got {show(value)}")


def structure_float(value: Any, _: Any) -> float:
    if value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    raise Invalid(f"expected number, got {show(value)}")


def structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise Invalid(f"expected bool, got {show(value)}")


# Nullable scalars are most of a job's fields: one call each instead of two.


def structure_opt_str(value: Any, _: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Invalid(f"expected str or null, got {show(value)}")


def structure_opt_int(value: Any, _: Any) -> int | None:
    if value is None or value.__class__ is int:
        return value
    raise Invalid(f"expected int or null, got {show(value)}")


def structure_opt_float(value: Any, _: Any) -> float | None:
    if value is None or value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    raise Invalid(f"expected number or null, got {show(value)}")


def structure_opt_bool(value: Any, _: Any) -> bool | None:
    if value is None or value is True or value is False:
        return value
    raise Invalid(f"expected bool or null, got {show(value)}")


SCALAR_HOOKS: dict[Any, Hook] = {
    str: structure_str,
    int: structure_int,
    float: structure_float,
    bool: structure_bool,
}

OPTIONAL_SCALARS: dict[Any, Hook] = {
    str: structure_opt_str,
    int: structure_opt_int,
    float: structure_opt_float,
    bool: structure_opt_bool,
}


# --- type predicates ---------------------------------------------------------------------


def union_args(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) is Union or isinstance(tp, types.UnionType):
        return get_args(tp)
    return ()


def is_optional(tp: Any) -> bool:
    args = union_args(tp)
    return len(args) == 2 and NONE_TYPE in args


def is_auto_union(tp: Any) -> bool:
    args = set(union_args(tp))
    return AUTO in args and args <= {int, float, AUTO, NONE_TYPE} and len(args) > 1


def open_enum_values(tp: Any) -> dict[str, Any] | None:
    """For an open enum field (``E | str``): ``E``'s values and aliases, each to its member."""
    args = union_args(tp)
    if len(args) == 2 and str in args:
        return _OPEN_ENUM_VALUES.get(args[0] if args[1] is str else args[1])
    return None


def is_status(tp: Any) -> bool:
    """An open enum field: ``JobStatus | str``, ``EventLevel | str``."""
    return open_enum_values(tp) is not None


def is_timestamp(tp: Any) -> bool:
    """A ``Timestamp`` (Unix seconds, read leniently)."""
    return bool(tp == Timestamp)


@functools.cache
def tagged_models(tp: Any) -> Mapping[str, Any] | None:
    """``{tag: model}`` when ``tp`` is an open tagged union, else None.

    An open tagged union (integrations, graders) is models told apart by the default of their
    ``type`` field, plus ``Mapping[str, Any]`` for the tags the SDK does not know (and ``None``
    when nullable).
    """
    args = [a for a in union_args(tp) if a is not NONE_TYPE]
    models = [a for a in args if attrs.has(a)]
    if not models or len(models) + 1 != len(args) or Mapping[str, Any] not in args:
        return None
    tags: dict[str, Any] = {}
    for model in models:
        field = attrs.fields_dict(model).get("type")
        if field is None or not isinstance(field.default, str):
            return None
        tags[field.default] = model
    return tags


def is_tagged_union(tp: Any) -> bool:
    try:
        return tagged_models(tp) is not None
    except TypeError:  # an unhashable type argument
        return False


def is_job_error(tp: Any) -> bool:
    return is_optional(tp) and JobError in get_args(tp)


def is_var_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def is_mapping(tp: Any) -> bool:
    return get_origin(tp) in (Mapping, dict) and len(get_args(tp)) == 2


def is_free_form_mapping(tp: Any) -> bool:
    return is_mapping(tp) and get_args(tp)[1] is Any


def is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def is_model(tp: Any) -> bool:
    return attrs.has(get_origin(tp) or tp)


# --- hooks both paths call as they are ----------------------------------------------------


def literal_hook(tp: Any) -> Hook:
    allowed = get_args(tp)
    expected = " or ".join(repr(a) for a in allowed)

    def structure_literal(value: Any, _: Any) -> Any:
        for candidate in allowed:
            if value.__class__ is candidate.__class__ and value == candidate:
                return candidate
        raise Invalid(f"expected {expected}, got {show(value)}")

    return structure_literal


def auto_union_hook(tp: Any) -> Hook:
    args = set(get_args(tp))
    nullable = NONE_TYPE in args
    if float in args:
        expected = "number or 'auto'" + (" or null" if nullable else "")

        def structure_float_or_auto(value: Any, _: Any) -> Any:
            cls = value.__class__
            if cls is float:
                return value
            if cls is int:
                return float(value)
            if (cls is str and value == "auto") or (value is None and nullable):
                return value
            raise Invalid(f"expected {expected}, got {show(value)}")

        return structure_float_or_auto

    expected = "int or 'auto'" + (" or null" if nullable else "")

    def structure_int_or_auto(value: Any, _: Any) -> Any:
        cls = value.__class__
        if cls is int or (cls is str and value == "auto") or (value is None and nullable):
            return value
        raise Invalid(f"expected {expected}, got {show(value)}")

    return structure_int_or_auto


# Aliases (Azure's "canceled", "warning") normalise to the member, so comparisons and waiting
# just work; a value the SDK does not know is kept as the string received.
_OPEN_ENUM_VALUES: dict[Any, dict[str, Any]] = {
    cls: {**aliases, **{member.value: member for member in cls}}
    for cls, aliases in OPEN_ENUMS.items()
}

_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def structure_timestamp(value: Any, _: Any) -> int:
    """Unix seconds from an int, a float, a digit string or an ISO-8601 string.

    The generated fast path checks only for an int (its common case) and leaves the rest to
    this hook on the validating path.
    """
    cls = value.__class__
    if cls is int or (cls is float and math.isfinite(value)):
        return int(value)
    if cls is str:
        text = value.strip()
        if _DECIMAL.fullmatch(text):
            return int(float(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            # A time without a zone is taken as UTC, the API's only zone.
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return int(moment.timestamp())
    raise Invalid(
        f"expected Unix seconds (int, float, digit string or ISO-8601), got {show(value)}"
    )
