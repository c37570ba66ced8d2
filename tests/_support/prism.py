"""Stoplight Prism as a test harness: a mock server made from an OpenAPI description that
checks every request against it and answers with schema-valid (seeded) random answers.

Prism (``@stoplight/prism-cli``) is pinned, with its whole dependency tree, by
``tests/conformance/prism/package.json`` and its ``package-lock.json``; ``npm ci --prefix
tests/conformance/prism`` installs it (``.ci/run`` does). Where node or that install is
missing, `unavailable` says why and the tests that need Prism are skipped with that reason.

How the checks work:

- **Requests.** Prism refuses a request that breaks the description (a wrong type, a missing
  required field, a value outside its enum, a bad multipart part) with a 422 whose
  ``validation`` list names each violation, and reports lesser ones (warnings) in an
  ``sl-violations`` header. `Recorder` keeps both, per exchange, through an aiohttp trace;
  `problems` turns any of them into a failure message that names the operation, the request
  and Prism's words.
- **Answers.** ``Prefer: dynamic=true, seed=N`` (`prefer_dynamic`) asks Prism for a random
  answer drawn from the response schema, the same one for the same seed and schema. Prism
  checks its own answer too and reports what breaks the description in ``sl-violations``: an
  answer so flagged is a fault of Prism's generator, not of the SDK, and `problems` says so.

Prism is started without ``--errors``: a request that breaks the description gets its 422
either way, and ``--errors`` would only turn a flagged *answer* into a 500 whose body is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import io
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import attrs

import ftjobs

PRISM_DIR = Path(__file__).resolve().parents[1] / "conformance" / "prism"
"""Where Prism is pinned (``package.json``, ``package-lock.json``) and installed."""

_PACKAGE = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli"
INSTALL_HINT = "npm ci --prefix tests/conformance/prism"
START_TIMEOUT = 60.0
"""Seconds a Prism gets to answer its first request (a few on an idle machine)."""

_HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_C = TypeVar("_C", bound=ftjobs.AsyncClient)


def pinned_version() -> str:
    """The Prism version ``package.json`` pins."""
    manifest = json.loads((PRISM_DIR / "package.json").read_text(encoding="utf-8"))
    version: str = manifest["dependencies"]["@stoplight/prism-cli"]
    return version


MIN_NODE = (20, 19)
"""The oldest node Prism's tree runs on: what its dependencies declare (@faker-js/faker 10:
``^20.19``). Prism 5.16 itself declares ``>=24.18``, yet runs on 20 (this suite's machines have
20.20), so the older claim is the one checked."""


@functools.cache
def _node_version() -> tuple[int, ...] | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        shown = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return tuple(int(part) for part in re.findall(r"\d+", shown)[:3])


def unavailable() -> str | None:
    """Why Prism cannot run here, or None when it can."""
    node = _node_version()
    if node is None:
        return (
            f"node is not on PATH, so Prism cannot run (install node and npm, then {INSTALL_HINT})"
        )
    if node[:2] < MIN_NODE:
        shown = ".".join(map(str, node))
        wanted = ".".join(map(str, MIN_NODE))
        return f"node {shown} is older than the {wanted} Prism's dependencies need"
    manifest = _PACKAGE / "package.json"
    if not manifest.is_file():
        return f"Prism is not installed ({INSTALL_HINT})"
    installed = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    if installed != pinned_version():
        return f"Prism {installed} is installed, {pinned_version()} is pinned ({INSTALL_HINT})"
    return None


def for_prism(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with a ``minimum`` beside each numeric ``exclusiveMinimum`` (and a ``maximum``
    beside each ``exclusiveMaximum``) that has none.

    Under JSON Schema 2020-12 this changes nothing (``> m`` and ``>= m`` is ``> m``), so Prism
    validates exactly as before. It is for Prism's answer generator (json-schema-faker), which
    reads only the draft-4 form of these bounds: without the plain bound it drew values at or
    below it (a job's ``learning_rate_multiplier: -3.2``), and Prism's own check then flagged
    every job answer it made.
    """
    copied = copy.deepcopy(dict(spec))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for exclusive, plain in (
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ):
                bound = node.get(exclusive)
                numeric = isinstance(bound, (int, float)) and not isinstance(bound, bool)
                if numeric and plain not in node:
                    node[plain] = bound
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(copied)
    return copied


# -- where a description contradicts itself -----------------------------------------------------

