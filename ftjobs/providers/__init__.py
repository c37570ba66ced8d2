"""The providers ftjobs speaks, each a [`Dialect`][ftjobs.providers.Dialect]: OpenAI (and any
server of its shape), Azure OpenAI, the Portkey gateway and Together AI.

A dialect is pure data: route (default base URL, key variable, auth header), the operations
the provider has, its paging, its status words and the adapters that turn its JSON into
ftjobs' models. Every client is built from one (``client.dialect``)::

    from ftjobs.providers import DIALECTS, TOGETHER

    TOGETHER.supports("jobs.pause")              # False: raises before any request
    TOGETHER.statuses["completed"]               # JobStatus.SUCCEEDED
    sorted(DIALECTS)                             # ['azure', 'openai', 'portkey', 'together']

See the Providers guide for what maps to what, and how to add a provider.
"""

from collections.abc import Mapping
from types import MappingProxyType

from ._kit import AZURE, COMMON_OPERATIONS, OPENAI, PORTKEY, Adapter, Dialect, Paging
from ._together import TOGETHER, TOGETHER_STATUSES, ModelLimits, PriceEstimate

__all__ = [
    "AZURE",
    "COMMON_OPERATIONS",
    "DIALECTS",
    "OPENAI",
    "PORTKEY",
    "TOGETHER",
    "TOGETHER_STATUSES",
    "Adapter",
    "Dialect",
    "ModelLimits",
    "Paging",
    "PriceEstimate",
]

DIALECTS: Mapping[str, Dialect] = MappingProxyType(
    {d.name: d for d in (OPENAI, AZURE, PORTKEY, TOGETHER)}
)
"""Every dialect by its name (the CLI's ``--provider``)."""
