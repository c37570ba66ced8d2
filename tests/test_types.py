"""The public face: a small top level, and every public name in exactly one public home.

A public module is one with no underscored path segment. For every public name, the public
modules exporting it (their ``__all__``) hold at most one besides the top-level ``ftjobs``,
which re-exports the first hour's names. ``ftjobs.types`` is the long tail: names whose
defining module is private and that no other public module exports.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import ftjobs
import ftjobs.types

FIRST_HOUR = {
    "AsyncClient",
    "AsyncAzureClient",
    "AsyncPortkeyClient",
    "AsyncTogetherClient",
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
    # Running many jobs (a sweep) is the other first hour (issue #24).
    "Campaign",
    "CampaignRun",
    "CampaignReport",
}
INTERNALS = {"JobWaiter", "JobGroup", "RequestBudget", "NOT_GIVEN", "NotGiven", "Page"}
WAITING_INTERNALS = {"Pacer", "is_transient", "DEADLINE_GRACE", "Subscription", "plan", "Plan"}
PACKAGE = Path(ftjobs.__file__).parent


def _public_module_names() -> list[str]:
    found = ["ftjobs"]
    for info in pkgutil.walk_packages(ftjobs.__path__, "ftjobs."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return found


def _public_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in _public_module_names()]


def _homes() -> dict[tuple[str, int], list[str]]:
    """(name, object id) -> the public modules exporting that object under that name."""
    homes: dict[tuple[str, int], list[str]] = {}
    for module in _public_modules():
        for name in module.__all__:
            homes.setdefault((name, id(getattr(module, name))), []).append(module.__name__)
    return homes


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


def test_every_public_module_declares_all() -> None:
    for module in _public_modules():
        assert isinstance(getattr(module, "__all__", None), list), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ names missing {name}"


def test_each_public_name_has_one_home_besides_the_top_level() -> None:
    repeated = {
        f"{name}: {modules}"
        for (name, _), modules in _homes().items()
        if len([m for m in modules if m != "ftjobs"]) > 1
    }
    assert not repeated, "\n".join(sorted(repeated))


def test_types_holds_only_the_long_tail() -> None:
    # Nothing the top level exports is repeated in types.
    assert not set(ftjobs.__all__) & set(ftjobs.types.__all__)
    # Every name types exports is imported from a private module.
    tree = ast.parse((PACKAGE / "types.py").read_text(encoding="utf-8"))
    origin = {
        alias.asname or alias.name: node.module or ""
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    for name in ftjobs.types.__all__:
        assert origin[name].startswith("_"), f"ftjobs.types.{name} comes from {origin[name]}"


def test_every_model_has_a_public_home() -> None:
    import ftjobs._models

    for name in ftjobs._models.__all__:
        assert (name in ftjobs.__all__) != (name in ftjobs.types.__all__), name


def test_waiting_exports_what_a_user_uses_and_nothing_private() -> None:
    import ftjobs.waiting

    exported = set(ftjobs.waiting.__all__)
    assert {"JobWaiter", "JobGroup", "Watcher", "JobUpdate", "StepResult", "PollPolicy"} <= exported
    assert {"ContinuationToken", "RatePolicy", "RequestBudget", "ReturnWhen"} <= exported
    assert not WAITING_INTERNALS & exported
    assert not any(name.startswith("_") for name in exported)


def test_one_name_per_default_timeout() -> None:
    import ftjobs.waiting

    assert ftjobs.types.DEFAULT_REQUEST_TIMEOUT == 60.0
    assert ftjobs.waiting.DEFAULT_WAIT_TIMEOUT == 24 * 3600.0
    assert not any("DEFAULT_TIMEOUT" in module.__all__ for module in _public_modules())


def test_the_checks_can_fail() -> None:
    # A repeated export is seen: types once held FineTuningJob beside the top level.
    homes = {("FineTuningJob", 1): ["ftjobs", "ftjobs.types", "ftjobs.waiting"]}
    assert [n for (n, _), m in homes.items() if len([x for x in m if x != "ftjobs"]) > 1]
    assert "ftjobs.waiting" in _public_module_names()
    assert "ftjobs.waiting._waiter" not in _public_module_names()


def test_no_resume_wait_one_way_to_continue() -> None:
    assert not hasattr(ftjobs.AsyncClient(api_key="sk-x").jobs, "resume_wait")
