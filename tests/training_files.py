"""The corpus of good and bad training files (tests/data/training_files), read from its
manifest: each bad file breaks one rule, on a known line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "data" / "training_files"
_MANIFEST: dict[str, list[dict[str, Any]]] = json.loads((CORPUS / "cases.json").read_text())

GOOD = _MANIFEST["good"]
BAD = _MANIFEST["bad"]
ERRORS = [case for case in BAD if case["severity"] == "error"]


def case_id(case: dict[str, Any]) -> str:
    return str(case["file"]).rsplit("/", 1)[-1].removesuffix(".jsonl")
