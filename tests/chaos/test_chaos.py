"""The chaos suite at CI size: 20 jobs under every fault kind, two seeds (plus one run in the
Azure dialect).

The larger run is ``nox -s chaos`` (or ``python -m tests.chaos.run --jobs 200 --seeds 5``).
"""

from __future__ import annotations

import pytest

from tests.chaos.crowd import CrowdConfig, run_crowd
from tests.chaos.workload import CHAOS_KEY, ChaosConfig, ChaosReport, format_table, run_chaos

CI_JOBS = 20
CI_RUNS = [(1, "openai"), (2, "openai"), (3, "azure")]


def _rerun(report: ChaosReport) -> str:
    seed, jobs, dialect = report.config.seed, report.config.jobs, report.config.dialect
    command = f"python -m tests.chaos.run --jobs {jobs} --seed-list {seed} --dialect {dialect}"
    return f"failing seed {seed}: rerun with `{command}`"


@pytest.mark.parametrize(("seed", "dialect"), CI_RUNS, ids=[f"{d}-{s}" for s, d in CI_RUNS])
async def test_chaos_run_loses_nothing_duplicates_nothing_leaks_nothing(
    seed: int, dialect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report = await run_chaos(ChaosConfig(jobs=CI_JOBS, seed=seed, dialect=dialect))
    table = format_table([report])
    print(table)
    context = f"{_rerun(report)}\n{table}\nproblems: {report.problems[:10]}"

    assert report.ok, context
    assert report.jobs_requested == report.jobs_on_server == CI_JOBS, context
    assert report.duplicates == 0 and report.missing == 0, context
    assert report.listed_jobs == CI_JOBS, context
    # Every single wait, then every job again through wait_many, in the expected state.
    assert report.waits_right == report.waits_total == 2 * CI_JOBS, context
    assert report.unhandled == 0, context

    # The faults really happened, and the SDK really retried through them.
    assert report.requests > 3 * CI_JOBS, context
    fired = {kind for kind, count in report.faults.items() if count and kind != "latency"}
    assert len(fired) >= 5, context
    assert report.retries > 0 and report.attempts_logged >= report.requests // 2, context

    # The key never shows: logs (DEBUG and up), exception texts, reprs, stats, printed output.
    assert any(text.startswith("DEBUG ftjobs ") and "attempt=" in text for text in report.texts)
    assert any(text.startswith("INFO ftjobs retrying") for text in report.texts)
    assert not report.leaks(CHAOS_KEY), f"{_rerun(report)}: {report.leaks(CHAOS_KEY)[:3]}"
    captured = capsys.readouterr()
    assert CHAOS_KEY not in captured.out + captured.err


async def test_the_suite_catches_duplicates_when_the_server_ignores_idempotency_keys() -> None:
    # Proof that the duplicate counter can fail: same workload, every create's response lost
    # after commit half the time, and a server that does not deduplicate retries.
    config = ChaosConfig(
        jobs=10, seed=3, faults="drop_after=0.5,retry_after=0.02", honor_idempotency=False
    )
    report = await run_chaos(config)
    assert report.duplicates > 0
    assert report.jobs_on_server == report.jobs_requested + report.duplicates
    assert not report.ok and any("duplicate" in problem for problem in report.problems)


async def test_a_crowd_through_one_client_has_no_failure() -> None:
    # 1,000 calls over 10 connections at 20 ms queue for at least 2 s, twice the 1 s
    # per-attempt timeout: only a timeout that starts once the connection is in hand lets
    # every call through (counted from the queue, 392 of them failed). The full run is
    # 8,000 calls over 100 connections (nox -s chaos).
    config = CrowdConfig(
        calls=1000,
        connection_limit=10,
        max_retries=2,
        faults="latency=0.02,429=0.01,503=0.01,drop=0.005,retry_after=0.01",
    )
    report = await run_crowd(config)
    assert report.ok, report.summary()
    fired = {kind for kind, count in report.faults.items() if count and kind != "latency"}
    assert fired, report.summary()
    assert report.requests > config.calls, report.summary()
