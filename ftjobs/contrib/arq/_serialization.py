"""arq's job serializer for ftjobs tasks: JSON, never pickle; failures travel typed."""

from __future__ import annotations

import json
from typing import Any

from arq.worker import JobExecutionFailed

from .._tasks import CreateFailed, WaitFailed

__all__ = ["dumps", "loads"]

_ERROR = "__ftjobs_error__"


def _encode(obj: Any) -> Any:
    if isinstance(obj, WaitFailed):
        return {_ERROR: "wait_failed", **obj.to_dict()}
    if isinstance(obj, CreateFailed):
        return {_ERROR: "create_failed", **obj.to_dict()}
    if isinstance(obj, BaseException):
        return {_ERROR: "other", "type": type(obj).__name__, "message": str(obj)}
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable (ftjobs task arguments)")


def _decode(data: dict[str, Any]) -> Any:
    kind = data.get(_ERROR)
    if kind is None:
        return data
    if kind == "wait_failed":
        return WaitFailed.from_dict(data)
    if kind == "create_failed":
        return CreateFailed.from_dict(data)
    return JobExecutionFailed(f"{data.get('type')}: {data.get('message')}")


def dumps(obj: Any) -> bytes:
    """arq ``job_serializer``: JSON (never pickle); exceptions become typed JSON objects."""
    return json.dumps(obj, default=_encode, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    """arq ``job_deserializer``, the inverse of `dumps`."""
    return json.loads(data, object_hook=_decode)
