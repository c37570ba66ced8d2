"""The "Reading results" chart script: an emulator run drawn by the --plot code."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "_scripts" / "chart_metrics.py"


def test_draws_the_curve_of_an_emulator_run(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("chart_metrics", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp_path / "metrics.svg"
    assert module.write_chart(target) == 90  # 60 examples / batch 2 * 3 epochs
    first = target.read_text()
    root = ET.fromstring(first)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 2  # train and valid loss
    assert len(root.findall(f"{ns}circle")) == 3  # a full validation pass per epoch
    module.write_chart(target)
    assert target.read_text() == first  # the same run draws the same chart
