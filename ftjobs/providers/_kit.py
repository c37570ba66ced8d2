"""The dialect kit: what a provider of fine-tuning jobs is to ftjobs, as one record.

A [`Dialect`][ftjobs.providers.Dialect] says where a provider's API lives and how it is
authenticated (its route), which of ftjobs' operations it has, how its lists page, which of
its status words mean which [`JobStatus`][ftjobs.JobStatus], and how its JSON becomes the
JSON ftjobs' models read (its adapters). Everything here is pure data and pure functions: no
request is made, nothing imports aiohttp, so the emulator and the tests can read a dialect
as the client does.

The OpenAI-shaped dialects (OpenAI, Azure OpenAI, Portkey) need no adapter: their JSON *is*
ftjobs' JSON, so their requests pay nothing for the kit (an adapter that is ``None`` is one
test of an attribute). A provider with its own shapes (Together AI) gives an adapter per
kind of answer; each runs once per response, before the models are built.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal, TypeAlias
from urllib.parse import urlsplit

import attrs

from .._errors import ConfigurationError, UnsupportedOperationError
from .._limits import FILE_PURPOSES
from .._models import JobStatus

__all__ = [
    "AZURE",
    "COMMON_OPERATIONS",
    "OPENAI",
    "PORTKEY",
    "Adapter",
    "Dialect",
    "Paging",
]

CampaignIdentity: TypeAlias = Literal["metadata", "suffix"]
# Where a campaign member's identity lives on its job (ftjobs.campaigns._identity reads it).

Paging: TypeAlias = Literal["cursor", "single"]
"""How a provider's lists page: ``"cursor"`` (``after``/``limit`` sent, ``has_more`` read,
the next page after the last item's id) or ``"single"`` (one page holds every item: nothing
is sent, and the page is the last whatever it says)."""

Adapter: TypeAlias = Callable[[Any, str], Any]
"""``adapter(json, context) -> json``: a provider's decoded answer made into the JSON the
model reads. ``context`` is the id the request was about (the job of an event list, the file
of a deletion; ``""`` when none). It returns a new object rather than editing its argument,
and leaves what it does not understand for the model to refuse with a
[`ResponseValidationError`][ftjobs.ResponseValidationError]."""

COMMON_OPERATIONS: frozenset[str] = frozenset(
    {
        "jobs.create",
        "jobs.retrieve",
        "jobs.retrieve_with_headers",
        "jobs.list",
        "jobs.find",
        "jobs.cancel",
        "jobs.pause",
        "jobs.resume",
        "jobs.list_events",
        "jobs.list_checkpoints",
        "jobs.metrics",
        "jobs.best_checkpoint",
        "jobs.waiter",
        "jobs.step",
        "jobs.wait_until_terminal",
        "jobs.watch",
        "jobs.wait_many",
        "jobs.as_completed",
        "jobs.run_campaign",
        "jobs.campaign_report",
        "jobs.cancel_campaign",
        "files.upload",
        "files.wait_for_processing",
        "files.retrieve",
        "files.list",
        "files.delete",
        "files.content",
        "files.stream_content",
        "uploads.create",
        "uploads.add_part",
        "uploads.complete",
        "uploads.cancel",
        "uploads.send",
        "checkpoints.permissions.create",
        "checkpoints.permissions.list",
        "checkpoints.permissions.delete",
        "graders.run",
        "graders.validate",
    }
)
"""Every operation of the OpenAI-shaped API, as ``resource.method``: the methods every
client has. A dialect lists those it supports; the others raise
[`UnsupportedOperationError`][ftjobs.UnsupportedOperationError] when called."""

_NO_STATUSES: Mapping[str, JobStatus] = MappingProxyType({})


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@attrs.frozen(eq=False)
class Dialect:
    """What one provider's fine-tuning API is, for ftjobs: the whole of a provider but its
    client class and its own extra methods.

    A dialect is compared and hashed by identity: there is one of each.

    Attributes:
        name: Short name (``"openai"``, ``"together"``): the CLI's ``--provider`` and the
            ``provider`` of an [`UnsupportedOperationError`][ftjobs.UnsupportedOperationError].
        title: The provider's name in messages and docs (``"Together AI"``).
        default_base_url: The API root when neither the client nor the environment names one.
        api_key_env: The environment variable holding the key (``TOGETHER_API_KEY``).
        base_url_env: The environment variable that may name the API root, or None.
        root_path: Appended to a ``base_url_env`` value that names a host alone (``""``:
            nothing). The provider's own SDK may read the same variable as the host and add
            the version itself (Together's reads ``TOGETHER_BASE_URL=https://api.together.ai``),
            so one environment serves both. A ``base_url=`` given in code is used as given.
        auth: Makes the credential headers from the key (``Authorization: Bearer ...``).
        jobs_path: The jobs collection (``/fine_tuning/jobs``, ``/fine-tunes``).
        files_upload_path: Where a file is uploaded (``/files``, ``/files/upload``).
        upload_fields: Form fields the upload sends besides ``purpose`` and ``file``, from
            the file name (Together's ``file_name`` and ``file_type``).
        file_purposes: The purposes an upload may have.
        paging: ``"cursor"`` or ``"single"`` (see [`Paging`][ftjobs.providers.Paging]).
        statuses: The provider's status words that mean a [`JobStatus`][ftjobs.JobStatus]
            (``completed`` -> ``succeeded``). A word not here is kept as it came, and a job
            in it is not terminal, never an error. Empty for the OpenAI-shaped dialects: their
            words are ftjobs' own (with `STATUS_ALIASES` for Azure's ``canceled``).
        operations: The ``resource.method`` operations the provider has: those of
            [`COMMON_OPERATIONS`][ftjobs.providers.COMMON_OPERATIONS] it lacks raise before
            any request; its own (``jobs.delete``...) are methods of its client's resources.
        job: Adapter of a job object (a create's, a retrieve's, a cancel's answer).
        jobs_page: Adapter of the job list.
        events_page: Adapter of a job's event list (context: the job id).
        checkpoints_page: Adapter of a job's checkpoint list (context: the job id).
        file_deleted: Adapter of a file deletion's answer (context: the file id).
        campaign_identity: Where a campaign member's identity lives on its job:
            ``"metadata"`` (three metadata keys, found by a metadata search, with an
            idempotency key on the create) or ``"suffix"`` (a short tag in the job's
            ``suffix``, found by listing every job: a provider without job metadata).
    """

    name: str
    title: str
    default_base_url: str
    api_key_env: str
    base_url_env: str | None = None
    root_path: str = ""
    auth: Callable[[str], dict[str, str]] = _bearer
    jobs_path: str = "/fine_tuning/jobs"
    files_upload_path: str = "/files"
    upload_fields: Callable[[str], Mapping[str, str]] | None = None
    file_purposes: tuple[str, ...] = FILE_PURPOSES
    paging: Paging = "cursor"
    statuses: Mapping[str, JobStatus] = _NO_STATUSES
    operations: frozenset[str] = COMMON_OPERATIONS
    job: Adapter | None = None
    jobs_page: Adapter | None = None
    events_page: Adapter | None = None
    checkpoints_page: Adapter | None = None
    file_deleted: Adapter | None = None
    campaign_identity: CampaignIdentity = "metadata"

    def supports(self, operation: str) -> bool:
        """Whether the provider has ``operation`` (``"jobs.pause"``)."""
        return operation in self.operations

    def refuse(self, operation: str, hint: str | None = None) -> UnsupportedOperationError:
        """The error for ``operation``, which this provider lacks (to raise)."""
        return UnsupportedOperationError(self.name, operation, hint)

    def api_key(self, given: str | None, client: str) -> str:
        """The key to use: ``given``, else ``$api_key_env``.

        Raises:
            ConfigurationError: Neither holds a key (the message names ``client`` and the
                variable, never a value).
        """
        key = given if given is not None else os.environ.get(self.api_key_env)
        if not key or not key.strip():
            raise ConfigurationError(
                f"no API key: pass api_key= to {client} or set the {self.api_key_env} "
                "environment variable"
            )
        return key

    def base_url(self, given: str | None) -> str:
        """The API root: ``given``, else ``$base_url_env``, else `default_base_url`."""
        if given:
            return given
        env = os.environ.get(self.base_url_env) if self.base_url_env else None
        if env and self.root_path and urlsplit(env).path.strip("/") == "":
            return env.rstrip("/") + self.root_path
        return env or self.default_base_url


OPENAI = Dialect(
    name="openai",
    title="OpenAI",
    default_base_url="https://api.openai.com/v1",
    api_key_env="OPENAI_API_KEY",
    base_url_env="OPENAI_BASE_URL",
)
"""OpenAI's own API, and any server of the same shape (`AsyncClient`)."""

AZURE = Dialect(
    name="azure",
    title="Azure OpenAI",
    default_base_url="",  # no default: the resource's endpoint is required
    api_key_env="AZURE_OPENAI_API_KEY",
    base_url_env="AZURE_OPENAI_ENDPOINT",
    auth=lambda key: {"api-key": key},
    operations=COMMON_OPERATIONS | {"jobs.delete"},
)
"""Azure OpenAI (`AsyncAzureClient`): OpenAI's shapes under ``{endpoint}/openai[/v1]``, its
own statuses parsed as they come (``canceled`` is an alias of ``cancelled``), and
``jobs.delete``."""

PORTKEY = Dialect(
    name="portkey",
    title="Portkey",
    default_base_url="https://api.portkey.ai/v1",
    api_key_env="PORTKEY_API_KEY",
    base_url_env="PORTKEY_BASE_URL",
    auth=lambda key: {"x-portkey-api-key": key},
)
"""The Portkey gateway (`AsyncPortkeyClient`) in front of an OpenAI-shaped provider."""
