"""Every ```python block of README.md and docs/**/*.md runs against an in-process emulator.

The conventions (also stated in docs/index.md, "About the examples"):

- The blocks of one page run in order in **one namespace**, so a block may use what an earlier
  block on the same page defined.
- The namespace starts from a **prelude**: ``ftjobs`` and ``asyncio`` imported, ``client`` (an
  open `ftjobs.AsyncClient`), ``training`` (an uploaded training file), ``job`` (a job
  created from it) and ``ids`` (the ids of three jobs, ``job`` first). ``OPENAI_BASE_URL`` and
  ``OPENAI_API_KEY`` point at a fresh emulator per page, so ``ftjobs.AsyncClient()`` with no
  arguments reaches it, and the working directory holds ``train.jsonl`` (supervised, valid),
  ``validation.jsonl`` and ``dpo.jsonl`` (preference pairs).
- Top-level ``await`` / ``async for`` / ``async with`` work (the block is compiled with
  ``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT`` and awaited); a block without them runs in a worker
  thread, so ``asyncio.run(main())`` works as it would in a script.
- ``<!-- test: skip REASON -->`` on the line before a fence skips that block; the reason is
  mandatory, and skips are kept rare (each is listed by ``test_skips_are_justified``).

Time is compressed, not faked: the emulator runs 200x faster than real time and
``asyncio.sleep`` is scaled by 1/50 while the examples run, so an example that waits for a
job with the default poll policy finishes in a fraction of a second.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import logging
import shlex
import sys
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import ftjobs
from ftjobs.emulator import EmulatorConfig, serve_emulator
from tests._support.docs import FENCE_OPEN, Block, all_blocks, extract_blocks, markdown_pages

SPEED = 200.0
SLEEP_SCALE = 1 / 50
PAGE_TIMEOUT = 120.0
# Packages of optional extras (``ftjobs[arq]``): a page needing one is skipped without it.
OPTIONAL_PACKAGES = frozenset({"arq", "redis", "fastapi"})

# Variables the examples must not inherit from the developer's shell.
_ENV_TO_CLEAR = (
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
    "PORTKEY_API_KEY",
)


def _pages_with_code() -> list[str]:
    seen: dict[str, None] = {}
    for block in all_blocks():
        seen.setdefault(block.page)
    return list(seen)


# -- the files an example may open ------------------------------------------------------------


def _chat(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are a concise support agent."},
            {"role": "user", "content": f"How do I reset password number {i}?"},
            {"role": "assistant", "content": "Open Settings, then Security, then Reset."},
        ]
    }


def _preference(i: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Say hello, take {i}."}]},
        "preferred_output": [{"role": "assistant", "content": "Hello!"}],
        "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
    }


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def write_example_files(directory: Path) -> None:
    """``train.jsonl``, ``validation.jsonl`` and ``dpo.jsonl`` in ``directory``."""
    _write_jsonl(directory / "train.jsonl", [_chat(i) for i in range(12)])
    _write_jsonl(directory / "validation.jsonl", [_chat(i) for i in range(12, 24)])
    _write_jsonl(directory / "dpo.jsonl", [_preference(i) for i in range(12)])


# -- running ----------------------------------------------------------------------------------


@asynccontextmanager
async def prelude() -> AsyncIterator[dict[str, Any]]:
    """The names every page starts with (see the module docstring)."""
    async with ftjobs.AsyncClient() as client:
        training = await client.files.upload("train.jsonl", purpose="fine-tune")
        jobs = [
            await client.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
            for _ in range(3)
        ]
        yield {
            "__name__": "__docs_example__",
            "ftjobs": ftjobs,
            "asyncio": asyncio,
            "client": client,
            "training": training,
            "job": jobs[0],
            "ids": [j.id for j in jobs],
        }


async def run_block(block: Block, namespace: dict[str, Any]) -> None:
    # Leading newlines make tracebacks point at the Markdown file's own line numbers.
    source = "\n" * (block.line - 1) + block.source
    code = compile(source, block.page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:
        await eval(code, namespace)
    else:
        await asyncio.to_thread(exec, code, namespace)


async def run_page(page: str, blocks: list[Block]) -> None:
    async with prelude() as namespace:
        for block in blocks:
            if block.skip is not None:
                continue
            try:
                await run_block(block, namespace)
            except ModuleNotFoundError as exc:
                if exc.name not in OPTIONAL_PACKAGES:
                    raise
                pytest.skip(f"{block.where} needs the optional package {exc.name!r} (an extra)")
            except Exception as exc:
                detail = "".join(traceback.format_exception(exc))
                pytest.fail(f"the example at {block.where} failed:\n{detail}", pytrace=False)


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Examples may configure logging; leave the test process as it was."""
    loggers = [logging.getLogger(), logging.getLogger("ftjobs")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, level, handlers in saved:
        logger.setLevel(level)
        for handler in logger.handlers[:]:
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()


def _sleep_defaults() -> Iterator[Any]:
    """Functions of ftjobs taking ``sleep=asyncio.sleep`` as a default (injectable sleeps)."""
    for module in list(sys.modules.values()):
        if (
            not getattr(module, "__name__", "").startswith("ftjobs.")
            or "emulator" in module.__name__
        ):
            continue
        for value in list(vars(module).values()):
            # The shared request budget re-checks its bucket after each sleep: compressing its
            # sleep would make it spin, and it is not what makes examples slow anyway.
            if not inspect.isclass(value) or value.__module__ != module.__name__:
                continue
            if value.__name__ == "RequestBudget":
                continue
            for member in vars(value).values():
                defaults = getattr(member, "__kwdefaults__", None)
                if (
                    inspect.isfunction(member)
                    and defaults
                    and defaults.get("sleep") is asyncio.sleep
                ):
                    yield member


@pytest.fixture
def compressed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scale the waiters' sleeps by ``SLEEP_SCALE``, whether they call ``asyncio.sleep`` or
    take it as an injectable default."""
    real_sleep = asyncio.sleep

    async def sleep(delay: float, result: Any = None) -> Any:
        return await real_sleep(delay * SLEEP_SCALE, result)

    for function in list(_sleep_defaults()):
        monkeypatch.setattr(function, "__kwdefaults__", {**function.__kwdefaults__, "sleep": sleep})
    monkeypatch.setattr(asyncio, "sleep", sleep)


@pytest.mark.parametrize("page", _pages_with_code())
async def test_examples_run(
    page: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    compressed_time: None,
    restored_logging: None,
) -> None:
    blocks = [block for block in all_blocks() if block.page == page]
    write_example_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in _ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    config = EmulatorConfig(speed=SPEED, max_running_jobs=16)
    async with serve_emulator(config) as emu:
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", emu.api_key)
        await asyncio.wait_for(run_page(page, blocks), PAGE_TIMEOUT)


def test_readme_and_docs_have_examples() -> None:
    pages = _pages_with_code()
    assert "README.md" in pages
    assert any(page.startswith("docs/") for page in pages)


def test_skips_are_justified() -> None:
    skipped = [block for block in all_blocks() if block.skip is not None]
    for block in skipped:
        assert len(block.skip or "") >= 10, f"{block.where}: say why the example cannot run"
    assert len(skipped) <= 5, [block.where for block in skipped]


def test_extract_blocks_reads_markers_indents_and_lines() -> None:
    text = (
        "# Title\n"
        "```python\n"
        "a = 1\n"
        "```\n"
        "\n"
        "<!-- test: skip needs a real OpenAI account -->\n"
        "```python\n"
        "b = 2\n"
        "```\n"
        "!!! example\n"
        "    ```py\n"
        "    c = 3\n"
        "    ```\n"
        "```bash\n"
        "echo not python\n"
        "```\n"
    )
    blocks = extract_blocks(text, "page.md")
    assert [(b.line, b.source, b.skip) for b in blocks] == [
        (3, "a = 1\n", None),
        (8, "b = 2\n", "needs a real OpenAI account"),
        (12, "c = 3\n", None),
    ]


# -- shell examples: every `ftjobs ...` command line must at least parse ------------------------


def shell_commands(text: str) -> list[str]:
    """The ``ftjobs ...`` command lines of the ```bash blocks of ``text`` (continuations joined)."""
    commands: list[str] = []
    in_shell = False
    pending = ""
    for line in text.splitlines():
        match = FENCE_OPEN.match(line)
        if match and not in_shell and match["lang"] in ("bash", "sh", "shell", "console"):
            in_shell = True
            continue
        if in_shell and line.strip().startswith("```"):
            in_shell = False
            continue
        if not in_shell:
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if line.rstrip().endswith("\\"):
            continue
        command, pending = pending.strip(), ""
        if command.startswith("ftjobs "):
            commands.append(command)
    return commands


def _all_shell_commands() -> list[str]:
    return [cmd for path in markdown_pages() for cmd in shell_commands(path.read_text("utf-8"))]


@pytest.mark.parametrize("command", _all_shell_commands())
def test_cli_examples_parse(command: str) -> None:
    from ftjobs.cli import build_parser

    words = shlex.split(command, comments=True)[1:]
    # The shell's part (`> train.jsonl`, `| head`) is not the command's.
    cut = next((i for i, word in enumerate(words) if word in (">", "|", "&&", ";")), len(words))
    argv = words[:cut]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's way of rejecting a command line
        pytest.fail(f"`{command}` does not parse (exit {exc.code})")


def test_shell_commands_join_continuations() -> None:
    text = "```bash\nftjobs jobs get \\\n    ftjob-1  # note\necho hi\n```\n"
    assert shell_commands(text) == ["ftjobs jobs get      ftjob-1  # note"]
