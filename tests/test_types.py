"""The public face: a small top level, every other public type in `ftjobs.types`."""

from __future__ import annotations

import ftjobs
import ftjobs.types

FIRST_HOUR = {
    "AsyncClient",
    "AsyncAzureClient",
    "AsyncPortkeyClient",
    "PollPolicy",
    "RetryPolicy",
    "FineTuningJob",
    "JobStatus",
    "FineTuneMethod",
    "SupervisedHyperparameters",
    "DpoHyperparameters",
    "ReinforcementHyperparameters",
    "JobUpdate",
    "StatusChanged",
    "EventReceived",
    "CheckpointReceived",
    "EtaChanged",
    "WebhookEvent",
    # Checking a training file before uploading it is the first hour's first step.
    "check_training_file",
}
INTERNALS = {"JobWaiter", "JobGroup", "RequestBudget", "NOT_GIVEN", "NotGiven", "Page"}


def test_top_level_is_the_first_hour_and_the_errors() -> None:
    names = set(ftjobs.__all__) - {"__version__"}
    errors = {
        n
        for n in names
        if isinstance(getattr(ftjobs, n), type)
        and issubclass(getattr(ftjobs, n), ftjobs.FTJobsError)
    }
    assert names - errors == FIRST_HOUR
    assert all(n.endswith(("Error", "Failed", "Paused", "Timeout", "Token")) for n in errors)


def test_internals_are_not_top_level() -> None:
    assert not INTERNALS & set(ftjobs.__all__)
    assert not any(hasattr(ftjobs, name) for name in INTERNALS)


def test_every_model_is_in_types() -> None:
    import ftjobs._models

    missing = set(ftjobs._models.__all__) - set(ftjobs.types.__all__)
    assert not missing
    for name in ftjobs.types.__all__:
        assert getattr(ftjobs.types, name) is not None
    # The names both places export are the same objects.
    for name in set(ftjobs.__all__) & set(ftjobs.types.__all__):
        assert getattr(ftjobs, name) is getattr(ftjobs.types, name)


def test_no_resume_wait_one_way_to_continue() -> None:
    assert not hasattr(ftjobs.AsyncClient(api_key="sk-x").jobs, "resume_wait")
