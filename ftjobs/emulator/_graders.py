"""Graders: checked against the spec's grader schemas, and run.

``string_check`` and ``text_similarity`` are really scored: templates (``{{sample.output_text}}``,
``{{sample.output_json.x}}``, ``{{item.x}}``) are filled in and the operation or metric is
computed. The metrics are computed on whitespace tokens of the lower-cased texts:
``fuzzy_match`` is difflib's ratio, ``cosine`` the cosine of the token counts (the real service
uses embeddings), ``bleu`` the smoothed geometric mean of 1..4-gram precisions with the brevity
penalty, ``gleu`` the minimum of 1..4-gram precision and recall, ``meteor`` the recall-weighted
unigram F-mean (no fragmentation penalty), ``rouge_n`` the n-gram F1 and ``rouge_l`` the
longest-common-subsequence F1.

``python``, ``score_model`` and ``label_model`` graders run no code and call no model: their
score is a deterministic function of the grader, the sample and the item (a SHA-256 spread over
the grader's range, ``[0, 1]`` by default), so tests can rely on it. ``multi`` scores its
sub-graders that way and evaluates ``calculate_output`` over their names (numbers, ``+ - * /
**``, ``min``, ``max``, ``abs``).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ftjobs.emulator._errors import ApiError
from ftjobs.graders import STRING_CHECK_OPERATIONS, TEXT_SIMILARITY_METRICS

__all__ = [
    "AUDIO_FORMATS",
    "CONTENT_PARTS",
    "GRADER_SHAPES",
    "MESSAGE_ROLES",
    "REASONING_EFFORTS",
    "SAMPLING_PARAMS",
    "TOP_LEVEL_GRADERS",
    "Shape",
    "check_grader",
    "run_grader",
]


@attrs.frozen
class Shape:
    """What one grader type requires: its required keys, which keys are strings, which are
    arrays (with the JSON type of their items), and the allowed values of its enum keys."""

    required: frozenset[str]
    strings: frozenset[str] = frozenset()
    arrays: Mapping[str, str] = attrs.field(factory=dict)
    enums: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)


GRADER_SHAPES: Mapping[str, Shape] = {
    "string_check": Shape(
        frozenset({"type", "name", "input", "reference", "operation"}),
        frozenset({"name", "input", "reference", "operation"}),
        enums={"operation": STRING_CHECK_OPERATIONS},
    ),
    "text_similarity": Shape(
        frozenset({"type", "name", "input", "reference", "evaluation_metric"}),
        frozenset({"name", "input", "reference", "evaluation_metric"}),
        enums={"evaluation_metric": TEXT_SIMILARITY_METRICS},
    ),
    "python": Shape(
        frozenset({"type", "name", "source"}), frozenset({"name", "source", "image_tag"})
    ),
    "score_model": Shape(
        frozenset({"type", "name", "input", "model"}),
        frozenset({"name", "model"}),
        {"input": "object", "range": "number"},
    ),
    "label_model": Shape(
        frozenset({"type", "name", "model", "input", "labels", "passing_labels"}),
        frozenset({"name", "model"}),
        {"input": "object", "labels": "string", "passing_labels": "string"},
    ),
    "multi": Shape(
        frozenset({"type", "name", "graders", "calculate_output"}),
        frozenset({"name", "calculate_output"}),
    ),
}
"""Each grader type's shape, as the spec's ``Grader*`` schemas give it (a test compares; the
emulator, a server of its own, does not borrow the SDK's tables)."""

MESSAGE_ROLES = ("user", "assistant", "system", "developer")
"""The roles of a message in a model grader's ``input`` (the spec's ``EvalItem``)."""

CONTENT_PARTS: Mapping[str, Mapping[str, str]] = {
    "input_text": {"text": "string"},
    "output_text": {"text": "string"},
    "input_image": {"image_url": "string"},
    "input_audio": {"input_audio": "object"},
}
"""The typed parts a message's ``content`` may hold, with their required keys' JSON types (the
spec's ``EvalItemContentItem``; a part may also be a plain string)."""

AUDIO_FORMATS = ("mp3", "wav")
"""Formats of an ``input_audio`` part."""

SAMPLING_PARAMS: Mapping[str, str] = {
    "seed": "integer",
    "top_p": "number",
    "temperature": "number",
    "max_completions_tokens": "integer",
    "reasoning_effort": "string",
}
"""A score model's ``sampling_params``: each optional, null or of this JSON type."""

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""The values of ``sampling_params.reasoning_effort``."""

_ITEM_CHECKS: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda item: isinstance(item, str),
    "number": lambda item: _is_number(item),
    "object": lambda item: isinstance(item, dict),
    "integer": lambda item: isinstance(item, int) and not isinstance(item, bool),
}

TOP_LEVEL_GRADERS = ("string_check", "text_similarity", "python", "score_model", "multi")
"""The grader types a job or a grader call takes (``label_model`` only inside ``multi``)."""

_INNER_GRADERS = ("string_check", "text_similarity", "python", "score_model", "label_model")


_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
# An absolute URI: a scheme, a colon, and no whitespace (data: URLs included).
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _fail(message: str, param: str) -> ApiError:
    return ApiError.invalid(message, param=param)


def check_grader(value: Any, param: str = "grader", *, inner: bool = False) -> dict[str, Any]:
    """Return ``value`` if it is a grader the spec allows; else a 400 naming the field."""
    allowed = _INNER_GRADERS if inner else TOP_LEVEL_GRADERS
    if not isinstance(value, dict):
        raise _fail(f"Invalid '{param}': expected an object.", param)
    kind = value.get("type")
    if kind not in allowed:
        raise _fail(
            f"Invalid '{param}.type': expected one of {', '.join(allowed)}.", f"{param}.type"
        )
    shape = GRADER_SHAPES[kind]
    for key in sorted(shape.required - set(value)):
        raise _fail(f"Missing required parameter: '{param}.{key}'.", f"{param}.{key}")
    for key in sorted(shape.strings & set(value)):
        if not isinstance(value[key], str):
            raise _fail(f"Invalid '{param}.{key}': expected a string.", f"{param}.{key}")
    for key, item_type in shape.arrays.items():
        items = value.get(key, [])
        if not isinstance(items, list) or not all(_ITEM_CHECKS[item_type](i) for i in items):
            where = f"{param}.{key}"
            raise _fail(f"Invalid '{where}': expected an array of {item_type}s.", where)
        if key == "input":
            for i, message in enumerate(items):
                _check_message(message, f"{param}.input[{i}]")
    for key, choices in shape.enums.items():
        if value[key] not in choices:
            raise _fail(
                f"Invalid '{param}.{key}': expected one of {', '.join(choices)}.", f"{param}.{key}"
            )
    if kind == "multi":
        graders = value["graders"]
        if isinstance(graders, dict) and "type" not in graders:
            # Named sub-graders, the shape the service accepts beside the spec's single one.
            for name, sub in graders.items():
                check_grader(sub, f"{param}.graders.{name}", inner=True)
        else:
            check_grader(graders, f"{param}.graders", inner=True)
    if kind == "score_model" and "sampling_params" in value:
        _check_sampling(value["sampling_params"], f"{param}.sampling_params")
    if kind == "score_model" and "range" in value:
        bounds = value["range"]
        if len(bounds) != 2 or not all(_is_number(b) for b in bounds) or bounds[0] >= bounds[1]:
            raise _fail(f"Invalid '{param}.range': expected [low, high] numbers.", f"{param}.range")
    return value


def _check_message(message: Mapping[str, Any], param: str) -> None:
    if message.get("role") not in MESSAGE_ROLES:
        roles = ", ".join(MESSAGE_ROLES)
        raise _fail(f"Invalid '{param}.role': expected one of {roles}.", f"{param}.role")
    if "content" not in message:
        raise _fail(f"Missing required parameter: '{param}.content'.", f"{param}.content")
    content = message["content"]
    for i, part in enumerate(content) if isinstance(content, list) else [(None, content)]:
        _check_part(part, f"{param}.content" + ("" if i is None else f"[{i}]"))
    if message.get("type", "message") != "message":
        raise _fail(f"Invalid '{param}.type': expected 'message'.", f"{param}.type")


def _check_sampling(params: Any, param: str) -> None:
    if not isinstance(params, dict):
        raise _fail(f"Invalid '{param}': expected an object.", param)
    for key, json_type in SAMPLING_PARAMS.items():
        item = params.get(key)
        if item is not None and not _ITEM_CHECKS[json_type](item):
            raise _fail(f"Invalid '{param}.{key}': expected a {json_type}.", f"{param}.{key}")
    effort = params.get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        efforts = ", ".join(REASONING_EFFORTS)
        where = f"{param}.reasoning_effort"
        raise _fail(f"Invalid '{where}': expected one of {efforts}.", where)
    tokens = params.get("max_completions_tokens")
    if tokens is not None and tokens < 1:
        where = f"{param}.max_completions_tokens"
        raise _fail(f"Invalid '{where}': expected an integer >= 1.", where)


def _check_part(part: Any, param: str) -> None:
    if isinstance(part, str):
        return
    kind = part.get("type") if isinstance(part, dict) else None
    if not isinstance(kind, str) or kind not in CONTENT_PARTS:
        kinds = ", ".join(CONTENT_PARTS)
        raise _fail(f"Invalid '{param}': expected a string or a part of type {kinds}.", param)
    for key, item_type in CONTENT_PARTS[kind].items():
        if not _ITEM_CHECKS[item_type](part.get(key)):
            raise _fail(f"Invalid '{param}.{key}': expected a {item_type}.", f"{param}.{key}")
    if kind == "input_audio":
        audio = part["input_audio"]
        if not isinstance(audio.get("data"), str) or audio.get("format") not in AUDIO_FORMATS:
            where = f"{param}.input_audio"
            raise _fail(f"Invalid '{where}': expected 'data' and a 'format' of mp3 or wav.", where)
    breakpoint_ = part.get("prompt_cache_breakpoint") if kind == "input_text" else {}
    if "prompt_cache_breakpoint" in part and (
        not isinstance(breakpoint_, dict) or breakpoint_.get("mode") != "explicit"
    ):
        where = f"{param}.prompt_cache_breakpoint"
        raise _fail(f'Invalid \'{where}\': expected {{"mode": "explicit"}}.', where)
    if kind == "input_image":
        if not (_TEMPLATE.search(part["image_url"]) or _URI.match(part["image_url"])):
            where = f"{param}.image_url"
            raise _fail(f"Invalid '{where}': expected a URI (or a template).", where)
        if not isinstance(part.get("detail", ""), str):
            raise _fail(f"Invalid '{param}.detail': expected a string.", f"{param}.detail")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- running ----------------------------------------------------------------------------------

_ERROR_FLAGS = (
    "formula_parse_error",
    "sample_parse_error",
    "truncated_observation_error",
    "unresponsive_reward_error",
    "invalid_variable_error",
    "other_error",
    "python_grader_server_error",
    "python_grader_runtime_error",
    "model_grader_server_error",
    "model_grader_refusal_error",
    "model_grader_parse_error",
)


@attrs.define
class _Run:
    """One run's namespace and the error flags it raised."""

    namespace: dict[str, Any]
    errors: set[str] = attrs.field(factory=set)
    scores: dict[str, float] = attrs.field(factory=dict)

    def render(self, template: str) -> str:
        def lookup(match: re.Match[str]) -> str:
            value: Any = self.namespace
            for key in match.group(1).split("."):
                if not isinstance(value, dict) or key not in value:
                    self.errors.add("invalid_variable_error")
                    return ""
                value = value[key]
            return value if isinstance(value, str) else json.dumps(value)

        return _TEMPLATE.sub(lookup, template)


def _tokens(text: str) -> list[str]:
    return text.lower().split()


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _overlap(candidate: list[str], reference: list[str], n: int) -> tuple[int, int, int]:
    """(matching n-grams, candidate n-grams, reference n-grams)."""
    cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
    return sum((cand & ref).values()), sum(cand.values()), sum(ref.values())


def _f1(match: int, cand: int, ref: int) -> float:
    if not match:
        return 0.0
    precision, recall = match / cand, match / ref
    return 2 * precision * recall / (precision + recall)


def _bleu(candidate: list[str], reference: list[str]) -> float:
    if not candidate:
        return 0.0
    logs = []
    for n in range(1, 5):
        match, cand, _ = _overlap(candidate, reference, n)
        logs.append(math.log((match + 1) / (cand + 1)))  # add-one smoothing
    brevity = min(1.0, math.exp(1 - len(reference) / len(candidate)))
    return brevity * math.exp(sum(logs) / 4)


def _gleu(candidate: list[str], reference: list[str]) -> float:
    match = cand = ref = 0
    for n in range(1, 5):
        m, c, r = _overlap(candidate, reference, n)
        match, cand, ref = match + m, cand + c, ref + r
    return 0.0 if not match else min(match / cand, match / ref)


def _meteor(candidate: list[str], reference: list[str]) -> float:
    match, cand, ref = _overlap(candidate, reference, 1)
    if not match:
        return 0.0
    precision, recall = match / cand, match / ref
    return 10 * precision * recall / (recall + 9 * precision)


def _cosine(candidate: list[str], reference: list[str]) -> float:
    a, b = Counter(candidate), Counter(reference)
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return sum(a[t] * b[t] for t in a) / norm if norm else 0.0


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        previous = 0
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], previous + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def _rouge_l(candidate: list[str], reference: list[str]) -> float:
    return _f1(_lcs(candidate, reference), len(candidate), len(reference))