TOGETHER_SPEC_GAPS = (
    "FinetuneEventLevels is a string enum that lists null: an event with `level: null` (the "
    "enum allows it, and Together sends it) is not a string, so every such answer was invalid",
    "TrainingMethodSFT.train_on_inputs is `type: boolean` beside `oneOf: [boolean, 'auto']` and "
    "`default: 'auto'`: 'auto', its own default (and what Together's SDK sends), was refused",
    "LRScheduler.lr_scheduler_args is `oneOf` linear / cosine arguments, but cosine's "
    "({min_lr_ratio, num_cycles}) are also linear's (no field required, an open object): no "
    "cosine scheduler matched exactly one, so every job with one was invalid",
    "POST /fine-tunes requires `model`, but a job from a checkpoint takes the checkpoint's "
    "base model: Together's own SDK (`together` 3.1, create_finetune_request) refuses both and "
    "sends no `model`",
    "FineTuneEvent.created_at and FineTuneCheckpoint.created_at are bare strings, where the "
    "job's timestamps are `format: date-time` (the README: timestamps are ISO-8601 strings); "
    "any text at all was a valid time",
)
"""Where Together's description (spec/together-fine-tuning.openapi.yaml) contradicts itself or
says other than the service and Together's own SDK do; `patch_together` corrects each before
Prism serves it. Found by this harness: with the first three, Prism flagged most of its own
random answers (and refused the request ``train_on_inputs="auto"``); the fourth refused a create
from a checkpoint; the last let it answer ``created_at: "lorem"``."""


