"""Deterministic fault injection for the emulator: faults of its API answers
(`FaultConfig`, `FaultInjector`) and of the webhooks it sends (`WebhookFaults`).

Request fault spec grammar (``--faults``): comma-separated ``key=value`` items, whitespace ignored::

    spec     := "" | "off" | "none" | item ("," item)*
    item     := kind "=" RATE | "latency=" [RATE ":"] SECONDS ["-" SECONDS]
              | "retry_after=" SECONDS | "seed=" INT
    kind     := "429" | "500" | "503" | "drop" | "drop_after" | "malformed" | "html"
              | "garbled"

- ``RATE`` is a probability in [0, 1] applied to each API request; the kinds are mutually
  exclusive per request (at most one fires), so their rates must add up to at most 1.
- ``latency=0.2:0.5`` delays 20% of requests by 0.5 s; ``latency=0.2:0.1-0.4`` by a uniform
  0.1..0.4 s; ``latency=0.3`` (no colon) delays every request by 0.3 s. Latency combines
  with any other fault.
- ``retry_after`` is the ``Retry-After`` (seconds; also ``retry-after-ms``) sent with 429
  and 503 responses (default 1).
- ``seed`` seeds the ``random.Random`` that takes the decisions (default 0), so the same
  spec and the same request sequence give the same faults.

Kinds: ``429``/``500``/``503`` answer with that status and the spec's error body (the
handler does not run); ``drop`` closes the connection before the handler runs; ``drop_after``
runs the handler (its effect is committed) and closes the connection instead of answering;
``malformed`` runs the handler and sends a 200 whose body is truncated mid-JSON; ``html``
answers 502 with a gateway's ``text/html`` page (the handler does not run); ``garbled`` runs
the handler and sends a 200 whose complete body is not JSON (behind the ``)]}'`` anti-hijacking
prefix some proxies add).

Example: ``429=0.1,500=0.05,503=0.05,latency=0.2:0.5,drop=0.02,drop_after=0.02,
malformed=0.02,html=0.02,seed=7``.

Webhook fault spec grammar (``--webhook-faults``, seeded like the request faults)::

    spec := "" | "off" | "none" | item ("," item)*
    item := "drop=" RATE | "duplicate=" RATE | "bad_signature=" RATE
          | "delay=" [RATE ":"] SECONDS | "seed=" INT

``drop`` never sends a delivery; ``duplicate`` sends it twice (the same ``webhook-id`` and
event: a receiver must ignore the second); the two are exclusive per delivery. ``bad_signature``
signs one attempt with another secret (the receiver answers 400, and the retry is signed
correctly); ``delay`` holds a delivery back for ``SECONDS`` real seconds. The sender that
applies them is `ftjobs.emulator._webhooks`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

__all__ = [
    "FAULT_KINDS",
    "FaultConfig",
    "FaultDecision",
    "FaultInjector",
    "WebhookFaults",
    "decide",
    "spec_items",
    "to_faults",
    "to_webhook_faults",
]

FAULT_KINDS: tuple[str, ...] = (
    "429",
    "500",
    "503",
    "drop",
    "drop_after",
    "malformed",
    "html",
    "garbled",
)
"""The mutually exclusive fault kinds, in the order their rates are laid out on [0, 1)."""

_RATE_FIELDS: dict[str, str] = {
    "429": "rate_429",
    "500": "rate_500",
    "503": "rate_503",
    "drop": "drop",
    "drop_after": "drop_after",
    "malformed": "malformed",
    "html": "html",
    "garbled": "garbled",
}


def _check_rate(name: str, value: float, what: str = "fault") -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} rate {name} must be within [0, 1], got {value!r}")


def spec_items(spec: str | None, what: str) -> Iterator[tuple[str, str, str]]:
    """The ``key=value`` items of a comma-separated spec, as ``(item, key, value)``; none for
    ``None``, ``""``, ``"off"`` or ``"none"``. Raises ``ValueError`` for an item that is not
    ``key=value`` (``what`` names the spec in the message)."""
    if spec is None or spec.strip().lower() in ("", "off", "none"):
        return
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise ValueError(f"{what} item {item!r} is not key=value")
        yield item, key, value


@attrs.frozen
class FaultConfig:
    """Per-request fault rates (all off by default). See the module docstring for the grammar.

    Attributes:
        rate_429: Probability of a 429 ``rate_limit_exceeded`` answer.
        rate_500: Probability of a 500 ``server_error`` answer.
        rate_503: Probability of a 503 (overloaded) answer.
        drop: Probability of closing the connection before the handler runs.
        drop_after: Probability of closing the connection after the handler committed.
        malformed: Probability of a 200 with a truncated JSON body (handler ran).
        html: Probability of a 502 ``text/html`` gateway page.
        garbled: Probability of a 200 whose whole body is not JSON (handler ran).
        latency_rate: Probability of delaying the request.
        latency_min: Smallest added delay (seconds).
        latency_max: Largest added delay (seconds).
        retry_after: ``Retry-After`` seconds on 429/503.
        seed: Seed of the decision RNG.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    drop: float = 0.0
    drop_after: float = 0.0
    malformed: float = 0.0
    html: float = 0.0
    garbled: float = 0.0
    latency_rate: float = 0.0
    latency_min: float = 0.0
    latency_max: float = 0.0
    retry_after: float = 1.0
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        for kind, field in _RATE_FIELDS.items():
            _check_rate(kind, getattr(self, field))
        _check_rate("latency", self.latency_rate)
        total = sum(self.rate(kind) for kind in FAULT_KINDS)
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}, more than 1")
        if self.latency_min < 0 or self.latency_max < self.latency_min:
            raise ValueError("latency must satisfy 0 <= min <= max")
        if self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")

    def rate(self, kind: str) -> float:
        """Return the rate of one of [`FAULT_KINDS`][ftjobs.emulator.FAULT_KINDS]."""
        value: float = getattr(self, _RATE_FIELDS[kind])
        return value

    @property
    def enabled(self) -> bool:
        """True when any fault or latency can fire."""
        return self.latency_rate > 0 or any(self.rate(kind) > 0 for kind in FAULT_KINDS)

    @classmethod
    def parse(cls, spec: str | None) -> FaultConfig:
        """Parse a spec string (see the module docstring). Raises ``ValueError``."""
        values: dict[str, Any] = {}
        for item, key, value in spec_items(spec, "fault spec"):
            try:
                if key in _RATE_FIELDS:
                    values[_RATE_FIELDS[key]] = float(value)
                elif key == "latency":
                    values.update(_parse_latency(value))
                elif key == "retry_after":
                    values["retry_after"] = float(value)
                elif key == "seed":
                    values["seed"] = int(value)
                else:
                    known = ", ".join([*FAULT_KINDS, "latency", "retry_after", "seed"])
                    raise ValueError(f"unknown fault kind {key!r} (known: {known})")
            except ValueError as exc:
                if "unknown fault kind" in str(exc):
                    raise
                raise ValueError(f"bad value in fault spec item {item!r}: {exc}") from None
        return cls(**values)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from a JSON object: either ``{"spec": "..."}`` or field names/kind names."""
        if "spec" in data:
            spec = data["spec"]
            if spec is not None and not isinstance(spec, str):
                raise ValueError("'spec' must be a string")
            return cls.parse(spec)
        fields = {f.name for f in attrs.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            name = _RATE_FIELDS.get(key, key)
            if name not in fields:
                raise ValueError(f"unknown fault setting {key!r}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"fault setting {key!r} must be a number")
            values[name] = int(value) if name == "seed" else float(value)
        return cls(**values)

    def to_spec(self) -> str:
        """Return the spec string that parses back to this config."""
        parts = [f"{kind}={self.rate(kind):g}" for kind in FAULT_KINDS if self.rate(kind) > 0]
        if self.latency_rate > 0:
            span = f"{self.latency_min:g}"
            if self.latency_max != self.latency_min:
                span += f"-{self.latency_max:g}"
            parts.append(f"latency={self.latency_rate:g}:{span}")
        if self.retry_after != 1.0:
            parts.append(f"retry_after={self.retry_after:g}")
        parts.append(f"seed={self.seed}")
        return ",".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a JSON-ready dict (includes ``spec``)."""
        data: dict[str, Any] = attrs.asdict(self)
        data["spec"] = self.to_spec()
        return data


