"""The one layer that does HTTP: build a request, send it, retry it, decode it, map failures.

Everything above this module deals in typed models; everything in it deals in bytes, headers and
statuses. Retry *decisions* live in `ftjobs._retry`; tenacity runs the loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import orjson
from multidict import CIMultiDict

from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    DailyLimitError,
    FTJobsError,
    PoolTimeoutError,
    ResponseTooLargeError,
)
from ._gate import SlotGate, in_burst
from ._request import Headers, Preparer, Request, Wire
from ._responses import (
    DEFAULT_MAX_RESPONSE_BYTES,
    ERROR_BODY_LIMIT,
    READ_CHUNK,
    APIResponse,
    UnreadableBody,
    body_error,
    read_capped,
    read_chunk,
    request_id_of,
    status_error,
)
from ._retry import RetryPolicy, parse_retry_after, retry_delay, should_retry

if TYPE_CHECKING:
    import tenacity

__all__ = ["DEFAULT_POOL_TIMEOUT", "AuthHeaders", "Transport"]

logger = logging.getLogger("ftjobs")

# orjson decodes response bodies several times faster than the stdlib json module.
_loads: Callable[[bytes | str], Any] = orjson.loads

#: Seconds a request may wait for a free connection of the pool before it is sent. Generous on
#: purpose: 100 connections at 100 ms a call drain a queue of 60,000 calls in one minute, and a
#: crowd of calls should queue, not fail; the bound only catches a pool that never frees up.
DEFAULT_POOL_TIMEOUT = 600.0

_R = TypeVar("_R")

AuthHeaders = Callable[[], Awaitable[Mapping[str, str]]]


def _log_attempt(
    method: str,
    url: str,
    status: int | None,
    request_id: str | None,
    attempt: int,
    started: float,
    failure: str | None = None,
) -> None:
    """One DEBUG record per attempt; the fields are also record attributes (``ftjobs_*``)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    duration_ms = (time.perf_counter() - started) * 1000
    outcome = failure if status is None else str(status)
    logger.debug(
        "%s %s -> %s request_id=%s attempt=%d %.1fms",
        method,
        url,
        outcome,
        request_id,
        attempt,
        duration_ms,
        extra={
            "ftjobs_method": method,
            "ftjobs_path": urlsplit(url).path,
            "ftjobs_status": status,
            "ftjobs_request_id": request_id,
            "ftjobs_attempt": attempt,
            "ftjobs_duration_ms": duration_ms,
            "ftjobs_failure": failure,
        },
    )


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DailyLimitError):
        # A daily quota opens again hours later: a retry in seconds is refused again, and
        # spends nothing but requests. The caller (a campaign) waits for the slot.
        return False
    if isinstance(exc, APIStatusError):
        return should_retry(exc.status_code, exc.headers)
    if isinstance(exc, PoolTimeoutError):
        # Nothing was sent; a retry would only rejoin the queue it timed out in.
        return False
    return isinstance(exc, (APIConnectionError, UnreadableBody))


