"""The entry point: `AsyncClient`, and the options every client shares.

Every client (`AsyncClient`, `AsyncAzureClient`, `AsyncPortkeyClient`, `AsyncTogetherClient`)
is built the same way: its class names its provider's [`Dialect`][ftjobs.providers.Dialect]
(paths, paging, statuses, adapters, operations), its own keywords say where requests go and
how they are authenticated (a `Route`); every other
keyword is one of [`ClientOptions`][ftjobs.types.ClientOptions], read in exactly one place,
`AsyncClient._open`. A new client option is therefore one key added to `ClientOptions` and its
use in `_open`: every client takes it, with no signature to repeat.
"""

from __future__ import annotations

import os
import platform
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, TypedDict
from urllib.parse import urlsplit

import aiohttp
import attrs

from . import _misuse as misuse
from . import _validation as check
from ._errors import ClientClosedError, ConfigurationError
from ._responses import DEFAULT_MAX_RESPONSE_BYTES
from ._retry import RetryPolicy
from ._signing import resolve_secret
from ._transport import DEFAULT_POOL_TIMEOUT, AuthHeaders, Transport
from ._version import __version__
from .providers import OPENAI, Dialect
from .resources import Checkpoints, Files, Graders, Jobs, Uploads
from .resources._base import refusing
from .waiting._ratelimit import RatePolicy, RequestBudget
from .webhooks import WebhookEvent, Webhooks

if TYPE_CHECKING:
    # typing.Unpack from Python 3.11 on; annotations are never evaluated at run time.
    from typing_extensions import Unpack

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_REQUEST_TIMEOUT", "AsyncClient", "ClientOptions", "Route"]

#: The API a client talks to when neither ``base_url=`` nor ``OPENAI_BASE_URL`` says otherwise.
DEFAULT_BASE_URL = OPENAI.default_base_url
#: Seconds allowed for one attempt of one request. Fine-tuning calls answer in well under a
#: second; the bound exists so a stalled connection is retried rather than awaited forever.
DEFAULT_REQUEST_TIMEOUT = 60.0

USER_AGENT = (
    f"ftjobs/{__version__} (python {platform.python_version()}; aiohttp {aiohttp.__version__})"
)


class ClientOptions(TypedDict, total=False):
    """The keywords every client takes besides its own addressing and credentials.

    `AsyncClient(timeout=5, max_retries=0)`, `AsyncAzureClient(..., session=s)`: each is one of
    these. A new option is added here (with its default in `AsyncClient._open`) and nowhere
    else.
    """

    timeout: float | None
    """Seconds per attempt of each request (default 60; `None` = no limit); each method also
    takes `timeout=`."""
    max_retries: int
    """Retries of a transient failure (connection error, timeout, 408, 409, 429, 5xx); default
    2, `0` disables them."""
    default_headers: Mapping[str, str] | None
    """Extra headers sent with every request (a gateway's, for example)."""
    session: aiohttp.ClientSession | None
    """An aiohttp session to use; it is not closed by the client."""
    retry_policy: RetryPolicy | None
    """Full control over backoff (overrides `max_retries` when given)."""
    default_query: Mapping[str, str] | None
    """Query parameters sent with every request."""
    connection_limit: int
    """Size of the connection pool of the session the client creates (default 100; 0 = no
    limit)."""
    pool_timeout: float | None
    """Seconds a request may wait for a free connection of the pool (default 600; `None` = no
    limit). The wait is not part of `timeout`, which starts once a connection is in hand;
    running out raises `PoolTimeoutError` (not retried: nothing was sent)."""
    max_response_bytes: int | None
    """Largest response body held in memory, checked while reading (default 64 MiB; `None` =
    no limit); a larger one raises `ResponseTooLargeError`. Streamed file contents
    (`files.content(..., to=path)`, `files.stream_content`) are not limited."""
    request_budget: RatePolicy | None
    """Requests per second shared by every waiter of this client (default 10/s, burst 10),
    halved on each 429 and recovering slowly."""
    webhook_secret: str | None
    """The signing secret (`whsec_...`) of your webhook endpoint; defaults to
    `$OPENAI_WEBHOOK_SECRET`. Used by `client.webhooks`; never shown in a repr, log or error."""


