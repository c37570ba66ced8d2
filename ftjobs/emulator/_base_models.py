"""Which base models the emulator fine-tunes, and with which methods.

The service refuses a job on a model it cannot fine-tune (a 400 naming ``model``); an
emulator that trained any name would let a test pass that the real API fails. The default
list is the models OpenAI's fine-tuning guide names, with the methods it names for each
(and the short aliases the API reference's examples use). A fine-tuned model (``ft:...``)
that exists on the emulator is a base model too, with its own base's methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._params import METHOD_TYPES

__all__ = ["DEFAULT_MODELS", "TOGETHER_MODELS", "check_model", "parse_models", "to_models"]

_SFT = frozenset({"supervised"})
_SFT_DPO = frozenset({"supervised", "dpo"})
_RFT = frozenset({"reinforcement"})

DEFAULT_MODELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "gpt-4.1-2025-04-14": _SFT_DPO,
        "gpt-4.1-mini-2025-04-14": _SFT_DPO,
        "gpt-4.1-nano-2025-04-14": _SFT_DPO,
        "gpt-4o-2024-08-06": _SFT_DPO,
        "gpt-4o-mini-2024-07-18": _SFT_DPO,
        "gpt-3.5-turbo-0125": _SFT,
        "gpt-3.5-turbo-1106": _SFT,
        "gpt-3.5-turbo-0613": _SFT,
        "babbage-002": _SFT,
        "davinci-002": _SFT,
        "o4-mini-2025-04-16": _RFT,
        # Aliases of the above, as the API reference's examples write them.
        "gpt-4.1": _SFT_DPO,
        "gpt-4.1-mini": _SFT_DPO,
        "gpt-4.1-nano": _SFT_DPO,
        "gpt-4o": _SFT_DPO,
        "gpt-4o-mini": _SFT_DPO,
        "gpt-3.5-turbo": _SFT,
        "o4-mini": _RFT,
    }
)
"""Model name -> the methods it can be fine-tuned with."""

TOGETHER_MODELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference": _SFT_DPO,
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference": _SFT_DPO,
        "Qwen/Qwen2.5-7B-Instruct": _SFT_DPO,
        "mistralai/Mistral-7B-Instruct-v0.2": _SFT_DPO,
    }
)
"""The Together dialect's default models (a few of those Together lists as fine-tunable; its
``sft`` is ``supervised`` here)."""


def parse_models(spec: str) -> Mapping[str, frozenset[str]]:
    """Read ``--models``: comma-separated names, each optionally ``=method+method``
    (``"gpt-4o-mini-2024-07-18,o4-mini-2025-04-16=reinforcement,my-model=supervised+dpo"``).
    A name without methods takes supervised and dpo. Raises ``ValueError``."""
    models: dict[str, frozenset[str]] = {}
    for item in spec.split(","):
        name, _, methods = item.strip().partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"models: an empty model name in {spec!r}")
        kinds = frozenset(m.strip() for m in methods.split("+")) if methods else _SFT_DPO
        models[name] = kinds
    return to_models(models)


def to_models(
    value: str | Mapping[str, Iterable[str]] | Iterable[str],
) -> Mapping[str, frozenset[str]]:
    """``EmulatorConfig.models`` from a ``--models`` spec, a mapping of name -> methods, or
    names (each with supervised and dpo). Raises ``ValueError`` for an unknown method."""
    if isinstance(value, str):
        return parse_models(value)
    if isinstance(value, Mapping):
        pairs = {str(name): frozenset(methods) for name, methods in value.items()}
    else:
        pairs = {str(name): _SFT_DPO for name in value}
    for name, methods in pairs.items():
        unknown = sorted(methods.difference(METHOD_TYPES))
        if unknown or not methods:
            raise ValueError(
                f"models: {name!r} needs methods among {', '.join(METHOD_TYPES)}, got "
                f"{', '.join(unknown) or 'none'}"
            )
    if not pairs:
        raise ValueError("models: name at least one model")
    return MappingProxyType(pairs)


def _base_of(fine_tuned: str) -> str:
    """``ft:BASE:org:suffix:id`` -> ``BASE`` (a checkpoint's name has the same head)."""
    return fine_tuned.split(":")[1] if fine_tuned.count(":") >= 2 else ""


def check_model(
    models: Mapping[str, frozenset[str]],
    model: str,
    method: str,
    *,
    exists: Callable[[str], bool],
) -> None:
    """Refuse (400, ``param: model``) a model the emulator cannot fine-tune with ``method``,
    in the service's words. ``exists`` says whether a fine-tuned model is on the emulator."""
    methods = models.get(model)
    if methods is None and model.startswith("ft:") and exists(model):
        methods = models.get(_base_of(model), frozenset(METHOD_TYPES))
    if methods is None:
        raise ApiError.invalid(
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    if method not in methods:
        raise ApiError.invalid(
            f"Model {model} does not support {method} fine-tuning; it supports "
            f"{', '.join(m for m in METHOD_TYPES if m in methods)}.",
            param="model",
            code="invalid_model_for_method",
        )