def _rouge(n: int) -> Callable[[list[str], list[str]], float]:
    return lambda candidate, reference: _f1(*_overlap(candidate, reference, n))


_METRICS: dict[str, Callable[[list[str], list[str]], float]] = {
    "cosine": _cosine,
    "bleu": _bleu,
    "gleu": _gleu,
    "meteor": _meteor,
    "rouge_l": _rouge_l,
    **{f"rouge_{n}": _rouge(n) for n in range(1, 6)},
}


def _string_check(grader: Mapping[str, Any], run: _Run) -> float:
    given, reference = run.render(grader["input"]), run.render(grader["reference"])
    operation = grader["operation"]
    if operation == "eq":
        return float(given == reference)
    if operation == "ne":
        return float(given != reference)
    if operation == "like":
        return float(reference in given)
    return float(reference.lower() in given.lower())


def _text_similarity(grader: Mapping[str, Any], run: _Run) -> float:
    given, reference = run.render(grader["input"]), run.render(grader["reference"])
    metric = grader["evaluation_metric"]
    if metric == "fuzzy_match":
        return difflib.SequenceMatcher(None, given, reference).ratio()
    return _METRICS[metric](_tokens(given), _tokens(reference))


def _deterministic(grader: Mapping[str, Any], run: _Run) -> float:
    """A stand-in score for graders that would run code or a model."""
    text = json.dumps([grader, run.namespace], sort_keys=True, default=str)
    unit = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64
    low, high = grader.get("range") or (0, 1)
    return low + unit * (high - low)


