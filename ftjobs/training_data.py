"""Check a fine-tuning data file locally, before uploading it (and in the emulator).

[check_training_file][ftjobs.check_training_file] reads a JSONL file one line at a time and
applies the rules of OpenAI's published data format for the job's method. It returns a
[TrainingFileReport][ftjobs.training_data.TrainingFileReport]: the example count, every error
and warning with its line number and a stable code, and size and token figures.

This module is pure (bytes in, a report out, no network): the emulator judges uploaded files
with the same function, so a file refused here fails an emulated job with the same message.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Literal

import attrs
import orjson

from ._token_count import ENCODING, estimate_tokens, tiktoken_counter
from ._training_rules import (
    Collector,
    Example,
    TooManyErrors,
    TrainingFileIssue,
    grader_fields,
)

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "EXAMPLE_TOKEN_LIMIT",
    "FILES_API_MAX_BYTES",
    "MAX_LINE_BYTES",
    "MIN_EXAMPLES",
    "UPLOADS_API_MAX_BYTES",
    "TrainingFileIssue",
    "TrainingFileReport",
    "check_training_file",
    "estimate_tokens",
]

#: Largest file the Files API accepts in one request (512 MB).
FILES_API_MAX_BYTES = 512 * 1024 * 1024
#: Largest file the Uploads API assembles from parts (8 GB).
UPLOADS_API_MAX_BYTES = 8 * 1024 * 1024 * 1024
#: Fewest examples a training file may have.
MIN_EXAMPLES = 10
#: Errors collected before the check stops reading.
DEFAULT_MAX_ERRORS = 100
#: Longest line read; a longer one is an error, skipped without being held in memory.
MAX_LINE_BYTES = 32 * 1024 * 1024
#: Tokens past which the service truncates an example (the longest training context).
EXAMPLE_TOKEN_LIMIT = 65_536

Tokenizer = Literal["auto", "estimate"]

_METHODS = ("supervised", "dpo", "reinforcement")
_BOM = b"\xef\xbb\xbf"


@attrs.frozen
class TrainingFileReport:
    """What [check_training_file][ftjobs.check_training_file] found.

    Attributes:
        method: The fine-tuning method the file was checked for.
        purpose: The upload purpose the file was checked for.
        n_examples: Examples read (non-blank lines), valid or not.
        n_lines: Lines read, blank ones included.
        n_bytes: Size of the file in bytes (of the part read, when it could not be sized).
        n_tokens: Tokens in the valid examples (one epoch).
        max_example_tokens: Tokens in the longest valid example.
        tokens_exact: True when counted with ``tiktoken``, False for an estimate.
        tokenizer: ``tiktoken/o200k_base`` or ``estimate`` (about 4 characters per token).
        errors: Every error found, in line order (at most ``max_errors``).
        warnings: Warnings, in line order (at most ``max_errors``).
        complete: False when the check stopped after ``max_errors`` errors.
    """

    method: str
    purpose: str
    n_examples: int
    n_lines: int
    n_bytes: int
    n_tokens: int
    max_example_tokens: int
    tokens_exact: bool
    tokenizer: str
    errors: tuple[TrainingFileIssue, ...] = ()
    warnings: tuple[TrainingFileIssue, ...] = ()
    complete: bool = True

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    @property
    def fits_files_api(self) -> bool:
        """True when the file can go through the Files API in one request (else: Uploads)."""
        return self.n_bytes <= FILES_API_MAX_BYTES

    def failure_code(self, kind: str = "training") -> str | None:
        """The job error code the service gives a job with this file as its ``kind`` file
        (``training`` or ``validation``), ``None`` when the file is fine."""
        if not self.errors:
            return None
        if self.errors[0].code == "too_few_examples":
            return "invalid_n_examples"
        return f"invalid_{kind}_file"

    def failure_message(self, kind: str = "training") -> str | None:
        """The job error message for this file as its ``kind`` file: the first error, as the
        service words a failed ``validating_files`` step; ``None`` when the file is fine."""
        if not self.errors:
            return None
        return f"The job failed due to an invalid {kind} file. {self.errors[0].message}"


@contextmanager
def _open(source: Any) -> Iterator[tuple[IO[bytes], int | None]]:
    """The source as a binary stream, and its size when known without reading it."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ValueError(f"path_or_bytes: no such file: {path!r}")
        with open(path, "rb") as handle:
            yield handle, os.fstat(handle.fileno()).st_size
    elif isinstance(source, (bytes, bytearray, memoryview)):
        # BytesIO shares a bytes object's buffer; other buffers are copied once.
        data = source if isinstance(source, bytes) else bytes(source)
        yield io.BytesIO(data), len(data)
    elif hasattr(source, "read"):
        size = None
        if getattr(source, "seekable", lambda: False)():
            start = source.tell()
            size = source.seek(0, io.SEEK_END) - start
            source.seek(start)
        yield source, size
    else:
        raise TypeError(
            "path_or_bytes must be a path, bytes or a binary file object, "
            f"got {type(source).__name__}"
        )


