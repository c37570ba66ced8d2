"""A campaign's results side by side: one row per member, the best one, CSV and a table.

The losses come from each succeeded job's result file (``client.jobs.metrics``): the final
train loss and valid loss are the last values the curve reports. The best checkpoint is
``client.jobs.best_checkpoint(job, "valid_loss")`` (``None`` without a validation file).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import attrs

from .._models import FineTuningJob
from ..metrics import StepMetrics
from ._source import CampaignJobs

__all__ = ["BEST_METRICS", "CampaignReport", "CampaignRow", "build_report", "final_losses"]

BEST_METRICS = ("valid_loss", "train_loss", "best_valid_loss", "wall_time")
"""The metrics `CampaignReport.best` ranks by; lower is better for every one."""
_CONCURRENCY = 4  # result files read at once while building a report


def final_losses(curve: Sequence[StepMetrics]) -> tuple[float | None, float | None]:
    """The last train loss and the last valid loss a curve reports (``None`` where none)."""
    train = next((row.train_loss for row in reversed(curve) if row.train_loss is not None), None)
    valid = next((row.valid_loss for row in reversed(curve) if row.valid_loss is not None), None)
    return train, valid


@attrs.frozen
class CampaignRow:
    """One member's results.

    Attributes:
        index: The member's index.
        params: Its parameters.
        job_id: Its last attempt's job (``None``: never submitted).
        status: That job's status, or ``"pending"`` when never submitted.
        fine_tuned_model: The model it produced.
        trained_tokens: Tokens trained.
        wall_time: Seconds from the job's creation to its end (``None`` until it ends).
        train_loss: Final train loss (its result file's last).
        valid_loss: Final valid loss (its result file's last).
        best_checkpoint_step: Step of its checkpoint with the lowest valid loss.
        best_checkpoint_valid_loss: That checkpoint's valid loss.
        attempts: Jobs created for the member (1, or more after re-creations).
    """

    index: int
    params: Mapping[str, Any]
    job_id: str | None
    status: str
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    wall_time: float | None = None
    train_loss: float | None = None
    valid_loss: float | None = None
    best_checkpoint_step: int | None = None
    best_checkpoint_valid_loss: float | None = None
    attempts: int = 0

    def metric(self, name: str) -> float | None:
        """The value of one of `BEST_METRICS` (``best_valid_loss`` is the best checkpoint's)."""
        if name == "best_valid_loss":
            return self.best_checkpoint_valid_loss
        value: float | None = getattr(self, name)
        return value


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


@attrs.frozen
class CampaignReport:
    """A campaign's results (``await run``, ``client.jobs.campaign_report(name)``).

    Attributes:
        name: The campaign's name.
        rows: One [`CampaignRow`][ftjobs.campaigns.CampaignRow] per member, by index.
    """

    name: str
    rows: tuple[CampaignRow, ...]

    @property
    def complete(self) -> bool:
        """Whether every member's job ended."""
        return all(row.wall_time is not None for row in self.rows)

    @property
    def succeeded(self) -> tuple[CampaignRow, ...]:
        """The rows whose job succeeded."""
        return tuple(row for row in self.rows if row.status == "succeeded")

    def best(self, metric: str = "valid_loss") -> CampaignRow | None:
        """The succeeded member with the lowest ``metric`` (the lower index on a tie), or
        ``None`` when no succeeded member reports it.

        Args:
            metric: One of `BEST_METRICS`: ``valid_loss`` and ``train_loss`` (final, from the
                result file), ``best_valid_loss`` (the best checkpoint's), ``wall_time``.
                Lower is better for each.

        Raises:
            ValueError: ``metric`` is not one of them.
        """
        if metric not in BEST_METRICS:
            raise ValueError(f"metric must be one of {', '.join(BEST_METRICS)}; got {metric!r}")
        ranked = [
            (value, row.index, row)
            for row in self.succeeded
            if (value := row.metric(metric)) is not None
        ]
        return min(ranked, key=lambda item: (item[0], item[1]))[2] if ranked else None

    def _param_keys(self) -> list[str]:
        return list(dict.fromkeys(key for row in self.rows for key in row.params))

    def to_csv(self, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
        """Write the rows as CSV: the index, one column per parameter, then the results."""
        keys = self._param_keys()
        fields = [f.name for f in attrs.fields(CampaignRow) if f.name not in ("index", "params")]
        header = ["index", *keys, *fields]

        def write(out: IO[str]) -> None:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            for row in self.rows:
                params = [_cell(row.params.get(key)) for key in keys]
                writer.writerow([row.index, *params, *(_cell(getattr(row, f)) for f in fields)])

        if isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, "w", encoding="utf-8", newline="") as file:
                write(file)
        else:
            write(path_or_file)

    def table(self, width: int = 80) -> str:
        """The rows as a text table no line of which is wider than ``width`` (columns are
        dropped, then the parameters shortened, as it takes)."""
        if width < 20:
            raise ValueError(f"width must be at least 20, got {width}")
        columns = ["#", "params", "status", "valid_loss", "train_loss", "best", "job"]
        cells = [
            [
                str(row.index),
                " ".join(f"{k}={_show(v)}" for k, v in row.params.items()),
                row.status,
                _show(row.valid_loss),
                _show(row.train_loss),
                _show(row.best_checkpoint_step),
                row.job_id or "-",
            ]
            for row in self.rows
        ]
        table = [columns, *cells]
        keep = list(range(len(columns)))

        def widths() -> dict[int, int]:
            return {i: max(len(line[i]) for line in table) for i in keep}

        def total(w: Mapping[int, int]) -> int:
            return sum(w.values()) + 2 * (len(w) - 1)

        for dropped in (6, 4, 5):  # job, then train_loss, then the best step
            if total(widths()) <= width:
                break
            keep.remove(dropped)
        sizes = widths()
        over = total(sizes) - width
        if over > 0:
            sizes[1] = max(sizes[1] - over, 6)
        lines = ["  ".join(_fit(line[i], sizes[i]).ljust(sizes[i]) for i in keep) for line in table]
        return "\n".join(_fit(line.rstrip(), width) for line in lines)

    def __str__(self) -> str:
        return self.table()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    return value


async def _row(
    jobs: CampaignJobs,
    index: int,
    params: Mapping[str, Any],
    job: FineTuningJob | None,
    attempts: int,
    limit: asyncio.Semaphore,
) -> CampaignRow:
    if job is None:
        return CampaignRow(index, params, None, "pending")
    wall = job.finished_at - job.created_at if job.finished_at and job.is_terminal else None
    row = CampaignRow(
        index,
        params,
        job.id,
        str(job.status),
        fine_tuned_model=job.fine_tuned_model,
        trained_tokens=job.trained_tokens,
        wall_time=float(wall) if wall is not None else None,
        attempts=attempts,
    )
    if job.status != "succeeded":
        return row
    async with limit:
        train, valid = final_losses(await jobs.metrics(job))
        try:
            best = await jobs.best_checkpoint(job, "valid_loss")
        except ValueError:
            # No checkpoint reports a valid loss (no validation file), or the provider has
            # no best_checkpoint (Together AI: an UnsupportedOperationError, a ValueError).
            best = None
    return attrs.evolve(
        row,
        train_loss=train,
        valid_loss=valid,
        best_checkpoint_step=best.step_number if best else None,
        best_checkpoint_valid_loss=best.metrics.valid_loss if best else None,
    )


async def build_report(
    jobs: CampaignJobs,
    name: str,
    members: Iterable[tuple[int, Mapping[str, Any], FineTuningJob | None, int]],
) -> CampaignReport:
    """The report of campaign ``name`` from its members: (index, params, last job or
    ``None``, attempts), reading each succeeded job's result file and checkpoints."""
    limit = asyncio.Semaphore(_CONCURRENCY)
    rows = await asyncio.gather(*(_row(jobs, *member, limit) for member in members))
    return CampaignReport(name, tuple(sorted(rows, key=lambda row: row.index)))
