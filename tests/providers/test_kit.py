"""The dialect kit: every client is built from its provider's dialect, the OpenAI-shaped ones
pay nothing for it, and the list of operations is the list of methods."""

from __future__ import annotations

import inspect

import pytest

import ftjobs
from ftjobs.providers import (
    AZURE,
    COMMON_OPERATIONS,
    DIALECTS,
    OPENAI,
    PORTKEY,
    TOGETHER,
    Dialect,
)
from ftjobs.resources import CheckpointPermissions, Files, Graders, Jobs, Uploads

pytestmark = pytest.mark.usefixtures("no_env")


def _public_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and not isinstance(member, type)
    }


def test_common_operations_are_the_methods_of_the_resources() -> None:
    # A method added to a resource must be placed in COMMON_OPERATIONS (and so decided for
    # every dialect), or a provider that lacks it would send it.
    found = {
        f"{prefix}.{name}"
        for prefix, cls in (
            ("jobs", Jobs),
            ("files", Files),
            ("uploads", Uploads),
            ("checkpoints.permissions", CheckpointPermissions),
            ("graders", Graders),
        )
        for name in _public_methods(cls)
    }
    assert found == COMMON_OPERATIONS


def test_dialects_by_name() -> None:
    assert dict(DIALECTS) == {
        "openai": OPENAI,
        "azure": AZURE,
        "portkey": PORTKEY,
        "together": TOGETHER,
    }
    assert all(isinstance(d, Dialect) for d in DIALECTS.values())
    assert OPENAI.operations == PORTKEY.operations == COMMON_OPERATIONS
    assert AZURE.operations == COMMON_OPERATIONS | {"jobs.delete"}
    assert not TOGETHER.supports("jobs.pause") and TOGETHER.supports("jobs.estimate_price")


async def test_openai_shaped_clients_use_the_plain_resources() -> None:
    # No adapter and no refusing subclass: an OpenAI request costs what it did before the kit.
    clients = [
        ftjobs.AsyncClient(api_key="k"),
        ftjobs.AsyncAzureClient(azure_endpoint="https://r.openai.azure.com", api_key="k"),
        ftjobs.AsyncPortkeyClient(api_key="k", virtual_key="v"),
    ]
    for client, dialect in zip(clients, (OPENAI, AZURE, PORTKEY), strict=True):
        assert client.dialect is dialect
        assert type(client.files) is Files and type(client.graders) is Graders
        assert type(client.uploads) is Uploads
        assert type(client.checkpoints.permissions) is CheckpointPermissions
        assert dialect.job is dialect.jobs_page is dialect.events_page is None
        await client.close()
    assert type(clients[0].jobs) is Jobs


def test_the_status_map_and_unknown_words() -> None:
    assert OPENAI.statuses == {}
    assert TOGETHER.statuses["completed"] is ftjobs.JobStatus.SUCCEEDED
    assert "cancel_requested" not in TOGETHER.statuses


def test_unsupported_operation_error_pickles_and_is_a_configuration_error() -> None:
    import pickle

    error = TOGETHER.refuse("jobs.pause", "pause is OpenAI's")
    assert isinstance(error, ftjobs.ConfigurationError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.provider, copy.operation, str(copy)) == ("together", "jobs.pause", str(error))
