"""The waiting-benchmark chart script: reading the results, a real chart, a placeholder."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "docs" / "_scripts"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chart = _load("chart_waiting")
hooks = _load("hooks")


def test_reads_the_shape_bench_waiting_writes(tmp_path: Path) -> None:
    data = {
        "cpus": 2,
        "poll_policy": {"initial_interval": 2.0},
        "single": {
            "speed": 50,
            "ftjobs": {"requests_per_job": 12, "terminal_lag_median_s": 1.5, "lifecycle_s": 9},
            "naive": {"requests_per_job": 300, "terminal_lag_median_s": 0.5},
            "other": {"requests_per_job": 7},
        },
        "many": [{"jobs": 1000, "requests": 436}],
    }
    source = tmp_path / "waiting.json"
    source.write_text(json.dumps(data))
    rows = sorted(chart.load_rows(source))
    assert rows == [("ftjobs", 12.0, 1.5), ("naive 1 s loop", 300.0, 0.5), ("other", 7.0, None)]


@pytest.mark.parametrize(
    "data",
    [
        [{"client": "ftjobs", "requests_per_job": 12, "terminal_lag_median_s": 1.5}],
        {"ftjobs": {"requests_per_job": 12, "terminal_lag_median_s": 1.5}},
        {"single": [{"requests_per_job": 12}]},
        {"single": {"ftjobs": {"requests": 12, "lag": 1.5}}},
    ],
)
def test_other_shapes_give_no_rows(tmp_path: Path, data: object) -> None:
    source = tmp_path / "waiting.json"
    source.write_text(json.dumps(data))
    assert chart.load_rows(source) == []


def test_the_committed_results_make_a_chart() -> None:
    # Committed, and what the docs' performance page draws: a missing or unreadable file
    # would quietly turn the chart into the placeholder.
    rows = {row[0]: row[1:] for row in chart.load_rows(chart.DEFAULT_INPUT)}
    assert set(rows) == {"ftjobs", "naive 1 s loop"}
    assert all(value is not None for values in rows.values() for value in values)


def test_draws_bars_for_each_client(tmp_path: Path) -> None:
    svg = chart.render([("naive 1 s loop", 300.0, 0.5), ("ftjobs", 12.0, None)])
    root = ET.fromstring(svg)  # well-formed XML
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "ftjobs" in texts and "naive 1 s loop" in texts and "n/a" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 3
    # ftjobs is listed first, whatever the order of the results.
    assert texts.index("ftjobs") < texts.index("naive 1 s loop")


def test_no_text_runs_past_the_edge() -> None:
    # The widest a glyph of these fonts gets on average (bold digits and capitals included).
    em = 0.62
    svg = chart.render([("naive 1 s loop", 523.2, 1.10), ("ftjobs", 33.0, 0.69)])
    root = ET.fromstring(svg)
    width = float(root.attrib["viewBox"].split()[2])
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        x, size = float(text.attrib["x"]), float(text.attrib["font-size"])
        extent = len(text.text or "") * size * em
        start = {"start": x, "middle": x - extent / 2, "end": x - extent}[
            text.attrib["text-anchor"]
        ]
        assert start >= 0 and start + extent <= width, text.text
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert titles.count("lower is better") == 2


def test_placeholder_when_results_are_absent(tmp_path: Path) -> None:
    target = tmp_path / "out" / "waiting.svg"
    assert chart.write_chart(tmp_path / "missing.json", target) is False
    assert "No waiting benchmark results yet" in target.read_text()
    (tmp_path / "bad.json").write_text("{not json")
    assert chart.write_chart(tmp_path / "bad.json", target) is False


def test_bench_results_are_included_or_announced(tmp_path: Path) -> None:
    assert "No results yet" in hooks.bench_results_markdown(tmp_path / "none")
    (tmp_path / "w1.md").write_text("# W1\n\n```\n# not a heading\n```\n| ftjobs | 1 |\n")
    included = hooks.bench_results_markdown(tmp_path)
    assert "`bench/results/w1.md`" in included and "| ftjobs | 1 |" in included
    assert "### W1" in included and "\n# not a heading" in included
