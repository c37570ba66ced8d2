"""The Markdown pages of the repository and their fenced python blocks (with skip markers)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import attrs

#: The repository's root.
ROOT = Path(__file__).resolve().parents[2]

#: The opening line of a fenced block (its indent, fence and language).
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)[^`]*$")
_MARKER = re.compile(r"^\s*<!--\s*test:\s*(?P<verb>\w+)\s*(?P<arg>.*?)\s*-->\s*$")
_PYTHON = {"python", "py", "python3"}


@attrs.frozen
class Block:
    """One fenced python block of a Markdown page."""

    page: str
    line: int  # 1-based line of the first line of code
    source: str
    skip: str | None = None  # the reason, when marked ``<!-- test: skip REASON -->``

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def markdown_pages() -> list[Path]:
    """README.md and every page of the docs site (helper scripts excluded)."""
    docs = ROOT / "docs"
    pages = [p for p in sorted(docs.rglob("*.md")) if "_scripts" not in p.parts]
    return [ROOT / "README.md", *pages]


def extract_blocks(text: str, page: str) -> list[Block]:
    """The python blocks of ``text`` with their line numbers and skip markers."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    previous = ""  # last non-blank line before the current one
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i])
        if not match:
            if lines[i].strip():
                previous = lines[i]
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence) and not lines[j].strip().strip(fence[0])
        ):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        if lang in _PYTHON:
            marker = _MARKER.match(previous)
            skip = None
            if marker and marker["verb"] == "skip":
                skip = marker["arg"] or "(no reason given)"
            elif marker:
                raise ValueError(f"{page}:{i}: unknown test marker {previous.strip()!r}")
            blocks.append(Block(page, i + 2, "\n".join(body) + "\n", skip))
        previous = lines[j] if j < len(lines) else ""
        i = j + 1
    return blocks


def all_blocks() -> Iterator[Block]:
    for path in markdown_pages():
        page = path.relative_to(ROOT).as_posix()
        yield from extract_blocks(path.read_text(encoding="utf-8"), page)
