"""MkDocs hooks: draw the generated pictures before the pages are collected."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_RESULTS = _HERE.parents[1] / "bench" / "results"
_MARKER = "<!-- bench-results -->"
_UNLISTED = "<!-- unlisted-public-names -->"
_REFERENCE = _HERE.parent / "reference"


def on_pre_build(config: Any) -> None:
    """Draw ``docs/assets/generated/waiting.svg`` from the waiting benchmark's results, and
    ``metrics.svg`` from an emulator run."""
    for name in ("chart_waiting", "chart_metrics"):
        spec = importlib.util.spec_from_file_location(name, _HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.write_chart()


def _demote_headings(markdown: str, levels: int = 2) -> str:
    """Push every heading down ``levels`` levels (outside code fences), so an included file's
    own title nests under the page's sections."""
    lines = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            line = "#" * levels + line
        lines.append(line)
    return "\n".join(lines)


def bench_results_markdown(results: Path = _RESULTS) -> str:
    """Every ``bench/results/*.md`` file, in name order, or a note that there is none yet."""
    files = sorted(results.glob("*.md")) if results.is_dir() else []
    if not files:
        return (
            '!!! note "No results yet"\n'
            "    No benchmark results are committed in `bench/results/` yet. Run the benchmarks "
            "(below) to produce them.\n"
        )
    parts = []
    for path in files:
        body = _demote_headings(path.read_text(encoding="utf-8").strip())
        parts.append(f"{body}\n\n*Source: `bench/results/{path.name}`.*\n")
    return "\n".join(parts)


def referenced_names(reference: Path = _REFERENCE) -> set[str]:
    """Last components of the ``::: dotted.name`` directives of the reference pages."""
    names = set()
    for page in reference.glob("*.md"):
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("::: "):
                names.add(line[4:].strip().rsplit(".", 1)[-1])
    return names


#: The public homes of the library's names (the CLI and the arq helpers have their own pages).
PUBLIC_MODULES = (
    "ftjobs",
    "ftjobs.types",
    "ftjobs.waiting",
    "ftjobs.webhooks",
    "ftjobs.graders",
    "ftjobs.metrics",
    "ftjobs.training_data",
    "ftjobs.resources",
    "ftjobs.emulator",
)


def unlisted_names(reference: Path = _REFERENCE) -> list[str]:
    """Dotted public names (``__all__`` of each of `PUBLIC_MODULES`) no page renders yet."""
    import importlib

    listed = referenced_names(reference)
    return [
        f"{module.__name__}.{name}"
        for module in map(importlib.import_module, PUBLIC_MODULES)
        for name in module.__all__
        if not name.startswith("__") and name not in listed
    ]


def unlisted_markdown(reference: Path = _REFERENCE) -> str:
    """Directives rendering every public name that no reference page lists explicitly."""
    return "\n".join(f"::: {name}\n" for name in unlisted_names(reference))


_OTHER_PAGE = "reference/other.md"


def without_page(nav: list[Any], page: str) -> list[Any]:
    """``nav`` (mkdocs.yml's nested lists of ``{title: page or list}``) without ``page``."""
    kept: list[Any] = []
    for item in nav:
        if isinstance(item, dict):
            item = {
                title: without_page(value, page) if isinstance(value, list) else value
                for title, value in item.items()
                if value != page
            }
            if not item:
                continue
        elif item == page:
            continue
        kept.append(item)
    return kept


def on_config(config: Any) -> Any:
    """While every public name has its topic page, "Other names" would be empty: leave it out."""
    if not unlisted_names():
        config["nav"] = without_page(config["nav"], _OTHER_PAGE)
    return config


def on_files(files: Any, config: Any) -> Any:
    """Drop the page ``on_config`` left out of the navigation, so it is not built either."""
    other = files.get_file_from_path(_OTHER_PAGE)
    if other is not None and not unlisted_names():
        files.remove(other)
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the generated parts of pages: the benchmark results, the unlisted public names."""
    if _MARKER in markdown:
        markdown = markdown.replace(_MARKER, bench_results_markdown())
    if _UNLISTED in markdown:
        markdown = markdown.replace(_UNLISTED, unlisted_markdown())
    return markdown