def check_training_file(
    path_or_bytes: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    method: str = "supervised",
    purpose: str = "fine-tune",
    grader: Mapping[str, Any] | None = None,
    min_examples: int = MIN_EXAMPLES,
    max_errors: int = DEFAULT_MAX_ERRORS,
    tokenizer: Tokenizer = "auto",
) -> TrainingFileReport:
    """Check a fine-tuning data file against the format of ``method``, without uploading it.

    The file is read one line at a time, so its size does not matter to memory. Blank lines
    are skipped; every other line must be one JSON object (UTF-8) in the method's format:

    - ``supervised``: ``messages`` (roles system, developer, user, assistant, tool) with at
      least one assistant message; ``weight`` 0 or 1, on assistant messages only;
      well-formed ``tool_calls`` and ``tools``/``functions``; every tool message answers an
      earlier call.
    - ``dpo``: ``input.messages``, and ``preferred_output`` and ``non_preferred_output``,
      each a list with one assistant message.
    - ``reinforcement``: ``messages``, plus every field the ``grader`` reads (``item.x``).

    Args:
        path_or_bytes: A path, the file's bytes, or a binary file object (read to its end).
        method: ``supervised``, ``dpo`` or ``reinforcement``.
        purpose: The upload purpose; only ``fine-tune`` files have a format to check.
        grader: For ``reinforcement``: the grader, whose ``item.*`` fields each example
            must have.
        min_examples: Fewer examples than this is an error (the service's minimum is 10).
        max_errors: Stop reading once this many errors are found.
        tokenizer: ``auto`` counts with ``tiktoken`` when it is installed and its encoding is
            cached (no download is attempted), else estimates; ``estimate`` always estimates.

    Raises:
        ValueError: A parameter is out of range, or the path does not exist.
        TypeError: ``path_or_bytes`` is of the wrong type.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if purpose != "fine-tune":
        raise ValueError(f"purpose: only 'fine-tune' files can be checked, got {purpose!r}")
    if grader is not None and method != "reinforcement":
        raise ValueError("grader: only the reinforcement method uses a grader")
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 1:
        raise ValueError(f"max_errors must be an int >= 1, got {max_errors!r}")
    if isinstance(min_examples, bool) or not isinstance(min_examples, int) or min_examples < 0:
        raise ValueError(f"min_examples must be an int >= 0, got {min_examples!r}")
    if tokenizer not in ("auto", "estimate"):
        raise ValueError(f"tokenizer must be 'auto' or 'estimate', got {tokenizer!r}")
    exact = tiktoken_counter() if tokenizer == "auto" else None
    count = exact or estimate_tokens
    fields = grader_fields(grader) if grader is not None else ()
    issues = Collector(max_errors)
    n_lines = n_examples = n_read = n_tokens = longest = 0
    complete = True
    with _open(path_or_bytes) as (stream, size):
        try:
            if size is not None:
                _check_size(size, issues)
            for raw, length in _lines(stream):
                n_lines += 1
                n_read += length
                if raw is not None and not raw.strip():
                    continue
                n_examples += 1
                tokens = _check_line(raw, n_lines, method, fields, issues, count)
                if tokens is not None:
                    n_tokens += tokens
                    longest = max(longest, tokens)
            if size is None:
                _check_size(n_read, issues)
            if n_examples == 0:
                issues.add(TrainingFileIssue("no_examples", "The file contains no examples.", None))
            elif n_examples < min_examples:
                issues.add(
                    TrainingFileIssue(
                        "too_few_examples",
                        f"The file has {n_examples} example(s), but must have at least "
                        f"{min_examples} examples.",
                        None,
                    )
                )
        except TooManyErrors:
            complete = False
    return TrainingFileReport(
        method=method,
        purpose=purpose,
        n_examples=n_examples,
        n_lines=n_lines,
        n_bytes=size if size is not None else n_read,
        n_tokens=n_tokens,
        max_example_tokens=longest,
        tokens_exact=exact is not None,
        tokenizer=f"tiktoken/{ENCODING}" if exact is not None else "estimate",
        errors=tuple(issues.errors),
        warnings=tuple(issues.warnings),
        complete=complete,
    )


def _lines(stream: IO[bytes]) -> Iterator[tuple[bytes | None, int]]:
    """Each line and its length; ``None`` for a line longer than ``MAX_LINE_BYTES``, which is
    skipped rather than held, so memory stays bounded whatever the file holds."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield raw, len(raw)
            continue
        length = len(raw)
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(MAX_LINE_BYTES)
            length += len(raw)
        yield None, length


