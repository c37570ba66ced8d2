"""Training-file validation (pure)."""

from __future__ import annotations

import json

import pytest

from ftjobs.emulator.validation import validate_dataset
from tests.emulator.helpers import chat_file, chat_line, dpo_file


def test_valid_chat_file() -> None:
    report = validate_dataset(chat_file(12), "supervised", min_examples=10)
    assert report.ok and report.n_examples == 12 and report.n_tokens > 12


def test_blank_lines_are_ignored() -> None:
    content = (chat_line(1) + "\n\n" + chat_line(2) + "\n\n").encode()
    assert validate_dataset(content).n_examples == 2


def test_invalid_json_names_the_line() -> None:
    content = (chat_line(1) + "\n" + chat_line(2) + "\n{not json\n").encode()
    report = validate_dataset(content)
    assert not report.ok
    assert report.error_code == "invalid_training_file"
    assert report.error_message is not None and "Line 3" in report.error_message
    assert report.n_examples == 2


@pytest.mark.parametrize(
    ("example", "fragment"),
    [
        ([1, 2], "expected a JSON object"),
        ({"prompt": "x", "completion": "y"}, "missing 'messages'"),
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"content": "x"}]}, "missing 'role'"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "unrecognized role"),
        ({"messages": [{"role": "user"}]}, "missing 'content'"),
        ({"messages": [{"role": "user", "content": 5}]}, "must be a string or a list"),
        ({"messages": [{"role": "user", "content": "only a question"}]}, "no assistant message"),
        (
            {"messages": [{"role": "assistant", "content": "x", "weight": 2}]},
            "'weight' must be 0 or 1",
        ),
    ],
)
def test_bad_chat_examples(example: object, fragment: str) -> None:
    content = (chat_line(0) + "\n" + json.dumps(example) + "\n").encode()
    report = validate_dataset(content)
    assert report.error_message is not None
    assert "Line 2" in report.error_message and fragment in report.error_message


def test_assistant_tool_call_without_content_is_valid() -> None:
    example = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "tool_calls": [{"id": "1", "type": "function"}]},
        ]
    }
    assert validate_dataset(json.dumps(example).encode()).ok


def test_dpo_format() -> None:
    assert validate_dataset(dpo_file(3), "dpo").ok
    # a chat file is not a DPO file
    report = validate_dataset(chat_file(3), "dpo")
    assert report.error_message is not None and "'input'" in report.error_message
    bad = {
        "input": {"messages": [{"role": "user", "content": "x"}]},
        "preferred_output": [{"role": "user", "content": "y"}],
        "non_preferred_output": [{"role": "assistant", "content": "z"}],
    }
    report = validate_dataset(json.dumps(bad).encode(), "dpo")
    assert report.error_message is not None and "must have role 'assistant'" in report.error_message


def test_reinforcement_allows_extra_fields_and_no_assistant() -> None:
    example = {"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}
    assert validate_dataset(json.dumps(example).encode(), "reinforcement").ok


def test_too_few_examples() -> None:
    report = validate_dataset(chat_file(3), min_examples=10)
    assert report.error_code == "invalid_n_examples"
    assert report.error_message is not None and "3 example(s)" in report.error_message


def test_empty_file_and_bad_utf8() -> None:
    assert validate_dataset(b"\n\n").error_code == "invalid_training_file"
    report = validate_dataset(chat_line(0).encode() + b"\n\xff\xfe\n", kind="validation")
    assert report.error_code == "invalid_validation_file"
    assert report.error_message is not None and "Line 2: not valid UTF-8" in report.error_message
