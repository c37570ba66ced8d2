"""Synthetic training curves and the results CSV (pure, deterministic per seed and step)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

__all__ = ["RESULTS_COLUMNS", "results_csv", "step_metrics"]

RESULTS_COLUMNS = (
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
)


def step_metrics(
    seed: int, step: int, total_steps: int, *, with_validation: bool
) -> dict[str, float]:
    """Metrics after ``step`` of ``total_steps``: a noisy decaying loss, same for same inputs."""
    rng = random.Random(f"{seed}:{step}")
    progress = step / max(total_steps, 1)
    train_loss = max(0.01, 0.15 + 1.7 * math.exp(-4.0 * progress) + rng.uniform(-0.06, 0.06))
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
    return metrics


def results_csv(rows: Iterable[dict[str, float]]) -> bytes:
    """Render per-step metrics as the results file (CSV, one row per step)."""
    lines = [",".join(RESULTS_COLUMNS)]
    for row in rows:
        cells = []
        for column in RESULTS_COLUMNS:
            value = row.get(column)
            if value is None:
                cells.append("")
            elif column == "step":
                cells.append(str(int(value)))
            else:
                cells.append(f"{value:.4f}")
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()
