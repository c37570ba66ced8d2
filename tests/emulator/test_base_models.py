"""The emulator fine-tunes only the models it lists, with their methods, and refuses any
other model with the service's 400 (``invalid_request_error``, ``param: model``)."""

from __future__ import annotations

from typing import Any

import pytest

from ftjobs.emulator import ApiError, EmulatorConfig, ManualClock
from ftjobs.emulator._base_models import DEFAULT_MODELS, check_model, parse_models
from tests._support.emulator import Api, dpo_file


def _never(_: str) -> bool:
    return False


def test_the_default_list_names_the_documented_models_and_methods() -> None:
    assert DEFAULT_MODELS["gpt-4o-mini-2024-07-18"] == {"supervised", "dpo"}
    assert DEFAULT_MODELS["gpt-4.1-2025-04-14"] == {"supervised", "dpo"}
    assert DEFAULT_MODELS["gpt-3.5-turbo-0125"] == {"supervised"}
    assert DEFAULT_MODELS["o4-mini-2025-04-16"] == {"reinforcement"}
    assert EmulatorConfig().models == DEFAULT_MODELS


def test_an_unknown_model_is_refused_in_the_services_words() -> None:
    with pytest.raises(ApiError) as caught:
        check_model(DEFAULT_MODELS, "gpt-5-turbo-nonexistent", "supervised", exists=_never)
    error = caught.value
    assert (error.status, error.type, error.param) == (400, "invalid_request_error", "model")
    assert error.message == (
        "Model gpt-5-turbo-nonexistent is not available for fine-tuning or does not exist."
    )


def test_a_method_the_model_does_not_take_is_refused() -> None:
    with pytest.raises(ApiError, match="does not support reinforcement") as caught:
        check_model(DEFAULT_MODELS, "gpt-4o-mini-2024-07-18", "reinforcement", exists=_never)
    assert caught.value.param == "model"
    check_model(DEFAULT_MODELS, "o4-mini-2025-04-16", "reinforcement", exists=_never)


def test_a_fine_tuned_model_is_a_base_when_it_exists_with_its_bases_methods() -> None:
    name = "ft:gpt-3.5-turbo-0125:emulator:bot:abc123"
    check_model(DEFAULT_MODELS, name, "supervised", exists=lambda n: n == name)
    with pytest.raises(ApiError, match="does not support dpo"):
        check_model(DEFAULT_MODELS, name, "dpo", exists=lambda n: n == name)
    with pytest.raises(ApiError, match="not available"):
        check_model(DEFAULT_MODELS, name, "supervised", exists=_never)


def test_models_are_configurable_by_spec_mapping_or_names() -> None:
    models = parse_models("a, b=reinforcement, c=supervised+dpo")
    assert models == {
        "a": {"supervised", "dpo"},
        "b": {"reinforcement"},
        "c": {"supervised", "dpo"},
    }
    assert EmulatorConfig(models=["x"]).models == {"x": {"supervised", "dpo"}}
    assert EmulatorConfig(models={"y": ["dpo"]}).models == {"y": {"dpo"}}
    with pytest.raises(ValueError, match="'b' needs methods"):
        parse_models("b=magic")
    with pytest.raises(ValueError, match="empty model name"):
        parse_models("a,,b")


async def test_the_emulator_refuses_an_unknown_model_over_http(api: Api) -> None:
    training = await api.upload()
    body = {"model": "gpt-5-turbo-nonexistent", "training_file": training["id"]}
    status, error = await api.call("POST", "/fine_tuning/jobs", json=body)
    assert status == 400
    assert error["error"] == {
        "message": "Model gpt-5-turbo-nonexistent is not available for fine-tuning or does "
        "not exist.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_available",
    }
    _, page = await api.call("GET", "/fine_tuning/jobs")
    assert page["data"] == []


async def test_a_fine_tuned_model_trains_again_and_dpo_needs_a_dpo_model(
    api: Api, emulator_clock: ManualClock
) -> None:
    training = await api.upload()
    first = await api.create_job(training["id"], suffix="first")
    emulator_clock.advance(1000)
    _, done = await api.call("GET", f"/fine_tuning/jobs/{first['id']}")
    assert done["status"] == "succeeded"
    again = await api.create_job(training["id"], model=done["fine_tuned_model"])
    assert again["model"] == done["fine_tuned_model"]

    preferences = await api.upload(dpo_file())
    dpo: dict[str, Any] = {"type": "dpo", "dpo": {}}
    status, error = await api.call(
        "POST",
        "/fine_tuning/jobs",
        json={"model": "gpt-3.5-turbo-0125", "training_file": preferences["id"], "method": dpo},
    )
    assert status == 400 and error["error"]["param"] == "model"
