"""The benchmark harness works end to end at a toy size (ftjobs and the floor only).

No timing is asserted: this only keeps ``nox -s bench`` from rotting between runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import markdown, run_suite, table
from bench.worker import WORKLOADS, Sizes


def test_harness_runs_every_workload_at_toy_size(tmp_path: Path) -> None:
    sizes = Sizes(jobs=230, events=250, page=100, retrieves=40, in_flight=8, sequential=12)
    results = run_suite(
        sizes=sizes, reps=1, clients=("floor", "ftjobs"), import_reps=0, progress=False
    )

    rows = {(r["workload"], r["client"]): r for r in results["summary"]}
    assert set(rows) == {(w, c) for w in WORKLOADS for c in ("floor", "ftjobs")}
    expected = {"W1": 230, "W2": 40, "W3": 12, "W4": 250}
    for (workload, _), row in rows.items():
        assert row["items"] == expected[workload]
        assert row["cpu_us_per_item"] > 0
        assert row["peak_rss_mib"] > 0
    assert rows[("W1", "floor")]["time_ratio"] == 1.0
    assert "time_ratio" in rows[("W4", "ftjobs")]
    text = markdown(results)
    assert "| W2 concurrent retrieves | ftjobs |" in text
    assert "Machine:" in text
    assert table(results) in text
    json.dumps(results)  # the results file must be writable as JSON