_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max, "abs": abs}


def _formula(node: ast.AST, names: Mapping[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _formula(node.body, names)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_formula(node.left, names), _formula(node.right, names))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _formula(node.operand, names)
        return -value if isinstance(node.op, ast.USub) else value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        return float(_FUNCTIONS[node.func.id](*(_formula(a, names) for a in node.args)))
    raise ValueError(f"unsupported formula element {type(node).__name__}")


def _multi(grader: Mapping[str, Any], run: _Run) -> float:
    graders = grader["graders"]
    named = graders.items() if "type" not in graders else [(graders["name"], graders)]
    for name, sub in named:
        run.scores[name] = _score(sub, run)
    try:
        return _formula(ast.parse(grader["calculate_output"], mode="eval"), run.scores)
    except (SyntaxError, ValueError, ArithmeticError, TypeError, RecursionError):
        run.errors.add("formula_parse_error")
        return 0.0


_SCORERS: dict[str, Callable[[Mapping[str, Any], _Run], float]] = {
    "string_check": _string_check,
    "text_similarity": _text_similarity,
    "python": _deterministic,
    "score_model": _deterministic,
    "label_model": _deterministic,
    "multi": _multi,
}


def _score(grader: Mapping[str, Any], run: _Run) -> float:
    score = _SCORERS[grader["type"]](grader, run)
    run.scores.setdefault(grader["name"], score)
    return score


def run_grader(grader: Mapping[str, Any], sample: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """Score ``sample`` (with ``item``) and return the spec's ``RunGraderResponse`` body.

    ``grader`` must have passed [check_grader][ftjobs.emulator._graders.check_grader].
    """
    try:
        output_json: Any = json.loads(sample)
    except ValueError:
        output_json = None
    run = _Run({"sample": {"output_text": sample, "output_json": output_json}, "item": item})
    reward = _score(grader, run)
    if run.errors:
        reward = 0.0
    errors: dict[str, Any] = {flag: flag in run.errors for flag in _ERROR_FLAGS}
    errors.update(
        python_grader_server_error_type=None,
        python_grader_runtime_error_details=None,
        model_grader_server_error_details=None,
    )
    return {
        "reward": reward,
        "metadata": {
            "name": grader["name"],
            "type": grader["type"],
            "errors": errors,
            "execution_time": 0.0,
            "scores": run.scores,
            "token_usage": None,
            "sampled_model_name": None,
        },
        "sub_rewards": {},
        "model_grader_token_usage_per_model": {},
    }
