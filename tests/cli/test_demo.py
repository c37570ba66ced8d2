"""``ftjobs demo --json`` (its live view: test_terminal.py)."""

from __future__ import annotations

import json

from .helpers import run_process


async def test_demo_runs_and_exits_zero() -> None:
    code, out, err = await run_process("demo", "--json", "--speed", "40", timeout=60)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] is True
    statuses = sorted(job["status"] for job in summary["jobs"])
    (failed,) = (job for job in summary["jobs"] if job["status"] == "failed")
    assert failed["plan"] == "broken-data" and failed["error"].startswith("invalid_training_file")
    assert statuses.count("succeeded") == 6
    assert "cancelled" in statuses and "failed" in statuses
