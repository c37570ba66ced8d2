"""The capped-read memory benchmark runs end to end at a toy size (no memory or timing
assertions: the figure is the nox session's, ``nox -s bench_capped_read``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_capped_read_runs_at_a_toy_size(tmp_path: Path) -> None:
    argv = ["--mb", "3", "--cap-mb", "1", "--concurrent", "2", "--out", str(tmp_path)]
    subprocess.run(
        [sys.executable, "-m", "bench.capped_read", *argv],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    result = json.loads((tmp_path / "capped_read.json").read_text())
    assert result["answer_mb"] == 3 and result["cap_mb"] == 1.0
    cases = {(row["case"], row["at_once"]) for row in result["rows"]}
    assert cases == {("declared", 1), ("declared", 2), ("chunked", 1), ("chunked", 2)}
    assert all(row["rss_peak_mb"] >= row["rss_before_mb"] > 0 for row in result["rows"])
    assert "| chunked | 2 |" in (tmp_path / "capped_read.md").read_text()
