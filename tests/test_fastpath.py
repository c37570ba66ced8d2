"""ftjobs._fastpath: a model filled through its same-layout builder is an ordinary instance of
the model: type, equality (both ways), hash, repr, frozenness, attrs.evolve, copy, pickle and
weak references behave exactly as they do for one made by the model's own constructor."""

from __future__ import annotations

import copy
import pickle
import weakref
from collections.abc import Callable
from typing import Any

import attrs
import pytest

import ftjobs
from ftjobs._converter import structure
from ftjobs._fastpath import builder_of
from ftjobs.types import FineTuningJobCheckpoint, Hyperparameters, Page
from tests._support.payloads import job_payload

FULL_JOB = {
    **job_payload("ftjob-full"),
    "status": "succeeded",
    "hyperparameters": {"batch_size": 8, "learning_rate_multiplier": 1.5, "n_epochs": 3},
    "result_files": ["file-r1"],
    "integrations": [{"type": "wandb", "wandb": {"project": "p", "tags": ["a"]}}],
    "metadata": {"team": "ml"},
    "method": {
        "type": "supervised",
        "supervised": {"hyperparameters": {"batch_size": 8, "n_epochs": 3}},
    },
}
CHECKPOINT = {
    "id": "ftckpt-1",
    "created_at": 1,
    "fine_tuned_model_checkpoint": "ft:m:ckpt",
    "step_number": 10,
    "metrics": {"step": 10, "train_loss": 0.5},
    "fine_tuning_job_id": "ftjob-full",
}


def _rebuilt(obj: Any) -> Any:
    """The same model built by its own constructor, nested models included."""
    if not attrs.has(type(obj)):
        if isinstance(obj, tuple):
            return tuple(_rebuilt(item) for item in obj)
        return obj
    fields = attrs.fields(type(obj))
    positional = [_rebuilt(getattr(obj, a.name)) for a in fields if not a.kw_only]
    keywords = {a.alias: _rebuilt(getattr(obj, a.name)) for a in fields if a.kw_only}
    return type(obj)(*positional, **keywords)


def _models_in(obj: Any) -> list[Any]:
    """``obj`` and every model nested in it."""
    found = [obj]
    for a in attrs.fields(type(obj)):
        value = getattr(obj, a.name)
        for item in value if isinstance(value, tuple) else (value,):
            if attrs.has(type(item)):
                found += _models_in(item)
    return found


def _outcome(action: Callable[[], Any]) -> Any:
    """What ``action`` returns, or the type of what it raises."""
    try:
        return action()
    except Exception as exc:
        return type(exc)


BUILT = {
    "job": lambda: structure(FULL_JOB, ftjobs.FineTuningJob, request_id="req-1"),
    "job with extra": lambda: structure(
        {**FULL_JOB, "user_provided_suffix": "s"}, ftjobs.FineTuningJob
    ),
    "checkpoint": lambda: structure(CHECKPOINT, FineTuningJobCheckpoint, request_id="req-2"),
    "page": lambda: structure(
        {"object": "list", "data": [FULL_JOB], "has_more": False},
        Page[ftjobs.FineTuningJob],
        request_id="req-3",
    ),
}


