"""Check a fine-tuning data file locally, before uploading it (and in the emulator).

[check_training_file][ftjobs.check_training_file] reads a JSONL file one line at a time and
applies the rules of OpenAI's published data format for the job's method. It returns a
[TrainingFileReport][ftjobs.types.TrainingFileReport]: the example count, every error and warning
with its line number and a stable code, and size and token figures.

This module is pure (bytes in, a report out, no network): the emulator judges uploaded files
with the same function, so a file refused here fails an emulated job with the same message.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Literal

import attrs
import orjson

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

Severity = Literal["error", "warning"]
Tokenizer = Literal["auto", "estimate"]

_METHODS = ("supervised", "dpo", "reinforcement")
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
)
_CHAT_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
_DPO_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
_DPO_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
_PER_MESSAGE_TOKENS = 4
_PER_EXAMPLE_TOKENS = 3
_IMAGE_TOKENS = 85
_BOM = b"\xef\xbb\xbf"
# The encoding of the models that can be fine-tuned (gpt-4o, gpt-4.1 families).
_ENCODING = "o200k_base"
_ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
_ENCODING_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
# Where a grader reads an example: "{{ item.answer }}" in templates, item["answer"] in code.
_TEMPLATE_FIELD = re.compile(r"\{\{\s*item\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
_CODE_FIELD = re.compile(r"""\bitem\[\s*["']([^"']+)["']\s*\]""")


@attrs.frozen
class TrainingFileIssue:
    """One error or warning about a data file.

    Attributes:
        code: Stable, machine-readable name of the rule (for example ``invalid_json``,
            ``no_assistant_message``); the guide "Preparing data" lists them all.
        message: What is wrong, starting with where (``Line 3, message 2: ...``).
        line: The 1-based line it is about, ``None`` for the file as a whole.
        severity: ``error`` (the service would refuse the file) or ``warning``.
    """

    code: str
    message: str
    line: int | None
    severity: Severity = "error"


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


def estimate_tokens(text: str) -> int:
    """Rough token count of ``text``: about 4 characters per token."""
    return math.ceil(len(text) / 4)


class _TooManyErrors(Exception):
    """Ends the scan once ``max_errors`` errors are held."""


class _Collector:
    """Issues of the whole file, bounded; the scan stops once ``max_errors`` are held."""

    __slots__ = ("errors", "max_errors", "warnings")

    def __init__(self, max_errors: int) -> None:
        self.max_errors = max_errors
        self.errors: list[TrainingFileIssue] = []
        self.warnings: list[TrainingFileIssue] = []

    def add(self, issue: TrainingFileIssue) -> None:
        if issue.severity == "warning":
            if len(self.warnings) < self.max_errors:
                self.warnings.append(issue)
            return
        self.errors.append(issue)
        if len(self.errors) >= self.max_errors:
            raise _TooManyErrors


class _Example:
    """Checks one example (one line) and counts its tokens."""

    __slots__ = ("count", "issues", "line", "n_errors", "tokens")

    def __init__(self, line: int, issues: _Collector, count: Callable[[str], int]) -> None:
        self.line = line
        self.issues = issues
        self.count = count
        self.n_errors = 0
        self.tokens = _PER_EXAMPLE_TOKENS

    def _issue(self, severity: Severity, code: str, where: str, text: str) -> None:
        place = f"Line {self.line}, {where}" if where else f"Line {self.line}"
        self.issues.add(TrainingFileIssue(code, f"{place}: {text}.", self.line, severity))

    def error(self, code: str, where: str, text: str) -> None:
        self.n_errors += 1
        self._issue("error", code, where, text)

    def warning(self, code: str, where: str, text: str) -> None:
        self._issue("warning", code, where, text)

    # -- parts shared by the methods ---------------------------------------------------------

    def unknown_keys(self, obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        for key in obj:
            if key not in allowed:
                self.warning("unknown_key", where, f"unknown key {key!r} (ignored by the service)")

    def tool_definitions(self, example: Mapping[str, Any], where: str) -> set[str] | None:
        """Check ``tools``/``functions``/``parallel_tool_calls``; return the declared names
        (``None`` when the example declares none)."""
        names: set[str] | None = None
        prefix = f"{where}." if where else ""
        tools = example.get("tools")
        if "tools" in example:
            names = set()
            if not isinstance(tools, list):
                self.error("invalid_tools", "", f"'{prefix}tools' must be a list")
            else:
                for index, tool in enumerate(tools, 1):
                    label = f"{prefix}tools[{index}]"
                    function = tool.get("function") if isinstance(tool, dict) else None
                    if not isinstance(tool, dict) or tool.get("type") != "function":
                        self.error("invalid_tools", "", f"'{label}' must have type 'function'")
                    elif name := self._function(function, f"{label}.function", "invalid_tools"):
                        names.add(name)
                self.tokens += self.count(orjson.dumps(tools).decode())
        if "functions" in example:
            names = names or set()
            functions = example["functions"]
            if not isinstance(functions, list):
                self.error("invalid_functions", "", f"'{prefix}functions' must be a list")
            else:
                for index, function in enumerate(functions, 1):
                    label = f"{prefix}functions[{index}]"
                    if name := self._function(function, label, "invalid_functions"):
                        names.add(name)
                self.tokens += self.count(orjson.dumps(functions).decode())
        flag = example.get("parallel_tool_calls")
        if flag is not None and not isinstance(flag, bool):
            self.error(
                "invalid_parallel_tool_calls",
                "",
                f"'{prefix}parallel_tool_calls' must be a boolean",
            )
        return names

    def _function(self, function: Any, label: str, code: str) -> str | None:
        """Check a function definition; return its name when it is well formed."""
        if not isinstance(function, dict) or not _is_name(function.get("name")):
            self.error(code, "", f"'{label}' must be an object with a non-empty 'name'")
            return None
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            self.error(code, "", f"'{label}.parameters' must be a JSON Schema object")
            return None
        name: str = function["name"]
        return name

    def messages(
        self,
        messages: Any,
        where: str,
        tools: set[str] | None,
        *,
        weights: bool,
        missing_code: str = "missing_messages",
    ) -> list[dict[str, Any]]:
        """Check a list of messages; return the well-formed ones."""
        if messages is None:
            self.error(missing_code, "", f"missing '{where}'")
            return []
        if not isinstance(messages, list) or not messages:
            self.error("invalid_messages", "", f"'{where}' must be a non-empty list of messages")
            return []
        calls: set[str] = set()
        function_called = False
        good: list[dict[str, Any]] = []
        for index, message in enumerate(messages, 1):
            label = f"{where}[{index}]" if where != "messages" else f"message {index}"
            if not isinstance(message, dict):
                self.error("invalid_message", label, "a message must be a JSON object")
                continue
            if self._message(message, label, tools, calls, function_called, weights=weights):
                good.append(message)
            if message.get("role") == "assistant" and "function_call" in message:
                function_called = True
        return good

    def _message(
        self,
        message: dict[str, Any],
        label: str,
        tools: set[str] | None,
        calls: set[str],
        function_called: bool,
        *,
        weights: bool,
    ) -> bool:
        errors_before = self.n_errors
        role = message.get("role")
        if role is None:
            self.error("missing_role", label, "missing 'role'")
        elif role not in _ROLES:
            self.error(
                "unknown_role",
                label,
                f"unknown role {role!r} (expected one of {', '.join(_ROLES[:-1])})",
            )
        for key in message:
            if key not in _MESSAGE_KEYS:
                self.warning("unknown_message_key", label, f"unknown key {key!r}")
        calls_here = "tool_calls" in message or "function_call" in message
        if role == "assistant":
            self._tool_calls(message, label, tools, calls)
        elif "tool_calls" in message or "function_call" in message:
            self.error("invalid_tool_calls", label, "only assistant messages may call tools")
        content = message.get("content")
        if content is None and not (role == "assistant" and calls_here):
            self.error("missing_content", label, "missing 'content'")
        else:
            self._content(content, label, role)
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not _is_name(call_id):
                self.error("missing_tool_call_id", label, "a tool message needs a 'tool_call_id'")
            elif call_id not in calls:
                self.error(
                    "tool_message_without_call",
                    label,
                    f"'tool_call_id' {call_id!r} answers no earlier assistant tool call",
                )
        if role == "function" and not function_called:
            self.error(
                "tool_message_without_call",
                label,
                "a function message must follow an assistant 'function_call'",
            )
        if "weight" in message:
            weight = message["weight"]
            if not weights:
                self.warning("weight_ignored", label, "only supervised examples use 'weight'")
            elif isinstance(weight, bool) or weight not in (0, 1):
                self.error("invalid_weight", label, f"'weight' must be 0 or 1, got {weight!r}")
            elif role != "assistant":
                self.error(
                    "weight_not_on_assistant",
                    label,
                    "'weight' is only allowed on assistant messages",
                )
        self.tokens += _PER_MESSAGE_TOKENS
        return self.n_errors == errors_before

    def _tool_calls(
        self, message: dict[str, Any], label: str, tools: set[str] | None, calls: set[str]
    ) -> None:
        if "function_call" in message:
            call = message["function_call"]
            if not isinstance(call, dict) or not _is_name(call.get("name")):
                self.error("invalid_function_call", label, "'function_call' needs a 'name'")
            elif not isinstance(call.get("arguments"), str):
                self.error(
                    "invalid_function_call", label, "'function_call.arguments' must be a string"
                )
            else:
                self._arguments(call["name"], call["arguments"], label, tools)
        if "tool_calls" not in message:
            return
        tool_calls = message["tool_calls"]
        if not isinstance(tool_calls, list) or not tool_calls:
            self.error("invalid_tool_calls", label, "'tool_calls' must be a non-empty list")
            return
        for index, call in enumerate(tool_calls, 1):
            where = f"{label}, tool call {index}"
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(call, dict) or not _is_name(call.get("id")):
                self.error("invalid_tool_calls", where, "a tool call needs an 'id'")
            elif call["id"] in calls:
                self.error("invalid_tool_calls", where, f"duplicate tool call id {call['id']!r}")
            elif call.get("type") != "function":
                self.error("invalid_tool_calls", where, "a tool call must have type 'function'")
            elif not isinstance(function, dict) or not _is_name(function.get("name")):
                self.error("invalid_tool_calls", where, "'function' needs a 'name'")
            elif not isinstance(function.get("arguments"), str):
                self.error(
                    "invalid_tool_calls", where, "'function.arguments' must be a JSON string"
                )
            else:
                calls.add(call["id"])
                self._arguments(function["name"], function["arguments"], where, tools)

    def _arguments(self, name: str, arguments: str, where: str, tools: set[str] | None) -> None:
        self.tokens += self.count(name) + self.count(arguments)
        try:
            orjson.loads(arguments)
        except orjson.JSONDecodeError:
            self.warning("tool_arguments_not_json", where, "the call's arguments are not JSON")
        if tools is not None and name not in tools:
            self.warning(
                "unknown_tool", where, f"calls {name!r}, which the example does not define"
            )

    def _content(self, content: Any, label: str, role: Any) -> None:
        if content is None:
            return
        if isinstance(content, str):
            self.tokens += self.count(content)
            return
        if not isinstance(content, list):
            self.error("invalid_content", label, "'content' must be a string or a list of parts")
            return
        for index, part in enumerate(content, 1):
            kind = part.get("type") if isinstance(part, dict) else None
            where = f"{label}, content part {index}"
            if kind == "text" and isinstance(part.get("text"), str):
                self.tokens += self.count(part["text"])
            elif kind == "image_url" and role == "user" and _image_url(part):
                self.tokens += _IMAGE_TOKENS
            elif kind == "image_url" and role != "user":
                self.error("invalid_content", where, "only user messages may contain images")
            else:
                self.error(
                    "invalid_content",
                    where,
                    "a part must be {'type': 'text', 'text': ...} or "
                    "{'type': 'image_url', 'image_url': {'url': ...}}",
                )

    # -- the methods ---------------------------------------------------------------------------

    def supervised(self, example: dict[str, Any]) -> None:
        if "messages" not in example and ("prompt" in example or "completion" in example):
            self.error(
                "missing_messages",
                "",
                "missing 'messages' (the prompt/completion format is not accepted for chat models)",
            )
            return
        self.unknown_keys(example, _CHAT_KEYS, "")
        tools = self.tool_definitions(example, "")
        messages = self.messages(example.get("messages"), "messages", tools, weights=True)
        assistants = [m for m in messages if m.get("role") == "assistant"]
        if (
            isinstance(example.get("messages"), list)
            and example["messages"]
            and not any(
                isinstance(m, dict) and m.get("role") == "assistant" for m in example["messages"]
            )
        ):
            self.error("no_assistant_message", "", "the example has no assistant message")
        elif assistants and all(m.get("weight") == 0 for m in assistants):
            self.warning(
                "nothing_to_train", "", "every assistant message has weight 0 (nothing to learn)"
            )

    def dpo(self, example: dict[str, Any]) -> None:
        self.unknown_keys(example, _DPO_KEYS, "")
        source = example.get("input")
        if not isinstance(source, dict):
            what = "missing 'input'" if source is None else "'input' must be an object"
            self.error("missing_input", "", f"{what} (DPO format: input.messages)")
        else:
            self.unknown_keys(source, _DPO_INPUT_KEYS, "input")
            tools = self.tool_definitions(source, "input")
            self.messages(source.get("messages"), "input.messages", tools, weights=False)
        for key in ("preferred_output", "non_preferred_output"):
            output = example.get(key)
            if (
                not isinstance(output, list)
                or len(output) != 1
                or not isinstance(output[0], dict)
                or output[0].get("role") != "assistant"
            ):
                what = f"missing '{key}'" if output is None else f"'{key}'"
                self.error(
                    "invalid_dpo_output",
                    "",
                    f"{what}: it must be a list with one assistant message",
                )
            else:
                self.messages(output, key, None, weights=False)

    def reinforcement(self, example: dict[str, Any], fields: tuple[str, ...]) -> None:
        tools = self.tool_definitions(example, "")
        self.messages(example.get("messages"), "messages", tools, weights=False)
        for field in fields:
            if not _has_path(example, field):
                self.error(
                    "missing_grader_field",
                    "",
                    f"the grader reads item.{field}, which this example does not have",
                )


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _image_url(part: dict[str, Any]) -> bool:
    image = part.get("image_url")
    return isinstance(image, dict) and _is_name(image.get("url"))


def _has_path(example: Mapping[str, Any], path: str) -> bool:
    node: Any = example
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def _grader_fields(grader: Any) -> tuple[str, ...]:
    """The example fields a grader reads (``item.x`` references), in first-seen order."""
    found: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, str):
            for match in _TEMPLATE_FIELD.finditer(node):
                found[match.group(1)] = None
            for match in _CODE_FIELD.finditer(node):
                found[match.group(1)] = None
        elif isinstance(node, Mapping):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(grader)
    return tuple(found)


def _tiktoken_counter() -> Callable[[str], int] | None:
    """An exact counter when ``tiktoken`` is installed and its encoding is cached locally.

    tiktoken downloads an encoding on first use, and again when the cached copy is damaged;
    checking a file must not reach the network, so the encoding is used only when tiktoken's
    cache (named by the SHA-1 of the encoding's address) holds an intact copy.
    """
    try:
        tiktoken: Any = importlib.import_module("tiktoken")
    except ImportError:
        return None
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    cached = os.path.join(cache_dir, hashlib.sha1(_ENCODING_URL.encode()).hexdigest())
    try:
        with open(cached, "rb") as handle:
            intact = hashlib.sha256(handle.read()).hexdigest() == _ENCODING_SHA256
    except OSError:
        return None
    if not intact:
        return None
    encoding = tiktoken.get_encoding(_ENCODING)

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    return count


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
    exact = _tiktoken_counter() if tokenizer == "auto" else None
    count = exact or estimate_tokens
    fields = _grader_fields(grader) if grader is not None else ()
    issues = _Collector(max_errors)
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
        except _TooManyErrors:
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
        tokenizer=f"tiktoken/{_ENCODING}" if exact is not None else "estimate",
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


def _check_size(size: int, issues: _Collector) -> None:
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
    issues: _Collector,
    count: Callable[[str], int],
) -> int | None:
    """Check one non-blank line; return its tokens when it is a valid example."""
    example = _Example(line, issues, count)
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
