"""ftjobs._request: a `Request` and its options become the wire form, once per call."""

from __future__ import annotations

from ftjobs._options import call_options
from ftjobs._request import Preparer, Request

BASE = "https://api.example.test/v1/"


def _preparer() -> Preparer:
    return Preparer(BASE, {"Authorization": "Bearer k"}, {"api-version": "2"}, 30.0)


def test_a_plain_get_shares_the_client_headers_and_timeout() -> None:
    preparer = _preparer()
    first = preparer.wire(Request("GET", "/fine_tuning/jobs/ftjob-1"))
    second = preparer.wire(Request("GET", "/fine_tuning/jobs/ftjob-2"))
    assert first.url == "https://api.example.test/v1/fine_tuning/jobs/ftjob-1"
    assert first.headers is second.headers  # no per-call copy
    assert first.timeout is second.timeout
    assert first.data is None and "Idempotency-Key" not in first.headers
    assert first.query == [("api-version", "2")]
    assert first.decode_json
    assert not preparer.wire(Request("GET", "/files/f/content", decode_json=False)).decode_json


def test_options_go_over_the_request() -> None:
    options = call_options(
        extra_headers={"X-Trace": "t", "Authorization": "Bearer other"},
        extra_query={"trace": "1"},
        extra_body={"seed": 3, "model": "m2"},
        timeout=1.5,
        idempotency_key="mine",
    )
    wire = _preparer().wire(
        Request("POST", "/fine_tuning/jobs", [("a", "b")], {"model": "m"}, options=options)
    )
    assert wire.query == [("api-version", "2"), ("a", "b"), ("trace", "1")]
    assert wire.data == b'{"model":"m2","seed":3}'
    assert wire.headers["Idempotency-Key"] == "mine"
    assert wire.headers["Authorization"] == "Bearer other"
    assert wire.headers["X-Trace"] == "t"
    assert wire.timeout.total == 1.5


def test_each_post_gets_a_fresh_key_of_its_own() -> None:
    preparer = _preparer()
    keys = {preparer.wire(Request("POST", "/x")).headers["Idempotency-Key"] for _ in range(3)}
    assert len(keys) == 3
    assert all(key.startswith("ftjobs-") for key in keys)


def test_a_stream_bounds_each_read_not_the_transfer() -> None:
    wire = _preparer().stream_wire(Request("GET", "/files/f/content", options=call_options()))
    assert wire.timeout.total is None
    assert wire.timeout.sock_read == 30.0
    timed = _preparer().stream_wire(Request("GET", "/f", options=call_options(timeout=4)))
    assert timed.timeout.sock_read == 4


def test_a_body_kept_as_bytes_accepts_any_type() -> None:
    # Together's description serves a file's content as text/plain and a model as
    # octet-stream: `Accept: application/json` there is answered 406 (Prism does).
    preparer = Preparer(BASE, {"Accept": "application/json", "Authorization": "Bearer k"}, None, 30)
    raw = preparer.wire(Request("GET", "/files/f/content", decode_json=False))
    assert raw.headers["Accept"] == "*/*"
    assert raw.headers["Authorization"] == "Bearer k"
    again = preparer.wire(Request("GET", "/files/g/content", decode_json=False))
    assert again.headers is raw.headers  # built once, like the client's own
    assert preparer.wire(Request("GET", "/files/f")).headers["Accept"] == "application/json"
    chosen = call_options(extra_headers={"Accept": "text/csv"})
    mine = preparer.wire(Request("GET", "/f/content", options=chosen, decode_json=False))
    assert mine.headers.getall("Accept") == ["text/csv"]
    timed = preparer.wire(
        Request("GET", "/f/content", options=call_options(timeout=2), decode_json=False)
    )
    assert timed.headers["Accept"] == "*/*"
