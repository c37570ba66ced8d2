"""Every ```python block of README.md and docs/**/*.md runs as a stranger would paste it.

The conventions (also stated in docs/index.md, "About the examples"):

- A block is a **complete script** and runs alone, as a fresh file would (``__name__`` is
  ``"__main__"``, nothing defined beforehand; ``asyncio.run(main())`` works), or
- it is a **fragment**, plainly marked by its first line, ``# Fragment: ...``: it runs pasted
  into **the scaffold** (the block of docs/index.md holding ``# paste a fragment here``), which
  gives it ``ftjobs`` and ``asyncio`` imported, ``client`` (an open `ftjobs.AsyncClient`),
  ``training`` (an uploaded training file), ``job`` (a job created from it) and ``ids`` (the
  ids of three jobs); a fragment whose first line starts ``# Fragment, continued`` needs the
  fragment before it on its page, and runs after it in the same scaffold.
- ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` point at a fresh emulator per page and the working
  directory holds ``train.jsonl``, ``validation.jsonl`` and ``dpo.jsonl``, made as the docs say
  (``ftjobs files sample``, ``--validation``, ``--method dpo``).
- ``<!-- test: skip REASON -->`` on the line before a fence skips that block; the reason is
  mandatory, and skips are kept rare (each is listed by ``test_skips_are_justified``).

Time is compressed, not faked: the emulator runs 200x faster than real time and
``asyncio.sleep`` is scaled by 1/50 while the examples run, so an example that waits for a
job with the default poll policy finishes in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import shlex
import sys
import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ftjobs.cli._samples import sample_file
from ftjobs.emulator import EmulatorConfig, serve_emulator
from tests._support.docs import (
    FENCE_OPEN,
    ROOT,
    Block,
    all_blocks,
    extract_blocks,
    markdown_pages,
)

SPEED = 200.0
SLEEP_SCALE = 1 / 50
PAGE_TIMEOUT = 120.0
# Packages of optional extras (``ftjobs[arq]``, ``[conformance]``'s ``together``): a page
# needing one is skipped without it.
OPTIONAL_PACKAGES = frozenset({"arq", "redis", "fastapi", "together"})

# Variables the examples must not inherit from the developer's shell.
_ENV_TO_CLEAR = (
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
    "PORTKEY_API_KEY",
    "TOGETHER_API_KEY",
    "TOGETHER_BASE_URL",
    "FTJOBS_PROVIDER",
)


def _pages_with_code() -> list[str]:
    seen: dict[str, None] = {}
    for block in all_blocks():
        seen.setdefault(block.page)
    return list(seen)


# -- the files an example may open ------------------------------------------------------------


def write_example_files(directory: Path) -> None:
    """``train.jsonl``, ``validation.jsonl`` and ``dpo.jsonl`` in ``directory``, as the docs
    make them (``ftjobs files sample [--validation | --method dpo]``)."""
    (directory / "train.jsonl").write_bytes(sample_file("supervised"))
    (directory / "validation.jsonl").write_bytes(sample_file("supervised", validation=True))
    (directory / "dpo.jsonl").write_bytes(sample_file("dpo"))


# -- running ----------------------------------------------------------------------------------


FRAGMENT = "# Fragment"
CONTINUED = "# Fragment, continued"
_SLOT = "...  # paste a fragment here"


def scaffold() -> Block:
    """The scaffold block of docs/index.md (the one with ``# paste a fragment here``)."""
    blocks = extract_blocks((ROOT / "docs" / "index.md").read_text("utf-8"), "docs/index.md")
    (found,) = [block for block in blocks if _SLOT in block.source]
    return found


def is_fragment(block: Block) -> bool:
    return block.source.startswith(FRAGMENT)


def script_of(block: Block, before: list[Block]) -> tuple[str, str]:
    """The file a reader would run for ``block``: itself, or the scaffold with ``before`` (the
    fragments it continues) and it pasted in; and a name for tracebacks."""
    if not is_fragment(block):
        # Leading newlines make tracebacks point at the Markdown file's own line numbers.
        return "\n" * (block.line - 1) + block.source, block.page
    frame = scaffold().source
    slot = next(line for line in frame.splitlines() if line.strip() == _SLOT)
    indent = slot[: len(slot) - len(slot.lstrip())]
    # A script continued goes above the scaffold (where a reader would keep it), fragments
    # into it.
    head = "".join(b.source + "\n" for b in before if not is_fragment(b))
    pasted = "".join(textwrap.indent(b.source, indent) for b in [*before, block] if is_fragment(b))
    return head + frame.replace(slot + "\n", pasted), f"{block.where} in the scaffold"


def chains(blocks: list[Block]) -> Iterator[tuple[Block, list[Block]]]:
    """Each block with the blocks it continues (a fragment may continue a script that only
    defines things, such as a conftest)."""
    before: list[Block] = []
    for block in blocks:
        if block.source.startswith(CONTINUED):
            if not before:
                raise AssertionError(f"{block.where}: continues no fragment")
            yield block, list(before)
            before.append(block)
        else:
            yield block, []
            before = [block]


def run_script(source: str, name: str) -> None:
    """Run ``source`` as ``python FILE`` would (in a worker thread: it runs its own loop)."""
    code = compile(source, name, "exec")
    exec(code, {"__name__": "__main__", "__file__": name})


async def run_page(page: str, blocks: list[Block]) -> None:
    for block, before in chains(blocks):
        if block.skip is not None:
            continue
        source, name = script_of(block, before)
        try:
            await asyncio.to_thread(run_script, source, name)
        except ModuleNotFoundError as exc:
            if exc.name not in OPTIONAL_PACKAGES:
                raise
            pytest.skip(f"{block.where} needs the optional package {exc.name!r} (an extra)")
        except BaseException as exc:  # SystemExit too: a script must not exit
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