_OPTION_NAMES = ClientOptions.__optional_keys__


@attrs.frozen
class Route:
    """Where a client's requests go and how they are authenticated: what differs per dialect
    (each client's constructor builds one and hands it to `AsyncClient._open`).

    ``headers`` are static credentials and routing headers; ``auth_provider`` is awaited
    before every attempt for headers that change (an Entra token); ``query`` is sent with
    every request under the caller's ``default_query``.
    """

    base_url: str
    headers: Mapping[str, str]
    auth_provider: AuthHeaders | None = None
    query: Mapping[str, str] = attrs.field(factory=dict)
    organization: str | None = None
    project: str | None = None


class AsyncClient:
    """An async client for the fine-tuning jobs API and the Files API it needs.

    Use it as an async context manager, which opens one aiohttp session and closes it::

        async with ftjobs.AsyncClient() as client:
            job = await client.jobs.retrieve("ftjob-abc")

    Without ``async with``, a session is opened on first use; call `close` when done.

    Args:
        api_key: Secret key; defaults to ``$OPENAI_API_KEY``. Never shown in ``repr``, logs or
            errors.
        base_url: API root; defaults to ``$OPENAI_BASE_URL`` or ``https://api.openai.com/v1``.
        organization: Sent as ``OpenAI-Organization``; defaults to ``$OPENAI_ORG_ID``.
        project: Sent as ``OpenAI-Project``; defaults to ``$OPENAI_PROJECT_ID``.
        **options: [`ClientOptions`][ftjobs.types.ClientOptions]: ``timeout``, ``max_retries``,
            ``default_headers``, ``session``, ``retry_policy``, ``default_query``,
            ``connection_limit``, ``pool_timeout``, ``max_response_bytes``, ``request_budget``,
            ``webhook_secret``.

    Raises:
        ConfigurationError: No API key was given and ``$OPENAI_API_KEY`` is not set.
    """

    #: The jobs resource of this dialect (Azure's can delete and has its own suffix rule).
    _jobs_type: type[Jobs] = Jobs
    #: The provider this client speaks to.
    _dialect: ClassVar[Dialect] = OPENAI

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        check.str_types(api_key=api_key, base_url=base_url)
        dialect = self._dialect
        key = dialect.api_key(api_key, "AsyncClient")
        self._api_key = key
        organization = organization or os.environ.get("OPENAI_ORG_ID")
        project = project or os.environ.get("OPENAI_PROJECT_ID")
        check.header_values(api_key=key, organization=organization, project=project)
        headers = dialect.auth(key)
        if organization:
            headers["OpenAI-Organization"] = organization
        if project:
            headers["OpenAI-Project"] = project
        route = Route(
            base_url=dialect.base_url(base_url),
            headers=headers,
            organization=organization,
            project=project,
        )
        self._open(route, options)

    def _open(self, route: Route, options: ClientOptions) -> None:
        """Build the transport and the resources: the one construction path of every client."""
        unknown = sorted(set(options) - _OPTION_NAMES)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument {unknown[0]!r}"
            )
        timeout = options.get("timeout", DEFAULT_REQUEST_TIMEOUT)
        check.timeout("timeout", timeout)
        # 0 is aiohttp's "no limit".
        connection_limit = check.require_int(
            "connection_limit", options.get("connection_limit", 100), 0
        )
        pool_timeout = options.get("pool_timeout", DEFAULT_POOL_TIMEOUT)
        check.timeout("pool_timeout", pool_timeout)
        max_response_bytes = options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
        if max_response_bytes is not None:
            check.require_int("max_response_bytes", max_response_bytes, 1)
        default_headers = check.str_mapping("default_headers", options.get("default_headers"))
        check.header_mapping("default_headers", default_headers)
        self.organization = route.organization
        """``OpenAI-Organization`` sent (``None`` for the provider clients)."""
        self.project = route.project
        """``OpenAI-Project`` sent (``None`` for the provider clients)."""
        self.base_url = route.base_url.rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base_url must start with http:// or https://, got {self.base_url!r}"
            )
        if "@" in urlsplit(self.base_url).netloc:
            # Not echoed: the part before "@" is a credential.
            raise ConfigurationError(
                "base_url must not carry credentials (user:password@); pass api_key= instead"
            )
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **route.headers}
        headers.update(default_headers or {})
        self.retry_policy = options.get("retry_policy") or RetryPolicy(
            max_retries=options.get("max_retries", 2)
        )
        self.timeout = timeout
        budget = RequestBudget(options.get("request_budget"))
        # The caller's default_query wins over the route's (an explicit api-version).
        query = dict(options.get("default_query") or {})
        for name, value in route.query.items():
            query.setdefault(name, value)
        self._transport = Transport(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            retry_policy=self.retry_policy,
            session=options.get("session"),
            default_query=query,
            auth_headers=route.auth_provider,
            connection_limit=connection_limit,
            pool_timeout=pool_timeout,
            max_response_bytes=max_response_bytes,
            on_rate_limited=budget.on_rate_limited,
        )
        # A method the provider lacks raises before any request (refusing).
        dialect = self._dialect
        transport = self._transport
        jobs = refusing(self._jobs_type, dialect, "jobs")
        self.jobs = jobs(transport, budget, dialect=dialect)
        """Fine-tuning jobs: create, list, retrieve, cancel, pause, resume, events, checkpoints."""
        self.files = refusing(Files, dialect, "files")(transport, dialect=dialect)
        """Files: upload, list, retrieve, delete, content, wait_for_processing."""
        self.uploads = refusing(Uploads, dialect, "uploads")(transport, dialect=dialect)
        """Uploads: a large file in parts (create, add_part, complete, cancel)."""
        self.checkpoints = Checkpoints(transport, dialect=dialect)
        """Fine-tuned checkpoints: ``permissions`` (share with other projects)."""
        self.graders = refusing(Graders, dialect, "graders")(transport, dialect=dialect)
        """Graders: run and validate a grader before a reinforcement job uses it."""
        self.webhooks = Webhooks(resolve_secret(options.get("webhook_secret")))
        """Webhooks: verify and unwrap deliveries, and wake the waits they concern."""
        # A weak reference: the client holding itself through its webhooks would keep it out
        # of reach of reference counting, and its unclosed warning would come late, after
        # aiohttp's own.
        this = weakref.ref(self)

        def wake(event: WebhookEvent) -> None:
            client = this()
            if client is not None:
                client._wake_waits(event)

        self.webhooks.subscribe(wake)
        self._created_at = misuse.creation_site()

    def _wake_waits(self, event: WebhookEvent) -> None:
        if event.job_id is not None:
            self.jobs.watcher.webhook(event.job_id)

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r}, api_key='***')"

    @property
    def dialect(self) -> Dialect:
        """The provider this client speaks to (its paths, paging, statuses, operations)."""
        return self._dialect

    @property
    def transport(self) -> Transport:
        """The HTTP layer under the resources (for advanced use and tests)."""
        return self._transport

    async def close(self) -> None:
        """Close the session the client opened. Using the client afterwards raises.

        Every wait still in flight ends at once with
        [`ClientClosedError`][ftjobs.ClientClosedError], and no request starts after this.
        """
        closed = ClientClosedError("the client was closed while waiting")
        await self.jobs.watcher.close(closed)
        await self._transport.close()

    def __enter__(self) -> None:
        raise TypeError(misuse.SYNC_WITH.format(name=type(self).__name__))

    def __exit__(self, *_: object) -> None:  # pragma: no cover - __enter__ always raises
        return None

    def __del__(self) -> None:
        # Unclosed: say so once, in ftjobs' words with the line that made the client, and
        # close the connections so that aiohttp does not add its two warnings.
        transport = getattr(self, "_transport", None)
        if transport is not None and transport.abandon():
            misuse.warn_unclosed(type(self).__name__, self._created_at)

    async def __aenter__(self) -> AsyncClient:
        self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
