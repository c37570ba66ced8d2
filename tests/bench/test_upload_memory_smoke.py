"""The upload memory benchmark runs end to end at a toy size, through the Uploads API (no
memory or timing assertions: the figure is the nox session's, ``nox -s bench_upload``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "upload_memory.py"


def test_bench_upload_memory_runs_at_a_toy_size(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(BENCH), "--mb", "3", "--threshold-mb", "1", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    result = json.loads((tmp_path / "upload_memory.json").read_text())
    assert result["file_mb"] == 3.0 and result["bytes"] > 3_000_000
    assert result["rss_peak_mb"] >= result["rss_before_mb"] > 0
    assert "| 3.0 MiB |" in (tmp_path / "upload_memory.md").read_text()
