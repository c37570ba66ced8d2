"""The emulator's summary of a data file: the checker's verdict, as a job keeps it.

The rules themselves are tested in tests/test_training_data.py (with the corpus); here, that
the emulator says what the checker says, with the service's job error codes.
"""

from __future__ import annotations

import json

from ftjobs.emulator._validation import validate_dataset
from ftjobs.training_data import check_training_file
from tests._support.emulator import chat_file, chat_line, dpo_file


def test_valid_chat_file() -> None:
    report = validate_dataset(chat_file(12), "supervised", min_examples=10)
    assert report.ok and report.n_examples == 12 and report.n_tokens > 12
    assert report.n_tokens == check_training_file(chat_file(12), tokenizer="estimate").n_tokens


def test_first_error_is_the_checkers_with_the_services_wording() -> None:
    content = (chat_line(1) + "\n" + chat_line(2) + "\n{not json\n[1]\n").encode()
    report = validate_dataset(content)
    checked = check_training_file(content, min_examples=0)
    assert report.error_code == "invalid_training_file"
    assert report.error_message == (
        f"The job failed due to an invalid training file. {checked.errors[0].message}"
    )
    assert "Line 3: invalid JSON" in report.error_message


def test_validation_file_is_named_in_code_and_message() -> None:
    report = validate_dataset(chat_line(0).encode() + b"\n\xff\xfe\n", kind="validation")
    assert report.error_code == "invalid_validation_file"
    assert report.error_message is not None
    assert report.error_message.startswith("The job failed due to an invalid validation file.")
    assert "Line 2: not valid UTF-8" in report.error_message


def test_too_few_examples_has_its_own_code() -> None:
    report = validate_dataset(chat_file(3), min_examples=10)
    assert report.error_code == "invalid_n_examples"
    assert report.error_message is not None and "3 example(s)" in report.error_message


def test_method_decides_the_format() -> None:
    assert validate_dataset(dpo_file(3), "dpo").ok
    report = validate_dataset(chat_file(3), "dpo")
    assert report.error_message is not None and "'input'" in report.error_message


def test_grader_fields_are_checked_for_reinforcement() -> None:
    example = {"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}
    content = json.dumps(example).encode()
    grader = {"type": "string_check", "input": "{{ sample.output_text }}", "operation": "eq"}
    assert validate_dataset(content, "reinforcement", grader=grader).ok
    grader["reference"] = "{{ item.answer }}"
    report = validate_dataset(content, "reinforcement", grader=grader)
    assert report.error_message is not None and "item.answer" in report.error_message
