"""The OpenAPI spec the tests check against, and the model each response schema maps to.

The spec is ``$FTJOBS_SPEC`` or else ``../shared/spec/openai-fine-tuning.openapi.yaml`` beside
the repository, whichever exists first; :data:`SPEC_PATH` is None when neither does, and the
tests that need the spec skip.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from ftjobs.models import (
    FileDeleted,
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Page,
)

REPO = Path(__file__).resolve().parents[1]


def _spec_path() -> Path | None:
    for candidate in (
        os.environ.get("FTJOBS_SPEC", ""),
        str(REPO.parent / "shared" / "spec" / "openai-fine-tuning.openapi.yaml"),
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


SPEC_PATH: Path | None = _spec_path()
"""Where the spec is, or None when it is not there."""


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec, parsed once (shared: copy before changing it). Needs :data:`SPEC_PATH`."""
    import yaml

    if SPEC_PATH is None:
        raise FileNotFoundError("the spec is not beside the repository (../shared/spec)")
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


RESPONSE_MODELS: dict[str, Any] = {
    "FineTuningJob": FineTuningJob,
    "FineTuningJobEvent": FineTuningJobEvent,
    "FineTuningJobCheckpoint": FineTuningJobCheckpoint,
    "OpenAIFile": FileObject,
    "DeleteFileResponse": FileDeleted,
    "ListPaginatedFineTuningJobsResponse": Page[FineTuningJob],
    "ListFineTuningJobEventsResponse": Page[FineTuningJobEvent],
    "ListFineTuningJobCheckpointsResponse": Page[FineTuningJobCheckpoint],
    "ListFilesResponse": Page[FileObject],
}
"""The spec's response schemas and the model each is structured into."""


@functools.cache
def response_examples() -> list[tuple[str, Any, str]]:
    """``(where, model, example text)`` for every response example in the spec: the
    ``x-oaiMeta`` examples of the operations (``model`` is None when the operation's 200
    schema is not in :data:`RESPONSE_MODELS`) and of the response schemas. Needs the spec."""
    spec = load_spec()
    found: list[tuple[str, Any, str]] = []
    for route, operations in spec["paths"].items():
        for method, op in operations.items():
            content = op.get("responses", {}).get("200", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            model = RESPONSE_MODELS.get(ref.rsplit("/", 1)[-1])
            examples = op.get("x-oaiMeta", {}).get("examples", [])
            for ex in examples if isinstance(examples, list) else [examples]:
                if isinstance(ex.get("response"), str):
                    where = f"{method.upper()} {route} {ex.get('title', '')}".strip()
                    found.append((where, model, ex["response"]))
    for name, schema in spec["components"]["schemas"].items():
        example = schema.get("x-oaiMeta", {}).get("example")
        if name in RESPONSE_MODELS and isinstance(example, str):
            found.append((f"schema {name}", RESPONSE_MODELS[name], example))
    return found
