"""Fault spec grammars (requests and webhooks) and deterministic decisions (pure)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from ftjobs.emulator import EmulatorConfig, WebhookFaults
from ftjobs.emulator._faults import FAULT_KINDS, FaultConfig, FaultInjector, decide

EXAMPLE = (
    "429=0.1,500=0.05,503=0.05,latency=0.2:0.5,drop=0.02,drop_after=0.02,"
    "malformed=0.02,html=0.02,seed=7"
)


def test_parse_the_documented_example() -> None:
    config = FaultConfig.parse(EXAMPLE)
    assert config.rate_429 == 0.1 and config.rate_500 == 0.05 and config.rate_503 == 0.05
    assert (config.latency_rate, config.latency_min, config.latency_max) == (0.2, 0.5, 0.5)
    assert config.drop == config.drop_after == config.malformed == config.html == 0.02
    assert config.seed == 7 and config.enabled


def test_spec_round_trips() -> None:
    config = FaultConfig.parse(EXAMPLE + ",retry_after=3")
    assert FaultConfig.parse(config.to_spec()) == config
    ranged = FaultConfig.parse("latency=0.5:0.1-0.3")
    assert (ranged.latency_min, ranged.latency_max) == (0.1, 0.3)
    assert FaultConfig.parse(ranged.to_spec()) == ranged


def test_latency_without_rate_applies_to_every_request() -> None:
    config = FaultConfig.parse("latency=0.25")
    assert (config.latency_rate, config.latency_min) == (1.0, 0.25)


@pytest.mark.parametrize("spec", ["", "off", "none", None, " , "])
def test_off(spec: str | None) -> None:
    assert not FaultConfig.parse(spec).enabled


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("404=0.1", "unknown fault kind"),
        ("429=abc", "bad value"),
        ("429=1.5", r"within \[0, 1\]"),
        ("429=0.6,500=0.6", "more than 1"),
        ("429", "not key=value"),
        ("latency=0.1:0.5-0.2", "min <= max"),
        ("seed=x", "bad value"),
    ],
)
def test_bad_specs_are_rejected_clearly(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        FaultConfig.parse(spec)


def test_from_mapping_accepts_spec_or_fields() -> None:
    assert FaultConfig.from_mapping({"spec": "500=1"}).rate_500 == 1.0
    assert FaultConfig.from_mapping({"429": 0.5, "seed": 3}) == FaultConfig(rate_429=0.5, seed=3)
    with pytest.raises(ValueError):
        FaultConfig.from_mapping({"nope": 1})
    with pytest.raises(ValueError):
        FaultConfig.from_mapping({"429": "high"})


def test_decisions_are_deterministic_by_seed() -> None:
    config = FaultConfig.parse(EXAMPLE)
    first = [decide(config, rng) for rng in [random.Random(7)] for _ in range(200)]
    rng = random.Random(7)
    second = [decide(config, rng) for _ in range(200)]
    assert first == second
    other = random.Random(8)
    assert [decide(config, other) for _ in range(200)] != first


def test_rates_are_roughly_honored() -> None:
    config = FaultConfig.parse("429=0.2,drop=0.1,latency=0.5:0.01,seed=1")
    rng = random.Random(config.seed)
    decisions = [decide(config, rng) for _ in range(5000)]
    kinds = Counter(d.kind for d in decisions)
    assert 850 < kinds["429"] < 1150
    assert 380 < kinds["drop"] < 620
    assert kinds["500"] == 0
    delayed = sum(1 for d in decisions if d.latency > 0)
    assert 2300 < delayed < 2700


def test_rate_one_always_fires() -> None:
    for kind in FAULT_KINDS:
        config = FaultConfig.from_mapping({kind: 1.0})
        rng = random.Random(0)
        assert {decide(config, rng).kind for _ in range(20)} == {kind}


def test_injector_counts_and_reconfigures() -> None:
    injector = FaultInjector(FaultConfig.parse("500=1"))
    for _ in range(3):
        injector.next_decision()
    assert injector.counts["500"] == 3
    injector.configure(FaultConfig())
    assert injector.next_decision().kind is None
    assert injector.counts["500"] == 3
    injector.reset_counts()
    assert set(injector.counts.values()) == {0}


def test_garbled_kind_parses_and_round_trips() -> None:
    config = FaultConfig.parse("garbled=0.25,seed=3")
    assert config.garbled == 0.25 and config.rate("garbled") == 0.25
    assert FaultConfig.parse(config.to_spec()) == config
    assert "garbled" in FAULT_KINDS and FAULT_KINDS[-1] == "garbled"
    assert FaultConfig.from_mapping({"garbled": 1}).garbled == 1.0


def test_adding_garbled_keeps_the_decisions_of_older_kinds() -> None:
    # New kinds go last on [0, 1): adding one only turns some fault-free requests into it.
    old = FaultConfig.parse(EXAMPLE)
    new = FaultConfig.parse(EXAMPLE + ",garbled=0.1")
    old_rng, new_rng = random.Random(7), random.Random(7)
    pairs = [(decide(old, old_rng), decide(new, new_rng)) for _ in range(500)]
    assert any(after.kind == "garbled" for _, after in pairs)
    for before, after in pairs:
        assert after.latency == before.latency
        assert after.kind == before.kind or (before.kind is None and after.kind == "garbled")


def test_the_webhook_spec_parses_every_kind() -> None:
    faults = WebhookFaults.parse(
        "drop=0.3, duplicate=0.1, bad_signature=0.05, delay=0.2:1.5, seed=7"
    )
    assert faults == WebhookFaults(
        drop=0.3, duplicate=0.1, bad_signature=0.05, delay_rate=0.2, delay_seconds=1.5, seed=7
    )
    assert WebhookFaults.parse("delay=2") == WebhookFaults(delay_rate=1.0, delay_seconds=2)
    assert WebhookFaults.parse("off") == WebhookFaults() == WebhookFaults.parse(None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lose=0.1", "unknown webhook fault 'lose'"),
        ("drop=x", "bad value"),
        ("drop", "item 'drop' is not key=value"),
        ("drop=1.5", "within"),
        ("drop=0.6,duplicate=0.6", "more than 1"),
        ("delay=0.5:-1", ">= 0"),
    ],
)
def test_a_bad_webhook_spec_is_refused_naming_what(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebhookFaults.parse(spec)


def test_the_config_takes_the_webhook_spec_string() -> None:
    config = EmulatorConfig(
        webhook_url="http://127.0.0.1:9/h", webhook_secret="whsec_c2VjcmV0", webhook_faults="drop=1"
    )
    assert config.webhook_faults.drop == 1
    assert "c2VjcmV0" not in repr(config)
