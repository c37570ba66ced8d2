"""The models against the project's copy of the OpenAPI description (``spec/``).

A spec update that adds a property or an enum value to a response object fails here until the
model has it (or it is listed in ``NOT_MODELLED`` with the reason). Every response example in
the spec, once its documented sloppiness is repaired, parses and round-trips.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import pytest

from ftjobs._converter import structure, unstructure
from ftjobs._errors import APIStatusError
from ftjobs._limits import FILE_PURPOSES, UPLOAD_PURPOSES
from ftjobs._models import (
    CheckpointMetrics,
    DpoHyperparameters,
    DpoMethod,
    FineTuneMethod,
    FineTuningJob,
    Hyperparameters,
    JobError,
    JobStatus,
    Page,
    ReinforcementHyperparameters,
    ReinforcementMethod,
    SupervisedHyperparameters,
    SupervisedMethod,
    WandbConfig,
    WandbIntegration,
)
from ftjobs.graders import (
    STRING_CHECK_OPERATIONS,
    TEXT_SIMILARITY_METRICS,
    GraderRunMetadata,
    LabelModelGrader,
    MultiGrader,
    PythonGrader,
    ScoreModelGrader,
    StringCheckGrader,
    TextSimilarityGrader,
)
from ftjobs.resources._checkpoints import CheckpointPermissions
from ftjobs.resources._files import Files
from ftjobs.resources._graders import Graders
from ftjobs.resources._jobs import Jobs
from ftjobs.resources._uploads import Uploads
from tests.spec import RESPONSE_MODELS, load_spec, repair, response_examples

pytest.importorskip("yaml")

SPEC: dict[str, Any] = load_spec()
SCHEMAS: dict[str, Any] = SPEC.get("components", {}).get("schemas", {})

# Named schemas and the model each maps to: the response schemas, and those nested in them.
TOP_LEVEL: dict[str, Any] = {
    **RESPONSE_MODELS,
    "FineTuneMethod": FineTuneMethod,
    "FineTuneSupervisedMethod": SupervisedMethod,
    "FineTuneDPOMethod": DpoMethod,
    "FineTuneReinforcementMethod": ReinforcementMethod,
    "FineTuneSupervisedHyperparameters": SupervisedHyperparameters,
    "FineTuneDPOHyperparameters": DpoHyperparameters,
    "FineTuneReinforcementHyperparameters": ReinforcementHyperparameters,
    "FineTuningIntegration": WandbIntegration,
    "GraderStringCheck": StringCheckGrader,
    "GraderTextSimilarity": TextSimilarityGrader,
    "GraderPython": PythonGrader,
    "GraderScoreModel": ScoreModelGrader,
    "GraderLabelModel": LabelModelGrader,
    "GraderMulti": MultiGrader,
}

# Inline (anonymous) object schemas: (schema, property path) -> model.
NESTED: dict[tuple[str, str], Any] = {
    ("FineTuningJob", "error"): JobError,
    ("FineTuningJob", "hyperparameters"): Hyperparameters,
    ("FineTuningJobCheckpoint", "metrics"): CheckpointMetrics,
    ("FineTuningIntegration", "wandb"): WandbConfig,
    ("RunGraderResponse", "metadata"): GraderRunMetadata,
}

# (schema, property) pairs ftjobs deliberately does not model, with the reason.
NOT_MODELLED: dict[tuple[str, str], str] = {}

# Objects kept as plain JSON mappings on purpose (their shapes vary per type).
OPAQUE = {
    ("GraderScoreModel", "sampling_params"): "model sampling options; kept as a mapping",
    ("FineTuningJobEvent", "data"): "free-form per event type; kept as a mapping",
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and strip a nullable ``anyOf [X, null]`` down to X."""
    while True:
        if "$ref" in schema:
            schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
            continue
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches and "properties" not in schema:
            non_null = [b for b in branches if b.get("type") != "null"]
            if len(non_null) == 1:
                schema = non_null[0]
                continue
        return schema


