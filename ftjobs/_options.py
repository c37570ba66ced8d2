"""Per-call options: the keywords every API method takes, bundled once into one record.

A public method keeps ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout`` and
``idempotency_key`` in its signature (users and the docs name them) and bundles them right
after it with `call_options`, which checks them: a typed error naming the parameter, before
any request. Below that only the `CallOptions` record travels, and the transport applies it
(`ftjobs._transport.Request`). Adding an option is a field here, its check in
`call_options`, and the line of the transport that applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from . import _validation as check
from ._types import NOT_GIVEN, NotGiven

__all__ = ["NO_OPTIONS", "CallOptions", "call_options"]


# A NamedTuple: immutable, and the cheapest record to build (an attrs frozen class costs about
# three times as much, a measurable share of a retrieve's own CPU time).
class CallOptions(NamedTuple):
    """The per-call options of one API call, checked (build it with `call_options`)."""

    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, str] | None = None
    extra_body: Mapping[str, Any] | None = None
    timeout: float | NotGiven | None = NOT_GIVEN
    idempotency_key: str | None = None


#: A call given no option (most calls: every plain retrieve) shares this one record.
NO_OPTIONS: Final = CallOptions()


def call_options(
    extra_headers: Mapping[str, str] | None = None,
    extra_query: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    timeout: float | NotGiven | None = NOT_GIVEN,
    idempotency_key: str | None = None,
) -> CallOptions:
    """The options of one call, checked: ``TypeError``/``ValueError`` naming the parameter.

    Positional in the order of the public signatures (a POST bundles all five on one line);
    a method without some of them names the rest.
    """
    if (
        extra_headers is None
        and extra_query is None
        and extra_body is None
        and timeout is NOT_GIVEN
        and idempotency_key is None
    ):
        return NO_OPTIONS
    # Each check only for an option given: a call usually gives one or two.
    if extra_headers is not None:
        check.header_mapping("extra_headers", check.str_mapping("extra_headers", extra_headers))
    if extra_query is not None:
        check.str_mapping("extra_query", extra_query)
    if extra_body is not None:
        check.plain_mapping("extra_body", extra_body)
    if timeout is not NOT_GIVEN:
        check.timeout("timeout", timeout)
    if idempotency_key is not None:
        check.require_str("idempotency_key", idempotency_key)
        check.header_values(idempotency_key=idempotency_key)
    return CallOptions(extra_headers, extra_query, extra_body, timeout, idempotency_key)
