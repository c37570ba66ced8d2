"""JSON <-> model conversion: the one cattrs converter and every hook it uses.

:func:`structure` turns a decoded JSON body into a model and raises only
:class:`~ftjobs.errors.ResponseValidationError` when the body does not fit (each error line
names the field path, e.g. ``$.data[3].created_at: expected int, got 'abc'``).
:func:`unstructure` turns a model back into JSON-ready data: None-valued optional fields are
left out, unknown keys kept in ``extra`` are written back, ``request_id`` is never written.

Structuring runs a generated fast function per class (see "fast path" below) and falls back
to the validating cattrs hooks, which produce the error report, only when that fails. Both
kinds are generated once per class, on first use, and cached.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import types
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

import attrs

from .errors import ResponseValidationError
from .models import OPEN_ENUMS, JobError, Timestamp

if TYPE_CHECKING:
    import cattrs
    from cattrs.errors import IterableValidationNote

__all__ = ["converter", "structure", "unstructure"]

_T = TypeVar("_T")
_Hook = Callable[[Any, Any], Any]
_UnHook = Callable[[Any], Any]
_NoneType = type(None)
_AUTO = Literal["auto"]
# Fields the converter fills itself rather than reading them from a JSON key.
_EXTRA = "extra"
_REQUEST_ID = "request_id"


class _Invalid(ValueError):
    """A JSON value of the wrong shape; its message is the complete description."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- strict JSON scalars -----------------------------------------------------------------
# cattrs' defaults call str()/int()/float() on the value, which would turn None into "None",
# True into 1 and "5" into 5: a response that does not fit must fail instead.


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Invalid(f"expected str, got {_show(value)}")


def _structure_int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    raise _Invalid(f"expected int, got {_show(value)}")


def _structure_float(value: Any, _: Any) -> float:
    if value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    raise _Invalid(f"expected number, got {_show(value)}")


def _structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise _Invalid(f"expected bool, got {_show(value)}")


# Nullable scalars are most of a job's fields: one call each instead of two.