def patch_together(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Together's description with `TOGETHER_SPEC_GAPS` corrected (a copy)."""
    patched = copy.deepcopy(dict(spec))
    schemas = patched["components"]["schemas"]
    schemas["FinetuneEventLevels"]["type"] = ["string", "null"]
    del schemas["TrainingMethodSFT"]["properties"]["train_on_inputs"]["type"]
    scheduler_args = schemas["LRScheduler"]["properties"]["lr_scheduler_args"]
    scheduler_args["anyOf"] = scheduler_args.pop("oneOf")
    create = patched["paths"]["/fine-tunes"]["post"]["requestBody"]["content"]["application/json"]
    create["schema"]["required"].remove("model")
    for name in ("FineTuneEvent", "FineTuneCheckpoint"):
        schemas[name]["properties"]["created_at"]["format"] = "date-time"
    return patched


# -- the operations of a spec ------------------------------------------------------------------


@attrs.frozen
class SpecOperation:
    """One operation of the description: ``GET /files/{file_id}``."""

    method: str
    path: str
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def spec_operations(spec: Mapping[str, Any]) -> list[SpecOperation]:
    """Every operation ``spec`` describes."""
    found = []
    for path, item in spec["paths"].items():
        # A path parameter is one segment (an id is sent percent-encoded); the rest is fixed.
        segments = ("[^/]+" if s.startswith("{") else re.escape(s) for s in path.split("/"))
        pattern = re.compile("^" + "/".join(segments) + "$")
        for method in item:
            if method in _HTTP_METHODS:
                found.append(SpecOperation(method.upper(), path, pattern))
    return found


def operation_of(operations: Iterable[SpecOperation], method: str, path: str) -> str | None:
    """The name of the operation ``method path`` (a concrete path) is, if any. A fixed path
    wins over a templated one (``/fine-tunes/estimate-price`` over ``/fine-tunes/{id}``)."""
    matches = [op for op in operations if op.method == method and op.pattern.match(path)]
    matches.sort(key=lambda op: op.path.count("{"))
    return matches[0].name if matches else None


# -- one Prism process ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrismMock:
    """``prism mock`` serving one description on a free loopback port (`start`, `stop`)."""

    def __init__(self, spec: Mapping[str, Any], *, name: str, workdir: Path) -> None:
        self.spec = for_prism(spec)
        self.name = name
        self.operations = spec_operations(self.spec)
        self._spec_file = workdir / f"{name}.openapi.json"
        self._spec_file.write_text(json.dumps(self.spec), encoding="utf-8")
        self._log_file = workdir / f"{name}.prism.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The root the description's paths hang from (Prism ignores its ``servers``)."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        """The end of Prism's own log, for a failure message."""
        try:
            return self._log_file.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start Prism and return once it answers; a port taken meanwhile is retried."""
        for _ in range(3):
            self.port = _free_port()
            with self._log_file.open("wb") as log:
                self._process = subprocess.Popen(
                    [
                        "node",
                        str(_PACKAGE / "dist" / "index.js"),
                        "mock",
                        str(self._spec_file),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(self.port),
                        "--verboseLevel",
                        "warn",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "SCARF_ANALYTICS": "false", "NO_COLOR": "1"},
                )
            if self._wait_ready(timeout):
                return
            self.stop()
            if "EADDRINUSE" not in self.log_tail():
                break
        raise RuntimeError(f"Prism ({self.name}) did not start:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.base_url}/__ready__", timeout=2):
                    return True
            except urllib.error.HTTPError:  # any answer at all (a 404 here) means it listens
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def answer(self, path: str, *, prefer: str | None = None) -> Any:
        """The JSON answer to ``GET path`` (with ``prefer``), asked directly: what a seed
        makes of an object's id, for a call that must name that very id."""
        headers = {"Authorization": "Bearer sk-prism", **({"Prefer": prefer} if prefer else {})}
        request = urllib.request.Request(self.base_url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """Stop the process (politely, then for good)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class PrismMocks:
    """The session's Prism mocks: one per description, started on first use."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._mocks: dict[str, PrismMock] = {}

    def get(self, name: str, spec: Mapping[str, Any]) -> PrismMock:
        """The running mock of ``spec`` (started now if it is the first use of ``name``)."""
        mock = self._mocks.get(name)
        if mock is None:
            mock = PrismMock(spec, name=name, workdir=self._workdir)
            mock.start()
            self._mocks[name] = mock
        return mock

    def close(self) -> None:
        for mock in self._mocks.values():
            mock.stop()
        self._mocks.clear()


# -- what went over the wire ---------------------------------------------------------------------


@attrs.frozen
class Violation:
    """One thing Prism found against the description, in a request or in its own answer."""

    side: str  # "request" or "response"
    where: str  # "body.method.type", "query.limit"
    severity: str
    message: str

    @classmethod
    def from_prism(cls, item: Mapping[str, Any], side: str | None = None) -> Violation:
        location = [str(part) for part in item.get("location", [])]
        if side is None:  # sl-violations entries start with their side
            side, location = (location[0], location[1:]) if location else ("request", [])
        return cls(side, ".".join(location), str(item.get("severity")), str(item.get("message")))

    def __str__(self) -> str:
        return f"[{self.side} {self.where}] {self.severity}: {self.message}"


@attrs.define
class Exchange:
    """One request to Prism and what came back."""

    method: str
    path: str
    query: str = ""
    status: int = 0
    violations: list[Violation] = attrs.Factory(list)

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.path}{query} -> {self.status}"


class Recorder:
    """Every exchange of an aiohttp session with Prism (install `trace` on the session)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._started)
        self.trace.on_request_end.append(self._ended)

    async def _started(
        self,
        _: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        ctx.exchange = Exchange(params.method, params.url.raw_path, params.url.raw_query_string)
        self.exchanges.append(ctx.exchange)

    async def _ended(
        self, _: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        exchange: Exchange = ctx.exchange
        exchange.status = params.response.status
        header = params.response.headers.get("sl-violations")
        if header:
            exchange.violations += [Violation.from_prism(v) for v in json.loads(header)]


def refused(error: BaseException) -> list[Violation]:
    """The violations of a request Prism refused (its 422 names them), else none."""
    body = getattr(error, "body", None)
    if getattr(error, "status_code", None) != 422 or not isinstance(body, Mapping):
        return []
    return [Violation.from_prism(v, "request") for v in body.get("validation", [])]


@contextlib.asynccontextmanager
async def prism_client(
    mock: PrismMock,
    recorder: Recorder,
    *,
    prefer: str | None = None,
    client_type: type[_C] = ftjobs.AsyncClient,  # type: ignore[assignment]
) -> AsyncIterator[_C]:
    """A ``client_type`` (`ftjobs.AsyncClient` or a provider's) on ``mock`` whose exchanges
    ``recorder`` keeps: no retries (a refusal is seen once), no request budget to wait for,
    ``Prefer`` sent on every request."""
    async with (
        aiohttp.ClientSession(trace_configs=[recorder.trace]) as session,
        client_type(
            api_key="sk-prism",
            base_url=mock.base_url,
            session=session,
            max_retries=0,
            timeout=20,
            request_budget=ftjobs.waiting.RatePolicy(rate=10_000, burst=1_000),
            default_headers={"Prefer": prefer} if prefer else None,
        ) as client,
    ):
        yield client


def prefer_dynamic(seed: int) -> str:
    """The ``Prefer`` header that asks Prism for the random answer of ``seed``."""
    return f"dynamic=true, seed={seed}"


# -- what the operation tables share ------------------------------------------------------------

SEEDS = (1, 2, 3, 5, 8, 13)
"""The seeds of Prism's random answers. An answer for a seed is the same on every run (seeded,
Prism pinned), so a failure names a seed that reproduces it."""

TRAINING_JSONL = b"".join(
    json.dumps(
        {"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": "A"}]}
    ).encode()
    + b"\n"
    for i in range(10)
)
"""A small valid training file (ten chats)."""


class Pipe(io.RawIOBase):
    """A file object that cannot seek (a pipe's): its size is unknown until read, so an
    upload's answer (a random ``bytes``) is not held against it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


async def drained(chunks: AsyncIterator[bytes]) -> int:
    """Read a stream of chunks to its end; the bytes it held."""
    return sum([len(chunk) async for chunk in chunks])


async def listed(items: AsyncIterator[Any]) -> list[Any]:
    """Every item of an async iterator (``jobs.find``)."""
    return [item async for item in items]


# -- driving a client's operations ---------------------------------------------------------------


@attrs.frozen
class Operation:
    """One thing a client does: a single API call (``returns`` names the model its answer must
    parse into) or a flow of calls (``returns`` None).

    ``defences`` are errors the SDK raises *on purpose* at an answer that is valid but makes no
    sense together with the request (a mock's: a cursor that comes back, a stored size other
    than the bytes sent); each is raised only after the answer parsed.
    """

    name: str
    call: Callable[[ftjobs.AsyncClient], Awaitable[object]]
    returns: type | tuple[type, ...] | None = None
    defences: tuple[type[BaseException], ...] = ()


@attrs.frozen
class Outcome:
    """What one operation did: its value or error, and the exchanges it made."""

    operation: Operation
    exchanges: tuple[Exchange, ...]
    value: object = None
    error: BaseException | None = None


async def drive(
    client: ftjobs.AsyncClient,
    recorder: Recorder,
    operations: Sequence[Operation],
    *,
    timeout: float = 30.0,
) -> list[Outcome]:
    """Run ``operations`` one by one (each within ``timeout`` seconds) and keep every outcome."""
    outcomes = []
    for operation in operations:
        start = len(recorder.exchanges)
        value: object = None
        error: BaseException | None = None
        try:
            async with asyncio.timeout(timeout):
                value = await operation.call(client)
        except Exception as exc:
            error = exc
        outcomes.append(Outcome(operation, tuple(recorder.exchanges[start:]), value, error))
    return outcomes


def read_whole(value: object) -> None:
    """Read every field of a model, nested ones included (a nested model is built on its first
    read, so this is what a user touching everything would trigger)."""
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            read_whole(getattr(value, field.name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            read_whole(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            read_whole(item)


def problems(outcomes: Iterable[Outcome], *, answers: bool = False) -> list[str]:
    """Everything wrong in ``outcomes``, one line each: a request Prism refused or flagged, an
    operation that sent nothing, raised (other than its defences) or returned the wrong type,
    and, when ``answers``, an answer Prism flagged as breaking the description (its generator's
    fault; the line says so)."""
    found: list[str] = []
    for outcome in outcomes:
        name = outcome.operation.name
        if not outcome.exchanges:
            found.append(f"{name}: sent no request")
        for exchange in outcome.exchanges:
            for violation in exchange.violations:
                if violation.side == "request":
                    found.append(f"{name}: {exchange}: Prism flagged the request: {violation}")
                elif answers:
                    found.append(
                        f"{name}: {exchange}: Prism's own answer breaks the spec (its "
                        f"generator's fault, not ftjobs'): {violation}"
                    )
        error = outcome.error
        if error is not None:
            violations = refused(error)
            if violations:
                listed = "; ".join(str(v) for v in violations)
                found.append(f"{name}: Prism refused the request (422): {listed}")
            elif not isinstance(error, outcome.operation.defences):
                found.append(f"{name}: raised {type(error).__name__}: {error}")
            continue
        returns = outcome.operation.returns
        if returns is not None:
            if not isinstance(outcome.value, returns):
                found.append(f"{name}: returned {type(outcome.value).__name__}, not {returns}")
            try:
                read_whole(outcome.value)
            except Exception as exc:
                found.append(f"{name}: reading the answer's fields raised {exc!r}")
    return found


def uncovered(operations: Sequence[SpecOperation], outcomes: Iterable[Outcome]) -> set[str]:
    """The operations of the description that no exchange of ``outcomes`` reached."""
    reached = {
        operation_of(operations, exchange.method, exchange.path)
        for outcome in outcomes
        for exchange in outcome.exchanges
    }
    return {op.name for op in operations} - reached
