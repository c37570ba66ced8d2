"""The waiting benchmark runs end to end at a toy size (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "waiting.py"


def test_bench_waiting_runs_at_a_toy_size(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    data = json.loads((tmp_path / "waiting.json").read_text())
    single = data["single"]
    for strategy in ("ftjobs", "naive"):
        assert single[strategy]["requests_per_job"] >= 1
    (many,) = data["many"]
    assert many["done"] == many["jobs"] and many["pending"] == 0
    assert many["requests"] == many["server_requests"]
    assert many["one_get_per_job_per_tick"] >= many["jobs"]
    assert "| ftjobs default PollPolicy |" in (tmp_path / "waiting.md").read_text()
    # Section 3 at a toy size: the bounded version of the watcher's targets (counts only).
    watcher = data["watcher"]
    waits, group = watcher["waits"], watcher["group"]
    assert waits["returned"] == waits["jobs"] == group["jobs"]
    assert waits["requests"] <= 2 * group["requests"]
    for run in ("webhooks", "faulty"):
        row = watcher[run]
        assert row["returned"] == row["jobs"] and row["webhooks_repeated_to_waits"] == 0
        assert row["requests_per_job"] <= 2
    assert watcher["webhooks"]["webhooks_received"] == watcher["webhooks"]["jobs"]
    assert watcher["faulty"]["webhooks_received"] < watcher["faulty"]["jobs"]  # some dropped