def _ref_name(schema: dict[str, Any]) -> str | None:
    while True:
        if "$ref" in schema:
            return str(schema["$ref"].rsplit("/", 1)[-1])
        branches = schema.get("anyOf") or schema.get("oneOf")
        non_null = [b for b in branches or [] if b.get("type") != "null"]
        if len(non_null) != 1:
            return None
        schema = non_null[0]


def _enums(schema: dict[str, Any]) -> list[Any]:
    """Every enum value a (possibly union) property schema allows, ``$ref`` followed."""
    if "$ref" in schema:
        return _enums(SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]])
    found = list(schema.get("enum", []))
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += _enums(branch)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        found += _enums(schema["items"])
    return found


def _model_class(model: Any) -> Any:
    return get_origin(model) or model


def _hints(model: Any) -> dict[str, Any]:
    cls = _model_class(model)
    hints = typing.get_type_hints(cls)
    if cls is Page:
        item = get_args(model)[0]
        hints["data"] = tuple[item, ...]  # type: ignore[valid-type]
    return hints


def _walk() -> list[tuple[str, str, dict[str, Any], Any]]:
    """(schema, property, property schema, model) for every property of every mapped schema."""
    rows: list[tuple[str, str, dict[str, Any], Any]] = []
    todo = [(name, SCHEMAS[name], model) for name, model in TOP_LEVEL.items() if name in SCHEMAS]
    seen: set[str] = set()
    while todo:
        name, schema, model = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        schema = _resolve(schema)
        for prop, sub in (schema.get("properties") or {}).items():
            rows.append((name, prop, sub, model))
            nested = NESTED.get((name, prop))
            if nested is not None:
                todo.append((f"{name}.{prop}", _resolve(sub), nested))
    return rows


ROWS = _walk() if SCHEMAS else []


def test_the_walk_covers_the_response_objects() -> None:
    names = {row[0] for row in ROWS}
    assert set(TOP_LEVEL) <= names
    assert {"FineTuningJob.error", "FineTuningJob.hyperparameters"} <= names
    # Every schema named in a 200 response of a kept operation is mapped (or a raw download).
    for route, operations in SPEC["paths"].items():
        for method, op in operations.items():
            content = op["responses"]["200"].get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref is not None:
                assert ref.rsplit("/", 1)[-1] in TOP_LEVEL, f"{method} {route}"


@pytest.mark.parametrize(
    ("schema", "prop"), [(r[0], r[1]) for r in ROWS], ids=[f"{r[0]}.{r[1]}" for r in ROWS]
)
def test_every_property_is_a_model_field(schema: str, prop: str) -> None:
    model = next(r[3] for r in ROWS if r[0] == schema and r[1] == prop)
    if (schema, prop) in NOT_MODELLED:
        pytest.skip(NOT_MODELLED[(schema, prop)])
    fields = {a.name for a in attrs.fields(_model_class(model))}
    assert prop in fields, f"{schema}.{prop} is in the spec but not on {model}"


def _accepts(tp: Any, value: Any) -> bool:
    """Does a model field of type ``tp`` represent the enum value ``value``?"""
    if tp is str:
        return isinstance(value, str)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return value in {m.value for m in tp}
    origin = get_origin(tp)
    if origin is Literal:
        return value in get_args(tp)
    if origin is Union or isinstance(tp, types.UnionType):
        args = get_args(tp)
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums:
            # An open enum (``JobStatus | str``) must still name every spec value.
            return any(_accepts(e, value) for e in enums)
        return any(_accepts(a, value) for a in args)
    if origin is tuple:
        return _accepts(get_args(tp)[0], value)
    if attrs.has(_model_class(tp)):
        # An object whose ``type`` discriminator carries the enum (integrations).
        return "type" in attrs.fields_dict(_model_class(tp)) and _accepts(
            typing.get_type_hints(_model_class(tp))["type"], value
        )
    return False


ENUM_ROWS = [
    (schema, prop, value, model)
    for schema, prop, sub, model in ROWS
    for value in _enums(sub)
    if (schema, prop) not in NOT_MODELLED
]


