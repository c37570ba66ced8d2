"""Drives one campaign to its end against an emulator, as a separate process the kill -9 test
can kill at any moment: ``python -m tests._support.campaign_driver BASE_URL API_KEY TRAIN VALID
STATE``. Prints the report's rows as one JSON line when the campaign is over."""

from __future__ import annotations

import asyncio
import json
import sys

import ftjobs

NAME = "killed"
MODEL = "gpt-4o-mini-2024-07-18"
POLL = ftjobs.PollPolicy(initial_interval=0.05, max_interval=0.3)


def campaign(train: str, valid: str) -> ftjobs.Campaign:
    """The campaign the kill -9 test drives: 15 members."""
    return ftjobs.Campaign.grid(
        NAME,
        base={"model": MODEL, "training_file": train, "validation_file": valid},
        grid={"n_epochs": [1, 2, 3, 4, 5], "learning_rate_multiplier": [0.5, 1.0, 2.0]},
    )


async def main(base_url: str, api_key: str, train: str, valid: str, state: str) -> None:
    budget = ftjobs.waiting.RatePolicy(rate=1000, burst=100)
    async with ftjobs.AsyncClient(api_key=api_key, base_url=base_url, request_budget=budget) as c:
        report = await c.jobs.run_campaign(
            campaign(train, valid), max_active=3, state=state, poll=POLL
        )
    rows = [[row.index, row.job_id, row.status, row.attempts] for row in report.rows]
    print(json.dumps({"rows": rows, "best": report.best().index if report.best() else None}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
