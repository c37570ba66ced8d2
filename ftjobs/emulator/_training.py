"""Synthetic training curves and the results file (pure, deterministic per seed and step).

The results file is what the service writes: base64-encoded CSV, one row per step, in the
columns of `ftjobs.metrics.RESULTS_COLUMNS` (validation cells empty without a validation
file; the ``full_valid_*`` columns when there is a full validation pass, at each epoch's end).
"""

from __future__ import annotations

import base64
import math
import random
from collections.abc import Iterable

from ftjobs.metrics import StepMetrics, metrics_csv

__all__ = ["results_file", "step_metrics"]


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
    """Per-step metrics (as ``step_metrics`` gives them) as the service's results file."""
    curve = (
        StepMetrics(int(row["step"]), **{k: v for k, v in row.items() if k != "step"})
        for row in rows
    )
    return base64.b64encode(metrics_csv(curve, full_validation=full_validation).encode())
