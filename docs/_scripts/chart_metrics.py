"""Draw the training curve of an emulator run (SVG) for the "Reading results" guide.

Usage: ``python docs/_scripts/chart_metrics.py [OUTPUT_SVG]``. The docs build runs it through
``docs/_scripts/hooks.py``. It runs a supervised job (with a validation file, a fixed seed) on
an in-process emulator whose clock the script moves, reads the curve with
``client.jobs.metrics`` and draws it with the code of ``ftjobs jobs metrics --plot``: the same
chart a user gets from the command line.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import ftjobs
from ftjobs.cli._chart import svg_chart
from ftjobs.cli._samples import chat_examples
from ftjobs.emulator import EmulatorConfig, ManualClock, serve_emulator
from ftjobs.metrics import StepMetrics

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = ROOT / "docs" / "assets" / "generated" / "metrics.svg"
MODEL = "gpt-4o-mini-2024-07-18"


async def emulator_curve() -> tuple[str, tuple[StepMetrics, ...]]:
    """The id and training curve of a finished emulator job (deterministic)."""
    clock = ManualClock(1_700_000_000.0)
    async with (
        serve_emulator(EmulatorConfig(), clock=clock) as emulator,
        ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as client,
    ):
        rng = random.Random(7)
        training = await client.files.upload(chat_examples(60, rng), filename="train.jsonl")
        validation = await client.files.upload(chat_examples(20, rng), filename="valid.jsonl")
        job = await client.jobs.create(
            model=MODEL,
            training_file=training.id,
            validation_file=validation.id,
            seed=7,
            method=ftjobs.FineTuneMethod.supervised_method(
                ftjobs.SupervisedHyperparameters(n_epochs=3, batch_size=2)
            ),
        )
        clock.advance(100_000)
        return job.id, await client.jobs.metrics(job.id)


def write_chart(target: Path = DEFAULT_OUTPUT) -> int:
    """Draw the chart into ``target``; return the number of steps drawn."""
    _, rows = asyncio.run(emulator_curve())
    svg = svg_chart(rows, title="Training curve of an emulator run (3 epochs, validation file)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != svg:
        target.write_text(svg, encoding="utf-8")
    return len(rows)


def main(argv: Sequence[str]) -> int:
    """``chart_metrics.py [OUTPUT_SVG]``."""
    target = Path(argv[0]) if argv else DEFAULT_OUTPUT
    print(f"{target}: {write_chart(target)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
