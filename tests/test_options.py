"""ftjobs._options: the per-call options, bundled once into one checked, frozen record."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ftjobs._options import NO_OPTIONS, CallOptions, call_options
from ftjobs._types import NOT_GIVEN


def test_no_option_given_is_the_shared_empty_record() -> None:
    # A plain retrieve allocates no options record of its own.
    assert call_options() is NO_OPTIONS
    assert call_options(timeout=NOT_GIVEN) is NO_OPTIONS
    assert CallOptions() == NO_OPTIONS


def test_given_options_are_kept_as_given() -> None:
    options = call_options(
        extra_headers={"X-Trace": "t"},
        extra_query={"q": "1"},
        extra_body={"b": [1]},
        timeout=None,
        idempotency_key="key-1",
    )
    assert options == CallOptions({"X-Trace": "t"}, {"q": "1"}, {"b": [1]}, None, "key-1")
    # None is an option (no time limit), not the absence of one.
    assert call_options(timeout=None) is not NO_OPTIONS


def test_the_record_is_frozen() -> None:
    with pytest.raises(AttributeError):
        NO_OPTIONS.timeout = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        NO_OPTIONS.retries = 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("extra_headers", {"X-A": 1}, TypeError),
        ("extra_headers", {"X-A": "a\r\nX-B: b"}, ValueError),
        ("extra_headers", {"X:A": "a"}, ValueError),
        ("extra_headers", ["X-A"], TypeError),
        ("extra_query", {"q": 1}, TypeError),
        ("extra_query", "q=1", TypeError),
        ("extra_body", [1, 2], TypeError),
        ("timeout", 0, ValueError),
        ("timeout", math.inf, ValueError),
        ("timeout", "5", TypeError),
        ("timeout", True, ValueError),
        ("idempotency_key", " ", ValueError),
        ("idempotency_key", "k\n", ValueError),
        ("idempotency_key", 7, TypeError),
    ],
)
def test_a_bad_option_raises_naming_it(name: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=f"^{name}"):
        call_options(**{name: value})
