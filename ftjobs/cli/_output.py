"""How the CLI shows things: rich tables that fit the terminal, JSON for scripts.

On a terminal no line is wider than the terminal: a table first cuts (then leaves out) the
columns that give way (model and file names), then shrinks its widest columns (cut with an
ellipsis) and, when even that is not enough, leaves out its last columns; ids, statuses and
dates are never cut. Piped, a table is
plain text at its natural width, so ``grep`` and ``awk`` see every id whole.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from .._converter import unstructure

__all__ = [
    "GAP",
    "ago",
    "cell",
    "fields",
    "fit_widths",
    "print_json",
    "say",
    "stderr",
    "stdout",
    "table",
    "when",
]

#: Spaces between table columns.
GAP = 2
#: A shrunk column keeps at least this many characters (or its header's width, if wider).
_MIN_COLUMN = 6


def stdout() -> Console:
    """The console of standard output (no highlighting: ids stay plain)."""
    return Console(highlight=False)


def stderr() -> Console:
    """The console of standard error (notes, hints, errors)."""
    return Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    """Models (or lists of them) as indented JSON, exactly as the API would send them."""
    text = json.dumps(unstructure(value), indent=2, sort_keys=False, default=str)
    sys.stdout.write(text + "\n")


def when(timestamp: int | None) -> str:
    """A unix timestamp as a short UTC time, or ``-``."""
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def ago(timestamp: int | None, now: float | None = None) -> str:
    """A unix timestamp as a short age for a table (``45s ago``, ``12m ago``, ``5h ago``,
    ``3d ago``; the UTC date past 30 days), or ``-``: short enough that a listing keeps its
    dates whole at 80 columns (``jobs get`` shows the full time)."""
    if not timestamp:
        return "-"
    seconds = int((time.time() if now is None else now) - timestamp)
    if seconds < 0:
        return when(timestamp)
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            if unit == "d" and seconds >= 30 * 86_400:
                return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def cell(value: Any) -> str:
    """One table cell."""
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def say(console: Console, text: str) -> None:
    """A message: wrapped to the width on a terminal, one plain line when piped."""
    if console.is_terminal:
        console.print(text, markup=False)
    else:
        console.file.write(text + "\n")


def fit_widths(
    natural: Sequence[int],
    minimum: Sequence[int],
    width: int,
    *,
    gives_way: Sequence[int] = (),
) -> list[int]:
    """Column widths whose sum (with the gaps) fits ``width``.

    The columns in ``gives_way`` (say, model names) go first: shrunk to their minimum, then
    left out, in that order. Then the widest column is shrunk, never below its ``minimum``;
    when all are at their minimum and the table is still too wide, the last columns get
    width 0 (left out).
    """
    widths = list(natural)
    shown = [True] * len(widths)

    def total() -> int:
        kept = [w for w, s in zip(widths, shown, strict=True) if s]
        return sum(kept) + GAP * max(len(kept) - 1, 0)

    def shrink_giving_way() -> None:
        for i in gives_way:
            if shown[i] and total() > width:
                widths[i] = max(minimum[i], widths[i] - (total() - width))

    shrink_giving_way()
    for i in gives_way:
        if total() <= width or sum(shown) == 1:
            break
        # Leave it out, and let the others that give way have their width back.
        shown[i] = False
        widths = [
            n if j in gives_way else w for j, (n, w) in enumerate(zip(natural, widths, strict=True))
        ]
        shrink_giving_way()
    while total() > width:
        visible = [i for i, s in enumerate(shown) if s]
        shrinkable = [i for i in visible if widths[i] > minimum[i]]
        if shrinkable:
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] = max(minimum[widest], widths[widest] - (total() - width))
        elif len(visible) > 1:
            shown[visible[-1]] = False
        else:
            widths[visible[0]] = max(width, 1)
    return [w if s else 0 for w, s in zip(widths, shown, strict=True)]


def table(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    whole: int = 1,
    keep: Collection[str] = (),
    gives_way: Sequence[str] = (),
) -> None:
    """Rows under upper-cased headers; the first ``whole`` columns (ids) and the columns named
    in ``keep`` (a status, a date) are never cut; those in ``gives_way`` are cut, then left
    out, before any other."""
    text = [[cell(v) for v in row] for row in rows]
    natural = [max([len(h), *(len(row[i]) for row in text)]) for i, h in enumerate(headers)]
    if not console.is_terminal:
        for line in [[h.upper() for h in headers], *text]:
            padded = (v.ljust(w) for v, w in zip(line, natural, strict=True))
            console.file.write((" " * GAP).join(padded).rstrip() + "\n")
        return
    minimum = [
        natural[i] if i < whole or h in keep else min(natural[i], max(len(h), _MIN_COLUMN))
        for i, h in enumerate(headers)
    ]
    order = [headers.index(name) for name in gives_way if name in headers]
    if keep or gives_way:
        # Then every other column that may be cut, from the right.
        order += [
            i
            for i in reversed(range(len(headers)))
            if i >= whole and headers[i] not in keep and i not in order
        ]
    widths = fit_widths(natural, minimum, console.width, gives_way=order)
    grid = Table(box=None, pad_edge=False, padding=(0, GAP // 2), header_style="bold")
    kept = [i for i, w in enumerate(widths) if w > 0]
    for i in kept:
        grid.add_column(headers[i].upper(), width=widths[i], no_wrap=True, overflow="ellipsis")
    for row in text:
        grid.add_row(*(row[i] for i in kept))
    console.print(grid)


def fields(console: Console, pairs: Sequence[tuple[str, Any]]) -> None:
    """``name  value`` lines, names aligned; on a terminal a long value wraps under itself."""
    if not console.is_terminal:
        width = max(len(name) for name, _ in pairs)
        for name, value in pairs:
            console.file.write(f"{name.ljust(width + GAP)}{cell(value)}\n")
        return
    grid = Table.grid(padding=(0, GAP))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(name, cell(value))
    console.print(grid)
