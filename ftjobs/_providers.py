"""Clients for the other providers: Azure OpenAI, the Portkey gateway and Together AI.

Each is an [`AsyncClient`][ftjobs.AsyncClient] subclass that names its provider's
[`Dialect`][ftjobs.providers.Dialect]: everything but the way requests are addressed,
authenticated and read is the same (resources, waiting, retries, errors)::

    async with ftjobs.AsyncAzureClient(azure_endpoint="https://res.openai.azure.com") as c:
        job = await c.jobs.retrieve("ftjob-abc")

    async with ftjobs.AsyncPortkeyClient(api_key="pk-...", virtual_key="openai-vk") as c:
        job = await c.jobs.retrieve("ftjob-abc")

    async with ftjobs.AsyncTogetherClient() as c:  # $TOGETHER_API_KEY
        job = await c.jobs.retrieve("ft-abc")

Any other OpenAI-compatible server needs no subclass: ``AsyncClient(base_url=...,
default_headers=...)`` and ``extra_body=`` on the calls reach it.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from . import _validation as check
from ._client import AsyncClient, ClientOptions, Route
from ._errors import ConfigurationError
from .providers import AZURE, PORTKEY, TOGETHER, Dialect
from .resources import AzureJobs, TogetherJobs

if TYPE_CHECKING:
    # typing.Unpack from Python 3.11 on; annotations are never evaluated at run time.
    from typing_extensions import Unpack

__all__ = [
    "PORTKEY_BASE_URL",
    "AsyncAzureClient",
    "AsyncPortkeyClient",
    "AsyncTogetherClient",
    "AzureTokenProvider",
]

AzureTokenProvider: TypeAlias = Callable[[], Awaitable[str] | str]
"""Returns a Microsoft Entra ID access token (async or not); called before every request."""

#: The Portkey gateway's API root.
PORTKEY_BASE_URL = PORTKEY.default_base_url

AzureApi: TypeAlias = Literal["v1", "dated"]

# A dated api-version ("2024-10-21", "2025-04-01-preview") selects the dated path.
_DATED_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_OPENAI_SUFFIX = re.compile(r"/openai(/v1)?/*$")


def _azure_api(api: AzureApi | None, api_version: str | None) -> AzureApi:
    if api is not None:
        if api not in ("v1", "dated"):
            raise ConfigurationError(f"api must be 'v1' or 'dated', got {api!r}")
        return api
    return "dated" if api_version and _DATED_VERSION.match(api_version) else "v1"


def _azure_base_url(endpoint: str, api: AzureApi) -> str:
    root = _OPENAI_SUFFIX.sub("", endpoint.strip().rstrip("/"))
    return f"{root}/openai/v1" if api == "v1" else f"{root}/openai"


def _token_provider(provider: AzureTokenProvider) -> Callable[[], Awaitable[dict[str, str]]]:
    async def bearer() -> dict[str, str]:
        token = provider()
        if inspect.isawaitable(token):
            token = await token
        if not isinstance(token, str) or not token:
            # The value is not shown: it may be a credential object.
            raise ConfigurationError(
                f"azure_ad_token_provider must return a non-empty str, got {type(token).__name__}"
            )
        check.header_values(azure_ad_token_provider=token)
        return {"Authorization": f"Bearer {token}"}

    return bearer


class AsyncAzureClient(AsyncClient):
    """A client for Azure OpenAI's fine-tuning API.

    Two URL shapes exist. The v1 API (``{endpoint}/openai/v1/fine_tuning/jobs``) takes an
    optional ``api-version``; the dated API (``{endpoint}/openai/fine_tuning/jobs``) requires
    one. ``api`` picks the shape; when not given, a dated ``api_version`` (``2024-10-21``,
    ``2025-04-01-preview``) selects the dated API and anything else (none, ``preview``) v1.

    Authentication is either an API key (sent as ``api-key``) or a Microsoft Entra ID token
    provider, called before every request (sent as ``Authorization: Bearer``), so a token
    refreshed by ``azure.identity`` is always current::

        from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider
        provider = get_bearer_token_provider(
            DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")
        client = ftjobs.AsyncAzureClient(azure_endpoint=..., azure_ad_token_provider=provider)

    Azure's job objects differ from OpenAI's; the models take them as they are: statuses
    ``created``, ``pending``, ``notRunning``, ``pausing``, ``resuming`` and ``canceling`` are
    kept as strings (not terminal; the first three count as queued for ``queued_timeout``),
    ``canceled`` is `CANCELLED`, null ``organization_id`` and
    ``result_files`` are accepted, ``n_epochs: -1`` is kept, and unknown fields
    (``user_provided_suffix``...) land in ``extra``. A file may come without ``bytes``, a file
    list without ``has_more``. Azure-only create fields (``trainingType``) go through
    ``extra_body``. ``client.jobs`` also deletes a job (`AzureJobs.delete`) and checks
    Azure's ``suffix`` rule (at most 40 letters, digits, ``-`` and ``_``) before sending.

    Args:
        azure_endpoint: The resource endpoint, ``https://NAME.openai.azure.com``; defaults to
            ``$AZURE_OPENAI_ENDPOINT``. A trailing ``/openai`` or ``/openai/v1`` is ignored.
        api_key: Defaults to ``$AZURE_OPENAI_API_KEY`` (unless a token provider is given).
            Never shown in ``repr``, logs or errors.
        azure_ad_token_provider: Returns an Entra ID token (sync or async); called per request.
        api_version: Sent as the ``api-version`` query parameter; defaults to
            ``$OPENAI_API_VERSION``. Required by the dated API, optional on v1.
        api: ``"v1"`` or ``"dated"``; see above.

    The other keywords are the [`ClientOptions`][ftjobs.types.ClientOptions] every client takes.

    Raises:
        ConfigurationError: No endpoint; no credential, or both a key and a token provider;
            the dated API without an api-version.
    """

    _jobs_type = AzureJobs
    _dialect: ClassVar[Dialect] = AZURE
    jobs: AzureJobs

    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        api_key: str | None = None,
        azure_ad_token_provider: AzureTokenProvider | None = None,
        api_version: str | None = None,
        api: AzureApi | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        check.str_types(azure_endpoint=azure_endpoint, api_key=api_key, api_version=api_version)
        dialect = self._dialect
        endpoint = azure_endpoint or os.environ.get(str(dialect.base_url_env))
        if not endpoint:
            raise ConfigurationError(
                "no Azure endpoint: pass azure_endpoint= or set AZURE_OPENAI_ENDPOINT"
            )
        if api_key is not None and azure_ad_token_provider is not None:
            raise ConfigurationError("pass either api_key or azure_ad_token_provider, not both")
        auth: dict[str, str] = {}
        if azure_ad_token_provider is None:
            key = api_key if api_key is not None else os.environ.get(dialect.api_key_env)
            if not key:
                raise ConfigurationError(
                    "no Azure credential: pass api_key= or azure_ad_token_provider=, or set "
                    "AZURE_OPENAI_API_KEY"
                )
            check.header_values(api_key=key)
            auth.update(dialect.auth(key))
        elif not callable(azure_ad_token_provider):
            raise ConfigurationError("azure_ad_token_provider must be callable")
        version = api_version or os.environ.get("OPENAI_API_VERSION") or None
        self.api = _azure_api(api, version)
        if self.api == "dated" and not version:
            raise ConfigurationError(
                "the dated Azure API needs an api-version: pass api_version= (e.g. "
                "'2025-04-01-preview') or set OPENAI_API_VERSION, or use api='v1'"
            )
        self.api_version = version
        self.azure_endpoint = endpoint.rstrip("/")
        provider = azure_ad_token_provider
        route = Route(
            base_url=_azure_base_url(endpoint, self.api),
            headers=auth,
            auth_provider=None if provider is None else _token_provider(provider),
            query={"api-version": version} if version else {},
        )
        self._open(route, options)

    def __repr__(self) -> str:
        return (
            f"AsyncAzureClient(base_url={self.base_url!r}, api={self.api!r}, "
            f"api_version={self.api_version!r}, credential='***')"
        )


def _json_header(name: str, value: str | Mapping[str, Any] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(dict(value), separators=(",", ":"))
    raise TypeError(f"{name} must be a str or a mapping, got {type(value).__name__}")


class AsyncPortkeyClient(AsyncClient):
    """A client that goes through the Portkey AI gateway.

    The gateway routes each request to a provider named by a virtual key (the provider's
    credentials are stored at Portkey), by ``provider`` plus the provider's own key
    (``provider_api_key``, sent as ``Authorization: Bearer``), or by a saved or inline
    ``config``. Its request id (``x-portkey-request-id``) is the ``request_id`` of results and
    errors, and when the gateway reports that it already exhausted its own retries
    (``x-portkey-retry-attempt-count: -1``) the client does not retry on top of it.

    Args:
        api_key: Portkey API key (``x-portkey-api-key``); defaults to ``$PORTKEY_API_KEY``.
        virtual_key: ``x-portkey-virtual-key``.
        provider: ``x-portkey-provider`` (``openai``, ``azure-openai``...).
        provider_api_key: The provider's own API key (with ``provider`` or a ``config``).
        config: A saved config id (``pc-...``) or an inline config mapping
            (``x-portkey-config``).
        trace_id: ``x-portkey-trace-id``, to group the requests of one run.
        metadata: ``x-portkey-metadata`` (str -> str), shown in Portkey's logs.
        base_url: The gateway; defaults to ``$PORTKEY_BASE_URL`` or ``PORTKEY_BASE_URL``.

    The other keywords are the [`ClientOptions`][ftjobs.types.ClientOptions] every client takes.
    Keys are never shown in ``repr``, logs or errors.

    Raises:
        ConfigurationError: No Portkey API key, or none of ``virtual_key``, ``provider`` and
            ``config``.
    """

    _dialect: ClassVar[Dialect] = PORTKEY

    def __init__(
        self,
        *,
        api_key: str | None = None,
        virtual_key: str | None = None,
        provider: str | None = None,
        provider_api_key: str | None = None,
        config: str | Mapping[str, Any] | None = None,
        trace_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        base_url: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        check.str_types(
            api_key=api_key,
            virtual_key=virtual_key,
            provider=provider,
            provider_api_key=provider_api_key,
            trace_id=trace_id,
            base_url=base_url,
        )
        key = api_key if api_key is not None else os.environ.get(self._dialect.api_key_env)
        if not key:
            raise ConfigurationError(
                "no Portkey API key: pass api_key= or set the PORTKEY_API_KEY environment variable"
            )
        if virtual_key is None and provider is None and config is None:
            raise ConfigurationError(
                "Portkey needs a route: pass virtual_key=, provider= (with provider_api_key=) "
                "or config="
            )
        check.header_values(
            api_key=key,
            virtual_key=virtual_key,
            provider=provider,
            provider_api_key=provider_api_key,
            trace_id=trace_id,
        )
        headers = self._dialect.auth(key)
        optional = {
            "x-portkey-virtual-key": virtual_key,
            "x-portkey-provider": provider,
            "x-portkey-config": _json_header("config", config),
            "x-portkey-trace-id": trace_id,
            "x-portkey-metadata": _json_header("metadata", metadata),
        }
        headers.update((k, v) for k, v in optional.items() if v is not None)
        if provider_api_key is not None:
            headers["Authorization"] = f"Bearer {provider_api_key}"
        self.provider = provider
        self.trace_id = trace_id
        route = Route(base_url=self._dialect.base_url(base_url), headers=headers)
        self._open(route, options)

    def __repr__(self) -> str:
        return (
            f"AsyncPortkeyClient(base_url={self.base_url!r}, provider={self.provider!r}, "
            f"api_key='***')"
        )


class AsyncTogetherClient(AsyncClient):
    """A client for Together AI's fine-tuning API (``https://api.together.ai/v1``).

    The same client as the others (transport, retries, timeouts, limits, defences, waits)
    speaking Together's dialect: jobs under ``/fine-tunes`` with Together's statuses mapped
    onto [`JobStatus`][ftjobs.JobStatus] (``completed`` is ``succeeded``; the word itself is
    ``job.provider_status``; ``cancel_requested`` and any word Together adds later are not
    terminal), ISO timestamps read as seconds, ``progress`` typed, lists that are one page.
    ``client.jobs`` is a [`TogetherJobs`][ftjobs.resources.TogetherJobs]: Together's create
    keywords, ``estimate_price``, ``delete``, ``model_limits``, ``supported_models`` and
    ``download``. What Together lacks (``jobs.pause``/``resume``, ``client.graders``,
    ``client.uploads``, ``client.checkpoints.permissions``...) raises
    [`UnsupportedOperationError`][ftjobs.UnsupportedOperationError] before any request::

        async with ftjobs.AsyncTogetherClient() as client:
            training = await client.files.upload("train.jsonl")
            job = await client.jobs.create(
                model="meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
                training_file=training.id,
                n_epochs=3,
                lora=True,
                lora_r=16,
            )
            job = await client.jobs.wait_until_terminal(job.id)

    Args:
        api_key: Defaults to ``$TOGETHER_API_KEY``; sent as ``Authorization: Bearer``. Never
            shown in ``repr``, logs or errors.
        base_url: The API root, used as given; defaults to ``$TOGETHER_BASE_URL`` or
            ``https://api.together.ai/v1``. The variable may name the host alone
            (``https://api.together.ai``, as Together's own SDK reads it): ``/v1`` is added.

    The other keywords are the [`ClientOptions`][ftjobs.types.ClientOptions] every client takes.

    Raises:
        ConfigurationError: No API key was given and ``$TOGETHER_API_KEY`` is not set.
    """

    _jobs_type = TogetherJobs
    _dialect: ClassVar[Dialect] = TOGETHER
    jobs: TogetherJobs

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        check.str_types(api_key=api_key, base_url=base_url)
        dialect = self._dialect
        key = dialect.api_key(api_key, type(self).__name__)
        check.header_values(api_key=key)
        self._api_key = key
        self._open(Route(base_url=dialect.base_url(base_url), headers=dialect.auth(key)), options)

    def __repr__(self) -> str:
        return f"AsyncTogetherClient(base_url={self.base_url!r}, api_key='***')"
