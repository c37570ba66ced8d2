"""MkDocs hooks: draw the generated pictures before the pages are collected."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


def on_pre_build(config: Any) -> None:
    """Draw ``docs/assets/generated/waiting.svg`` from the waiting benchmark's results."""
    spec = importlib.util.spec_from_file_location("chart_waiting", _HERE / "chart_waiting.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_chart()