@pytest.mark.parametrize(
    ("schema", "prop", "value"),
    [(r[0], r[1], r[2]) for r in ENUM_ROWS],
    ids=[f"{r[0]}.{r[1]}={r[2]}" for r in ENUM_ROWS],
)
def test_every_enum_value_is_represented(schema: str, prop: str, value: Any) -> None:
    model = next(r[3] for r in ENUM_ROWS if r[:3] == (schema, prop, value))
    tp = _hints(model)[prop]
    assert _accepts(tp, value), f"{schema}.{prop}: {value!r} not representable by {tp}"


def test_enum_walk_found_the_status_enum() -> None:
    statuses = {r[2] for r in ENUM_ROWS if r[:2] == ("FineTuningJob", "status")}
    assert statuses == {"validating_files", "queued", "running", "succeeded", "failed", "cancelled"}
    # The spec's gap: pause returns "paused", which the enum lacks; the model has it.
    assert JobStatus("paused") is JobStatus.PAUSED


def test_object_constants_are_the_model_defaults() -> None:
    for schema, prop, sub, model in ROWS:
        if prop != "object":
            continue
        values = _enums(sub)
        default = attrs.fields_dict(_model_class(model))["object"].default
        if values:
            assert values == [default], schema
        elif "example" in sub:
            assert sub["example"] == default, schema


def test_nested_and_opaque_objects_are_typed_as_declared() -> None:
    for (schema, prop), model in NESTED.items():
        owner = schema.split(".")[0]
        owner_model = TOP_LEVEL.get(owner)
        if owner_model is None:
            continue
        assert model in get_args(_hints(owner_model)[prop]) or _hints(owner_model)[prop] is model
    for schema, prop in OPAQUE:
        tp = _hints(TOP_LEVEL[schema])[prop]
        assert "Mapping" in str(tp), (schema, prop, tp)
    # Refs between mapped schemas point at the mapped models.
    for schema, prop, sub, model in ROWS:
        target = _ref_name(sub)
        if target in TOP_LEVEL and schema in TOP_LEVEL and target != "Metadata":
            tp = _hints(model)[prop]
            expected = _model_class(TOP_LEVEL[target])
            flat = {_model_class(a) for a in get_args(tp)} | {_model_class(tp)}
            assert expected in flat, (schema, prop, tp)


# -- requests: every documented parameter has a keyword --------------------------------------


def _request_properties(name: str) -> set[str]:
    return set(_resolve(SCHEMAS[name]).get("properties", {}))


def test_create_job_takes_every_request_property() -> None:
    params = set(inspect.signature(Jobs.create).parameters)
    assert _request_properties("CreateFineTuningJobRequest") <= params


def test_upload_takes_every_request_property() -> None:
    params = set(inspect.signature(Files.upload).parameters)
    assert _request_properties("CreateFileRequest") <= params
    purposes = _enums(_resolve(SCHEMAS["CreateFileRequest"])["properties"]["purpose"])
    assert set(purposes) == set(FILE_PURPOSES)


@pytest.mark.parametrize(
    ("schema", "method"),
    [
        ("CreateUploadRequest", Uploads.create),
        ("CompleteUploadRequest", Uploads.complete),
        ("AddUploadPartRequest", Uploads.add_part),
        ("CreateFineTuningCheckpointPermissionRequest", CheckpointPermissions.create),
        ("RunGraderRequest", Graders.run),
        ("ValidateGraderRequest", Graders.validate),
    ],
)
def test_new_operations_take_every_request_property(schema: str, method: Any) -> None:
    assert _request_properties(schema) <= set(inspect.signature(method).parameters)


def test_upload_purposes_are_the_spec_s() -> None:
    purposes = _enums(_resolve(SCHEMAS["CreateUploadRequest"])["properties"]["purpose"])
    assert set(purposes) == set(UPLOAD_PURPOSES)


