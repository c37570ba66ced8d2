"""MkDocs hooks: draw the generated pictures before the pages are collected."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_RESULTS = _HERE.parents[1] / "bench" / "results"
_MARKER = "<!-- bench-results -->"


def on_pre_build(config: Any) -> None:
    """Draw ``docs/assets/generated/waiting.svg`` from the waiting benchmark's results."""
    spec = importlib.util.spec_from_file_location("chart_waiting", _HERE / "chart_waiting.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_chart()


def bench_results_markdown(results: Path = _RESULTS) -> str:
    """Every ``bench/results/*.md`` file, in name order, or a note that there is none yet."""
    files = sorted(results.glob("*.md")) if results.is_dir() else []
    if not files:
        return (
            '!!! note "No results yet"\n'
            "    No benchmark results are committed in `bench/results/` yet. Run the benchmarks "
            "(below) to produce them.\n"
        )
    parts = []
    for path in files:
        parts.append(f"### `{path.name}`\n\n" + path.read_text(encoding="utf-8").strip() + "\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace ``<!-- bench-results -->`` with the committed benchmark result files."""
    if _MARKER not in markdown:
        return markdown
    return markdown.replace(_MARKER, bench_results_markdown())
