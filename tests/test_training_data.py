"""ftjobs.check_training_file: the corpus (each rule broken on a known line), properties,
streaming limits and parameter checks."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ftjobs.training_data as training_data
from ftjobs.training_data import (
    EXAMPLE_TOKEN_LIMIT,
    FILES_API_MAX_BYTES,
    MAX_LINE_BYTES,
    UPLOADS_API_MAX_BYTES,
    check_training_file,
)
from tests.training_files import BAD, CORPUS, GOOD, case_id

SUPERVISED = CORPUS / "good" / "supervised_basic.jsonl"
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def _check(case: dict[str, Any], **kwargs: Any) -> training_data.TrainingFileReport:
    return check_training_file(
        CORPUS / case["file"], method=case["method"], grader=case.get("grader"), **kwargs
    )


@pytest.mark.parametrize("case", GOOD, ids=case_id)
def test_good_files_pass_without_warnings(case: dict[str, Any]) -> None:
    report = _check(case)
    assert report.ok and report.complete, report.errors
    assert report.warnings == ()
    assert report.n_examples >= 10 and report.n_tokens > report.n_examples
    assert report.n_bytes == (CORPUS / case["file"]).stat().st_size


@pytest.mark.parametrize("case", BAD, ids=case_id)
def test_each_bad_file_is_reported_on_its_line(case: dict[str, Any]) -> None:
    report = _check(case)
    issues = report.errors if case["severity"] == "error" else report.warnings
    assert [(i.code, i.line) for i in issues] == [(case["code"], case["line"])]
    assert issues[0].severity == case["severity"]
    if case["line"] is not None:
        assert issues[0].message.startswith(f"Line {case['line']}")
    if case["severity"] == "warning":
        assert report.ok and report.errors == ()
    else:
        assert not report.ok
        assert all(w.line == case["line"] for w in report.warnings)


def test_every_code_the_checker_can_report_has_a_case() -> None:
    source = Path(training_data.__file__).read_text()
    tested = {case["code"] for case in BAD} | {
        "example_too_long",
        "line_too_long",
        "needs_uploads_api",
        "file_too_large",
    }
    # Each rule's code appears in the module as the first argument of error()/warning()/Issue.
    import re

    codes = set(re.findall(r'(?:error|warning|TrainingFileIssue)\(\s*"([a-z_0-9]+)"', source))
    assert codes and codes <= tested, codes - tested


def test_failure_message_and_code_are_the_services() -> None:
    bad = _check({"file": "bad/unknown_role.jsonl", "method": "supervised"})
    assert bad.failure_code() == "invalid_training_file"
    assert bad.failure_code("validation") == "invalid_validation_file"
    assert bad.failure_message() == (
        "The job failed due to an invalid training file. Line 11, message 1: unknown role "
        "'human' (expected one of system, developer, user, assistant, tool)."
    )
    few = _check({"file": "bad/too_few_examples.jsonl", "method": "supervised"})
    assert few.failure_code() == "invalid_n_examples"
    good = _check(GOOD[0])
    assert good.failure_code() is None and good.failure_message() is None


def test_path_bytes_and_file_object_give_the_same_report() -> None:
    path = CORPUS / "bad" / "invalid_weight_two.jsonl"
    content = path.read_bytes()
    by_path = check_training_file(path)
    assert check_training_file(str(path)) == by_path
    assert check_training_file(content) == by_path
    assert check_training_file(bytearray(content)) == by_path
    assert check_training_file(io.BytesIO(content)) == by_path


def test_a_file_object_is_read_from_where_it_stands() -> None:
    content = SUPERVISED.read_bytes()
    stream = io.BytesIO(b"header to skip\n" + content)
    stream.readline()
    report = check_training_file(stream)
    assert report.ok and report.n_bytes == len(content)


def test_stops_collecting_after_max_errors() -> None:
    content = b"{broken\n" * 50
    full = check_training_file(content)
    assert len(full.errors) == 50 and full.complete
    assert [e.line for e in full.errors] == list(range(1, 51))
    capped = check_training_file(content, max_errors=3)
    assert [e.line for e in capped.errors] == [1, 2, 3]
    assert not capped.complete and capped.n_lines == 3


def test_too_few_examples_counts_non_blank_lines() -> None:
    line = SUPERVISED.read_bytes().splitlines()[0]
    report = check_training_file(b"\n".join([line] * 4) + b"\n\n\n", min_examples=5)
    assert [e.code for e in report.errors] == ["too_few_examples"]
    assert report.n_examples == 4 and report.n_lines == 6
    assert check_training_file(b"\n".join([line] * 4), min_examples=4).ok


def test_example_over_the_token_limit_is_a_warning() -> None:
    text = "word " * (EXAMPLE_TOKEN_LIMIT * 4 // 5 + 10)
    example = {
        "messages": [{"role": "user", "content": "?"}, {"role": "assistant", "content": text}]
    }
    report = check_training_file(json.dumps(example).encode(), min_examples=1, tokenizer="estimate")
    assert report.ok and [w.code for w in report.warnings] == ["example_too_long"]
    assert report.max_example_tokens > EXAMPLE_TOKEN_LIMIT


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def test_a_line_longer_than_the_limit_is_skipped_not_held(tmp_path: Path) -> None:
    line = SUPERVISED.read_bytes().splitlines()[0] + b"\n"
    long_line = b'{"messages": "' + b"x" * MAX_LINE_BYTES + b'"}\n'
    content = line * 2 + long_line + line * 10
    report = check_training_file(content)
    assert [(e.code, e.line) for e in report.errors] == [("line_too_long", 3)]
    assert report.n_examples == 13 and report.n_bytes == len(content)


def test_over_the_files_api_limit_is_a_warning_found_before_reading(tmp_path: Path) -> None:
    # A sparse file past the Files API's limit (never written to disk), read only up to its
    # first error.
    path = _sparse(tmp_path / "big.jsonl", FILES_API_MAX_BYTES + 1, b"{broken\n")
    report = check_training_file(path, max_errors=1)
    assert [w.code for w in report.warnings] == ["needs_uploads_api"]
    assert [(e.code, e.line) for e in report.errors] == [("invalid_json", 1)]
    assert report.n_bytes == FILES_API_MAX_BYTES + 1 and not report.fits_files_api


def test_over_the_uploads_api_limit_is_an_error_found_before_reading(tmp_path: Path) -> None:
    try:
        path = _sparse(tmp_path / "huge.jsonl", UPLOADS_API_MAX_BYTES + 1)
    except OSError:  # a filesystem without sparse files this large
        pytest.skip("cannot make an 8 GB sparse file here")
    report = check_training_file(path, max_errors=1)
    assert [e.code for e in report.errors] == ["file_too_large"]
    assert report.n_lines == 0 and not report.complete


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"method": "sft"}, ValueError, "method"),
        ({"purpose": "batch"}, ValueError, "purpose"),
        ({"grader": {"type": "string_check"}}, ValueError, "grader"),
        ({"max_errors": 0}, ValueError, "max_errors"),
        ({"min_examples": -1}, ValueError, "min_examples"),
        ({"tokenizer": "cl100k"}, ValueError, "tokenizer"),
    ],
)
def test_bad_parameters_name_themselves(
    kwargs: dict[str, Any], error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=name):
        check_training_file(b"", **kwargs)


def test_bad_source_names_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="path_or_bytes: no such file"):
        check_training_file(tmp_path / "missing.jsonl")
    with pytest.raises(TypeError, match="path_or_bytes"):
        check_training_file(42)  # type: ignore[arg-type]


def test_tokens_are_estimated_without_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "tiktoken", None)  # import fails
    report = check_training_file(SUPERVISED)
    assert not report.tokens_exact and report.tokenizer == "estimate"


@pytest.mark.parametrize("cached", [None, b"a damaged copy"])
def test_tiktoken_is_not_used_unless_its_encoding_is_cached_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: bytes | None
) -> None:
    # tiktoken would download a missing or damaged encoding; the check must not.
    import tiktoken  # noqa: F401  (installed with the test extra: the case to guard)

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", os.fspath(tmp_path))
    name = hashlib.sha1(O200K_URL.encode()).hexdigest()  # tiktoken's cache naming
    if cached is not None:
        (tmp_path / name).write_bytes(cached)
    report = check_training_file(SUPERVISED)
    assert not report.tokens_exact and report.tokenizer == "estimate"
    assert [p.name for p in tmp_path.iterdir()] == ([name] if cached else [])


# -- properties ----------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_user = st.builds(lambda c: {"role": "user", "content": c}, _text)
_system = st.builds(
    lambda r, c: {"role": r, "content": c}, st.sampled_from(["system", "developer"]), _text
)
_assistant = st.builds(
    lambda c, w: {"role": "assistant", "content": c, **({} if w is None else {"weight": w})},
    _text,
    st.sampled_from([None, 0, 1]),
)
_call_ids = st.text("abcdef0123456789", min_size=1, max_size=8)


@st.composite
def _tool_turn(draw: st.DrawFn, turn: int) -> list[dict[str, Any]]:
    ids = [f"{turn}_{i}" for i in draw(st.lists(_call_ids, min_size=1, max_size=3, unique=True))]
    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "lookup", "arguments": json.dumps({"q": draw(_text)})},
        }
        for i in ids
    ]
    answers = [{"role": "tool", "tool_call_id": f"call_{i}", "content": draw(_text)} for i in ids]
    return [{"role": "assistant", "tool_calls": calls}, *answers]


@st.composite
def _supervised(draw: st.DrawFn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = draw(st.lists(_system, max_size=1))
    for turn in range(draw(st.integers(1, 3))):
        messages.append(draw(_user))
        if draw(st.booleans()):
            messages.extend(draw(_tool_turn(turn)))
        messages.append(draw(_assistant))
    messages[-1]["weight"] = 1  # something to learn
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    return {"messages": messages, "tools": tools}


_dpo = st.builds(
    lambda q, good, bad: {
        "input": {"messages": [{"role": "user", "content": q}]},
        "preferred_output": [{"role": "assistant", "content": good}],
        "non_preferred_output": [{"role": "assistant", "content": bad}],
    },
    _text,
    _text,
    _text,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_supervised(), min_size=1, max_size=5), st.booleans())
def test_valid_supervised_examples_stay_valid(
    examples: list[dict[str, Any]], ascii_only: bool
) -> None:
    content = "\n".join(json.dumps(e, ensure_ascii=ascii_only) for e in examples).encode()
    report = check_training_file(content, min_examples=1, tokenizer="estimate")
    assert report.ok, report.errors
    assert report.warnings == ()
    assert report.n_examples == len(examples)


@settings(max_examples=40, deadline=None)
@given(st.lists(_dpo, min_size=1, max_size=5))
def test_valid_dpo_examples_stay_valid(examples: list[dict[str, Any]]) -> None:
    content = "\r\n".join(json.dumps(e) for e in examples).encode()
    report = check_training_file(content, method="dpo", min_examples=1)
    assert report.ok and report.warnings == () and report.n_examples == len(examples)


@settings(max_examples=40, deadline=None)
@given(_supervised(), st.integers(0, 20))
def test_one_broken_line_is_reported_on_its_line(example: dict[str, Any], before: int) -> None:
    lines = [json.dumps(example)] * before + ['{"messages": [']
    report = check_training_file("\n".join(lines).encode(), min_examples=0)
    assert [(e.code, e.line) for e in report.errors] == [("invalid_json", before + 1)]
