"""Live progress of jobs: folded from their updates (pure), drawn as a rich table.

``demo`` and ``jobs wait`` share it. On a terminal wide and tall enough the rows are redrawn in
place by ``rich.live.Live`` (which knows the terminal's size, so no row wraps and no redraw
lands on the wrong line); otherwise the caller falls back to one line per change, cut to the
terminal's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import attrs
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from .. import FineTuningJob
from .._describe import format_eta
from ..waiting import EventReceived, JobUpdate
from ._output import GAP, fit_widths

__all__ = ["MIN_LIVE_WIDTH", "JobProgress", "fits_live", "live_view", "print_line"]

#: Narrower than this, a live table would be mostly ellipses: print one line per change.
MIN_LIVE_WIDTH = 60
_BAR = 12


@attrs.frozen
class JobProgress:
    """What a person wants to see of a running job."""

    job_id: str
    status: str = "-"
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    valid_loss: float | None = None
    estimated_finish: int | None = None
    last_message: str | None = None
    model: str | None = None
    trained_tokens: int | None = None
    error: str | None = None
    """Why the job failed (``code: message``), once it has."""

    def apply(self, update: JobUpdate) -> JobProgress:
        """The progress after one update."""
        changes: dict[str, Any] = _from_job(update.job)
        if isinstance(update, EventReceived):
            event = update.event
            data = event.data or {}
            if event.type == "metrics":
                changes.update(
                    step=_int(data.get("step"), self.step),
                    total_steps=_int(data.get("total_steps"), self.total_steps),
                    train_loss=_float(data.get("train_loss"), self.train_loss),
                    valid_loss=_float(data.get("valid_loss"), self.valid_loss),
                )
            else:
                changes["last_message"] = event.message
        return attrs.evolve(self, **changes)

    @property
    def terminal(self) -> bool:
        """The job succeeded, failed or was cancelled."""
        return self.status in ("succeeded", "failed", "cancelled")

    def eta(self, wall_now: float) -> str | None:
        """``3m05s`` while the server's estimate is ahead; ``None`` otherwise (never ``0s``)."""
        if self.terminal:
            return None
        eta = format_eta(self.estimated_finish, wall_now)
        return eta.removeprefix("ETA ") if eta else None


def _from_job(job: FineTuningJob) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "status": str(job.status),
        "estimated_finish": job.estimated_finish,
        "model": job.fine_tuned_model,
        "trained_tokens": job.trained_tokens,
    }
    if job.error is not None and (job.error.code or job.error.message):
        code = f"{job.error.code}: " if job.error.code else ""
        changes["error"] = " ".join((code + (job.error.message or "")).split())
    return changes


def _int(value: object, default: int | None) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return default


def _float(value: object, default: float | None) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


_HEADERS = ("status", "progress", "step", "loss", "eta", "note")


def fits_live(console: Console, rows: int) -> bool:
    """A live table of ``rows`` jobs (and a line of failure per job) fits this terminal."""
    return (
        console.is_terminal
        and not console.is_dumb_terminal
        and console.width >= MIN_LIVE_WIDTH
        and console.height >= 2 * rows + 2
    )


class LiveView:
    """A view that redraws in place on a terminal (``live``) and prints lines elsewhere
    (``live`` is None): the drawing starts and ends with the ``with`` block."""

    live: Live | None = None

    def start_live(self, console: Console, drawing: bool) -> None:
        """Draw in place from the ``with`` block on, when ``drawing``."""
        if drawing:
            self.live = Live(console=console, auto_refresh=False, transient=True)

    def __enter__(self) -> Self:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live is not None:
            self.live.stop()


def live_view(
    label: str, rows: Sequence[tuple[str, JobProgress]], width: int, wall_now: float
) -> RenderableType:
    """The table of ``rows`` (label, progress) at most ``width`` wide, failures under it;
    ``label`` heads the first column."""
    headers = (label, *_HEADERS)
    cells = [
        [
            label,
            p.status,
            "",
            f"{p.step}/{p.total_steps or '?'}" if p.step is not None else "",
            f"{p.train_loss:.3g}" if p.train_loss is not None else "",
            p.eta(wall_now) or "",
            p.error or ("" if p.terminal else p.last_message or ""),
        ]
        for label, p in rows
    ]
    natural = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    natural[2] = _BAR
    natural[6] = min(natural[6], width)
    minimum = [natural[0], natural[1], _BAR // 2, natural[3], natural[4], natural[5], 8]
    widths = fit_widths(natural, minimum, width)
    grid = Table(box=None, pad_edge=False, padding=(0, GAP // 2), header_style="bold")
    kept = [i for i, w in enumerate(widths) if w > 0]
    for i in kept:
        grid.add_column(headers[i].upper(), width=widths[i], no_wrap=True, overflow="ellipsis")
    for row, (_, p) in zip(cells, rows, strict=True):
        grid.add_row(*(_bar(p, widths[2]) if i == 2 else row[i] for i in kept))
    failures = [
        Text(f"{label}: {p.error}", no_wrap=True, overflow="ellipsis")
        for label, p in rows
        if p.error
    ]
    return Group(grid, *failures) if failures else grid


def _bar(progress: JobProgress, width: int) -> RenderableType:
    if progress.status == "succeeded":
        return ProgressBar(total=1, completed=1, width=width)
    if progress.step is None or not progress.total_steps:
        return ""
    return ProgressBar(total=progress.total_steps, completed=progress.step, width=width)


def print_line(console: Console, text: str) -> None:
    """One line; on a terminal cut (with an ellipsis) to its width rather than wrapped."""
    if console.is_terminal:
        console.print(text, no_wrap=True, overflow="ellipsis", crop=True, markup=False)
    else:
        console.file.write(text + "\n")
        console.file.flush()
