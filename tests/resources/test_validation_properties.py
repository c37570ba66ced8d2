"""Bad input from the caller, generated: every public method rejects a wrong type or an
out-of-range value with a ``TypeError``/``ValueError`` that names the parameter, before any
request is made.

Each example builds a client whose transport records any request instead of sending it, calls
one method with valid arguments except one, generated bad, then drives whatever came back (a
coroutine, a paginator, an async iterator) one step, so a check that happens late but still
before the first request counts, and a request made with bad input fails the test.
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ftjobs
from ftjobs._request import Request
from tests._support.payloads import API_KEY, BASE_URL

MAX_EXAMPLES = 40


class RequestMade(AssertionError):
    """A request went out although an argument was bad."""


def offline_client() -> tuple[ftjobs.AsyncClient, list[tuple[Any, ...]]]:
    client = ftjobs.AsyncClient(api_key=API_KEY, base_url=BASE_URL, max_retries=0)
    calls: list[tuple[Any, ...]] = []

    async def record(request: Request) -> Any:
        calls.append(tuple(request))
        raise RequestMade(f"{request.method} {request.path} was sent")

    async def record_stream(request: Request, chunk_size: int = 1) -> AsyncGenerator[bytes, None]:
        await record(request)
        yield b""

    client.transport.request = record  # type: ignore[method-assign]
    client.transport.stream = record_stream  # type: ignore[method-assign]
    return client, calls


async def _drive(result: Any) -> None:
    if hasattr(result, "__anext__"):
        await result.__anext__()
    elif hasattr(result, "__await__"):
        await result


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One loop for every example (a loop per example costs more than the example)."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def call_offline(
    loop: asyncio.AbstractEventLoop, invoke: Callable[[ftjobs.AsyncClient], Any]
) -> tuple[BaseException, list[Any]]:
    """Call, drive, and return the exception raised and the requests attempted."""
    client, calls = offline_client()
    try:
        result = invoke(client)
        loop.run_until_complete(_drive(result))
    except (TypeError, ValueError) as exc:
        return exc, calls
    except BaseException as exc:
        raise AssertionError(f"expected TypeError/ValueError, got {exc!r}") from exc
    raise AssertionError("no error was raised")


# -- bad values, by the kind of parameter ----------------------------------------------------

_OTHER_TYPES = (
    st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.binary(max_size=4)
    | st.lists(st.integers(), max_size=2)
    | st.tuples(st.text(max_size=2))
    | st.builds(object)
    | st.just(True)
)
_BLANK = st.sampled_from(["", " ", "\t\n", "   "])

BAD: dict[str, st.SearchStrategy[Any]] = {
    "str": _OTHER_TYPES
    | st.none()
    | st.dictionaries(st.text(max_size=2), st.text(max_size=2))
    | _BLANK,
    "opt_str": _OTHER_TYPES | _BLANK,
    "suffix": _OTHER_TYPES | st.just("") | st.text(min_size=65, max_size=80),
    "seed": st.integers(max_value=-1)
    | st.integers(min_value=2**31)
    | st.floats()
    | st.text(max_size=3)
    | st.booleans(),
    "limit100": st.integers(max_value=0)
    | st.integers(min_value=101)
    | st.floats()
    | st.text(max_size=3)
    | st.booleans(),
    "limit10000": st.integers(max_value=0) | st.integers(min_value=10_001) | st.floats(),
    "metadata": _OTHER_TYPES
    | st.text(max_size=3)
    | st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=3)
    | st.dictionaries(st.integers(), st.text(max_size=3), min_size=1, max_size=3)
    | st.dictionaries(
        st.text(min_size=1, max_size=4), st.text(max_size=2), min_size=17, max_size=20
    )
    | st.builds(lambda k: {k: "v"}, st.text(min_size=65, max_size=70))
    | st.just({"": "v"})
    | st.builds(lambda v: {"k": v}, st.text(min_size=513, max_size=520)),
    "integrations": st.integers()
    | st.text(max_size=3)
    | st.just({"type": "wandb"})
    | st.lists(st.integers() | st.text(max_size=2), min_size=1, max_size=3)
    | st.lists(st.just({"type": "wandb", "wandb": {"project": "p"}}), min_size=6, max_size=8)
    | st.lists(st.fixed_dictionaries({"type": st.integers() | st.none()}), min_size=1),
    "method": st.integers()
    | st.text(max_size=3)
    | st.lists(st.integers(), max_size=2)
    | st.fixed_dictionaries({"type": st.text(max_size=5).filter(lambda t: t not in _METHODS)})
    | st.just({}),
    "mapping": st.integers() | st.text(max_size=3) | st.lists(st.integers(), max_size=2),
    "str_mapping": st.integers()
    | st.text(max_size=3)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(min_size=1, max_size=3), st.integers() | st.none(), min_size=1)
    | st.dictionaries(st.integers(), st.text(max_size=3), min_size=1, max_size=2),
    "timeout": st.floats(max_value=0)
    | st.just(math.inf)
    | st.just(math.nan)
    | st.integers(max_value=0)
    | st.text(max_size=3)
    | st.booleans()
    | st.lists(st.integers(), max_size=1),
    "purpose": st.text(max_size=8).filter(lambda p: p not in _PURPOSES) | _OTHER_TYPES,
    "order": st.text(max_size=5).filter(lambda o: o not in ("asc", "desc")) | st.integers(),
    "file": st.integers()
    | st.none()
    | st.lists(st.integers(), max_size=2)
    | st.just("/nonexistent/train.jsonl")
    | st.floats(),
    "on_paused": st.text(max_size=6).filter(lambda v: v not in ("wait", "return", "raise"))
    | st.integers()
    | st.none(),
    "poll": st.integers()
    | st.text(max_size=3)
    | st.dictionaries(st.text(max_size=3), st.integers()),
    "return_when": st.text(max_size=6).filter(
        lambda v: v not in ("all_completed", "first_completed", "first_failure")
    )
    | st.integers(),
    "ids": st.integers()
    | st.none()
    | st.just([])
    | st.lists(st.integers() | st.none() | _BLANK, min_size=1, max_size=3),
    "token": _OTHER_TYPES | _BLANK | st.just("ftjobs-wait.not-a-token"),
}
_METHODS = ("supervised", "dpo", "reinforcement")
_PURPOSES = ("fine-tune", "batch", "assistants", "vision", "user_data", "evals")

_JOB = {"model": "gpt-4o-mini", "training_file": "file-1"}
_COMMON = {"extra_headers": "str_mapping", "extra_query": "str_mapping", "timeout": "timeout"}
_POST = {**_COMMON, "extra_body": "mapping", "idempotency_key": "opt_str"}
_PAGE = {**_COMMON, "after": "opt_str", "limit": "limit100"}


def _jobs(name: str) -> Callable[..., Any]:
    return lambda client, *args, **kwargs: getattr(client.jobs, name)(*args, **kwargs)


def _files(name: str) -> Callable[..., Any]:
    return lambda client, *args, **kwargs: getattr(client.files, name)(*args, **kwargs)


def _on(path: str) -> Callable[..., Any]:
    """The method at ``path`` below the client (``"checkpoints.permissions.create"``)."""

    def call(client: Any, *args: Any, **kwargs: Any) -> Any:
        target = client
        for name in path.split("."):
            target = getattr(target, name)
        return target(*args, **kwargs)

    return call


def _azure_delete(client: ftjobs.AsyncClient, *args: Any, **kwargs: Any) -> Any:
    # The Azure jobs resource on this client's transport: its DELETE takes the same options.
    from ftjobs.resources._jobs import AzureJobs

    return AzureJobs(client.transport).delete(*args, **kwargs)


_GRADER = {"type": "string_check", "name": "g", "input": "a", "reference": "b", "operation": "eq"}
_CKPT = "ft:gpt-4o-mini:org::ckpt-step-1"


# (label, call, valid positional args (by name), valid keyword args, bad kinds by parameter)
CASES: list[tuple[str, Callable[..., Any], dict[str, Any], dict[str, Any], dict[str, str]]] = [
    (
        "jobs.create",
        _jobs("create"),
        {},
        _JOB,
        {
            "model": "str",
            "training_file": "str",
            "validation_file": "opt_str",
            "suffix": "suffix",
            "seed": "seed",
            "metadata": "metadata",
            "integrations": "integrations",
            "method": "method",
            "hyperparameters": "mapping",
            **_POST,
        },
    ),
    ("jobs.retrieve", _jobs("retrieve"), {"job_id": "ftjob-1"}, {}, {"job_id": "str", **_COMMON}),
    (
        "jobs.retrieve_with_headers",
        _jobs("retrieve_with_headers"),
        {"job_id": "ftjob-1"},
        {},
        {"job_id": "str", **_COMMON},
    ),
    ("jobs.list", _jobs("list"), {}, {}, {"metadata": "metadata", **_PAGE}),
    ("jobs.cancel", _jobs("cancel"), {"job_id": "ftjob-1"}, {}, {"job_id": "str", **_POST}),
    ("jobs.pause", _jobs("pause"), {"job_id": "ftjob-1"}, {}, {"job_id": "str", **_POST}),
    ("jobs.resume", _jobs("resume"), {"job_id": "ftjob-1"}, {}, {"job_id": "str", **_POST}),
    (
        "jobs.list_events",
        _jobs("list_events"),
        {"job_id": "ftjob-1"},
        {},
        {"job_id": "str", **_PAGE},
    ),
    (
        "jobs.list_checkpoints",
        _jobs("list_checkpoints"),
        {"job_id": "ftjob-1"},
        {},
        {"job_id": "str", **_PAGE},
    ),
    (
        "jobs.waiter",
        _jobs("waiter"),
        {"job_or_token": "ftjob-1"},
        {},
        {"job_or_token": "str", "poll": "poll", "timeout": "timeout"},
    ),
    (
        "jobs.wait_until_terminal",
        _jobs("wait_until_terminal"),
        {"job_or_id": "ftjob-1"},
        {},
        {"job_or_id": "str", "poll": "poll", "timeout": "timeout", "on_paused": "on_paused"},
    ),
    (
        "jobs.step",
        _jobs("step"),
        {"token_or_job_id": "ftjob-1"},
        {},
        {"token_or_job_id": "str", "poll": "poll"},
    ),
    (
        "jobs.watch",
        _jobs("watch"),
        {"job_or_token": "ftjob-1"},
        {},
        {"job_or_token": "str", "poll": "poll", "timeout": "timeout"},
    ),
    (
        "jobs.wait_many",
        _jobs("wait_many"),
        {"jobs_or_ids": ["ftjob-1"]},
        {},
        {"jobs_or_ids": "ids", "poll": "poll", "timeout": "timeout", "return_when": "return_when"},
    ),
    (
        "jobs.as_completed",
        _jobs("as_completed"),
        {"jobs_or_ids": ["ftjob-1"]},
        {},
        {"jobs_or_ids": "ids", "poll": "poll", "timeout": "timeout"},
    ),
    (
        "files.upload",
        _files("upload"),
        {"file": b"{}\n"},
        {},
        {
            "file": "file",
            "purpose": "purpose",
            "filename": "opt_str",
            "idempotency_key": "opt_str",
            **_COMMON,
        },
    ),
    (
        "files.retrieve",
        _files("retrieve"),
        {"file_id": "file-1"},
        {},
        {"file_id": "str", **_COMMON},
    ),
    (
        "files.list",
        _files("list"),
        {},
        {},
        {
            "purpose": "opt_str",
            "limit": "limit10000",
            "order": "order",
            "after": "opt_str",
            **_COMMON,
        },
    ),
    ("files.delete", _files("delete"), {"file_id": "file-1"}, {}, {"file_id": "str", **_COMMON}),
    ("files.content", _files("content"), {"file_id": "file-1"}, {}, {"file_id": "str", **_COMMON}),
    (
        "files.content(to=)",
        _files("content"),
        {"file_id": "file-1"},
        {"to": os.path.join(tempfile.gettempdir(), "ftjobs-never-written.bin")},
        {"file_id": "str", **_COMMON},
    ),
    (
        "files.stream_content",
        _files("stream_content"),
        {"file_id": "file-1"},
        {},
        {"file_id": "str", **_COMMON},
    ),
    ("jobs.delete (Azure)", _azure_delete, {"job_id": "ftjob-1"}, {}, {"job_id": "str", **_COMMON}),
    (
        "uploads.create",
        _on("uploads.create"),
        {},
        {"filename": "t.jsonl", "purpose": "fine-tune", "bytes": 10, "mime_type": "text/jsonl"},
        {"filename": "str", "mime_type": "str", **_POST},
    ),
    (
        "uploads.add_part",
        _on("uploads.add_part"),
        {"upload_id": "upload_1", "data": b"x"},
        {},
        {"upload_id": "str", "idempotency_key": "opt_str", **_COMMON},
    ),
    (
        "uploads.complete",
        _on("uploads.complete"),
        {"upload_id": "upload_1"},
        {"part_ids": ["part_1"]},
        {"upload_id": "str", "md5": "opt_str", **_POST},
    ),
    (
        "uploads.cancel",
        _on("uploads.cancel"),
        {"upload_id": "upload_1"},
        {},
        {"upload_id": "str", "idempotency_key": "opt_str", **_COMMON},
    ),
    (
        "checkpoints.permissions.create",
        _on("checkpoints.permissions.create"),
        {"checkpoint": _CKPT},
        {"project_ids": ["proj_1"]},
        {"checkpoint": "str", **_POST},
    ),
    (
        "checkpoints.permissions.list",
        _on("checkpoints.permissions.list"),
        {"checkpoint": _CKPT},
        {},
        {"checkpoint": "str", "project_id": "opt_str", **_PAGE, "limit": "limit10000"},
    ),
    (
        "checkpoints.permissions.delete",
        _on("checkpoints.permissions.delete"),
        {"checkpoint": _CKPT, "permission_id": "cp_1"},
        {},
        {"checkpoint": "str", "permission_id": "str", **_COMMON},
    ),
    (
        "graders.run",
        _on("graders.run"),
        {},
        {"grader": _GRADER, "model_sample": "a"},
        {"item": "mapping", **_COMMON, "extra_body": "mapping"},
    ),
    (
        "graders.validate",
        _on("graders.validate"),
        {},
        {"grader": _GRADER},
        {**_COMMON, "extra_body": "mapping"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(data=st.data())
def test_bad_argument_is_rejected_naming_it_before_any_request(
    case: tuple[str, Callable[..., Any], dict[str, Any], dict[str, Any], dict[str, str]],
    data: st.DataObject,
    loop: asyncio.AbstractEventLoop,
) -> None:
    label, call, positional, keywords, bad_kinds = case
    param = data.draw(st.sampled_from(sorted(bad_kinds)), label="parameter")
    value = data.draw(BAD[bad_kinds[param]], label="bad value")
    args = dict(positional)
    kwargs = dict(keywords)
    if param in args:
        args[param] = value
    else:
        kwargs[param] = value

    exc, calls = call_offline(loop, lambda client: call(client, *args.values(), **kwargs))

    assert calls == [], f"{label}({param}={value!r}) sent a request"
    message = str(exc)
    named = param in message or (param == "job_or_id" and "job_id" in message)
    assert named, f"{label}({param}={value!r}) raised {exc!r}, which does not name {param!r}"


_OPTION_CASES = [case for case in CASES if "extra_headers" in case[4]]


@pytest.mark.parametrize("case", _OPTION_CASES, ids=[case[0] for case in _OPTION_CASES])
def test_valid_options_reach_the_request_as_one_record(
    case: tuple[str, Callable[..., Any], dict[str, Any], dict[str, Any], dict[str, str]],
    loop: asyncio.AbstractEventLoop,
) -> None:
    """The other side of the test above: with every argument valid, the call sends one request,
    and the options given travel in it as one record (the transport applies them)."""
    label, call, positional, keywords, kinds = case
    client, calls = offline_client()
    given: dict[str, Any] = {
        "extra_headers": {"X-Trace": "t"},
        "extra_query": {"q": "1"},
        "extra_body": {"b": "2"},
        "timeout": 7.5,
        "idempotency_key": "key-1",
    }
    given = {name: value for name, value in given.items() if name in kinds}
    with pytest.raises(RequestMade):
        loop.run_until_complete(_drive(call(client, *positional.values(), **keywords, **given)))
    assert len(calls) == 1, label
    options = Request(*calls[0]).options
    assert {name: getattr(options, name) for name in given} == given


_NOT_STR = st.integers() | st.lists(st.integers(), max_size=1) | st.binary(max_size=3)
CONSTRUCTOR: dict[str, st.SearchStrategy[Any]] = {
    "timeout": BAD["timeout"],
    "api_key": _NOT_STR | _BLANK,
    "base_url": _NOT_STR | st.text(min_size=1, max_size=8).filter(lambda u: "://" not in u),
    "max_retries": st.integers(max_value=-1) | st.floats() | st.text(max_size=2) | st.booleans(),
    "connection_limit": st.integers(max_value=-1) | st.text(max_size=2) | st.floats(),
}


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(data=st.data())
def test_client_constructor_rejects_bad_arguments_naming_them(data: st.DataObject) -> None:
    param = data.draw(st.sampled_from(sorted(CONSTRUCTOR)), label="parameter")
    value = data.draw(CONSTRUCTOR[param], label="bad value")
    kwargs: dict[str, Any] = {"api_key": API_KEY, "base_url": BASE_URL, param: value}
    with pytest.raises((TypeError, ValueError)) as info:
        ftjobs.AsyncClient(**kwargs)
    assert param in str(info.value)
    if param == "api_key":
        assert repr(value) not in str(info.value) or not value
