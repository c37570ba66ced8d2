"""ftjobs.cli._output: tables fitted to the terminal, plain when piped (pure: no terminal)."""

from __future__ import annotations

import io

from rich.console import Console

from ftjobs.cli._output import ago, fit_widths, table

JOB_ID = "ftjob-LsWKVS6DXcuU33brnYmWt6FM"
HEADERS = ("id", "status", "fine_tuned_model", "model", "created")
ROW = [
    JOB_ID,
    "succeeded",
    "ft:gpt-4o-mini-2024-07-18:org::abc123",
    "gpt-4o-mini-2024-07-18",
    "2026-12-03 09:00:00",
]


def _console(width: int, *, terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, force_terminal=terminal, color_system=None), out


def test_widths_that_fit_are_kept() -> None:
    assert fit_widths([10, 5, 8], [10, 5, 5], 80) == [10, 5, 8]


def test_the_widest_column_shrinks_first_and_never_below_its_minimum() -> None:
    # 30 + 20 + 10 + 2 gaps of 2 = 64; 10 too many for 54.
    assert fit_widths([30, 20, 10], [30, 6, 6], 54) == [30, 10, 10]
    assert fit_widths([30, 20, 10], [30, 6, 6], 46) == [30, 6, 6]


def test_the_last_columns_are_left_out_when_even_the_minimums_do_not_fit() -> None:
    assert fit_widths([30, 20, 10], [30, 6, 6], 40) == [30, 6, 0]
    assert fit_widths([30, 20, 10], [30, 6, 6], 20) == [20, 0, 0]


def test_a_terminal_table_is_never_wider_than_the_terminal_and_keeps_ids_whole() -> None:
    for width in (40, 60, 80, 100, 200):
        console, out = _console(width, terminal=True)
        table(console, HEADERS, [ROW, ROW])
        lines = out.getvalue().splitlines()
        assert len(lines) == 3 and all(len(line) <= width for line in lines), (width, lines)
        assert all(line.startswith(JOB_ID) for line in lines[1:])
    console, out = _console(80, terminal=True)
    table(console, HEADERS, [ROW])
    header, row = out.getvalue().splitlines()
    assert header.split() == ["ID", "STATUS", "FINE_TUNED_MODEL", "MODEL", "CREATED"]
    assert "…" in row  # cut, not wrapped


def test_a_piped_table_is_plain_text_at_its_natural_width() -> None:
    console, out = _console(80, terminal=False)
    table(console, HEADERS, [ROW, [*ROW[:2], None, *ROW[3:]]])
    lines = out.getvalue().splitlines()
    assert lines[1].split() == " ".join(ROW).split() and lines[2].split()[2] == "-"
    assert all(line == line.rstrip() for line in lines) and len(lines[1]) > 80


def test_the_columns_that_give_way_go_first_and_kept_ones_stay_whole() -> None:
    # id 30, status 16, model 22, created 7: model shrinks to 6, then is left out.
    natural, minimum = [30, 16, 22, 7], [30, 16, 6, 7]
    assert fit_widths(natural, minimum, 80, gives_way=[2]) == [30, 16, 21, 7]
    assert fit_widths(natural, minimum, 70, gives_way=[2]) == [30, 16, 11, 7]
    assert fit_widths(natural, minimum, 60, gives_way=[2]) == [30, 16, 0, 7]
    for width, shown in (
        (100, ["FINE_TUNED_MODEL", "MODEL"]),
        (84, ["FINE_TUNED_MODEL"]),
        (70, []),
    ):
        console, out = _console(width, terminal=True)
        table(console, HEADERS, [ROW], keep=("status", "created"), gives_way=("model",))
        header, row = out.getvalue().splitlines()
        assert header.split() == ["ID", "STATUS", *shown, "CREATED"], width
        assert row.endswith("2026-12-03 09:00:00") and "succeeded" in row


def test_ages_are_short() -> None:
    now = 1_800_000_000
    assert [ago(now - s, now) for s in (5, 125, 7200, 3 * 86_400)] == [
        "5s ago",
        "2m ago",
        "2h ago",
        "3d ago",
    ]
    assert ago(now - 40 * 86_400, now) == "2026-12-06" and ago(None, now) == "-"