def test_every_operation_has_a_method() -> None:
    """The spec's operations, each with the SDK method that calls it."""
    methods = {
        "createFineTuningJob": Jobs.create,
        "listPaginatedFineTuningJobs": Jobs.list,
        "retrieveFineTuningJob": Jobs.retrieve,
        "cancelFineTuningJob": Jobs.cancel,
        "pauseFineTuningJob": Jobs.pause,
        "resumeFineTuningJob": Jobs.resume,
        "listFineTuningEvents": Jobs.list_events,
        "listFineTuningJobCheckpoints": Jobs.list_checkpoints,
        "createFile": Files.upload,
        "listFiles": Files.list,
        "retrieveFile": Files.retrieve,
        "deleteFile": Files.delete,
        "downloadFile": Files.content,
        "createUpload": Uploads.create,
        "addUploadPart": Uploads.add_part,
        "completeUpload": Uploads.complete,
        "cancelUpload": Uploads.cancel,
        "listFineTuningCheckpointPermissions": CheckpointPermissions.list,
        "createFineTuningCheckpointPermission": CheckpointPermissions.create,
        "deleteFineTuningCheckpointPermission": CheckpointPermissions.delete,
        "runGrader": Graders.run,
        "validateGrader": Graders.validate,
    }
    operations = {op["operationId"] for ops in SPEC["paths"].values() for op in ops.values()}
    assert operations == set(methods)


def test_list_query_parameters_have_keywords() -> None:
    methods = {
        "listPaginatedFineTuningJobs": Jobs.list,
        "listFineTuningEvents": Jobs.list_events,
        "listFineTuningJobCheckpoints": Jobs.list_checkpoints,
        "listFiles": Files.list,
        "listFineTuningCheckpointPermissions": CheckpointPermissions.list,
    }
    for operations in SPEC["paths"].values():
        for op in operations.values():
            method = methods.get(op.get("operationId"))
            if method is None:
                continue
            params = set(inspect.signature(method).parameters)
            for parameter in op.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter["name"] in params, (op["operationId"], parameter["name"])


def test_error_object_fields_are_on_status_errors() -> None:
    error = APIStatusError("m", status_code=400, code="c", param="p", type="t")
    for prop in _request_properties("Error"):
        assert hasattr(error, prop), prop


# -- examples --------------------------------------------------------------------------------


EXAMPLES = response_examples() if SPEC else []


def _drop_nulls(value: Any) -> Any:
    # The models treat null, [] and absent alike for optional arrays (``tags``, ``result_files``).
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _is_empty_error(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None for v in value.values())


def _expected_json(body: Any) -> Any:
    """What unstructuring the parsed example should give: nulls and an all-null error gone."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if not (k == "error" and _is_empty_error(v))}
        if isinstance(body.get("data"), list):
            body["data"] = [_expected_json(item) for item in body["data"]]
    return _drop_nulls(body)


def test_every_example_is_found() -> None:
    # 26 operation examples (the download has none) + 7 schema examples.
    assert len(EXAMPLES) == 33
    assert all(model is not None for _, model, _ in EXAMPLES)


@pytest.mark.parametrize(("where", "model", "text"), EXAMPLES, ids=[e[0] for e in EXAMPLES] or None)
def test_example_parses_and_round_trips(where: str, model: Any, text: str) -> None:
    body = repair(text)
    obj = structure(body, model, request_id="req_1")
    assert obj.request_id == "req_1"
    # Model -> JSON -> model is lossless...
    again = structure(unstructure(obj), model)
    assert again == obj
    # ...and model -> JSON gives back every non-null value of the example, extra keys included.
    assert _drop_nulls(unstructure(obj)) == _expected_json(body)


def test_example_statuses_are_known() -> None:
    for where, model, text in EXAMPLES:
        if model is FineTuningJob:
            job = structure(repair(text), FineTuningJob)
            assert isinstance(job.status, JobStatus), where


def test_grader_enums_of_the_sdk_are_the_spec_s() -> None:
    properties = SCHEMAS["GraderStringCheck"]["properties"]
    assert tuple(properties["operation"]["enum"]) == STRING_CHECK_OPERATIONS
    metrics = SCHEMAS["GraderTextSimilarity"]["properties"]["evaluation_metric"]["enum"]
    assert tuple(metrics) == TEXT_SIMILARITY_METRICS
