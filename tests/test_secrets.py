"""The API key never shows: not in a repr, a log record (at any level), an exception message,
or the CLI's output, including when things go wrong.

The full chaos run makes the same check over everything it captured (tests/chaos).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from collections.abc import AsyncIterator

import pytest

import ftjobs
from ftjobs.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    FaultConfig,
    ManualClock,
    serve_emulator,
)
from tests._support.emulator import chat_file
from tests._support.live import FAST_POLL, FAST_RETRIES, free_port

SECRET = "sk-proj-SECRET-a1b2c3d4e5f6a7b8c9d0"
WRONG = "sk-proj-WRONG-0f9e8d7c6b5a49382716"


@pytest.fixture
async def secret_emulator() -> AsyncIterator[EmulatorHandle]:
    config = EmulatorConfig(api_key=SECRET, max_running_jobs=4)
    async with serve_emulator(config, clock=ManualClock()) as handle:
        yield handle


def _record_texts(records: list[logging.LogRecord]) -> list[str]:
    texts = []
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    for record in records:
        texts.append(formatter.format(record))
        texts.append(repr(record.__dict__))
    return texts


def _exception_texts(exc: BaseException) -> list[str]:
    """str, repr, the formatted traceback with its causes, and every attribute's repr."""
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    texts += [repr(value) for value in vars(exc).values()]
    return texts


