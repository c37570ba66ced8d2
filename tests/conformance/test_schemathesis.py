"""schemathesis against the emulator with the spec (bounded; ``nox -s conformance`` is thorough).

No 5xx, every response conforms to its schema, content type and headers, bad requests get 4xx,
authentication is enforced, undeclared methods get 405 with ``Allow``. Skipped when
schemathesis (the ``conformance`` extra) is not installed.
"""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("schemathesis")

from tests.conformance.schemathesis_run import run


def test_emulator_conforms_to_the_spec() -> None:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    # A fixed seed keeps CI reproducible; the coverage phase (some 1,700 boundary cases) is
    # left to the nox session to keep this under a minute on a busy machine.
    code, figures, output = run(
        max_examples=10, phases="examples,fuzzing,stateful", seed=20261123, timeout=300
    )
    assert code == 0, output[-6000:]
    assert figures["failures"] == 0, figures
    assert figures["operations"] == 22, figures
    assert figures["cases"] > 100, figures
