"""Validation of fine-tuning data files (JSONL), as done in the ``validating_files`` state.

Pure: bytes in, a :class:`DatasetReport` out. Blank lines are ignored; every other line must
be one JSON object in the format of the job's method:

- ``supervised``: ``{"messages": [{"role": ..., "content": ...}, ...]}`` with at least one
  ``assistant`` message;
- ``dpo``: ``{"input": {"messages": [...]}, "preferred_output": [...],
  "non_preferred_output": [...]}`` where both outputs are non-empty lists of assistant
  messages;
- ``reinforcement``: ``{"messages": [...], ...}`` (extra reference fields allowed).

Token counts are an estimate (about 4 characters per token, plus a small per-message
overhead); they only feed ``trained_tokens`` and step counts.
"""

from __future__ import annotations

import json
import math
from typing import Any

import attrs

__all__ = ["DatasetReport", "estimate_tokens", "validate_dataset"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_PER_MESSAGE_TOKENS = 4
_PER_EXAMPLE_TOKENS = 3


@attrs.frozen
class DatasetReport:
    """Outcome of validating one data file.

    Attributes:
        n_examples: Number of valid examples read (up to the first error).
        n_tokens: Estimated tokens in the file (one epoch).
        error_code: ``None`` when the file is valid, else a machine-readable code
            (``invalid_training_file``, ``invalid_validation_file``, ``invalid_n_examples``).
        error_message: Human-readable reason, naming the offending line.
    """

    n_examples: int
    n_tokens: int
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file is usable."""
        return self.error_code is None


class _LineError(Exception):
    pass


def estimate_tokens(text: str) -> int:
    """Rough token estimate of ``text`` (4 characters per token, at least 1 if non-empty)."""
    return math.ceil(len(text) / 4) if text else 0


def _content_tokens(content: Any, where: str) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return estimate_tokens(content)
    if isinstance(content, list):
        total = 0
        for index, part in enumerate(content, 1):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise _LineError(f"{where} content part {index} must be an object with a 'type'")
            text = part.get("text")
            if isinstance(text, str):
                total += estimate_tokens(text)
            else:
                total += 85  # an image or other non-text part: flat cost
        return total
    raise _LineError(f"{where} 'content' must be a string or a list of parts")


def _messages_tokens(messages: Any, where: str, *, assistant_only: bool = False) -> int:
    if not isinstance(messages, list) or not messages:
        raise _LineError(f"{where} must be a non-empty list of messages")
    total = 0
    for index, message in enumerate(messages, 1):
        label = f"{where} message {index}"
        if not isinstance(message, dict):
            raise _LineError(f"{label} must be an object")
        role = message.get("role")
        if not isinstance(role, str):
            raise _LineError(f"{label} is missing 'role'")
        if role not in _ROLES:
            raise _LineError(f"{label} has unrecognized role {role!r}")
        if assistant_only and role != "assistant":
            raise _LineError(f"{label} must have role 'assistant', got {role!r}")
        has_calls = "tool_calls" in message or "function_call" in message
        if "content" not in message and not (role == "assistant" and has_calls):
            raise _LineError(f"{label} is missing 'content'")
        content = message.get("content")
        if content is None and not (role == "assistant" and has_calls):
            raise _LineError(f"{label} has null 'content'")
        weight = message.get("weight")
        if weight is not None and weight not in (0, 1):
            raise _LineError(f"{label} 'weight' must be 0 or 1")
        total += _content_tokens(content, label) + _PER_MESSAGE_TOKENS
    return total


def _example_tokens(example: Any, method: str) -> int:
    if not isinstance(example, dict):
        raise _LineError("expected a JSON object")
    if method == "dpo":
        source = example.get("input")
        if not isinstance(source, dict):
            raise _LineError("missing 'input' object (DPO format)")
        total = _messages_tokens(source.get("messages"), "'input.messages'")
        for key in ("preferred_output", "non_preferred_output"):
            if key not in example:
                raise _LineError(f"missing '{key}' (DPO format)")
            total += _messages_tokens(example[key], f"'{key}'", assistant_only=True)
        return total + _PER_EXAMPLE_TOKENS
    if "messages" not in example:
        raise _LineError("missing 'messages' (chat format)")
    messages = example["messages"]
    total = _messages_tokens(messages, "'messages'")
    if method == "supervised" and not any(
        isinstance(m, dict) and m.get("role") == "assistant" for m in messages
    ):
        raise _LineError("example has no assistant message")
    return total + _PER_EXAMPLE_TOKENS


def validate_dataset(
    content: bytes,
    method: str = "supervised",
    *,
    kind: str = "training",
    min_examples: int = 0,
) -> DatasetReport:
    """Validate a JSONL data file for a job of ``method``.

    Args:
        content: The file's bytes.
        method: ``supervised``, ``dpo`` or ``reinforcement``.
        kind: ``training`` or ``validation``; names the file in messages and error codes.
        min_examples: Fewer valid examples than this fails with ``invalid_n_examples``.
    """
    code = f"invalid_{kind}_file"
    prefix = f"The job failed due to an invalid {kind} file. Invalid file format."
    n_examples = 0
    n_tokens = 0
    for line_no, raw in enumerate(content.split(b"\n"), 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return DatasetReport(
                n_examples, n_tokens, code, f"{prefix} Line {line_no}: not valid UTF-8."
            )
        if not text.strip():
            continue
        try:
            example = json.loads(text)
        except ValueError as exc:
            detail = getattr(exc, "msg", str(exc))
            return DatasetReport(
                n_examples, n_tokens, code, f"{prefix} Line {line_no}: invalid JSON ({detail})."
            )
        try:
            n_tokens += _example_tokens(example, method)
        except _LineError as exc:
            return DatasetReport(n_examples, n_tokens, code, f"{prefix} Line {line_no}: {exc}.")
        n_examples += 1
    if n_examples == 0:
        return DatasetReport(0, 0, code, f"{prefix} The {kind} file contains no examples.")
    if n_examples < min_examples:
        return DatasetReport(
            n_examples,
            n_tokens,
            "invalid_n_examples",
            f"The {kind} file has {n_examples} example(s), but must have at least "
            f"{min_examples} examples.",
        )
    return DatasetReport(n_examples, n_tokens)