def _check_size(size: int, issues: Collector) -> None:
    if size > UPLOADS_API_MAX_BYTES:
        issues.add(
            TrainingFileIssue(
                "file_too_large",
                f"The file is {size} bytes; the Uploads API takes at most "
                f"{UPLOADS_API_MAX_BYTES} bytes.",
                None,
            )
        )
    elif size > FILES_API_MAX_BYTES:
        issues.add(
            TrainingFileIssue(
                "needs_uploads_api",
                f"The file is {size} bytes, more than the Files API's {FILES_API_MAX_BYTES}; "
                "upload it in parts with the Uploads API.",
                None,
                "warning",
            )
        )


def _check_line(
    raw: bytes | None,
    line: int,
    method: str,
    fields: tuple[str, ...],
    issues: Collector,
    count: Callable[[str], int],
) -> int | None:
    """Check one non-blank line; return its tokens when it is a valid example."""
    example = Example(line, issues, count)
    if raw is None:
        example.error("line_too_long", "", f"longer than {MAX_LINE_BYTES} bytes")
        return None
    if line == 1 and raw.startswith(_BOM):
        example.error(
            "byte_order_mark",
            "",
            "the file starts with a byte order mark (save as UTF-8 without BOM)",
        )
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            example.error("not_utf8", "", "not valid UTF-8")
        else:
            example.error("invalid_json", "", f"invalid JSON ({exc.msg})")
        return None
    if not isinstance(value, dict):
        example.error("not_an_object", "", f"expected a JSON object, got {_json_type(value)}")
        return None
    if method == "supervised":
        example.supervised(value)
    elif method == "dpo":
        example.dpo(value)
    else:
        example.reinforcement(value, fields)
    if example.n_errors:
        return None
    if example.tokens > EXAMPLE_TOKEN_LIMIT:
        example.warning(
            "example_too_long",
            "",
            f"about {example.tokens} tokens, more than the {EXAMPLE_TOKEN_LIMIT} the service "
            "trains on (the rest is truncated)",
        )
    return example.tokens


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