def _structure_opt_str(value: Any, _: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(f"expected str or null, got {_show(value)}")


def _structure_opt_int(value: Any, _: Any) -> int | None:
    if value is None or value.__class__ is int:
        return value
    raise _Invalid(f"expected int or null, got {_show(value)}")


def _structure_opt_float(value: Any, _: Any) -> float | None:
    if value is None or value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    raise _Invalid(f"expected number or null, got {_show(value)}")


def _structure_opt_bool(value: Any, _: Any) -> bool | None:
    if value is None or value is True or value is False:
        return value
    raise _Invalid(f"expected bool or null, got {_show(value)}")


_SCALAR_HOOKS: dict[Any, _Hook] = {
    str: _structure_str,
    int: _structure_int,
    float: _structure_float,
    bool: _structure_bool,
}

_OPTIONAL_SCALARS: dict[Any, _Hook] = {
    str: _structure_opt_str,
    int: _structure_opt_int,
    float: _structure_opt_float,
    bool: _structure_opt_bool,
}


def _add_note(exc: Exception, note: IterableValidationNote) -> None:
    # Exception.add_note is 3.11+; cattrs reads the same __notes__ list on 3.10.
    notes: list[Any] = getattr(exc, "__notes__", [])
    cast(Any, exc).__notes__ = [*notes, note]


# --- type predicates ---------------------------------------------------------------------


def _union_args(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) is Union or isinstance(tp, types.UnionType):
        return get_args(tp)
    return ()


def _is_optional(tp: Any) -> bool:
    args = _union_args(tp)
    return len(args) == 2 and _NoneType in args


def _is_auto_union(tp: Any) -> bool:
    args = set(_union_args(tp))
    return _AUTO in args and args <= {int, float, _AUTO, _NoneType} and len(args) > 1


def _open_enum(tp: Any) -> dict[str, Any] | None:
    """For ``E | str`` with ``E`` an open enum: its values and aliases (else None)."""
    args = _union_args(tp)
    if len(args) == 2 and str in args:
        return _OPEN_ENUM_VALUES.get(args[0] if args[1] is str else args[1])
    return None


def _is_status(tp: Any) -> bool:
    """An open enum field (``JobStatus | str``, ``EventLevel | str``)."""
    return _open_enum(tp) is not None


def _is_timestamp(tp: Any) -> bool:
    return bool(tp == Timestamp)


@functools.cache
def _tagged_models(tp: Any) -> Mapping[str, Any] | None:
    """``{tag: model}`` when ``tp`` is an open tagged union, else None.

    An open tagged union (integrations, graders) is models told apart by the default of their
    ``type`` field, plus ``Mapping[str, Any]`` for the tags the SDK does not know (and ``None``
    when nullable).
    """
    args = [a for a in _union_args(tp) if a is not _NoneType]
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


def _is_tagged_union(tp: Any) -> bool:
    try:
        return _tagged_models(tp) is not None
    except TypeError:  # an unhashable type argument
        return False


def _is_job_error(tp: Any) -> bool:
    return _is_optional(tp) and JobError in get_args(tp)


def _is_var_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_mapping(tp: Any) -> bool:
    return get_origin(tp) in (Mapping, dict) and len(get_args(tp)) == 2


def _is_free_form_mapping(tp: Any) -> bool:
    return _is_mapping(tp) and get_args(tp)[1] is Any


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def _is_model(tp: Any) -> bool:
    return attrs.has(get_origin(tp) or tp)


# --- structure hooks ---------------------------------------------------------------------


def _model_structure_factory(tp: Any, conv: cattrs.Converter) -> _Hook:
    from cattrs.gen import make_dict_structure_fn, override

    cls = get_origin(tp) or tp
    names = [a.name for a in attrs.fields(cls)]
    overrides: dict[str, Any] = {
        n: override(omit=True) for n in (_EXTRA, _REQUEST_ID) if n in names
    }
    base = make_dict_structure_fn(tp, conv, **overrides)
    known = frozenset(n for n in names if n not in overrides)
    keeps_extra = _EXTRA in names
    set_attr = object.__setattr__

    def structure_model(value: Any, _: Any) -> Any:
        if value.__class__ is not dict and not isinstance(value, Mapping):
            raise _Invalid(f"expected object, got {_show(value)}")
        obj = base(value, tp)
        if keeps_extra and not known.issuperset(value):
            # Frozen instances: the slot is written directly (the way attrs' own __init__
            # does) so the generated constructor call stays untouched.
            set_attr(obj, _EXTRA, {k: v for k, v in value.items() if k not in known})
        return obj

    return structure_model


def _var_tuple_structure_factory(tp: Any, conv: cattrs.Converter) -> _Hook:
    from cattrs.errors import IterableValidationError, IterableValidationNote

    item_type = get_args(tp)[0]
    item_hook = conv.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if value.__class__ is not list and not isinstance(value, (list, tuple)):
            if value is None:
                # Servers send null for empty arrays (result_files, tags).
                return ()
            raise _Invalid(f"expected array, got {_show(value)}")
        try:
            return tuple([item_hook(item, item_type) for item in value])
        except Exception as first:
            # Slow path, only on failure: collect every bad index for the error report.
            errors: list[Exception] = []
            for index, item in enumerate(value):
                try:
                    item_hook(item, item_type)
                except Exception as exc:
                    _add_note(exc, IterableValidationNote(f"index {index}", index, item_type))
                    errors.append(exc)
            raise IterableValidationError(
                f"While structuring {tp!r}", errors or [first], tp
            ) from None

    return structure_tuple


def _mapping_structure_factory(tp: Any, conv: cattrs.Converter) -> _Hook:
    from cattrs.errors import IterableValidationError, IterableValidationNote

    value_type = get_args(tp)[1]
    if value_type is Any:

        def structure_any_mapping(value: Any, _: Any) -> dict[str, Any]:
            if isinstance(value, Mapping):
                return dict(value)
            raise _Invalid(f"expected object, got {_show(value)}")

        return structure_any_mapping

    value_hook = conv.get_structure_hook(value_type)

    def structure_mapping(value: Any, _: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _Invalid(f"expected object, got {_show(value)}")
        errors: list[Exception] = []
        result: dict[str, Any] = {}
        for key, item in value.items():
            try:
                result[key] = value_hook(item, value_type)
            except Exception as exc:
                _add_note(exc, IterableValidationNote(f"key {key!r}", key, value_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {tp!r}", errors, tp)
        return result

    return structure_mapping


def _literal_structure_factory(tp: Any) -> _Hook:
    allowed = get_args(tp)
    expected = " or ".join(repr(a) for a in allowed)

    def structure_literal(value: Any, _: Any) -> Any:
        for candidate in allowed:
            if value.__class__ is candidate.__class__ and value == candidate:
                return candidate
        raise _Invalid(f"expected {expected}, got {_show(value)}")

    return structure_literal


def _optional_structure_factory(tp: Any, conv: cattrs.Converter) -> _Hook:
    inner_type = next(a for a in get_args(tp) if a is not _NoneType)
    scalar = _OPTIONAL_SCALARS.get(inner_type)
    if scalar is not None:
        return scalar
    inner = conv.get_structure_hook(inner_type)

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None:
            return None
        return inner(value, inner_type)

    return structure_optional


def _auto_union_structure_factory(tp: Any) -> _Hook:
    args = set(get_args(tp))
    nullable = _NoneType in args
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
            raise _Invalid(f"expected {expected}, got {_show(value)}")

        return structure_float_or_auto

    expected = "int or 'auto'" + (" or null" if nullable else "")

    def structure_int_or_auto(value: Any, _: Any) -> Any:
        cls = value.__class__
        if cls is int or (cls is str and value == "auto") or (value is None and nullable):
            return value
        raise _Invalid(f"expected {expected}, got {_show(value)}")

    return structure_int_or_auto


# Aliases (Azure's "canceled") normalise to the member, so comparisons and waiting just work.
# Aliases (Azure's "canceled", "warning") normalise to the member, so comparisons and waiting
# just work; a value the SDK does not know is kept as the string received.
_OPEN_ENUM_VALUES: dict[Any, dict[str, Any]] = {
    cls: {**aliases, **{member.value: member for member in cls}}
    for cls, aliases in OPEN_ENUMS.items()
}


def _status_structure_factory(tp: Any) -> _Hook:
    values = _open_enum(tp) or {}

    def structure_open_enum(value: Any, _: Any) -> Any:
        if isinstance(value, str):
            return values.get(value, value)
        raise _Invalid(f"expected str, got {_show(value)}")

    return structure_open_enum


_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _structure_timestamp(value: Any, _: Any) -> int:
    """Unix seconds from an int, a float, a digit string or an ISO-8601 string."""
    cls = value.__class__
    if cls is int:
        return int(value)
    if cls is float and math.isfinite(value):
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
                moment = moment.replace(tzinfo=timezone.utc)
            return int(moment.timestamp())
    raise _Invalid(
        f"expected Unix seconds (int, float, digit string or ISO-8601), got {_show(value)}"
    )


def _tagged_union_structure_factory(tp: Any, conv: cattrs.Converter) -> _Hook:
    tags = _tagged_models(tp) or {}
    hooks = {tag: (conv.get_structure_hook(model), model) for tag, model in tags.items()}
    mapping_hook = conv.get_structure_hook(Mapping[str, Any])
    nullable = _NoneType in _union_args(tp)

    def structure_tagged(value: Any, _: Any) -> Any:
        if value is None and nullable:
            return None
        tag = value.get("type") if isinstance(value, Mapping) else None
        known = hooks.get(tag) if isinstance(tag, str) else None
        if known is not None:
            return known[0](value, known[1])
        # Unknown types are kept, not dropped.
        return mapping_hook(value, Mapping[str, Any])

    return structure_tagged


def _job_error_structure_factory(tp: Any, conv: cattrs.Converter) -> _Hook:
    error_hook = conv.get_structure_hook(JobError)

    def structure_job_error(value: Any, _: Any) -> JobError | None:
        # Running jobs come back with "error": {} or all-null fields: that is "no error".
        if value is None or (value.__class__ is dict and all(v is None for v in value.values())):
            return None
        return cast(JobError, error_hook(value, JobError))

    return structure_job_error


# --- unstructure hooks -------------------------------------------------------------------


def _model_unstructure_factory(tp: Any, conv: cattrs.Converter) -> _UnHook:
    from cattrs.gen import make_dict_unstructure_fn, override

    cls = get_origin(tp) or tp
    overrides: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if a.name in (_EXTRA, _REQUEST_ID):
            overrides[a.name] = override(omit=True)
        elif a.default is None:
            # Keeps request bodies free of "key": null for every unset option.
            overrides[a.name] = override(omit_if_default=True)
    base = make_dict_unstructure_fn(tp, conv, **overrides)
    if _EXTRA not in {a.name for a in attrs.fields(cls)}:
        return base

    def unstructure_model(obj: Any) -> dict[str, Any]:
        result: dict[str, Any] = base(obj)
        if obj.extra:
            for key, value in obj.extra.items():
                result.setdefault(key, value)
        return result

    return unstructure_model


def _unstructure_status(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _identity(value: Any) -> Any:
    return value


def _configure(conv: cattrs.Converter) -> None:
    """Register every hook; later registrations take precedence over earlier ones."""
    for scalar_type, scalar_hook in _SCALAR_HOOKS.items():
        conv.register_structure_hook(scalar_type, scalar_hook)

    conv.register_structure_hook_factory(_is_model, _model_structure_factory)
    conv.register_structure_hook_factory(_is_var_tuple, _var_tuple_structure_factory)
    conv.register_structure_hook_factory(_is_mapping, _mapping_structure_factory)
    conv.register_structure_hook_factory(_is_literal, _literal_structure_factory)
    conv.register_structure_hook_factory(_is_optional, _optional_structure_factory)
    conv.register_structure_hook_factory(_is_auto_union, _auto_union_structure_factory)
    conv.register_structure_hook_factory(_is_status, _status_structure_factory)
    conv.register_structure_hook_func(_is_timestamp, _structure_timestamp)
    conv.register_structure_hook_factory(_is_tagged_union, _tagged_union_structure_factory)
    conv.register_structure_hook_factory(_is_job_error, _job_error_structure_factory)

    conv.register_unstructure_hook_factory(_is_model, _model_unstructure_factory)
    conv.register_unstructure_hook_func(_is_auto_union, _identity)
    # Free-form JSON (event data, graders) is JSON-ready already; walking it would cost time
    # and, on deeply nested input, the recursion limit.
    conv.register_unstructure_hook_func(_is_free_form_mapping, dict)
    conv.register_unstructure_hook_func(_is_status, _unstructure_status)


_converter: cattrs.Converter | None = None


def _get_converter() -> cattrs.Converter:
    """The SDK's cattrs converter, built (and cattrs imported) on first use."""
    global _converter
    if _converter is None:
        import cattrs

        conv = cattrs.Converter(
            detailed_validation=True,
            unstruct_collection_overrides={tuple: list},
        )
        _configure(conv)
        _converter = conv
    return _converter


if TYPE_CHECKING:
    converter: cattrs.Converter
    """The SDK's converter, every hook registered. Prefer :func:`structure`/:func:`unstructure`."""
else:

    def __getattr__(name: str) -> Any:
        # ``converter`` is built on first access: responses take the fast path (below), so a
        # program that only reads never imports cattrs, and import ftjobs stays cheap.
        if name == "converter":
            return _get_converter()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Hooks are generated on first use, once per class, and cached by cattrs: generating them for
# every model at import cost more import time than the rest of the package. Responses go
# through the fast path (below); these validating hooks run on its failure and to unstructure.


# --- error reporting ---------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _Invalid):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required field missing"
    return f"{type(exc).__name__}: {exc}"


def _error_lines(exc: BaseException, path: str) -> list[str]:
    from cattrs.errors import ClassValidationError, IterableValidationError

    if isinstance(exc, IterableValidationError):
        lines: list[str] = []
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            index = note.index
            where = f"[{index}]" if isinstance(index, int) else f"[{index!r}]"
            lines += _error_lines(sub, path + where)
        for sub in without:
            lines += _error_lines(sub, path)
        return lines
    if isinstance(exc, ClassValidationError):
        lines = []
        cls_notes, cls_without = exc.group_exceptions()
        for sub, cls_note in cls_notes:
            lines += _error_lines(sub, f"{path}.{cls_note.name}")
        for sub in cls_without:
            lines += _error_lines(sub, path)
        return lines
    return [f"{path}: {_describe(exc)}"]


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is None:
        return getattr(tp, "__name__", repr(tp))
    return f"{_type_name(origin)}[{', '.join(_type_name(a) for a in get_args(tp))}]"


# --- fast path ---------------------------------------------------------------------------
# The validating hooks above report every problem of a payload with its path, at the price of
# a try/except, a notes list and a kwargs dict per field. A response almost always fits, so
# structure() first runs a generated fast function per class: the same checks (never looser:
# anything it is unsure of makes it bail out), no bookkeeping, positional construction. When
# it bails out, or the payload is bad, the validating hooks run and decide (and report).


class _Fallback(Exception):
    """The fast path declines; the validating path decides."""


_MISSING: Any = object()
_FastHook = Callable[[Any], Any]
_fast_hooks: dict[Any, _FastHook] = {}


def _fast_hook(tp: Any) -> _FastHook:
    """The fast structuring function of ``tp``, generated on first use and cached."""
    hook = _fast_hooks.get(tp)
    if hook is None:
        # A type that refers to itself takes the validating path at the inner reference.
        _fast_hooks[tp] = _always_fallback
        try:
            hook = _make_fast_hook(tp)
        except Exception:
            # A type the generator does not cover (an unbound type variable...): always
            # take the validating path for it.
            hook = _always_fallback
        _fast_hooks[tp] = hook
    return hook


def _always_fallback(value: Any) -> Any:
    raise _Fallback


def _delegated(tp: Any) -> bool:
    # Small hooks that gain nothing from a fast twin: called directly, as (value, type).
    return _is_auto_union(tp) or _is_literal(tp)


def _make_fast_hook(tp: Any) -> _FastHook:
    # Same precedence as the converter's registrations (last registered wins there).
    if _is_job_error(tp):
        return _fast_job_error()
    if _is_tagged_union(tp):
        return _fast_tagged_union(tp)
    if _is_status(tp):
        return _fast_open_enum(_open_enum(tp) or {})
    if _delegated(tp):
        slow = _get_converter().get_structure_hook(tp)
        return lambda value: slow(value, tp)
    if _is_optional(tp):
        inner_type = next(a for a in get_args(tp) if a is not _NoneType)
        inner = _fast_hook(inner_type)
        return lambda value: None if value is None else inner(value)
    if _is_mapping(tp):
        return _fast_mapping(get_args(tp)[1])
    if _is_var_tuple(tp):
        return _fast_var_tuple(get_args(tp)[0])
    if _is_model(tp):
        return _fast_model(tp)
    scalar = _SCALAR_HOOKS.get(tp)
    if scalar is not None:
        return lambda value: scalar(value, tp)
    if tp is Any:
        return _identity
    raise TypeError(f"no fast structuring for {tp!r}")


def _fast_open_enum(values: dict[str, Any]) -> _FastHook:
    def fast_open_enum(value: Any) -> Any:
        if value.__class__ is str:
            return values.get(value, value)
        raise _Fallback

    return fast_open_enum


def _fast_job_error() -> _FastHook:
    error = _fast_hook(JobError)

    def fast_job_error(value: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is dict:
            for item in value.values():
                if item is not None:
                    return error(value)
            return None
        raise _Fallback

    return fast_job_error


def _fast_tagged_union(tp: Any) -> _FastHook:
    hooks = {tag: _fast_hook(model) for tag, model in (_tagged_models(tp) or {}).items()}
    nullable = _NoneType in _union_args(tp)

    def fast_tagged(value: Any) -> Any:
        if value.__class__ is dict:
            tag = value.get("type")
            hook = hooks.get(tag) if tag.__class__ is str else None
            return dict(value) if hook is None else hook(value)
        if value is None and nullable:
            return None
        raise _Fallback

    return fast_tagged


def _fast_mapping(value_type: Any) -> _FastHook:
    if value_type is Any:

        def fast_any_mapping(value: Any) -> Any:
            if value.__class__ is dict:
                return dict(value)
            raise _Fallback

        return fast_any_mapping
    if value_type is str:

        def fast_str_mapping(value: Any) -> Any:
            if value.__class__ is dict:
                for item in value.values():
                    if item.__class__ is not str:
                        raise _Fallback
                return dict(value)
            raise _Fallback

        return fast_str_mapping
    item_hook = _fast_hook(value_type)

    def fast_mapping(value: Any) -> Any:
        if value.__class__ is dict:
            return {key: item_hook(item) for key, item in value.items()}
        raise _Fallback

    return fast_mapping


def _fast_var_tuple(item_type: Any) -> _FastHook:
    if item_type is str:

        def fast_str_tuple(value: Any) -> Any:
            if value.__class__ is list:
                for item in value:
                    if item.__class__ is not str:
                        raise _Fallback
                return tuple(value)
            if value is None:
                return ()
            raise _Fallback

        return fast_str_tuple
    item_hook = _fast_hook(item_type)

    def fast_tuple(value: Any) -> Any:
        if value.__class__ is list:
            return tuple([item_hook(item) for item in value])
        if value is None:
            return ()
        raise _Fallback

    return fast_tuple


# Inline checks of JSON scalars held in variable {t}, as strict as the validating hooks.
_SCALAR_CHECKS: dict[Any, list[str]] = {
    str: ["if {t}.__class__ is not str: raise _F"],
    int: ["if {t}.__class__ is not int: raise _F"],
    bool: ["if {t} is not True and {t} is not False: raise _F"],
    float: [
        "if {t}.__class__ is not float:",
        "    if {t}.__class__ is int: {t} = float({t})",
        "    else: raise _F",
    ],
}


def _field_types(tp: Any) -> list[tuple[attrs.Attribute[Any], Any]]:
    cls = get_origin(tp) or tp
    hints = get_type_hints(cls)
    bound = dict(zip(getattr(cls, "__parameters__", ()), get_args(tp), strict=False))

    def bind(t: Any) -> Any:
        if isinstance(t, TypeVar):
            if t not in bound:
                raise TypeError(f"unbound type variable {t!r}")
            return bound[t]
        params = getattr(t, "__parameters__", ())
        return t[tuple(bind(p) for p in params)] if params else t

    return [(a, bind(hints[a.name])) for a in attrs.fields(cls)]


def _auto_checks(tp: Any) -> list[str]:
    """Inline checks of ``int | Auto [| None]`` and ``float | Auto [| None]`` fields."""
    args = set(get_args(tp))
    other = "not ({t}.__class__ is str and {t} == 'auto')"
    if _NoneType in args:
        other += " and {t} is not None"
    if float in args:
        return [
            "if {t}.__class__ is not float:",
            "    if {t}.__class__ is int: {t} = float({t})",
            f"    elif {other}: raise _F",
        ]
    return [f"if {{t}}.__class__ is not int and {other}: raise _F"]


def _plain_optional(tp: Any) -> Any:
    """The ``X`` of an ``X | None`` checked inline as "None, or an X" (None for other types).

    Not a nullable auto union nor ``JobError | None``: those have checks of their own.
    """
    if _is_optional(tp) and not _is_auto_union(tp) and not _is_job_error(tp):
        return next(a for a in get_args(tp) if a is not _NoneType)
    return None


def _none_is_none(tp: Any) -> bool:
    """Whether a null for this type structures to None (so that a None default can skip it)."""
    return _is_optional(tp) or (_is_auto_union(tp) and _NoneType in get_args(tp))


def _field_body(tp: Any, target: str, key: str, names: dict[str, Any]) -> list[str]:
    """Statements that check (and convert, in place) the JSON value held in ``target``."""
    if tp in _SCALAR_CHECKS:
        return [line.format(t=target) for line in _SCALAR_CHECKS[tp]]
    if _is_auto_union(tp):
        return [line.format(t=target) for line in _auto_checks(tp)]
    inner = _plain_optional(tp)
    if inner is not None:
        body = _field_body(inner, target, key, names)
        return [f"if {target} is not None:", *("    " + b for b in body)]
    if _is_status(tp):
        names[f"e{key}"] = _open_enum(tp)
        return [
            f"if {target}.__class__ is not str: raise _F",
            f"{target} = e{key}.get({target}, {target})",
        ]
    if _is_literal(tp) and all(a.__class__ is str for a in get_args(tp)):
        names[f"l{key}"] = frozenset(get_args(tp))
        return [f"if {target}.__class__ is not str or {target} not in l{key}: raise _F"]
    if _delegated(tp):
        names[f"s{key}"] = _get_converter().get_structure_hook(tp)
        names[f"t{key}"] = tp
        return [f"{target} = s{key}({target}, t{key})"]
    names[f"h{key}"] = _fast_hook(tp)
    return [f"{target} = h{key}({target})"]


def _plain_slots(cls: type) -> bool:
    """Whether instances can be built by setting their slots (attrs' __init__ does no more)."""
    fields = attrs.fields(cls)
    return (
        "__slots__" in cls.__dict__
        and all(a.validator is None and a.converter is None and a.init for a in fields)
        and not any(
            hasattr(cls, name)
            for name in ("__attrs_pre_init__", "__attrs_post_init__", "__attrs_init_subclass__")
        )
        and all(type(cls.__dict__.get(a.name)).__name__ == "member_descriptor" for a in fields)
    )


def _fast_model(tp: Any) -> _FastHook:
    cls = get_origin(tp) or tp
    names: dict[str, Any] = {"__cl": cls, "__new": object.__new__, "_F": _Fallback, "_M": _MISSING}
    lines: list[str] = []
    values: dict[str, str] = {}  # attribute -> expression of its value
    known: list[str] = []
    for i, (a, ftype) in enumerate(_field_types(tp)):
        default: Any = a.default
        if a.name in (_EXTRA, _REQUEST_ID):
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                raise TypeError("factory defaults of extra/request_id are not generated")
            names[f"d{i}"] = default
            values[a.name] = f"d{i}"
            continue
        known.append(a.name)
        target = values[a.name] = f"f{i}"
        if default is None and _none_is_none(ftype):
            # Missing and null both give None: one lookup, one test (which a plain optional's
            # own body would repeat, so its inner type's body is used).
            inner = _plain_optional(ftype)
            body = _field_body(ftype if inner is None else inner, target, f"{i}", names)
            lines += [f"{target} = o.get({a.name!r})", f"if {target} is not None:"]
            lines += ["    " + b for b in body]
            continue
        body = _field_body(ftype, target, f"{i}", names)
        if default is attrs.NOTHING:
            lines += [f"{target} = o[{a.name!r}]", *body]
        else:
            lines += [f"{target} = o.get({a.name!r}, _M)"]
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                if default.takes_self:
                    raise TypeError("takes_self factories are not generated")
                names[f"d{i}"] = default.factory
                lines.append(f"if {target} is _M: {target} = d{i}()")
            else:
                names[f"d{i}"] = default
                lines.append(f"if {target} is _M: {target} = d{i}")
            lines += ["else:", *("    " + b for b in body)]
    if _EXTRA in values:
        names["_known"] = frozenset(known)
        lines += [
            f"ex = {values[_EXTRA]}",
            "if not _known.issuperset(o): ex = {k: x for k, x in o.items() if k not in _known}",
        ]
        values[_EXTRA] = "ex"
    if _plain_slots(cls):
        # Frozen slotted classes: attrs' __init__ sets each slot through object.__setattr__;
        # the slot descriptors' own setters do the same, a third faster.
        lines.append("r = __new(__cl)")
        for j, (name, expr) in enumerate(values.items()):
            names[f"set{j}"] = cls.__dict__[name].__set__
            lines.append(f"set{j}(r, {expr})")
        lines.append("return r")
    else:
        args = [
            f"{a.alias}={values[a.name]}" if a.kw_only else values[a.name]
            for a in attrs.fields(cls)
            if a.name in values
        ]
        lines.append(f"return __cl({', '.join(args)})")
    fn_name = f"fast_structure_{cls.__name__}"
    source = f"def {fn_name}(o):\n    if o.__class__ is not dict: raise _F\n"
    source += "".join(f"    {line}\n" for line in lines)
    exec(compile(source, f"<ftjobs fast structure {cls.__name__}>", "exec"), names)
    fast: _FastHook = names[fn_name]
    return fast


# --- public API --------------------------------------------------------------------------


def structure(data: Any, cl: type[_T], *, request_id: str | None = None) -> _T:
    """Build a ``cl`` (a model, or ``Page[Model]``) from decoded JSON.

    Args:
        data: The decoded JSON body.
        cl: The model type.
        request_id: The response's ``x-request-id``, stored on the result's ``request_id``.

    Raises:
        ResponseValidationError: ``data`` does not fit ``cl``; ``errors`` holds one line per
            problem, each starting with the field path.
    """
    try:
        obj: _T = (_fast_hooks.get(cl) or _fast_hook(cl))(data)
    except Exception:
        obj = _structure_validating(data, cl, request_id)
    if request_id is not None and hasattr(obj, _REQUEST_ID):
        object.__setattr__(obj, _REQUEST_ID, request_id)
    return obj


def _structure_validating(data: Any, cl: type[_T], request_id: str | None) -> _T:
    hook = _get_converter().get_structure_hook(cl)
    try:
        obj: _T = hook(data, cl)
    except Exception as exc:
        errors = _error_lines(exc, "$") or [f"$: {_describe(exc)}"]
        raise ResponseValidationError(
            _type_name(cl), errors, body=data, request_id=request_id
        ) from exc
    return obj


def unstructure(obj: Any) -> Any:
    """Turn a model (or a collection of models) into JSON-ready data.

    None-valued fields whose default is None are left out, keys kept in ``extra`` are put
    back at the top level of their object, and ``request_id`` is never written.
    """
    return _get_converter().unstructure(obj)