def _parse_latency(value: str) -> dict[str, float]:
    rate_text, sep, span = value.partition(":")
    if not sep:
        rate, span = 1.0, rate_text
    else:
        rate = float(rate_text)
    low_text, dash, high_text = span.partition("-")
    low = float(low_text)
    high = float(high_text) if dash else low
    return {"latency_rate": rate, "latency_min": low, "latency_max": high}


@attrs.frozen
class FaultDecision:
    """What to do to one request: an optional fault kind and an added delay (seconds)."""

    kind: str | None = None
    latency: float = 0.0


def decide(config: FaultConfig, rng: random.Random) -> FaultDecision:
    """Draw the fault decision for one request (pure apart from advancing ``rng``)."""
    if not config.enabled:
        return FaultDecision()
    latency = 0.0
    if config.latency_rate > 0 and rng.random() < config.latency_rate:
        latency = rng.uniform(config.latency_min, config.latency_max)
    draw = rng.random()
    edge = 0.0
    for kind in FAULT_KINDS:
        edge += config.rate(kind)
        if draw < edge:
            return FaultDecision(kind, latency)
    return FaultDecision(None, latency)


class FaultInjector:
    """Holds the live fault config, its RNG and the count of faults injected per kind."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self.counts: dict[str, int] = dict.fromkeys((*FAULT_KINDS, "latency"), 0)

    def configure(self, config: FaultConfig) -> None:
        """Replace the config and reseed the RNG from it (counts are kept)."""
        self.config = config
        self._rng = random.Random(config.seed)

    def next_decision(self) -> FaultDecision:
        """Decide for the next request and count what was injected."""
        decision = decide(self.config, self._rng)
        if decision.kind is not None:
            self.counts[decision.kind] += 1
        if decision.latency > 0:
            self.counts["latency"] += 1
        return decision

    def reset_counts(self) -> None:
        """Zero the per-kind counters."""
        for key in self.counts:
            self.counts[key] = 0


def to_faults(value: FaultConfig | str | None) -> FaultConfig:
    """`EmulatorConfig.faults` accepts a spec string too."""
    return value if isinstance(value, FaultConfig) else FaultConfig.parse(value)


@attrs.frozen
class WebhookFaults:
    """Webhook fault rates (all off by default); see the module docstring for the grammar."""

    drop: float = 0.0
    duplicate: float = 0.0
    bad_signature: float = 0.0
    delay_rate: float = 0.0
    delay_seconds: float = 0.0
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        for name in ("drop", "duplicate", "bad_signature", "delay_rate"):
            _check_rate(name, getattr(self, name), "webhook fault")
        if self.drop + self.duplicate > 1.0 + 1e-9:
            raise ValueError("webhook fault rates drop + duplicate add up to more than 1")
        if self.delay_seconds < 0:
            raise ValueError("webhook fault delay must be >= 0 seconds")

    @classmethod
    def parse(cls, spec: str | None) -> WebhookFaults:
        """Parse a spec string. Raises ``ValueError`` naming the bad item."""
        values: dict[str, Any] = {}
        for item, key, value in spec_items(spec, "webhook fault spec"):
            try:
                if key in ("drop", "duplicate", "bad_signature"):
                    values[key] = float(value)
                elif key == "delay":
                    rate, sep, seconds = value.partition(":")
                    values["delay_rate"] = float(rate) if sep else 1.0
                    values["delay_seconds"] = float(seconds if sep else rate)
                elif key == "seed":
                    values["seed"] = int(value)
                else:
                    raise KeyError(key)
            except KeyError:
                raise ValueError(
                    f"unknown webhook fault {key!r} (known: drop, duplicate, bad_signature, "
                    "delay, seed)"
                ) from None
            except ValueError:
                raise ValueError(f"bad value in webhook fault item {item!r}") from None
        return cls(**values)


def to_webhook_faults(value: WebhookFaults | str | None) -> WebhookFaults:
    """`EmulatorConfig.webhook_faults` accepts a spec string too."""
    return value if isinstance(value, WebhookFaults) else WebhookFaults.parse(value)
