"""Together AI's fine-tuning and Files API, served in the Together dialect instead of
OpenAI's resources: ``/fine-tunes`` (create, list, retrieve, delete, cancel, events,
checkpoints, metrics, price estimate, supported models, model limits), ``/finetune/download``
and ``/files`` (both upload flows, list, retrieve, delete, content). The shapes are
`ftjobs.emulator._together`'s, the rules `ftjobs.emulator._together_requests`'.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from ftjobs.emulator._bodies import read_body, read_json, read_multipart
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._idempotency import idempotent
from ftjobs.emulator._instance import Emulator, emulator_of
from ftjobs.emulator._lifecycle import JobState
from ftjobs.emulator._paths import STORAGE_PREFIX
from ftjobs.emulator._render import FileRecord
from ftjobs.emulator._responses import json_response
from ftjobs.emulator._together import (
    FILE_TYPES,
    TOGETHER_PURPOSES,
    download_archive,
    file_type_of,
    owner_of,
    together_checkpoints,
    together_events,
    together_file,
    together_metrics,
)
from ftjobs.emulator._together_requests import (
    METHODS,
    model_limits,
    parse_create,
    parse_training_method,
    price_estimate,
)
from ftjobs.emulator._validation import validate_dataset

__all__ = ["ROUTES", "STORAGE_ROUTES"]

_JOB = "/fine-tunes/{id}"
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _data(items: list[dict[str, Any]]) -> web.Response:
    """A Together list: everything in one page, no cursor."""
    return json_response({"data": items})


def _job(request: web.Request) -> tuple[Emulator, JobState]:
    emulator = emulator_of(request)
    return emulator, emulator.store.get_job(request.match_info["id"])


def _owner(emulator: Emulator) -> str:
    return owner_of(emulator.config.organization)


def _base_of(emulator: Emulator) -> Callable[[str], str]:
    """``from_checkpoint`` (``JOB_ID[:STEP]``) -> the base model of that completed job."""

    def base(reference: str) -> str:
        job_id, _, step = reference.partition(":")
        job = emulator.store.fleet.jobs.get(job_id)
        if job is None or job.status != "succeeded":
            raise ApiError.invalid(
                f"Invalid 'from_checkpoint': no completed fine-tune job '{job_id}'.",
                param="from_checkpoint",
            )
        if step and not (step.isdigit() and 0 < int(step) <= job.total_steps):
            raise ApiError.invalid(
                f"Invalid 'from_checkpoint': job {job_id} has no step {step}.",
                param="from_checkpoint",
            )
        return job.model

    return base


# -- fine-tunes -----------------------------------------------------------------------------


async def _create(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    emulator = emulator_of(request)

    def produce() -> web.Response:
        store = emulator.store
        job_request = parse_create(body, models=store.config.models, base_of=_base_of(emulator))
        return json_response(emulator.render_job(store.create_job(job_request)))

    return idempotent(request, body, produce)


async def _list(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    jobs = list(emulator.store.jobs())
    jobs.reverse()  # newest first
    return _data([emulator.render_job(job) for job in jobs])


async def _retrieve(request: web.Request) -> web.StreamResponse:
    emulator, job = _job(request)
    body = dict(emulator.render_job(job))
    store = emulator.store
    body["events"] = together_events(
        job, store.events_of(job.id), store.clock.to_wall, _owner(emulator)
    )
    return json_response(body)


async def _delete(request: web.Request) -> web.StreamResponse:
    emulator, job = _job(request)
    emulator.store.delete_job(job.id)
    return json_response({"message": f"Fine-tune job {job.id} deleted."})


async def _cancel(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    job_id = request.match_info["id"]

    def produce() -> web.Response:
        return json_response(emulator.render_job(emulator.store.act(job_id, "cancel")))

    return idempotent(request, {"action": "cancel", "job": job_id}, produce)


async def _events(request: web.Request) -> web.StreamResponse:
    emulator, job = _job(request)
    store = emulator.store
    wall = store.clock.to_wall
    return _data(together_events(job, store.events_of(job.id), wall, _owner(emulator)))


async def _checkpoints(request: web.Request) -> web.StreamResponse:
    emulator, job = _job(request)
    store = emulator.store
    wall = store.clock.to_wall
    return _data(together_checkpoints(job, store.checkpoints_of(job.id), wall, _owner(emulator)))


def _query_int(query: dict[str, Any], key: str) -> int | None:
    raw = query.get(key)
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw)
    raise ApiError.invalid(f"Invalid '{key}': expected an integer.", param=key)


def _query_time(query: dict[str, Any], key: str) -> float | None:
    raw = query.get(key)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError.invalid(f"Invalid '{key}': expected an ISO-8601 time.", param=key) from None


async def _metrics(request: web.Request) -> web.StreamResponse:
    emulator, job = _job(request)
    # Together's description puts the filters in a JSON body; its SDK sends them as a query.
    filters: dict[str, Any] = {}
    if request.can_read_body:
        raw = await read_body(request, emulator.config.max_json_bytes)
        if raw.strip():
            body = await read_json(request)
            if not isinstance(body, dict):
                raise ApiError.invalid("The request body must be a JSON object.")
            filters.update(body)
    filters.update(request.query)
    store = emulator.store
    rows = together_metrics(
        job,
        store.events_of(job.id),
        store.clock.to_wall,
        step_from=_query_int(filters, "global_step_from"),
        step_to=_query_int(filters, "global_step_to"),
        logged_from=_query_time(filters, "logged_at_from"),
        logged_to=_query_time(filters, "logged_at_to"),
    )
    resolution = _query_int(filters, "resolution")
    if resolution is not None and resolution < 1:
        message = "Invalid 'resolution': expected an integer >= 1."
        raise ApiError.invalid(message, param="resolution")
    if resolution is not None and len(rows) > resolution:
        stride = len(rows) / resolution
        rows = [rows[math.floor(i * stride)] for i in range(resolution)]
    return json_response({"metrics": rows})


async def _supported(request: web.Request) -> web.StreamResponse:
    return json_response({"models": list(emulator_of(request).config.models)})


async def _limits(request: web.Request) -> web.StreamResponse:
    model = request.query.get("model_name")
    if not model:
        raise ApiError.invalid("Missing required parameter: 'model_name'.", param="model_name")
    if model not in emulator_of(request).config.models:
        # Together's description gives this 404 its own shape: {"message": ...}.
        return json_response(
            {"message": f"Model {model} is not available for fine-tuning."}, status=404
        )
    return json_response(model_limits(model))


def _tokens(emulator: Emulator, file_id: str | None, method: str, param: str) -> int | None:
    """Tokens in one pass over a fine-tune file (``None`` when it is not a valid one)."""
    if file_id is None:
        return 0
    record = _fine_tune_file(emulator, file_id, param)
    report = validate_dataset(emulator.store.file_content(record.id), method)
    return report.n_tokens if report.ok else None


async def _estimate_price(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError.invalid("The request body must be a JSON object.")
    training_file = body.get("training_file")
    if not isinstance(training_file, str) or not training_file:
        message = "Missing required parameter: 'training_file'."
        raise ApiError.invalid(message, param="training_file")
    model = body.get("model") or next(iter(emulator.config.models))
    if body.get("from_checkpoint"):
        model = _base_of(emulator)(str(body["from_checkpoint"]))
    if model not in emulator.config.models:
        raise ApiError.invalid(f"Model {model} is not supported for fine-tuning.", param="model")
    method = METHODS[parse_training_method(body)["method"]]
    n_epochs = body.get("n_epochs") or 1
    n_evals = body.get("n_evals") or 0
    if not isinstance(n_epochs, int) or not isinstance(n_evals, int):
        raise ApiError.invalid("'n_epochs' and 'n_evals' must be integers.", param="n_epochs")
    train = _tokens(emulator, training_file, method, "training_file")
    evaluation = _tokens(emulator, body.get("validation_file") or None, method, "validation_file")
    if train is None or evaluation is None:
        reason = "train_file_invalid" if train is None else "eval_file_invalid"
        return json_response({"estimation_available": False, "unavailable_reason": reason})
    training_type = body.get("training_type") or {}
    full = isinstance(training_type, dict) and training_type.get("type") == "Full"
    estimate = price_estimate(
        model,
        train_tokens=train * n_epochs,
        eval_tokens=evaluation * n_evals,
        full=full,
        dpo=method == "dpo",
    )
    return json_response(estimate)


_CHECKPOINT_KINDS = ("merged", "adapter", "model_output_path")


async def _download(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    query = request.query
    ft_id = query.get("ft_id")
    if not ft_id:
        raise ApiError.invalid("Missing required parameter: 'ft_id'.", param="ft_id")
    job = emulator.store.get_job(ft_id)
    step = _query_int(dict(query), "checkpoint_step")
    kind = query.get("checkpoint")
    if step is None and kind not in _CHECKPOINT_KINDS:
        raise ApiError.invalid(
            f"'checkpoint' must be one of {', '.join(_CHECKPOINT_KINDS)} when "
            "'checkpoint_step' is not set.",
            param="checkpoint",
        )
    if job.status != "succeeded":
        raise ApiError.invalid(
            f"Fine-tune job {ft_id} has not completed; there is nothing to download yet.",
            param="ft_id",
        )
    full = (job.extra or {}).get("training_type", {}).get("type") == "Full"
    if kind == "adapter" and full:
        raise ApiError.invalid("A full fine-tune has no adapter to download.", param="checkpoint")
    if step is not None:
        steps = {c.step_number for c in emulator.store.checkpoints_of(job.id)} | {job.total_steps}
        if step not in steps:
            raise ApiError.not_found(
                f"Fine-tune job {ft_id} has no checkpoint at step {step}.", param="checkpoint_step"
            )
    artifact = download_archive(job, _owner(emulator), step or job.total_steps, kind or "adapter")
    name = f"{job.id}-step-{step or job.total_steps}.tar.gz"
    return web.Response(
        body=artifact,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- files ----------------------------------------------------------------------------------


def _fine_tune_file(emulator: Emulator, file_id: str, param: str) -> FileRecord:
    """The fine-tune file a request names in ``param`` (400 naming it, as a create's)."""
    try:
        record = _file_record(emulator, file_id)
    except ApiError:
        raise ApiError.invalid(
            f"Invalid {param}: no file with id '{file_id}' exists.",
            param=param,
            code="file_not_found",
        ) from None
    if record.purpose != "fine-tune":
        raise ApiError.invalid(f"File {file_id} is not a fine-tune file.", param=param)
    return record


def _file_record(emulator: Emulator, file_id: str) -> FileRecord:
    """A Together file (the results files OpenAI's jobs make are not among them)."""
    record = emulator.store.get_file(file_id)
    if record.purpose not in TOGETHER_PURPOSES:
        raise ApiError.not_found(f"No such File object: {file_id}", param="id")
    return record


def _form(fields: dict[str, str], allowed: frozenset[str]) -> tuple[str, str, str]:
    """The ``purpose``, ``file_name`` and ``file_type`` of an upload form, checked."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ApiError.invalid(
            f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0]
        )
    purpose = fields.get("purpose") or ""
    if purpose not in TOGETHER_PURPOSES:
        raise ApiError.invalid(
            f"Invalid 'purpose': expected one of {', '.join(TOGETHER_PURPOSES)}.",
            param="purpose",
        )
    name = fields.get("file_name") or ""
    if not name:
        raise ApiError.invalid("Missing required parameter: 'file_name'.", param="file_name")
    file_type = fields.get("file_type") or file_type_of(name)
    if file_type not in FILE_TYPES:
        raise ApiError.invalid(
            f"Invalid 'file_type': expected one of {', '.join(FILE_TYPES)}.", param="file_type"
        )
    return purpose, name, file_type


_DIRECT_FIELDS = frozenset({"purpose", "file_name", "file_type"})
_PRESIGNED_FIELDS = _DIRECT_FIELDS | {"checksum"}


async def _upload(request: web.Request) -> web.StreamResponse:
    """``POST /files/upload``: the file in the form, answered with the file."""
    emulator = emulator_of(request)
    fields, filename, content = await read_multipart(request)
    if content is None:
        raise ApiError.invalid("Missing required parameter: 'file'.", param="file")
    purpose, name, _ = _form(fields, _DIRECT_FIELDS)
    digest = hashlib.sha256(content).hexdigest()
    source = {**fields, "sha256": digest, "part": filename}

    def produce() -> web.Response:
        store = emulator.store
        record = store.add_file(name, purpose, content, purposes=TOGETHER_PURPOSES)
        return json_response(together_file(record, store.clock.to_wall))

    return idempotent(request, source, produce)


async def _upload_url(request: web.Request) -> web.StreamResponse:
    """``POST /files``: a file id and a presigned URL to ``PUT`` the bytes to (302)."""
    emulator = emulator_of(request)
    fields, _, content = await read_multipart(request)
    if content is not None:
        raise ApiError.invalid(
            "POST /files takes no file: PUT it to the Location it answers with "
            "(or send it to POST /files/upload).",
            param="file",
        )
    purpose, name, file_type = _form(fields, _PRESIGNED_FIELDS)
    presigned = emulator.presigned
    file_id = presigned.reserve(name, purpose, file_type, fields.get("checksum") or None)
    location = (
        f"{request.url.origin()}{STORAGE_PREFIX}/{file_id}"
        f"?X-Amz-Signature={presigned.signature(file_id)}"
    )
    return web.Response(status=302, headers={"Location": location, "X-Together-File-Id": file_id})


async def _storage_put(request: web.Request) -> web.StreamResponse:
    """``PUT`` to a presigned URL: the bytes of a file handed out by ``POST /files``."""
    emulator = emulator_of(request)
    content = await read_body(request, emulator.config.max_upload_bytes)
    file_id = request.match_info["file_id"]
    emulator.presigned.put(file_id, request.query.get("X-Amz-Signature", ""), content)
    return web.Response(status=200, headers={"ETag": f'"{file_id}"'})


async def _preprocess(request: web.Request) -> web.StreamResponse:
    """``POST /files/{id}/preprocess``: the uploaded bytes become the file."""
    emulator = emulator_of(request)
    store = emulator.store
    file_id = request.match_info["id"]
    pending = emulator.presigned.take(file_id)
    if pending is None:
        record = _file_record(emulator, file_id)  # done already: the same answer again
    else:
        assert pending.content is not None
        record = store.add_file(
            pending.filename,
            pending.purpose,
            pending.content,
            purposes=TOGETHER_PURPOSES,
            file_id=file_id,
        )
    return json_response(together_file(record, store.clock.to_wall))


async def _list_files(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    files, _ = store.list_files(purpose=None, limit=2**31, order="desc", after=None)
    wall = store.clock.to_wall
    return _data([together_file(f, wall) for f in files if f.purpose in TOGETHER_PURPOSES])


async def _get_file(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    record = _file_record(emulator, request.match_info["id"])
    return json_response(together_file(record, emulator.store.clock.to_wall))


async def _delete_file(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    record = _file_record(emulator, request.match_info["id"])
    emulator.store.delete_file(record.id)
    return json_response({"id": record.id, "deleted": True})


async def _file_content(request: web.Request) -> web.StreamResponse:
    emulator = emulator_of(request)
    record = _file_record(emulator, request.match_info["id"])
    return web.Response(body=emulator.store.file_content(record.id), content_type="text/plain")


ROUTES = (
    web.post("/fine-tunes", _create),
    web.get("/fine-tunes", _list),
    web.post("/fine-tunes/estimate-price", _estimate_price),
    web.get("/fine-tunes/models/supported", _supported),
    web.get("/fine-tunes/models/limits", _limits),
    web.get(_JOB, _retrieve),
    web.delete(_JOB, _delete),
    web.post(_JOB + "/cancel", _cancel),
    web.get(_JOB + "/events", _events),
    web.get(_JOB + "/checkpoints", _checkpoints),
    web.get(_JOB + "/metrics", _metrics),
    web.get("/finetune/download", _download),
    web.post("/files", _upload_url),
    web.post("/files/upload", _upload),
    web.get("/files", _list_files),
    web.get("/files/{id}", _get_file),
    web.delete("/files/{id}", _delete_file),
    web.get("/files/{id}/content", _file_content),
    web.post("/files/{id}/preprocess", _preprocess),
)
"""The Together routes, relative to ``/v1``."""

STORAGE_ROUTES = (web.put("/{file_id}", _storage_put),)
"""The presigned upload URLs, relative to ``STORAGE_PREFIX`` (no API key: signed)."""
