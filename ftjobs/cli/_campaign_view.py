"""What ``ftjobs campaign run`` shows while a campaign runs.

Each update (a member created, found, retried or ended; a wait for a slot) is one line. On a
terminal wide and tall enough, a footer under those lines is redrawn in place: the counts
(active / pending here / done / failed), the next slot, and the active members. Elsewhere
(piped, a narrow terminal) there is no footer: the counts are a line of their own after each
member that ends. What the footer says is a pure function of the run's progress, the active
members and the time (`footer_lines`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from rich.console import Console, Group
from rich.text import Text

from ..campaigns import (
    Campaign,
    CampaignProgress,
    CampaignUpdate,
    MemberCreated,
    MemberEnded,
    MemberFound,
    MemberRetried,
    SlotWait,
)
from ._output import ago, cell
from ._progress import MIN_LIVE_WIDTH, LiveView, print_line

__all__ = [
    "ActiveMember",
    "CampaignView",
    "counts_line",
    "footer_lines",
    "params_text",
    "slot_line",
]

# Lines the footer keeps besides its member rows (counts, next slot, "and N more").
_FOOTER_LINES = 3


def params_text(params: Mapping[str, Any]) -> str:
    """A member's parameters as ``n_epochs=2 learning_rate_multiplier=0.5``."""
    return " ".join(f"{key}={cell(value)}" for key, value in params.items())


def counts_line(progress: CampaignProgress) -> str:
    """``active 3 · pending here 30 · done 2 · failed 1``."""
    return (
        f"active {progress.active} · pending here {progress.pending} · "
        f"done {progress.done} · failed {progress.failed}"
    )


def slot_line(progress: CampaignProgress, now: float) -> str | None:
    """``next slot for gpt-4o-mini in 6 h 12 min`` while the run waits out a daily quota."""
    if progress.next_slot is None:
        return None
    model, until = progress.next_slot
    return str(SlotWait(model, until, "daily_limit", max(until - now, 0.0)))


@attrs.frozen
class ActiveMember:
    """A member whose job has not ended, as the footer lists it."""

    index: int
    params: str
    job_id: str
    created_at: int

    def line(self, now: float) -> str:
        """``#3  ftjob-abc  created 4m ago  n_epochs=2``."""
        return f"#{self.index}  {self.job_id}  created {ago(self.created_at, now)}  {self.params}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def footer_lines(
    progress: CampaignProgress,
    active: Sequence[ActiveMember],
    now: float,
    width: int,
    height: int,
) -> list[str]:
    """The footer: the counts, the next slot (if the run waits for one) and the active
    members, each line at most ``width`` long, at most ``height`` lines."""
    lines = [counts_line(progress)]
    slot = slot_line(progress, now)
    if slot is not None:
        lines.append(slot)
    room = max(height - len(lines), 0)
    shown = list(active) if len(active) <= room else list(active)[: max(room - 1, 0)]
    lines += [member.line(now) for member in shown]
    if len(shown) < len(active) and room > 0:
        lines.append(f"… and {len(active) - len(shown)} more active")
    return [_cut(line, width) for line in lines[: max(height, 1)]]


def update_line(update: CampaignUpdate, at: float) -> str:
    """The update as one line, after the local time it came (``18:04:05``)."""
    return f"{time.strftime('%H:%M:%S', time.localtime(at))}  {update}"


class CampaignView(LiveView):
    """The lines and, on a terminal that fits, the live footer of one run.

    Args:
        console: Where to draw.
        campaign: The campaign (for its members' parameters).
        quiet: Draw nothing (``--json``).
    """

    def __init__(self, console: Console, campaign: Campaign, *, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet
        self._params = {spec.index: params_text(spec.params) for spec in campaign.members}
        self._active: dict[int, ActiveMember] = {}
        self._progress: Callable[[], CampaignProgress] | None = None
        self.start_live(console, not quiet and _fits(console))

    @property
    def active(self) -> int:
        """Members whose job this view saw created (or found) and not yet ended."""
        return len(self._active)

    def follow(self, progress: Callable[[], CampaignProgress]) -> None:
        """Read the counts from ``progress`` (the run's ``progress``) from now on."""
        self._progress = progress

    def update(self, update: CampaignUpdate) -> None:
        """Take one update of the run: note it, print its line, redraw."""
        if isinstance(update, MemberCreated | MemberFound) and not update.job.is_terminal:
            job = update.job
            params = self._params.get(update.index, "")
            self._active[update.index] = ActiveMember(update.index, params, job.id, job.created_at)
        elif isinstance(update, MemberRetried):
            self._active.pop(update.index, None)
        elif isinstance(update, MemberEnded):
            self._active.pop(update.member.index, None)
        if self.quiet:
            return
        print_line(self.console, update_line(update, time.time()))
        if self.live is None and isinstance(update, MemberEnded) and self._progress is not None:
            print_line(self.console, counts_line(self._progress()))
        self.redraw()

    def redraw(self) -> None:
        """Draw the footer again (the next slot counts down between updates)."""
        if self.live is None or self._progress is None:
            return
        lines = footer_lines(
            self._progress(),
            sorted(self._active.values(), key=lambda member: member.index),
            time.time(),
            self.console.width,
            max(self.console.height // 2, _FOOTER_LINES),
        )
        texts = [Text(line, no_wrap=True, overflow="ellipsis") for line in lines]
        self.live.update(Group(*texts), refresh=True)


def _fits(console: Console) -> bool:
    return (
        console.is_terminal
        and not console.is_dumb_terminal
        and console.width >= MIN_LIVE_WIDTH
        and console.height >= 2 * _FOOTER_LINES + 2
    )
