"""Payloads valid per the spec's response schemas, generated straight from the schemas (a small
JSON Schema -> hypothesis translation: ``$ref``, ``anyOf``/``oneOf``, ``enum``, ``type`` lists,
``properties``/``required``, ``additionalProperties``, ``items``, numeric bounds, lengths), and
the check of an answer against Together's response schemas (`together_errors`)."""

from __future__ import annotations

import functools
import math
from typing import Any

from hypothesis import strategies as st

from tests._support.prism import patch_together
from tests.spec import TOGETHER_SPEC_PATH, load_spec

#: Short text, and any JSON scalar: the atoms of generated payloads.
TEXT = st.text(max_size=12)
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
_ANY_JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
# The README's known gap: the status enum lacks "paused", which the API does send.
_EXTRA_ENUM = {("FineTuningJob", "status"): ["paused"]}

_refs: dict[str, st.SearchStrategy[Any]] = {}


def _ref(ref: str) -> st.SearchStrategy[Any]:
    name = ref.rsplit("/", 1)[-1]
    if name not in _refs:
        # Deferred: the grader schemas refer to each other.
        _refs[name] = st.deferred(lambda: _schema(load_spec()["components"]["schemas"][name], name))
    return _refs[name]


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    exclusive = schema.get("exclusiveMinimum")
    if integer:
        if exclusive is not None:
            low = math.floor(exclusive) + 1
        return st.integers(min_value=low, max_value=high)
    if exclusive is not None:
        return st.floats(
            min_value=exclusive, max_value=high, exclude_min=True, allow_nan=False
        ).filter(math.isfinite)
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def _object(schema: dict[str, Any], owner: str) -> st.SearchStrategy[Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    if not properties:
        if isinstance(extra, dict):
            return st.dictionaries(TEXT, _schema(extra, owner), max_size=3)
        return st.dictionaries(TEXT, _ANY_JSON, max_size=3)
    required = set(schema.get("required", []))
    fields = {name: _schema(sub, owner, name) for name, sub in properties.items()}
    return st.fixed_dictionaries(
        {name: s for name, s in fields.items() if name in required},
        optional={name: s for name, s in fields.items() if name not in required},
    )


def _schema(schema: dict[str, Any], owner: str, field: str = "") -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return _ref(schema["$ref"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([_schema(sub, owner, field) for sub in schema[key]])
    if "allOf" in schema:
        # Only the spec's "a $ref plus a description" form (Upload.file) occurs.
        (constraining,) = [sub for sub in schema["allOf"] if set(sub) - {"description"}]
        return _schema(constraining, owner, field)
    if "enum" in schema:
        return st.sampled_from([*schema["enum"], *_EXTRA_ENUM.get((owner, field), [])])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_schema({**schema, "type": k}, owner, field) for k in kind])
    if kind == "string":
        low = schema.get("minLength", 0)
        return st.text(min_size=low, max_size=max(low, min(schema.get("maxLength", 12), 12)))
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = _schema(schema.get("items", {}), owner, field)
        return st.lists(items, max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object" or "properties" in schema:
        return _object(schema, owner)
    return _ANY_JSON


def valid(name: str) -> st.SearchStrategy[Any]:
    """A payload valid per the spec's schema ``name``."""
    return _ref(f"#/components/schemas/{name}")


# -- validating answers against Together's description -------------------------------------

EMULATOR_STATUS_GAP = (
    "FinetuneJobStatus lacks 'user_error', which Together's SDK and CLI know (a job failed by "
    "its data; the description's README says so) and the emulator sends: it is added"
)
"""Beside `TOGETHER_SPEC_GAPS` (tests/_support/prism.py), the one more correction an answer of
the emulator needs."""


@functools.cache
def patched_together_spec() -> dict[str, Any]:
    """Together's description with `TOGETHER_SPEC_GAPS` and `EMULATOR_STATUS_GAP` corrected."""
    spec = patch_together(load_spec(TOGETHER_SPEC_PATH))
    spec["components"]["schemas"]["FinetuneJobStatus"]["enum"].append("user_error")
    return spec


def together_errors(method: str, route: str, payload: Any, status: str = "200") -> list[str]:
    """Why ``payload`` is not a valid JSON answer of Together's ``method route`` with
    ``status`` (empty when it is). Needs ``jsonschema_rs`` (the conformance extra)."""
    import jsonschema_rs

    spec = patched_together_spec()
    answer = spec["paths"][route][method.lower()]["responses"][status]
    schema = {**answer["content"]["application/json"]["schema"], "components": spec["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(payload)]