async def test_no_key_in_reprs_logs_or_errors_across_failures(
    secret_emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    texts: list[str] = []
    emulator = secret_emulator
    async with ftjobs.AsyncClient(
        api_key=SECRET, base_url=emulator.base_url, retry_policy=FAST_RETRIES
    ) as client:
        texts += [repr(client), repr(client.transport), repr(client.jobs), repr(client.files)]
        texts += [str(vars(client.jobs.budget)), repr(client.retry_policy)]
        training = await client.files.upload(chat_file(12), filename="train.jsonl")
        job = await client.jobs.create(model="gpt-4o-mini", training_file=training.id)
        texts += [repr(training), repr(job), repr(await client.jobs.list())]
        waiter = client.jobs.waiter(job, poll=FAST_POLL)
        texts += [repr(waiter), waiter.continuation_token()]
        # Faults on every kind of response, retried through, then given up on.
        emulator.emulator.set_faults(FaultConfig.parse("500=0.5,html=0.2,garbled=0.2,seed=3"))
        for _ in range(3):
            try:
                texts.append(repr(await client.jobs.retrieve(job)))
            except ftjobs.FTJobsError as exc:
                texts += _exception_texts(exc)
        emulator.emulator.set_faults(FaultConfig.parse(""))
        for failing in (
            client.jobs.retrieve("ftjob-missing"),
            client.jobs.create(model="gpt-4o-mini", training_file="file-missing"),
        ):
            with pytest.raises(ftjobs.APIStatusError) as info:
                await failing
            texts += _exception_texts(info.value)
        with pytest.raises(TypeError) as bad_input:
            await client.jobs.create(
                model="gpt-4o-mini",
                training_file="f",
                extra_headers={"api-key": 123},  # type: ignore[dict-item]
            )
        texts += _exception_texts(bad_input.value)

    # Wrong key: the server's 401 names a masked form of the key it got, never all of it.
    async with ftjobs.AsyncClient(api_key=WRONG, base_url=emulator.base_url) as wrong:
        with pytest.raises(ftjobs.AuthenticationError) as unauthorized:
            await wrong.jobs.list()
        texts += [*_exception_texts(unauthorized.value), repr(wrong)]
    # Nobody listening: connection errors after retries.
    dead = f"http://127.0.0.1:{free_port()}/v1"
    async with ftjobs.AsyncClient(api_key=SECRET, base_url=dead, retry_policy=FAST_RETRIES) as c:
        with pytest.raises(ftjobs.APIConnectionError) as unreachable:
            await c.jobs.list()
        texts += _exception_texts(unreachable.value)

    texts += _record_texts(caplog.records)
    assert any("attempt=" in text for text in texts), "DEBUG records were not captured"
    for secret in (SECRET, WRONG):
        leaks = [text for text in texts if secret in text]
        assert not leaks, leaks[:3]
    assert "WRONG-0f9e8d7c6b5a49382716" not in str(unauthorized.value)


def test_constructor_errors_never_echo_the_key() -> None:
    with pytest.raises(TypeError) as typed:
        ftjobs.AsyncClient(api_key=[SECRET])  # type: ignore[arg-type]
    with pytest.raises(ftjobs.ConfigurationError) as in_url:
        ftjobs.AsyncClient(api_key="k", base_url=f"https://user:{SECRET}@gateway.test/v1")
    for exc in (typed.value, in_url.value):
        assert SECRET not in str(exc) and SECRET not in repr(exc)


async def _run_cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """The CLI in a subprocess, with every logger at DEBUG on stderr; (exit code, all output)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    full_env.update(env)
    program = (
        "import logging, sys; logging.basicConfig(level=logging.DEBUG); "
        "from ftjobs.cli import main; sys.exit(main())"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        program,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode() + err.decode()


async def test_cli_output_never_shows_the_key(secret_emulator: EmulatorHandle) -> None:
    emulator = secret_emulator
    training = emulator.store.add_file("train.jsonl", "fine-tune", chat_file(12)).id
    emulator.emulator.set_faults(FaultConfig.parse("500=0.3,drop_after=0.2,html=0.1,seed=5"))
    good = {"OPENAI_API_KEY": SECRET, "OPENAI_BASE_URL": emulator.base_url}
    dead = f"http://127.0.0.1:{free_port()}/v1"
    # Alone first, so the seeded faults meet its requests in a fixed order.
    create = ("jobs", "create", "--model", "gpt-4o", "--training-file", training)
    create += ("--max-retries", "8")
    runs = [await _run_cli(*create, env=good)]
    runs += await asyncio.gather(
        _run_cli("jobs", "get", "ftjob-missing", "--json", env=good),
        _run_cli("jobs", "list", "--api-key", WRONG, "--base-url", emulator.base_url, env={}),
        _run_cli("files", "list", "--max-retries", "1", env={**good, "OPENAI_BASE_URL": dead}),
    )
    codes = [code for code, _ in runs]
    assert codes[0] == 0 and codes[1:] == [1, 1, 1], runs
    assert "DEBUG" in runs[0][1] and "attempt=" in runs[0][1]
    for _, output in runs:
        assert SECRET not in output and WRONG not in output, output


# -- Azure keys and Entra tokens, Portkey keys ------------------------------------------------

PORTKEY_SECRET = "pk-SECRET-portkey-0a1b2c3d4e5f"


async def _exercise(client: ftjobs.AsyncClient, emulator: EmulatorHandle) -> list[str]:
    """A small workload with faults and failures; every text it produced."""
    texts = [repr(client), repr(client.transport), repr(client.jobs), repr(client.retry_policy)]
    training = await client.files.upload(chat_file(12), filename="train.jsonl")
    emulator.emulator.set_faults(FaultConfig.parse("500=0.3,drop_after=0.2,html=0.2,seed=9"))
    try:
        job = await client.jobs.create(model="gpt-4o-mini", training_file=training.id)
        texts += [repr(job), repr(await client.jobs.list())]
        texts.append(client.jobs.waiter(job).continuation_token())
    except ftjobs.FTJobsError as exc:  # retries may run out under these faults: fine too
        texts += _exception_texts(exc)
    emulator.emulator.set_faults(FaultConfig())
    with pytest.raises(ftjobs.NotFoundError) as missing:
        await client.jobs.retrieve("ftjob-missing")
    return [*texts, *_exception_texts(missing.value)]


@pytest.mark.parametrize("credential", ["azure api-key", "azure entra token", "portkey"])
async def test_dialect_credentials_never_show(
    credential: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dialect = "openai" if credential == "portkey" else "azure"
    config = EmulatorConfig(api_key=SECRET, dialect=dialect, max_running_jobs=4)
    secrets = [SECRET, WRONG, PORTKEY_SECRET]
    async with serve_emulator(config, clock=ManualClock()) as emulator:
        client: ftjobs.AsyncClient
        wrong: ftjobs.AsyncClient
        if credential == "azure api-key":
            client = ftjobs.AsyncAzureClient(
                azure_endpoint=emulator.azure_endpoint, api_key=SECRET, retry_policy=FAST_RETRIES
            )
            wrong = ftjobs.AsyncAzureClient(azure_endpoint=emulator.azure_endpoint, api_key=WRONG)
        elif credential == "azure entra token":

            async def token() -> str:
                return SECRET

            client = ftjobs.AsyncAzureClient(
                azure_endpoint=emulator.azure_endpoint,
                azure_ad_token_provider=token,
                retry_policy=FAST_RETRIES,
            )
            wrong = ftjobs.AsyncAzureClient(
                azure_endpoint=emulator.azure_endpoint, azure_ad_token_provider=lambda: WRONG
            )
        else:
            # The emulator stands in for the gateway: it checks the provider key (Bearer) and
            # ignores the x-portkey-* headers, which must not leak either.
            client = ftjobs.AsyncPortkeyClient(
                api_key=PORTKEY_SECRET,
                provider="openai",
                provider_api_key=SECRET,
                base_url=emulator.base_url,
                retry_policy=FAST_RETRIES,
            )
            wrong = ftjobs.AsyncPortkeyClient(
                api_key=PORTKEY_SECRET,
                provider="openai",
                provider_api_key=WRONG,
                base_url=emulator.base_url,
            )
        async with client:
            texts = await _exercise(client, emulator)
        async with wrong:
            with pytest.raises(ftjobs.AuthenticationError) as unauthorized:
                await wrong.jobs.list()
            texts += [repr(wrong), *_exception_texts(unauthorized.value)]
    texts += _record_texts(caplog.records)
    assert any("attempt=" in text for text in texts), "DEBUG records were not captured"
    for secret in secrets:
        leaks = [text for text in texts if secret in text]
        assert not leaks, (secret, leaks[:3])