class Transport:
    """Sends requests to one API base URL through one aiohttp session.

    Every attempt first takes a slot of the connection pool (waiting at most
    ``pool_timeout``); its ``timeout`` starts only then, so a crowd of calls queues instead of
    timing itself out. No redirect is followed (a 3xx raises
    [RedirectError][ftjobs.RedirectError]): credentials go to ``base_url`` only.

    Args:
        base_url: Root of the API, for example ``https://api.openai.com/v1``.
        headers: Headers sent with every request (auth, user agent). Built once.
        timeout: Default per-attempt timeout in seconds (``None`` = no limit), counted from
            the moment the attempt has its connection slot.
        retry_policy: How failed attempts are retried.
        session: A caller-owned session to use (and not close); else one is created lazily.
            The pool slots then follow its connector's ``limit`` / ``limit_per_host``.
        default_query: Query parameters sent with every request (Azure's ``api-version``).
        auth_headers: Coroutine returning headers computed per request (a token provider).
        connection_limit: Size of the connection pool of a session created here (0: no limit).
        pool_timeout: Seconds an attempt may wait for a free connection (``None``: no limit).
        max_response_bytes: Largest body held in memory (``None``: no limit).
        on_rate_limited: Called with the server's requested wait (seconds or ``None``) on
            every 429, so a shared request budget can slow every caller down.
        sleep: Injected for tests; defaults to ``asyncio.sleep``.
        rng: Injected for tests; source of retry jitter.
        clock: Injected for tests; unix time, defaults to ``time.time``.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        timeout: float | None,
        retry_policy: RetryPolicy,
        session: aiohttp.ClientSession | None = None,
        default_query: Mapping[str, str] | None = None,
        auth_headers: AuthHeaders | None = None,
        connection_limit: int = 100,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        on_rate_limited: Callable[[float | None], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._prepare = Preparer(base_url, headers, default_query, timeout)
        self.base_url = self._prepare.base_url
        self.retry_policy = retry_policy
        self._session = session
        self._owns_session = session is None
        self._auth_headers = auth_headers
        self._connection_limit = connection_limit
        self._pool_timeout = pool_timeout
        self._max_response_bytes = max_response_bytes
        self._gate: SlotGate | None = None
        # The headers a session created here sends by itself (set when it is created).
        self._session_headers: Headers | None = None
        self._gate_sized = False
        self._on_rate_limited = on_rate_limited
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once `close` has run."""
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new AsyncClient")
        if self._session is None:
            # The client's headers are the session's own: a plain GET passes none, and aiohttp
            # merges nothing into them per request.
            self._session_headers = self._prepare.headers
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._connection_limit, keepalive_timeout=30, enable_cleanup_closed=False
                ),
                headers=self._session_headers,
            )
        if not self._gate_sized:
            # As many slots as the connector has connections: an attempt that holds a slot
            # never queues inside aiohttp, where the wait would count against its timeout.
            connector = self._session.connector
            limits = [] if connector is None else [connector.limit, connector.limit_per_host]
            size = min((n for n in limits if n), default=0)
            self._gate = SlotGate(size) if size else None
            self._gate_sized = True
        return self._session

    def open(self) -> None:
        """Open the session now (it is otherwise opened on first use)."""
        self._get_session()

    def abandon(self) -> bool:
        """For a client being collected unclosed: close the connections of the session this
        transport opened, now and without awaiting; True if there was one to close."""
        session = self._session
        if self._closed or session is None or not self._owns_session or session.closed:
            return False
        self._closed = True
        connector = session.connector
        try:
            if connector is not None:
                connector._close()  # the synchronous part of close(): no loop needed
        except Exception:
            pass
        return True

    async def close(self) -> None:
        """Close the session if this transport created it. Safe to call twice."""
        self._closed = True
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def _attempt_headers(self, headers: Headers) -> Headers:
        if self._auth_headers is None:
            return headers
        attempt_headers = CIMultiDict(headers)
        attempt_headers.update(await self._auth_headers())
        return attempt_headers

    async def request(self, request: Request) -> APIResponse:
        """Send one logical request, retrying transient failures, and return a 2xx response.

        Every POST carries an ``Idempotency-Key`` (the call's ``idempotency_key`` or a fresh
        one), the same on every retry of this call, so a server that honours it cannot act
        twice.

        Raises:
            APIStatusError: (a subclass of) for a non-2xx status, after retries.
            APIConnectionError / APITimeoutError: when the server could not be reached.
            PoolTimeoutError: no connection came free within ``pool_timeout``.
            ResponseTooLargeError: the body is larger than ``max_response_bytes``.
            ResponseValidationError: when a 2xx body is not valid JSON, after retries.
        """
        session = self._get_session()
        wire = self._prepare.wire(request)
        multipart = request.multipart
        if multipart is None:
            # The common call: its first attempt awaited right here, the retry machinery
            # (closures, tenacity) only after it failed.
            try:
                return await self._send(session, wire, 1, wire.data)
            except Exception as exc:
                first_failure: BaseException | None = exc
        else:
            first_failure = None
        attempt = 0 if first_failure is None else 1

        async def send_once() -> APIResponse:
            nonlocal attempt
            attempt += 1
            if multipart is None:
                return await self._send(session, wire, attempt, wire.data)
            with multipart() as form:
                return await self._send(session, wire, attempt, form)

        try:
            return await self._retrying(request, send_once, first_failure)
        except UnreadableBody as exc:
            raise body_error(exc) from None

    async def stream(
        self, request: Request, chunk_size: int = READ_CHUNK
    ) -> AsyncGenerator[bytes, None]:
        """Send ``request`` (a GET) and yield its body in chunks, never holding more than one
        in memory.

        Reaching the server (up to the response headers) is retried like any request; the
        body, once it flows, is not. The call's ``timeout`` bounds the wait for each chunk
        (``chunk_size`` bytes, or the end) rather than the whole transfer, so a large download
        is not cut off by the per-request default, and one that trickles is.
        """
        session = self._get_session()
        wire = self._prepare.stream_wire(request)
        attempt = 0

        async def open_once() -> aiohttp.ClientResponse:
            nonlocal attempt
            attempt += 1
            resp, started = await self._open(session, wire, attempt, None)
            _log_attempt(
                "GET", wire.url, resp.status, request_id_of(resp.headers), attempt, started
            )
            return resp

        resp = await self._retrying(request, open_once, None)
        started = time.perf_counter()
        # Each chunk, not each byte, must arrive within the timeout: a server dripping one
        # byte a second would otherwise keep a download alive for ever.
        per_chunk = wire.timeout.sock_read
        try:
            while True:
                async with asyncio.timeout(per_chunk):
                    chunk = await read_chunk(resp.content, chunk_size)
                if not chunk:
                    return
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_failure(exc, "GET", wire.url, attempt, started) from exc
        finally:
            resp.release()
            self._release_slot()

    async def _retrying(
        self,
        request: Request,
        send_once: Callable[[], Awaitable[_R]],
        first_failure: BaseException | None,
    ) -> _R:
        """``send_once`` until it succeeds or the retry policy gives up. ``first_failure``:
        attempt 1 already ran (and failed so) outside; else it runs here first."""
        method, path, max_retries = request.method, request.path, request.max_retries
        policy = self.retry_policy
        retries = policy.max_retries if max_retries is None else max_retries
        # The first attempt runs outside tenacity, whose per-call machinery (retry state,
        # action chain, inspect checks) cost more CPU than the request itself. Only a
        # retryable failure enters the retry loop below.
        if first_failure is None:
            try:
                return await send_once()
            except Exception as exc:
                first_failure = exc
        if retries <= 0 or not _is_retryable(first_failure):
            raise first_failure
        replay: list[BaseException] = [first_failure]
        # Imported here: only a failed attempt needs it (import time is part of the budget).
        import tenacity

        async def next_attempt() -> _R:
            # Attempt 1 already ran: tenacity sees its failure replayed, so attempt numbers,
            # backoff, logging and the stop rule are exactly those of a loop that ran it.
            if replay:
                raise replay.pop()
            return await send_once()

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hdrs = exc.headers if isinstance(exc, APIStatusError) else None
            return retry_delay(policy, state.attempt_number, hdrs, rng=self._rng, now=self._clock)

        def log_retry(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.info(
                "retrying %s %s after attempt %d failed: %s (sleeping %.2fs)",
                method,
                path,
                state.attempt_number,
                "unreadable JSON body" if isinstance(exc, UnreadableBody) else type(exc).__name__,
                state.upcoming_sleep,
            )

        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(retries + 1),
            retry=tenacity.retry_if_exception(_is_retryable),
            wait=wait,
            sleep=self._sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        return await retrying(next_attempt)

    async def _wait_slot(self, gate: SlotGate, method: str, url: str) -> None:
        try:
            await gate.take(self._pool_timeout)
        except TimeoutError:
            raise PoolTimeoutError(
                f"no connection came free within pool_timeout={self._pool_timeout}s for "
                f"{method} {url}; the request was not sent (raise connection_limit or "
                "pool_timeout, or send fewer requests at once)",
                method=method,
                url=url,
            ) from None

    def _release_slot(self) -> None:
        if self._gate is not None:
            self._gate.release()

    async def _open(
        self, session: aiohttp.ClientSession, wire: Wire, attempt: int, data: Any
    ) -> tuple[aiohttp.ClientResponse, float]:
        """Send one attempt of ``wire`` with ``data`` (its JSON bytes, or this attempt's form);
        return its 2xx response unread, still holding its pool slot (the caller releases both),
        and when the attempt got its slot; or raise the mapped failure having released them."""
        headers: Headers | None = wire.headers
        if self._auth_headers is not None:
            headers = await self._attempt_headers(wire.headers)
        elif headers is self._session_headers:
            headers = None  # the session sends them
        method, url = wire.method, wire.url
        gate = self._gate
        if gate is not None and not gate.try_take():
            await self._wait_slot(gate, method, url)
        started = time.perf_counter()
        unsendable: str | None = None
        try:
            if in_burst(asyncio.get_running_loop()):
                # One turn of the loop before the clock starts: the other calls of a burst
                # run their own preparation now, not inside this attempt's timeout (3,000
                # calls started at once spent up to 0.9 s there, on a loaded machine).
                await asyncio.sleep(0)
            if self._closed or session.closed:
                # Closed while this attempt waited for its turn (or a retry's backoff): aiohttp
                # would say RuntimeError('Session is closed').
                raise ClientClosedError("the client is closed; create a new AsyncClient")
            resp = await session.request(
                method,
                url,
                params=wire.query,
                data=data,
                headers=headers,
                timeout=wire.timeout,
                allow_redirects=False,
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            self._release_slot()
            if self._closed:  # "Connector is closed": the client closed under this attempt
                raise ClientClosedError("the client was closed during the request") from None
            if isinstance(exc.__cause__, FTJobsError):
                # The body refused to go on (a file that changed while it was sent): no network
                # fault, and no retry would send the file as it was.
                raise exc.__cause__ from None
            raise _transport_failure(exc, method, url, attempt, started) from exc
        except TypeError as exc:
            self._release_slot()
            if data is None:
                raise
            # aiohttp quotes the body it could not encode; that text never reaches a message.
            unsendable = type(exc).__name__
        except BaseException:
            self._release_slot()
            raise
        if unsendable is not None:
            raise TypeError(
                f"{method} {url}: the request body could not be encoded ({unsendable}; the "
                "details are withheld because they quote the payload)"
            )
        status = resp.status
        if status < 300:
            return resp, started
        try:
            content, truncated = await read_capped(resp, ERROR_BODY_LIMIT, head=True)
        except (TimeoutError, aiohttp.ClientError):
            # The status is what matters; an error body cut short is reported as empty.
            content, truncated = b"", False
        finally:
            resp.release()
            self._release_slot()
        resp_headers = resp.headers
        _log_attempt(method, url, status, request_id_of(resp_headers), attempt, started)
        error = status_error(status, resp_headers, content, truncated, method, url)
        if (
            status == 429
            and self._on_rate_limited is not None
            and not isinstance(error, DailyLimitError)  # a quota, not a request rate
        ):
            self._on_rate_limited(parse_retry_after(resp_headers, self._clock))
        raise error

    async def _send(
        self, session: aiohttp.ClientSession, wire: Wire, attempt: int, data: Any
    ) -> APIResponse:
        resp, started = await self._open(session, wire, attempt, data)
        method, url = wire.method, wire.url
        limit = self._max_response_bytes
        try:
            content, too_large = await read_capped(resp, limit)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_failure(exc, method, url, attempt, started) from exc
        finally:
            resp.release()
            self._release_slot()
        status = resp.status
        resp_headers = resp.headers
        request_id = request_id_of(resp_headers)
        _log_attempt(method, url, status, request_id, attempt, started)
        if too_large:
            raise ResponseTooLargeError(
                f"{method} {url}: the response body is larger than max_response_bytes={limit}; "
                "reading stopped there",
                limit=limit or 0,
                request_id=request_id,
                method=method,
                url=url,
            )
        if not wire.decode_json:
            return APIResponse(status, resp_headers, content, request_id)
        # Decoded inside the retry loop: a truncated body is a dropped connection in disguise,
        # and the request is safe to repeat (GETs; POSTs carry an idempotency key).
        try:
            decoded = _loads(content)
        except ValueError as exc:
            raise UnreadableBody(
                APIResponse(status, resp_headers, content, request_id), exc
            ) from exc
        return APIResponse(status, resp_headers, content, request_id, decoded)


def _transport_failure(
    exc: BaseException, method: str, url: str, attempt: int, started: float
) -> APIConnectionError:
    if isinstance(exc, asyncio.TimeoutError):
        _log_attempt(method, url, None, None, attempt, started, "timeout")
        return APITimeoutError(f"request timed out: {method} {url}", method=method, url=url)
    _log_attempt(method, url, None, None, attempt, started, type(exc).__name__)
    return APIConnectionError(
        f"connection error on {method} {url}: {type(exc).__name__}: {exc}",
        method=method,
        url=url,
    )
