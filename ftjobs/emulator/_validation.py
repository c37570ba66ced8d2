"""What a job keeps of the check of its data files, as done in the ``validating_files`` state.

The check itself is [check_training_file][ftjobs.check_training_file] (``ftjobs.training_data``),
the one the SDK offers before upload: a file it refuses fails the emulated job with its first
error, worded as the service words it. A job keeps only a summary, which is persisted with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ftjobs.training_data import check_training_file

__all__ = ["DatasetReport", "validate_dataset"]


@attrs.frozen
class DatasetReport:
    """Outcome of checking one data file, as a job keeps it.

    Attributes:
        n_examples: Examples read (up to the first error).
        n_tokens: Estimated tokens in the valid examples (one epoch).
        error_code: ``None`` when the file is valid, else the job's error code
            (``invalid_training_file``, ``invalid_validation_file``, ``invalid_n_examples``).
        error_message: The job's error message, naming the offending line.
    """

    n_examples: int
    n_tokens: int
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file is usable."""
        return self.error_code is None


def validate_dataset(
    content: bytes,
    method: str = "supervised",
    *,
    kind: str = "training",
    min_examples: int = 0,
    grader: Mapping[str, Any] | None = None,
) -> DatasetReport:
    """Check a JSONL data file for a job of ``method`` and summarize the first error.

    Tokens are always estimated, so an emulated job's ``trained_tokens`` does not depend on
    whether ``tiktoken`` happens to be installed.

    Args:
        content: The file's bytes.
        method: ``supervised``, ``dpo`` or ``reinforcement``.
        kind: ``training`` or ``validation``; names the file in the job's error.
        min_examples: Fewer examples than this fails with ``invalid_n_examples``.
        grader: The reinforcement job's grader (its ``item.*`` fields are checked).
    """
    report = check_training_file(
        content,
        method=method,
        grader=grader,
        min_examples=min_examples,
        max_errors=1,
        tokenizer="estimate",
    )
    return DatasetReport(
        report.n_examples,
        report.n_tokens,
        report.failure_code(kind),
        report.failure_message(kind),
    )
