"""Draw the waiting benchmark chart (SVG, no dependencies) from ``bench/results/waiting.json``.

Usage: ``python docs/_scripts/chart_waiting.py [RESULTS_JSON] [OUTPUT_SVG]``. The docs build
runs it through ``docs/_scripts/hooks.py``, so the chart always matches the committed results;
the benchmark session may run it too.

It reads the shape ``bench/waiting.py`` writes: the ``single`` scenario holds one object per
strategy (``ftjobs``, ``naive``) with ``requests_per_job`` and ``terminal_lag_median_s``
(seconds between the job ending and the waiter noticing). When the file is absent or holds
no such rows, a placeholder chart says so.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INPUT = ROOT / "bench" / "results" / "waiting.json"
DEFAULT_OUTPUT = ROOT / "docs" / "assets" / "generated" / "waiting.svg"

# How the benchmark's keys read on the chart.
_DISPLAY = {"naive": "naive 1 s loop"}

Row = tuple[str, float | None, float | None]

_WIDTH = 760
_BAR_HEIGHT = 26
_GAP = 12
_LABEL_WIDTH = 150
_PANEL_WIDTH = (_WIDTH - _LABEL_WIDTH - 60) // 2
_TOP = 72
_FONT = "font-family='system-ui, -apple-system, Segoe UI, sans-serif'"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def load_rows(path: Path) -> list[Row]:
    """The ``(client, requests per job, lag seconds)`` rows found in ``path`` (maybe none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    single = data.get("single") if isinstance(data, dict) else None
    if not isinstance(single, dict):
        return []
    rows = [
        (
            _DISPLAY.get(str(name), str(name)),
            _number(stats.get("requests_per_job")),
            _number(stats.get("terminal_lag_median_s")),
        )
        for name, stats in single.items()
        if isinstance(stats, dict)
    ]
    return [row for row in rows if row[1] is not None or row[2] is not None]


def _text(
    x: float, y: float, text: str, *, size: int = 13, anchor: str = "start", **kw: str
) -> str:
    extra = "".join(f" {key.replace('_', '-')}='{value}'" for key, value in kw.items())
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' {_FONT}"
        f" fill='#546e7a'{extra}>{escape(text)}</text>"
    )


def _panel(x0: float, title: str, values: Sequence[float | None], unit: str) -> list[str]:
    # The note goes on a line of its own: beside the right panel's title it ran past the edge.
    parts = [
        _text(x0, _TOP - 30, title, size=14, font_weight="600"),
        _text(x0, _TOP - 12, "lower is better", size=12),
    ]
    known = [v for v in values if v is not None]
    top = max(known, default=0.0) or 1.0
    for i, value in enumerate(values):
        y = _TOP + i * (_BAR_HEIGHT + _GAP)
        if value is None:
            parts.append(_text(x0, y + _BAR_HEIGHT * 0.7, "n/a", size=12))
            continue
        width = max(value / top * (_PANEL_WIDTH - 70), 1.0)
        colour = "#009688" if i == 0 else "#9e9e9e"
        parts.append(
            f"<rect x='{x0:.1f}' y='{y:.1f}' width='{width:.1f}' height='{_BAR_HEIGHT}'"
            f" rx='3' fill='{colour}'/>"
        )
        shown = f"{value:.3g}{unit}"
        parts.append(_text(x0 + width + 6, y + _BAR_HEIGHT * 0.7, shown, size=12))
    return parts


def render(rows: Sequence[Row], source: str = "bench/results/waiting.json") -> str:
    """The SVG chart of ``rows`` (the first row, ftjobs, is drawn in colour)."""
    if not rows:
        height = 120
        body = [
            f"<rect x='1' y='1' width='{_WIDTH - 2}' height='{height - 2}' rx='6' fill='none'"
            " stroke='#9e9e9e' stroke-dasharray='6 4'/>",
            _text(_WIDTH / 2, 52, "No waiting benchmark results yet.", size=15, anchor="middle"),
            _text(
                _WIDTH / 2,
                78,
                f"The chart is drawn from {source} when the waiting benchmark has run.",
                size=12,
                anchor="middle",
            ),
        ]
    else:
        ordered = sorted(rows, key=lambda row: "ftjobs" not in row[0].lower())
        height = _TOP + len(ordered) * (_BAR_HEIGHT + _GAP) + 28
        body = []
        for i, (name, _, _) in enumerate(ordered):
            y = _TOP + i * (_BAR_HEIGHT + _GAP) + _BAR_HEIGHT * 0.7
            body.append(_text(_LABEL_WIDTH - 10, y, name, anchor="end"))
        left = _LABEL_WIDTH
        right = _LABEL_WIDTH + _PANEL_WIDTH + 40
        body += _panel(left, "Requests per job", [r[1] for r in ordered], "")
        body += _panel(right, "Lag after the job ends", [r[2] for r in ordered], " s")
        body.append(_text(_WIDTH - 4, height - 8, f"source: {source}", size=11, anchor="end"))
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {_WIDTH} {height}'"
        f" width='{_WIDTH}' height='{height}' role='img'"
        " aria-label='Waiting benchmark: requests per job and lag, ftjobs against a naive loop'>"
        + "".join(body)
        + "</svg>\n"
    )


def write_chart(source: Path = DEFAULT_INPUT, target: Path = DEFAULT_OUTPUT) -> bool:
    """Render ``source`` into ``target``; return whether real results were found."""
    rows = load_rows(source)
    try:
        shown = source.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        shown = source.name
    svg = render(rows, shown)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != svg:
        target.write_text(svg, encoding="utf-8")
    return bool(rows)


def main(argv: Sequence[str]) -> int:
    """``chart_waiting.py [RESULTS_JSON] [OUTPUT_SVG]``."""
    source = Path(argv[0]) if argv else DEFAULT_INPUT
    target = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    found = write_chart(source, target)
    print(f"{target}: {'chart of ' + str(source) if found else 'placeholder (no results)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
