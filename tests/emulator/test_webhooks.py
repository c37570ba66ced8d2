"""The emulator's webhook faults spec and the event announcing a job's end."""

from __future__ import annotations

import pytest

from ftjobs.emulator import EmulatorConfig
from ftjobs.emulator._webhooks import WebhookFaults


def test_the_spec_parses_every_kind() -> None:
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
def test_a_bad_spec_is_refused_naming_what(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebhookFaults.parse(spec)


def test_the_config_takes_the_spec_string() -> None:
    config = EmulatorConfig(
        webhook_url="http://127.0.0.1:9/h", webhook_secret="whsec_c2VjcmV0", webhook_faults="drop=1"
    )
    assert config.webhook_faults.drop == 1
    assert "c2VjcmV0" not in repr(config)