@pytest.mark.parametrize("make", BUILT.values(), ids=BUILT.keys())
def test_builder_made_models_are_ordinary_instances(make: Callable[[], Any]) -> None:
    built = make()
    for model in _models_in(built):
        cls = type(model)
        builder = builder_of(cls)
        assert builder is not None, cls  # these models do take the builder path
        ordinary = _rebuilt(model)
        assert type(model) is cls and not isinstance(model, builder)
        assert model == ordinary and ordinary == model
        assert (model != ordinary) is False
        assert repr(model) == repr(ordinary)
        assert _outcome(lambda m=model: hash(m)) == _outcome(lambda o=ordinary: hash(o))
        first = attrs.fields(cls)[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(model, first, None)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            delattr(model, first)
        evolved = attrs.evolve(model)
        assert type(evolved) is cls and evolved == model
        assert copy.copy(model) == model
        assert _outcome(lambda m=model: copy.deepcopy(m) == m) == _outcome(
            lambda o=ordinary: copy.deepcopy(o) == o
        )
        assert weakref.ref(model)() is model
        assert _outcome(lambda m=model: pickle.loads(pickle.dumps(m)) == m) == _outcome(
            lambda o=ordinary: pickle.loads(pickle.dumps(o)) == o
        )
    assert _rebuilt(built) == built


def test_a_model_with_extra_keys_survives_a_pickle_round_trip() -> None:
    job = structure({**FULL_JOB, "user_provided_suffix": "s"}, ftjobs.FineTuningJob)
    job = attrs.evolve(job, hyperparameters=None, method=None, integrations=None)
    assert job.extra == {"user_provided_suffix": "s"}
    revived = pickle.loads(pickle.dumps(job))
    assert revived == job and type(revived) is ftjobs.FineTuningJob


def test_a_model_without_extra_keys_pickles_and_copies_with_the_shared_empty_extra() -> None:
    from ftjobs._types import NO_EXTRA

    job = structure(FULL_JOB, ftjobs.FineTuningJob)
    assert job.extra is NO_EXTRA and job.extra == {} and repr(job.extra) == "{}"
    revived = pickle.loads(pickle.dumps(job))
    assert revived == job and revived.extra is NO_EXTRA
    assert copy.deepcopy(job) == job and copy.deepcopy(job).extra is NO_EXTRA
    with pytest.raises(TypeError):
        NO_EXTRA["x"] = 1  # type: ignore[index]


def test_the_request_id_is_stored_on_the_top_model_only() -> None:
    page = BUILT["page"]()
    assert page.request_id == "req-3"
    assert page.data[0].request_id is None


# -- nested models built on first read ---------------------------------------------------------


def test_a_nested_model_is_built_once_on_first_read_and_equals_the_eager_one() -> None:
    from ftjobs._converter import _structure_validating, unstructure

    lazy = structure(FULL_JOB, ftjobs.FineTuningJob, request_id="req-1")
    eager = _structure_validating(FULL_JOB, ftjobs.FineTuningJob, "req-1")
    # Compared before any field is read: equality, repr and unstructure read them all.
    assert lazy == eager and repr(lazy) == repr(eager)
    assert unstructure(lazy) == unstructure(eager)
    assert type(lazy.method) is ftjobs.FineTuneMethod
    assert lazy.method is lazy.method  # built once, then kept
    assert lazy.method.supervised is not None
    assert lazy.method.supervised.hyperparameters == eager.method.supervised.hyperparameters
    assert type(lazy.hyperparameters) is Hyperparameters


def test_lazily_held_fields_survive_evolve_copy_and_pickle() -> None:
    job = structure({**FULL_JOB, "user_provided_suffix": "s"}, ftjobs.FineTuningJob)
    other = ftjobs.FineTuneMethod.dpo_method()
    evolved = attrs.evolve(job, method=other)
    assert evolved.method is other and evolved.hyperparameters == job.hyperparameters
    fresh = structure({**FULL_JOB, "user_provided_suffix": "s"}, ftjobs.FineTuningJob)
    assert copy.copy(fresh) == job
    picklable = {
        **FULL_JOB,
        "user_provided_suffix": "s",
        "integrations": [],
        "hyperparameters": {"n_epochs": 3, "x": 1},
        "method": {
            "type": "supervised",
            "x": 1,
            "supervised": {"x": 1, "hyperparameters": {"n_epochs": 3, "x": 1}},
        },
    }
    revived = pickle.loads(pickle.dumps(structure(picklable, ftjobs.FineTuningJob)))
    assert revived == structure(picklable, ftjobs.FineTuningJob)
    assert type(revived.method) is ftjobs.FineTuneMethod


def test_a_nested_part_that_does_not_fit_fails_before_structure_returns() -> None:
    bad = copy.deepcopy(FULL_JOB)
    bad["method"]["supervised"]["hyperparameters"]["n_epochs"] = "many"
    with pytest.raises(ftjobs.ResponseValidationError) as caught:
        structure(bad, ftjobs.FineTuningJob)
    assert caught.value.errors == [
        "$.method.supervised.hyperparameters.n_epochs: expected int or 'auto' or null, got 'many'"
    ]
    bad_page = {"object": "list", "data": [FULL_JOB, {**FULL_JOB, "hyperparameters": []}]}
    with pytest.raises(ftjobs.ResponseValidationError) as caught:
        structure(bad_page, Page[ftjobs.FineTuningJob])
    assert caught.value.errors[0].startswith("$.data[1].hyperparameters: ")


def test_a_dict_given_to_the_constructor_that_is_no_model_is_read_back_as_given() -> None:
    odd = {"not": "a method"}
    job = ftjobs.FineTuningJob(
        id="ftjob-1",
        created_at=1,
        model="m",
        status="queued",
        method=odd,  # type: ignore[arg-type]
    )
    assert job.method is odd
