"""The OpenAPI spec the tests check against, and the model each response schema maps to.

The spec is the repository's own copy, ``spec/openai-fine-tuning.openapi.yaml``: no test
depends on a file outside the repository.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from ftjobs._models import (
    CheckpointPermission,
    CheckpointPermissionDeleted,
    FileDeleted,
    FileObject,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Page,
    Upload,
    UploadPart,
)
from ftjobs.graders import GraderRunResult, GraderValidation

REPO = Path(__file__).resolve().parents[1]

SPEC_PATH: Path = REPO / "spec" / "openai-fine-tuning.openapi.yaml"
"""The project's own copy of the spec (``spec/README.md`` says where it came from)."""


TOGETHER_SPEC_PATH: Path = REPO / "spec" / "together-fine-tuning.openapi.yaml"
"""The project's copy of Together AI's description (``spec/together-fine-tuning.README.md``)."""


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """The spec at ``path`` (OpenAI's by default), parsed once (shared: copy before changing
    it)."""
    import yaml

    spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    "Upload": Upload,
    "UploadPart": UploadPart,
    "FineTuningCheckpointPermission": CheckpointPermission,
    "ListFineTuningCheckpointPermissionResponse": Page[CheckpointPermission],
    "DeleteFineTuningCheckpointPermissionResponse": CheckpointPermissionDeleted,
    "RunGraderResponse": GraderRunResult,
    "ValidateGraderResponse": GraderValidation,
}
"""The spec's response schemas and the model each is structured into."""


@functools.cache
def response_examples() -> list[tuple[str, Any, str]]:
    """``(where, model, example text)`` for every response example in the spec: the
    ``x-oaiMeta`` examples of the operations (``model`` is None when the operation's 200
    schema is not in `RESPONSE_MODELS`) and of the response schemas. Needs the spec."""
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


def repair(text: str) -> Any:
    """Turn one of the spec's illustrative examples into JSON (the README lists the faults)."""
    text = re.sub(r"\{\s*\.\.\.\s*\},?", "", text)  # elided list items
    text = re.sub(r"\bNone\b", "null", text)  # Python None
    # A missing comma between a value and the next key on the following line.
    text = re.sub(r'("|\d|true|false|null|[}\]])(\s*\n\s*")', r"\1,\2", text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)  # trailing commas
    return json.loads(text)
