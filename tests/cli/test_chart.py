"""ftjobs.cli._chart: the sparkline, the terminal chart (fits the width) and the SVG (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ftjobs.cli._chart import sparkline, svg_chart, text_chart
from ftjobs.emulator._training import step_metrics
from ftjobs.metrics import StepMetrics


def _curve(steps: int, *, validation: bool = True) -> list[StepMetrics]:
    rows = []
    for step in range(1, steps + 1):
        metrics = step_metrics(
            5, step, steps, with_validation=validation, full_validation=step % 10 == 0
        )
        metrics.pop("step")
        rows.append(StepMetrics(step, **metrics))
    return rows


def test_sparkline_scales_between_lowest_and_highest() -> None:
    assert sparkline([3.0, 2.0, 1.0]) == "█▅▁"
    assert sparkline([1.0, None, 1.0]) == "▁ ▁"
    assert sparkline([5.0, 4.0, 3.0, 2.0], width=2) == "█▁"
    assert sparkline([]) == "" and sparkline([None]) == " "


@pytest.mark.parametrize("width", [30, 60, 80, 200])
@pytest.mark.parametrize("steps", [1, 7, 300])
def test_text_chart_fits_the_width(width: int, steps: int) -> None:
    lines = text_chart(_curve(steps), width)
    assert max(len(line) for line in lines) <= width
    legend = " ".join(lines[-3:])
    assert "• train_loss" in legend and "◦ valid_loss" in legend
    assert any("•" in line for line in lines[:-3])


def test_text_chart_puts_the_highest_loss_on_top() -> None:
    rows = [StepMetrics(1, 2.0), StepMetrics(2, 1.0), StepMetrics(3, 0.5)]
    lines = text_chart(rows, 40, height=5)
    assert lines[0].startswith("   2 ┤•")
    assert lines[4].rstrip().endswith("•") and lines[4].lstrip().startswith("0.5")
    assert "◦" not in "".join(lines)  # no validation curve without validation losses


def test_text_chart_without_losses() -> None:
    assert text_chart([StepMetrics(1)], 40) == ["(no loss reported yet)"]


def test_svg_chart_is_svg_with_a_line_per_curve_and_the_full_validation_points() -> None:
    svg = svg_chart(_curve(40), title="a <curve>")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 2 and all(len(p.get("points", "").split()) == 40 for p in lines)
    assert len(root.findall(f"{ns}circle")) == 4  # steps 10, 20, 30, 40
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "a <curve>" in texts and "train_loss" in texts and "full_valid_loss" in texts


def test_svg_chart_without_losses_says_so() -> None:
    root = ET.fromstring(svg_chart([]))
    assert "No loss reported yet." in [
        t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
    ]
