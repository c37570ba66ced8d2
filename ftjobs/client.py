"""The entry point: :class:`AsyncClient`."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp

from . import _validation as check
from ._version import __version__
from .budget import RatePolicy, RequestBudget
from .errors import ConfigurationError
from .resources import Checkpoints, Files, Graders, Jobs, Uploads
from .retry import RetryPolicy
from .transport import AuthHeaders, Transport

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncClient"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Seconds allowed for one attempt of one request. Fine-tuning calls answer in well under a
#: second; the bound exists so a stalled connection is retried rather than awaited forever.
DEFAULT_TIMEOUT = 60.0

USER_AGENT = (
    f"ftjobs/{__version__} (python {platform.python_version()}; aiohttp {aiohttp.__version__})"
)


class AsyncClient:
    """An async client for the fine-tuning jobs API and the Files API it needs.

    Use it as an async context manager, which opens one aiohttp session and closes it::

        async with ftjobs.AsyncClient() as client:
            job = await client.jobs.retrieve("ftjob-abc")

    Without ``async with``, a session is opened on first use; call :meth:`close` when done.

    Args:
        api_key: Secret key; defaults to ``$OPENAI_API_KEY``. Never shown in ``repr``, logs or
            errors.
        base_url: API root; defaults to ``$OPENAI_BASE_URL`` or ``https://api.openai.com/v1``.
        organization: Sent as ``OpenAI-Organization``; defaults to ``$OPENAI_ORG_ID``.
        project: Sent as ``OpenAI-Project``; defaults to ``$OPENAI_PROJECT_ID``.
        timeout: Seconds per attempt of each request (``None`` = no limit); each method also
            takes ``timeout=``.
        max_retries: Retries of a transient failure (connection error, timeout, 408, 409, 429,
            5xx); ``0`` disables them.
        default_headers: Extra headers sent with every request (a gateway's, for example).
        session: An aiohttp session to use; it is not closed by the client.
        retry_policy: Full control over backoff (overrides ``max_retries`` when given).
        default_query: Query parameters sent with every request.
        connection_limit: Size of the connection pool of the session the client creates.
        request_budget: Requests per second shared by every waiter of this client (default
            10/s, burst 10), halved on each 429 and recovering slowly.

    Raises:
        ConfigurationError: No API key was given and ``$OPENAI_API_KEY`` is not set.
    """

    #: ``OpenAI-Organization`` / ``OpenAI-Project`` sent (None for the provider subclasses).
    organization: str | None = None
    project: str | None = None

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        session: aiohttp.ClientSession | None = None,
        retry_policy: RetryPolicy | None = None,
        default_query: Mapping[str, str] | None = None,
        connection_limit: int = 100,
        request_budget: RatePolicy | None = None,
    ) -> None:
        check.str_types(api_key=api_key, base_url=base_url)
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not key or not key.strip():
            raise ConfigurationError(
                "no API key: pass api_key= to AsyncClient or set the OPENAI_API_KEY "
                "environment variable"
            )
        self._api_key = key
        self.organization = organization or os.environ.get("OPENAI_ORG_ID")
        self.project = project or os.environ.get("OPENAI_PROJECT_ID")
        headers = {"Authorization": f"Bearer {key}"}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        self._setup(
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            auth_headers=headers,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            session=session,
            retry_policy=retry_policy,
            default_query=default_query,
            connection_limit=connection_limit,
            request_budget=request_budget,
        )

    def _setup(
        self,
        *,
        base_url: str,
        auth_headers: Mapping[str, str],
        timeout: float | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        session: aiohttp.ClientSession | None,
        retry_policy: RetryPolicy | None,
        default_query: Mapping[str, str] | None,
        connection_limit: int,
        request_budget: RatePolicy | None,
        auth_provider: AuthHeaders | None = None,
    ) -> None:
        """Build the transport and the resources (shared by the provider subclasses).

        ``auth_headers`` are static credentials and routing headers; ``auth_provider`` is
        awaited before every attempt for headers that change (an Entra token).
        """
        check.timeout("timeout", timeout)
        # 0 is aiohttp's "no limit".
        check.require_int("connection_limit", connection_limit, 0)
        self.base_url = base_url.rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base_url must start with http:// or https://, got {self.base_url!r}"
            )
        if "@" in urlsplit(self.base_url).netloc:
            # Not echoed: the part before "@" is a credential.
            raise ConfigurationError(
                "base_url must not carry credentials (user:password@); pass api_key= instead"
            )
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **auth_headers}
        headers.update(default_headers or {})
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.timeout = timeout
        budget = RequestBudget(request_budget)
        self._transport = Transport(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            retry_policy=self.retry_policy,
            session=session,
            default_query=default_query,
            auth_headers=auth_provider,
            connection_limit=connection_limit,
            on_rate_limited=budget.on_rate_limited,
        )
        self.jobs = Jobs(self._transport, budget)
        """Fine-tuning jobs: create, list, retrieve, cancel, pause, resume, events, checkpoints."""
        self.files = Files(self._transport)
        """Files: upload, list, retrieve, delete, content, wait_for_processing."""
        self.uploads = Uploads(self._transport)
        """Uploads: a large file in parts (create, add_part, complete, cancel)."""
        self.checkpoints = Checkpoints(self._transport)
        """Fine-tuned checkpoints: ``permissions`` (share with other projects)."""
        self.graders = Graders(self._transport)
        """Graders: run and validate a grader before a reinforcement job uses it."""

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r}, api_key='***')"

    @property
    def transport(self) -> Transport:
        """The HTTP layer under the resources (for advanced use and tests)."""
        return self._transport

    async def close(self) -> None:
        """Close the session the client opened. Using the client afterwards raises."""
        await self._transport.close()

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
