"""``ftjobs jobs list`` filters (subprocesses against the emulator) and ``--since`` (pure)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import ftjobs
from ftjobs.cli.app import CLIError
from ftjobs.cli.jobs import since
from ftjobs.emulator import EmulatorHandle, ManualClock
from tests.cli.test_commands import _env, run_cli
from tests.emulator.helpers import chat_file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d", 1_000_000 - 2 * 86_400),
        ("12h", 1_000_000 - 12 * 3600),
        ("30m", 1_000_000 - 1800),
        ("1.5w", 1_000_000 - 1.5 * 604_800),
        ("90s", 1_000_000 - 90),
        ("1970-01-02", 86_400),
        ("1970-01-01T01:00:00+01:00", 0),
    ],
)
def test_since_reads_durations_and_dates(text: str, expected: float) -> None:
    assert since(text, 1_000_000) == expected


def test_since_refuses_anything_else() -> None:
    with pytest.raises(CLIError, match="--since"):
        since("yesterday", 0)


async def test_list_filters_by_status_model_and_since(
    emulator: EmulatorHandle, emulator_clock: ManualClock
) -> None:
    async with ftjobs.AsyncClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
        file = await c.files.upload(chat_file(12), filename="train.jsonl")
        old = await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
        emulator_clock.advance(5 * 86_400)
        other = await c.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=file.id)
        new = await c.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
        await c.jobs.cancel(other.id)
    env = _env(emulator)
    # The emulator's clock is not the wall clock: --since takes a date here.
    two_days_ago = datetime.fromtimestamp(emulator_clock.now() - 2 * 86_400, timezone.utc)
    code, out, err = await run_cli(
        "jobs", "list", "--status", "validating_files", "--since", two_days_ago.isoformat(),
        "--model", "gpt-4o-mini-2024-07-18", "--json", env=env,
    )  # fmt: skip
    assert code == 0, err
    assert [j["id"] for j in json.loads(out)] == [new.id]
    code, out, _ = await run_cli("jobs", "list", "--status", "cancelled", "--json", env=env)
    assert [j["id"] for j in json.loads(out)] == [other.id]
    start = datetime.fromtimestamp(1_600_000_000, timezone.utc).date().isoformat()
    code, out, err = await run_cli("jobs", "list", "--since", start, "--limit", "1", env=env)
    assert code == 0 and new.id in out and old.id not in out
    assert "--all" in err  # there were more matches than --limit
