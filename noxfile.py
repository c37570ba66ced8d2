"""Developer sessions: ``nox -s tests lint typecheck`` (and more as the project grows)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite with the extras of the README's test command.

    Without them the arq, openai and schemathesis tests would skip.
    """
    session.install("-e", ".[test,arq,conformance]")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package (ftjobs.contrib.arq needs arq's types)."""
    session.install("-e", ".[test,arq]", "mypy")
    session.run("mypy")


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """schemathesis against the emulator with the spec, every phase, many examples.

    ``nox -s conformance -- --max-examples 500 --seed 7`` to change the volume or the seed.
    """
    session.install("-e", ".[test,conformance]")
    args = session.posargs or ["--max-examples", "200"]
    session.run("python", "-m", "tests.conformance.schemathesis_run", "--quiet", *args)
    session.run("pytest", "-q", "tests/test_spec_conformance.py", "tests/e2e/test_openai_client.py")


@nox.session(python=PYTHON)
def distributed(session: nox.Session) -> None:
    """The arq end-to-end runs at scale (needs redis-server on PATH): creates and waits at
    N=1,000, a campaign of 200 members 10 at a time; prints their figures."""
    session.install("-e", ".[test,arq]")
    session.env.setdefault("FTJOBS_DISTRIBUTED_N", "1000")
    session.env.setdefault("FTJOBS_E2E_MAX_JOBS", "20")
    session.env.setdefault("FTJOBS_CAMPAIGN_N", "200")
    session.env.setdefault("FTJOBS_CAMPAIGN_MAX_ACTIVE", "10")
    session.run(
        "pytest",
        "-q",
        "-s",
        "tests/distributed/test_arq_e2e.py::test_creates_and_waits_survive_kill9",
        "tests/distributed/test_arq_campaign.py",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def bench_waiting(session: nox.Session) -> None:
    """Waiting benchmark: writes bench/results/waiting.md, waiting.json and the docs' chart
    (docs/assets/generated/waiting.svg) from them (a few minutes)."""
    session.install("-e", ".")
    session.run("python", "bench/waiting.py", *session.posargs)
    session.run("python", "docs/_scripts/chart_waiting.py")


@nox.session(python=PYTHON)
def bench_upload(session: nox.Session) -> None:
    """Peak memory of a 200 MB files.upload to the emulator (target: growth under 50 MB);
    writes bench/results/upload_memory.{json,md}."""
    session.install("-e", ".")
    session.run("python", "bench/upload_memory.py", *session.posargs)


@nox.session(python=PYTHON)
def bench_check(session: nox.Session) -> None:
    """Peak memory of check_training_file on a generated 500 MB file (target: growth under
    100 MB); writes bench/results/check_memory.{json,md}."""
    session.install("-e", ".")
    session.run("python", "-m", "bench.check_memory", *session.posargs)


@nox.session(python=PYTHON)
def chaos(session: nox.Session) -> None:
    """The chaos suite at full size: ``nox -s chaos -- --jobs 200 --seeds 5`` (the default).

    Any ``python -m tests.chaos.run`` option may follow ``--`` (``--seed-list 3 7``,
    ``--faults ...``). Prints the figures table; fails, naming the seed, if any run failed.
    """
    session.install("-e", ".[test]")
    args = session.posargs or ["--jobs", "200", "--seeds", "5"]
    session.run("python", "-m", "tests.chaos.run", *args)
    # 8,000 concurrent calls through one client (a slow, faulty emulator): no failure.
    session.run("python", "-m", "tests.chaos.crowd", "--calls", "8000")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark ftjobs vs raw aiohttp vs the official client; writes bench/results/.

    Arguments after ``--`` go to ``python -m bench`` (``--reps 3``, ``--quick``...).
    """
    session.install("-e", ".[bench]")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session(python=PYTHON)
def bench_instructions(session: nox.Session) -> None:
    """Instructions per unit of work, ftjobs vs the raw-aiohttp floor, on bench/'s workloads
    (valgrind's cachegrind over N1 and N2 units; see bench/instructions.py)."""
    session.install("-e", ".")
    session.run("python", "-m", "bench.instructions", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors (charts are drawn by a hook)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session(python=PYTHON)
def bench_capped_read(session: nox.Session) -> None:
    """Peak memory of refusing a 100 MiB answer at the 64 MiB max_response_bytes (target:
    growth under 100 MiB); writes bench/results/capped_read.{json,md}."""
    session.install("-e", ".")
    session.run("python", "-m", "bench.capped_read", *session.posargs)


@nox.session(python=PYTHON)
def campaign_bench(session: nox.Session) -> None:
    """A 200-member campaign (max_active=8, a daily limit it hits and waits out) against the
    emulator on emulated time: requests per member and the driver's peak RSS; writes
    bench/results/campaign.{json,md}. Arguments after ``--`` go to ``python -m
    bench.campaign`` (``--members 30``, ``--speed 10000``...)."""
    session.install("-e", ".")
    args = session.posargs or ["--members", "200"]
    session.run("python", "-m", "bench.campaign", *args)
