"""Training curves drawn by hand: a sparkline, a terminal chart and an SVG (pure, no plotting
dependency; `ftjobs jobs metrics`, `jobs wait --follow` and the docs' charts use them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ..metrics import StepMetrics

__all__ = ["CURVES", "sparkline", "svg_chart", "text_chart"]

#: The curves drawn, with their marker in a terminal and their colour in an SVG.
CURVES = (
    ("train_loss", "•", "#009688"),
    ("valid_loss", "◦", "#ef6c00"),
    ("full_valid_loss", "◆", "#37474f"),
)
_BARS = "▁▂▃▄▅▆▇█"
_FULL = CURVES[2][1]
_FONT = "font-family='system-ui, -apple-system, Segoe UI, sans-serif'"


def sparkline(values: Sequence[float | None], width: int | None = None) -> str:
    """``values`` as bars ``▁``..``█`` (the last ``width`` of them; gaps stay blank)."""
    if width is not None:
        values = values[-width:] if width > 0 else []
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else _BARS[round((v - low) / span * (len(_BARS) - 1))] for v in values
    )


def _series(rows: Sequence[StepMetrics], metric: str) -> list[tuple[int, float]]:
    points = []
    for row in rows:
        value = row.get(metric)
        if value is not None:
            points.append((row.step, value))
    return points


def _label(value: float) -> str:
    return f"{value:.3g}"


def text_chart(rows: Sequence[StepMetrics], width: int, height: int = 12) -> list[str]:
    """The loss curves of ``rows`` as lines of text at most ``width`` characters wide (one
    marker per curve, `CURVES`), steps across and loss up, with a legend line."""
    curves = [(m, mark, _series(rows, m)) for m, mark, _ in CURVES]
    curves = [(m, mark, points) for m, mark, points in curves if points]
    if not curves:
        return ["(no loss reported yet)"]
    values = [v for _, _, points in curves for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    labels = [_label(high), _label((high + low) / 2), _label(low)]
    gutter = max(map(len, labels)) + 2
    columns = max(8, width - gutter)
    first, last = rows[0].step, rows[-1].step
    grid = [[" "] * columns for _ in range(height)]
    for _, mark, points in curves:
        # Each column shows the mean of the steps it covers.
        buckets: dict[int, list[float]] = {}
        for step, value in points:
            column = round((step - first) / max(last - first, 1) * (columns - 1))
            buckets.setdefault(column, []).append(value)
        for column, bucket in buckets.items():
            mean = sum(bucket) / len(bucket)
            line = round((high - mean) / span * (height - 1))
            cell = grid[line][column]
            # The few full validation points are drawn over the curves; curves that meet, ◉.
            grid[line][column] = mark if cell in (" ", mark) or mark == _FULL else "◉"
    lines = []
    for index, cells in enumerate(grid):
        label = {0: labels[0], (height - 1) // 2: labels[1], height - 1: labels[2]}.get(index, "")
        lines.append(f"{label:>{gutter - 2}} ┤" + "".join(cells).rstrip())
    lines.append(" " * (gutter - 1) + "└" + "─" * columns)
    steps = f"step {first}"
    lines.append(" " * gutter + steps + f"{last:>{max(columns - len(steps), 1)}}")
    legend = " " * gutter
    for metric, mark, _ in curves:
        entry = f"{mark} {metric}"
        if legend.strip() and len(legend) + 3 + len(entry) > width:
            lines.append(legend)
            legend = " " * gutter
        legend += ("   " if legend.strip() else "") + entry
    lines.append(legend)
    return lines


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values spanning ``low``..``high``."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start") -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' {_FONT}"
        f" fill='#546e7a'>{escape(text)}</text>"
    )


def svg_chart(
    rows: Sequence[StepMetrics], *, title: str = "Training curve", width: int = 760
) -> str:
    """An SVG line chart of the loss curves of ``rows`` (train, valid, and the full
    validation passes as points), with axes, grid and legend."""
    height = 380
    left, right, top, bottom = 64, 24, 48, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    curves = [(m, colour, _series(rows, m)) for m, _, colour in CURVES]
    curves = [(m, colour, points) for m, colour, points in curves if points]
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'"
        f" viewBox='0 0 {width} {height}' role='img' aria-label='{escape(title)}'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        _text(left, 28, title, size=15),
    ]
    if not curves:
        parts.append(_text(width / 2, height / 2, "No loss reported yet.", anchor="middle"))
        return "\n".join([*parts, "</svg>"]) + "\n"
    steps = [step for _, _, points in curves for step, _ in points]
    values = [value for _, _, points in curves for _, value in points]
    y_ticks = _ticks(min(0.0, min(values)), max(values))
    x_low, x_high = min(steps), max(steps)
    x_ticks = [t for t in _ticks(x_low, x_high, 6) if t == int(t) and x_low <= t <= x_high]
    y_low, y_high = y_ticks[0], y_ticks[-1]

    def x(step: float) -> float:
        return left + (step - x_low) / ((x_high - x_low) or 1) * plot_w

    def y(value: float) -> float:
        return top + (y_high - value) / ((y_high - y_low) or 1) * plot_h

    for tick in y_ticks:
        parts.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{y(tick):.1f}' y2='{y(tick):.1f}'"
            " stroke='#eceff1'/>"
        )
        parts.append(_text(left - 8, y(tick) + 4, f"{tick:g}", anchor="end"))
    for tick in x_ticks:
        parts.append(_text(x(tick), top + plot_h + 18, f"{int(tick)}", anchor="middle"))
    parts.append(
        f"<path d='M{left},{top} V{top + plot_h} H{left + plot_w}' fill='none' stroke='#90a4ae'/>"
    )
    parts.append(_text(left + plot_w / 2, height - 12, "step", anchor="middle"))
    parts.append(
        f"<text x='16' y='{top + plot_h / 2:.1f}' font-size='12' text-anchor='middle' {_FONT}"
        f" fill='#546e7a' transform='rotate(-90 16 {top + plot_h / 2:.1f})'>loss</text>"
    )
    for index, (metric, colour, points) in enumerate(curves):
        if metric.startswith("full_"):
            parts.extend(
                f"<circle cx='{x(s):.1f}' cy='{y(v):.1f}' r='4' fill='{colour}'/>"
                for s, v in points
            )
        else:
            path = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in points)
            parts.append(
                f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'"
                " stroke-linejoin='round'/>"
            )
        legend_x = left + plot_w - 170
        legend_y = top + 4 + index * 18
        parts.append(f"<rect x='{legend_x}' y='{legend_y}' width='14' height='4' fill='{colour}'/>")
        parts.append(_text(legend_x + 20, legend_y + 6, metric))
    return "\n".join([*parts, "</svg>"]) + "\n"
