"""How the CLI shows things: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from ..converter import unstructure


def to_json(value: Any) -> str:
    """Models (or lists of them) as indented JSON, exactly as the API would send them."""
    return json.dumps(unstructure(value), indent=2, sort_keys=False, default=str)


def when(timestamp: int | None) -> str:
    """A unix timestamp as a short UTC time, or ``-``."""
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def cell(value: Any) -> str:
    """One table cell."""
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], out: IO[str] | None = None
) -> None:
    """Print rows under headers, columns aligned to their widest cell."""
    stream = out or sys.stdout
    text = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip(), file=stream)
    for row in text:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=stream)


def fields(pairs: Sequence[tuple[str, Any]], out: IO[str] | None = None) -> None:
    """Print ``name: value`` lines, names aligned."""
    stream = out or sys.stdout
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        print(f"{name.ljust(width)}  {cell(value)}", file=stream)
