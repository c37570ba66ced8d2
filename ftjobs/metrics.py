"""A job's training curve, from its result file or its metrics events, and its best checkpoint.

Pure: bytes and decoded API objects in, typed rows out. `client.jobs.metrics` and
`client.jobs.best_checkpoint` do the requests and call these.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._models import FineTuningJobCheckpoint, FineTuningJobEvent, _Metrics

__all__ = [
    "METRIC_NAMES",
    "RESULTS_COLUMNS",
    "StepMetrics",
    "best_checkpoint",
    "check_metric",
    "decode_results_file",
    "metrics_csv",
    "metrics_from_events",
    "parse_results_file",
]

#: The metrics a curve row and a checkpoint carry; ``*_loss`` is better lower, the rest higher.
METRIC_NAMES: tuple[str, ...] = tuple(a.name for a in attrs.fields(_Metrics)[1:])
# The result file spells the training accuracy "train_accuracy"; events and checkpoints spell it
# as the API does.
_ALIASES = {"train_accuracy": "train_mean_token_accuracy"}
#: The columns of a result file, as the service writes them (``full_valid_*`` only when there
#: is a full validation pass).
RESULTS_COLUMNS = (
    "step",
    "train_loss",
    "train_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)


def _step_required(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    # The shared base gives ``step`` a default (see _Metrics); a row always has a step.
    return [f.evolve(default=attrs.NOTHING) if f.name == "step" else f for f in fields]


@attrs.frozen(field_transformer=_step_required)
class StepMetrics(_Metrics[int]):
    """One row of a training curve: the metrics after ``step`` (None where not measured).

    ``valid_*`` are measured on one batch of the validation file; ``full_valid_*`` on the whole
    file, at the steps where the service runs a full validation pass (each epoch's end).

    Attributes:
        step: The training step (required).
    """

    def get(self, metric: str) -> float | None:
        """The value of ``metric`` (a name of `METRIC_NAMES`, or ``train_accuracy``)."""
        value: float | None = getattr(self, check_metric(metric))
        return value


def check_metric(metric: object) -> str:
    """``metric`` as named in `METRIC_NAMES` (``train_accuracy`` is accepted too).

    Raises:
        ValueError: It is not a metric name (the message names the parameter).
    """
    name = _ALIASES.get(metric, metric) if isinstance(metric, str) else metric
    if name not in METRIC_NAMES:
        raise ValueError(f"metric must be one of {', '.join(METRIC_NAMES)}; got {metric!r}")
    return str(name)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _row(values: Mapping[str, Any]) -> StepMetrics | None:
    step = _number(values.get("step"))
    if step is None:
        return None
    fields = {_ALIASES.get(key, key): _number(value) for key, value in values.items()}
    return StepMetrics(int(step), **{name: fields.get(name) for name in METRIC_NAMES})


def _csv_text(content: bytes) -> str:
    text = content.lstrip(b"\xef\xbb\xbf").strip()
    if not text.startswith(b"step"):
        try:
            text = base64.b64decode(b"".join(text.split()), validate=True).strip()
        except (binascii.Error, ValueError):
            raise ValueError("not a result file: neither CSV nor base64-encoded CSV") from None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not a result file: not UTF-8 text") from None


def decode_results_file(content: bytes) -> str:
    """The CSV text of a result file, whether base64-encoded (as the service writes it) or
    plain (as some gateways serve it).

    Raises:
        ValueError: ``content`` is neither.
    """
    text = _csv_text(content)
    if not text.startswith("step"):
        raise ValueError("not a result file: the CSV does not start with a 'step' column")
    return text + "\n"


def parse_results_file(content: bytes) -> tuple[StepMetrics, ...]:
    """The rows of a job's result file (base64 or plain CSV; ``train_accuracy`` or
    ``train_mean_token_accuracy``), by step.

    Raises:
        ValueError: ``content`` is not a result file.
    """
    reader = csv.DictReader(io.StringIO(decode_results_file(content)))
    rows = (_row(values) for values in reader)
    return tuple(sorted((r for r in rows if r is not None), key=lambda r: r.step))


def metrics_from_events(events: Iterable[FineTuningJobEvent]) -> tuple[StepMetrics, ...]:
    """The rows carried by ``metrics`` events (in any order), by step; the newest event wins
    for a step reported twice."""
    by_step: dict[int, tuple[int, StepMetrics]] = {}
    for event in events:
        if event.type != "metrics" or not event.data:
            continue
        row = _row(event.data)
        if row is not None and event.created_at >= by_step.get(row.step, (-1, row))[0]:
            by_step[row.step] = (event.created_at, row)
    return tuple(row for _, (_, row) in sorted(by_step.items()))


def best_checkpoint(
    checkpoints: Iterable[FineTuningJobCheckpoint], metric: str = "valid_loss"
) -> FineTuningJobCheckpoint | None:
    """The checkpoint with the best ``metric``: the lowest ``*_loss``, the highest accuracy;
    the later step on a tie. ``None`` when there are no checkpoints.

    Raises:
        ValueError: ``metric`` is not a metric name, or no checkpoint reports it (for
            example ``valid_loss`` for a job without a validation file).
    """
    name = check_metric(metric)
    sign = 1.0 if name.endswith("_loss") else -1.0
    seen = False
    best: tuple[float, int] | None = None
    chosen: FineTuningJobCheckpoint | None = None
    for checkpoint in checkpoints:
        seen = True
        value = _number(getattr(checkpoint.metrics, name))
        if value is None:
            continue
        key = (sign * value, -checkpoint.step_number)
        if best is None or key < best:
            best, chosen = key, checkpoint
    if seen and chosen is None:
        raise ValueError(f"metric: no checkpoint reports {name}")
    return chosen


def metrics_csv(rows: Iterable[StepMetrics], *, full_validation: bool | None = None) -> str:
    """``rows`` as the CSV of a result file (the service's columns and spelling; empty cells
    where not measured). The ``full_valid_*`` columns are written when ``full_validation``
    is true, or, when it is ``None``, when some row has them."""
    rows = list(rows)
    if full_validation is None:
        full_validation = any(r.full_valid_loss is not None for r in rows)
    columns = RESULTS_COLUMNS if full_validation else RESULTS_COLUMNS[:5]
    lines = [",".join(columns)]
    for row in rows:
        cells = [str(row.step)]
        for column in columns[1:]:
            value = row.get(column)
            cells.append("" if value is None else f"{value:.6g}")
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"
