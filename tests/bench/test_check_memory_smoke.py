"""The check_training_file memory benchmark runs end to end at a toy size (no memory or timing
assertions: the figure is the nox session's, ``nox -s bench_check``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_check_memory_runs_at_a_toy_size(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.check_memory", "--mb", "2", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    result = json.loads((tmp_path / "check_memory.json").read_text())
    assert result["file_mb"] == 2.0 and result["examples"] > 1000
    assert result["tokens"] > result["examples"] and result["warnings"] == 0
    assert result["rss_peak_mb"] >= result["rss_before_mb"] > 0
    assert "| 2.0 MiB |" in (tmp_path / "check_memory.md").read_text()
