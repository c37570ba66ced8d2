"""Synthetic training curves and the results file (pure, deterministic per seed and step).

The results file is what the service writes: base64-encoded CSV, one row per step, with the
columns of ``RESULTS_COLUMNS`` (validation cells empty without a validation file) and, when
there is a full validation pass (a validation file, at each epoch's end), the columns of
``FULL_VALID_COLUMNS``.
"""

from __future__ import annotations

import base64
import math
import random
from collections.abc import Iterable

__all__ = ["FULL_VALID_COLUMNS", "RESULTS_COLUMNS", "results_file", "step_metrics"]

RESULTS_COLUMNS = (
    "step",
    "train_loss",
    "train_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
)
FULL_VALID_COLUMNS = ("full_valid_loss", "full_valid_mean_token_accuracy")
# The events and checkpoints name the training accuracy as the API does; the file, as the file.
_FILE_NAMES = {"train_accuracy": "train_mean_token_accuracy"}


def step_metrics(
    seed: int,
    step: int,
    total_steps: int,
    *,
    with_validation: bool,
    full_validation: bool = False,
) -> dict[str, float]:
    """Metrics after ``step`` of ``total_steps``: a noisy decaying loss, same for same inputs.

    ``full_validation`` (a step that ends an epoch, with a validation file) adds the metrics
    of a pass over the whole validation file, ``full_valid_*``: less noisy than ``valid_*``,
    which is measured on one batch.
    """
    rng = random.Random(f"{seed}:{step}")
    progress = step / max(total_steps, 1)
    curve = 0.15 + 1.7 * math.exp(-4.0 * progress)
    train_loss = max(0.01, curve + rng.uniform(-0.06, 0.06))
    accuracy = min(0.999, max(0.0, 1.0 - train_loss / 2.4 + rng.uniform(-0.02, 0.02)))
    metrics: dict[str, float] = {
        "step": float(step),
        "train_loss": round(train_loss, 4),
        "train_mean_token_accuracy": round(accuracy, 4),
    }
    if with_validation:
        valid_loss = train_loss + 0.08 + rng.uniform(0.0, 0.1)
        metrics["valid_loss"] = round(valid_loss, 4)
        metrics["valid_mean_token_accuracy"] = round(max(0.0, accuracy - 0.03), 4)
        if full_validation:
            full_loss = max(0.01, curve + 0.12 + rng.uniform(-0.01, 0.01))
            metrics["full_valid_loss"] = round(full_loss, 4)
            metrics["full_valid_mean_token_accuracy"] = round(
                min(0.999, max(0.0, 1.0 - full_loss / 2.4)), 4
            )
    return metrics


def results_file(rows: Iterable[dict[str, float]], *, full_validation: bool) -> bytes:
    """Render per-step metrics (as ``step_metrics`` gives them) as the results file."""
    columns = RESULTS_COLUMNS + (FULL_VALID_COLUMNS if full_validation else ())
    lines = [",".join(columns)]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(_FILE_NAMES.get(column, column))
            if value is None:
                cells.append("")
            elif column == "step":
                cells.append(str(int(value)))
            else:
                cells.append(f"{value:.4f}")
        lines.append(",".join(cells))
    return base64.b64encode(("\n".join(lines) + "\n").encode())
