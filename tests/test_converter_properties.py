"""Bad input from the server, generated from the OpenAPI spec.

Payloads valid per the spec's response schemas are generated straight from the schemas
(``tests/_support/schemas.py``). They must structure and round-trip. Then they are corrupted (a
wrong type, a required field dropped or nulled, a huge string, deep nesting, a non-object body)
and the converter may only raise
`ResponseValidationError`, whose every line starts with the field path.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftjobs import (
    ResponseValidationError,
)
from ftjobs._converter import structure, unstructure
from tests._support.payloads import drop_nulls
from tests._support.schemas import SCALAR, TEXT, valid
from tests.spec import RESPONSE_MODELS

pytest.importorskip("yaml")

#: Fields each model cannot do without (the models are lenient about the rest).
MODEL_REQUIRED: dict[str, tuple[str, ...]] = {
    "FineTuningJob": ("id", "created_at", "model", "status"),
    "FineTuningJobEvent": ("id", "created_at", "level", "message"),
    "FineTuningJobCheckpoint": ("id", "created_at", "fine_tuned_model_checkpoint", "step_number"),
    # "bytes" may be missing or null: Azure answers an upload before it knows the size.
    "OpenAIFile": ("id", "created_at", "filename", "purpose"),
    "DeleteFileResponse": ("id", "deleted"),
    "ListPaginatedFineTuningJobsResponse": ("data",),
    "ListFineTuningJobEventsResponse": ("data",),
    "ListFineTuningJobCheckpointsResponse": ("data",),
    "ListFilesResponse": ("data",),
    "Upload": ("id", "created_at", "filename", "bytes", "purpose", "status", "expires_at"),
    "UploadPart": ("id", "created_at", "upload_id"),
    "FineTuningCheckpointPermission": ("id", "created_at", "project_id"),
    "ListFineTuningCheckpointPermissionResponse": ("data",),
    "DeleteFineTuningCheckpointPermissionResponse": ("id", "deleted"),
    "RunGraderResponse": ("reward", "metadata"),
    "ValidateGraderResponse": (),
}

# -- properties ----------------------------------------------------------------------------

NAMES = sorted(RESPONSE_MODELS)
#: ``FTJOBS_PROPERTY_EXAMPLES=2000 pytest --hypothesis-seed=1 tests/test_converter_properties.py``
#: runs the long form (a rare shape, such as deep nesting in a free-form field, shows up there).
EXAMPLES = int(os.environ.get("FTJOBS_PROPERTY_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _same_json(left: Any, right: Any) -> bool:
    """Equal as JSON, up to null-valued keys (the SDK omits them) and 1 vs 1.0."""
    return bool(drop_nulls(left) == drop_nulls(right))


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_spec_valid_payloads_structure_and_round_trip(name: str, data: st.DataObject) -> None:
    model = RESPONSE_MODELS[name]
    payload = data.draw(valid(name), label=name)
    obj = structure(copy.deepcopy(payload), model, request_id="req_1")
    assert obj.request_id == "req_1"
    again = unstructure(obj)
    assert structure(again, model) == obj
    if name != "FineTuningJob" and not name.startswith("ListPaginated"):
        # No field of these is re-shaped on the way in, so the JSON comes back as it was
        # (but for the constant ``object``, which the model fills in where the spec lets the
        # server leave it out: Upload).
        if "object" not in payload and "object" in attrs.fields_dict(model):
            assert again.pop("object") == attrs.fields_dict(model)["object"].default
        assert _same_json(again, payload), (payload, again)


# -- corruption ------------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


_WRONG = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities included
    | st.text(max_size=5)
    | st.lists(SCALAR, max_size=2)
    | st.dictionaries(TEXT, SCALAR, max_size=2)
    | st.just("x" * 1_000_000)  # a huge string
    | st.integers(100, 900).map(lambda depth: _nested(depth, "deep"))  # deep nesting
)


def _set(body: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    node = body
    for step in path[:-1]:
        node = node[step]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


def _json_text(obj: Any) -> str:
    return json.dumps(unstructure(obj), sort_keys=True, default=repr)


def _check_only_response_validation_error(body: Any, model: Any) -> None:
    try:
        obj = structure(body, model)
    except ResponseValidationError as exc:
        assert exc.errors and exc.model
        for line in exc.errors:
            assert line.startswith("$") and ": " in line, line
            assert len(line) < 300, "a message should not carry a huge value whole"
        assert str(exc).startswith("response does not fit ")
    else:
        # The corruption landed somewhere the model is lenient (an unknown key, a free-form
        # mapping): what was accepted must still round-trip (compared as JSON text, where a
        # NaN that was accepted equals itself).
        again = structure(unstructure(obj), model)
        assert _json_text(again) == _json_text(obj)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_corrupted_payloads_raise_only_response_validation_error(
    name: str, data: st.DataObject
) -> None:
    model = RESPONSE_MODELS[name]
    body = data.draw(valid(name), label=name)
    for _ in range(data.draw(st.integers(1, 3), label="corruptions")):
        path = data.draw(st.sampled_from(_paths(body)), label="path")
        value = data.draw(_WRONG, label="value")
        delete = data.draw(st.booleans(), label="delete")
        body = _set(body, path, value, delete)
    _check_only_response_validation_error(body, model)


@pytest.mark.parametrize("name", [name for name in NAMES if MODEL_REQUIRED[name]])
@SETTINGS
@given(data=st.data())
def test_a_broken_required_field_is_named_by_its_path(name: str, data: st.DataObject) -> None:
    model = RESPONSE_MODELS[name]
    body = data.draw(valid(name), label=name)
    field = data.draw(st.sampled_from(MODEL_REQUIRED[name]), label="field")
    hows = ["missing", "null", "wrong type", "deep"]
    if field == "data":
        hows.remove("null")  # a null array is read as an empty one, on purpose
    how = data.draw(st.sampled_from(hows), label="how")
    if how == "missing":
        del body[field]
    elif how == "null":
        body[field] = None
    elif how == "wrong type":
        body[field] = {"unexpected": ["object"]} if field != "data" else "not a list"
    else:
        body[field] = _nested(800, 1)
    with pytest.raises(ResponseValidationError) as info:
        structure(body, model)
    assert any(line.startswith(f"$.{field}") for line in info.value.errors), info.value.errors


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, deadline=None)
@given(body=_WRONG.filter(lambda v: not isinstance(v, dict)))
def test_a_body_that_is_not_an_object(name: str, body: Any) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(body, RESPONSE_MODELS[name])
    assert all(line.startswith("$") for line in info.value.errors)


@pytest.mark.parametrize("name", ["ListPaginatedFineTuningJobsResponse", "ListFilesResponse"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_bad_item_in_a_page_is_named_by_its_index(name: str, data: st.DataObject) -> None:
    item = "FineTuningJob" if "Jobs" in name else "OpenAIFile"
    items = data.draw(st.lists(valid(item), min_size=2, max_size=4), label="items")
    index = data.draw(st.integers(0, len(items) - 1), label="index")
    items[index]["id"] = data.draw(st.integers() | st.none() | st.lists(TEXT), label="bad id")
    body = {"object": "list", "data": items, "has_more": False}
    with pytest.raises(ResponseValidationError) as info:
        structure(body, RESPONSE_MODELS[name])
    assert f"$.data[{index}].id: " in "\n".join(info.value.errors)
