"""The rules one training example must follow, for each fine-tuning method: `Example` checks
one parsed line and counts its tokens, `Collector` holds the issues of the whole file.

The file-level pass (reading lines, sizes, the report) is `ftjobs.training_data`; this module
only judges one example at a time and never does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
import orjson

__all__ = [
    "Collector",
    "Example",
    "Severity",
    "TooManyErrors",
    "TrainingFileIssue",
    "grader_fields",
]

Severity = Literal["error", "warning"]

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


class TooManyErrors(Exception):
    """Ends the scan once ``max_errors`` errors are held."""


class Collector:
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
            raise TooManyErrors


class Example:
    """Checks one example (one line) and counts its tokens."""

    __slots__ = ("count", "issues", "line", "n_errors", "tokens")

    def __init__(self, line: int, issues: Collector, count: Callable[[str], int]) -> None:
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
    ) -> list[dict[str, Any]]:
        """Check a list of messages; return the well-formed ones."""
        if messages is None:
            self.error("missing_messages", "", f"missing '{where}'")
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
        given = example.get("messages")
        messages = self.messages(given, "messages", tools, weights=True)
        assistants = [m for m in messages if m.get("role") == "assistant"]
        roles = (
            [m.get("role") for m in given if isinstance(m, dict)] if isinstance(given, list) else []
        )
        if roles and "assistant" not in roles:
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


def grader_fields(grader: Any) -> tuple[str, ...]:
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
