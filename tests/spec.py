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
