"""Local checks on caller input, run before any request so mistakes cost no round trip.

Each check raises ``TypeError`` for a wrong type and ``ValueError`` for a wrong value, and the
message names the parameter. ``positive``, ``positive_or_none`` and ``non_negative`` are attrs
validators, shared by every policy class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from ._hyperparameters import check_method_hyperparameters
from ._types import NotGiven

METADATA_MAX_PAIRS = 16
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 512
SUFFIX_MAX = 64
AZURE_SUFFIX_MAX = 40
# Azure OpenAI names a fine-tuned model "<base>.ft-<id>-<suffix>" and takes only these.
_AZURE_SUFFIX = re.compile(rf"[A-Za-z0-9_-]{{1,{AZURE_SUFFIX_MAX}}}")
SEED_MAX = 2_147_483_647
METHOD_TYPES = ("supervised", "dpo", "reinforcement")


def _type_name(value: object) -> str:
    return type(value).__name__


def require_str(name: str, value: object) -> str:
    """A non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {_type_name(value)}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value


def optional_str(name: str, value: object) -> str | None:
    """``None`` or a non-empty string."""
    return None if value is None else require_str(name, value)


def str_types(**values: object) -> None:
    """Each value is ``None`` or a str; the error names the parameter, never the value (it
    may be a secret)."""
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {_type_name(value)}")


def path_id(name: str, value: object) -> str:
    """A resource id as one URL path segment: percent-encoded, so that no id can leave its
    resource's path (``/`` becomes ``%2F``, ``?`` ``%3F``...). ``.`` and ``..`` are refused:
    they are path steps however they are encoded (URL normalisation resolves them, so
    ``jobs/..`` would reach the API root)."""
    segment = require_str(name, value)
    if segment in (".", ".."):
        raise ValueError(f"{name} must be an id, not the path step {segment!r}")
    if _UNRESERVED.fullmatch(segment):
        return segment  # what quote() would return, at a tenth of the cost (every real id)
    return quote(segment, safe="")


# The characters quote() never encodes (RFC 3986's unreserved set).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


# CR and LF end a header line (a value carrying them could add headers of its own); NUL is
# refused by every server. Checked before any request, naming the parameter, not the value.
_HEADER_BREAKS = frozenset("\r\n\0")


def header_values(**values: str | None) -> None:
    """Each value is ``None`` or a str usable as an HTTP header value (no CR, LF or NUL).

    The error names the parameter, never the value (it may be a secret).
    """
    for name, value in values.items():
        if value is not None and not _HEADER_BREAKS.isdisjoint(value):
            raise ValueError(f"{name} must not contain CR, LF or NUL characters")


def header_mapping(name: str, value: Mapping[str, str] | None) -> None:
    """Every name and value of a header mapping (``default_headers``, ``extra_headers``) is
    usable in a request: no CR, LF or NUL, and no ``:`` in a name."""
    for key, item in (value or {}).items():
        if not _HEADER_BREAKS.isdisjoint(key) or ":" in key:
            raise ValueError(f"{name} has a header name with CR, LF, NUL or ':'")
        header_values(**{f"{name}[{key!r}]": item})


def require_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """An int (not a bool) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {_type_name(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            raise ValueError(f"{name} must be >= {low}, got {value}")
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def limit(value: object, high: int = 100) -> int | None:
    """A page size: ``None`` (server default) or 1..high."""
    return None if value is None else require_int("limit", value, 1, high)


def metadata(name: str, value: object) -> dict[str, str] | None:
    """At most 16 str->str pairs, keys up to 64 chars, values up to 512."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of str to str, got {_type_name(value)}")
    if len(value) > METADATA_MAX_PAIRS:
        raise ValueError(f"{name} has {len(value)} pairs; at most {METADATA_MAX_PAIRS} are allowed")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{name} keys and values must be str, got {key!r}: {item!r}")
        if not key or len(key) > METADATA_MAX_KEY:
            raise ValueError(f"{name} key {key[:80]!r} must be 1 to {METADATA_MAX_KEY} characters")
        if len(item) > METADATA_MAX_VALUE:
            raise ValueError(
                f"{name}[{key!r}] is {len(item)} characters; at most {METADATA_MAX_VALUE}"
            )
    return dict(value)


def suffix(value: object) -> str | None:
    """``None`` or 1..64 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"suffix must be a str, got {_type_name(value)}")
    if not 1 <= len(value) <= SUFFIX_MAX:
        raise ValueError(f"suffix must be 1 to {SUFFIX_MAX} characters, got {len(value)}")
    return value


def azure_suffix(value: object) -> str | None:
    """``None`` or 1..40 ASCII letters, digits, ``-`` and ``_`` (Azure OpenAI's rule)."""
    checked = suffix(value)
    if checked is not None and not _AZURE_SUFFIX.fullmatch(checked):
        raise ValueError(
            f"suffix must be 1 to {AZURE_SUFFIX_MAX} letters, digits, '-' or '_' on Azure "
            f"OpenAI, got {checked[:80]!r}"
        )
    return checked


def seed(value: object) -> int | None:
    """``None`` or 0..2147483647."""
    return None if value is None else require_int("seed", value, 0, SEED_MAX)


def method_type(value: Mapping[str, Any]) -> None:
    """The ``type`` of a method body is one the API knows, and its hyperparameters are in the
    API's ranges."""
    kind = value.get("type")
    if kind not in METHOD_TYPES:
        raise ValueError(f"method.type must be one of {', '.join(METHOD_TYPES)}; got {kind!r}")
    check_method_hyperparameters(value)


def plain_mapping(name: str, value: object) -> Mapping[str, Any] | None:
    """``None`` or a mapping (used for extra bodies and raw method/integration dicts)."""
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {_type_name(value)}")
    return value


def timeout(name: str, value: object) -> None:
    """Not given, ``None`` (no limit), or a positive finite number of seconds."""
    if value is None or isinstance(value, NotGiven):
        return
    if not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, got {_type_name(value)}")
    if isinstance(value, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {value!r}")


def _number(attribute: attrs.Attribute[Any], value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number, got {_type_name(value)}")
    return value


def positive(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a finite number > 0 (a bool is not a number here)."""
    number = _number(attribute, value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


def positive_or_none(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: ``None`` or a finite number > 0."""
    if value is not None:
        positive(instance, attribute, value)


def non_negative(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a finite number >= 0."""
    number = _number(attribute, value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def str_mapping(name: str, value: object) -> Mapping[str, str] | None:
    """``None`` or a mapping of str to str (extra headers, extra query parameters)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of str to str, got {_type_name(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{name} keys and values must be str, got {key!r}: {_type_name(item)}")
    return value
