"""The campaign benchmark runs end to end at a bounded size (no timing assertions): 30
members, 4 at a time, under a daily limit of 20 that is hit and waited out on emulated time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_campaign_runs_30_members_under_a_daily_limit(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.campaign",
            "--members=30",
            "--max-active=4",
            "--daily-limit=20",
            "--speed=10000",
            f"--out={tmp_path}",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    result = json.loads((tmp_path / "campaign.json").read_text())
    server, kinds = result["server"], result["client_requests"]
    # Every member succeeded, each created once, none lost.
    assert result["succeeded"] == result["members"] == 30
    assert result["jobs_on_server"] == 30 and result["duplicates"] == 0 and result["lost"] == 0
    assert server["creates"] == kinds["creates"] == 30
    # The server never saw more than max_active of them active.
    assert 1 <= server["peak_active"] <= 4
    # The daily limit was hit and waited out: every refusal was followed by a wait for the
    # slot, none retried in seconds, and the campaign spanned more than a day.
    assert server["daily_limit_refusals"] >= 1
    assert result["daily_waits"] == server["daily_limit_refusals"] == kinds["refused_creates"]
    assert kinds.get("retries", 0) == 0
    assert result["emulated_hours"] > 24
    # The driver's count is the server's, and a member costs a bounded number of requests.
    driver = sum(count for kind, count in kinds.items() if kind != "retries")
    assert driver == server["requests"]  # (less the benchmark's own duplicate check)
    assert result["requests_per_member"] < 40
    assert 0 < result["peak_rss_before_mib"] <= result["peak_rss_mib"]
    assert "| **served by the emulator**" in (tmp_path / "campaign.md").read_text()
