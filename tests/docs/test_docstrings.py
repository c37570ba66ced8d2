"""Every public name has a docstring: the API reference is rendered from them.

Checked: every name in the ``__all__`` of each public home (``hooks.PUBLIC_MODULES``:
``ftjobs``, ``ftjobs.types``, ``ftjobs.waiting``, ... ``ftjobs.emulator``); every public
method and property defined on their classes (and on the
resources behind ``client.jobs``, ``client.files``, ``client.uploads``, ``client.checkpoints``
and ``client.graders``). Constants cannot carry a runtime
docstring, so for them the source must have one: a string literal right after the assignment,
or a ``#:`` comment right before it.
"""

from __future__ import annotations

import ast
import enum
import importlib
import importlib.util
import inspect
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ftjobs
import ftjobs.emulator
from ftjobs.resources import CheckpointPermissions, Checkpoints, Files, Graders, Jobs, Uploads

EXTRA_CLASSES: tuple[type, ...] = (
    Jobs,
    Files,
    Uploads,
    Checkpoints,
    CheckpointPermissions,
    Graders,
)
ROOT = Path(__file__).resolve().parents[2]


def _load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hooks", ROOT / "docs" / "_scripts" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _load_hooks()
_INHERITED_DOCS = {
    inspect.getdoc(base) for base in (object, Exception, ValueError, RuntimeError, enum.Enum)
}


def _public(module: ModuleType) -> Iterator[tuple[str, Any]]:
    for name in module.__all__:
        if name.startswith("__"):
            continue
        yield f"{module.__name__}.{name}", getattr(module, name)


def _documented(obj: Any) -> bool:
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else inspect.getdoc(obj)
    return bool(doc and doc.strip()) and inspect.cleandoc(doc) not in _INHERITED_DOCS


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            yield name, value.__func__
        elif isinstance(value, property) or inspect.isfunction(value):
            yield name, value


@cache
def _documented_constants() -> frozenset[str]:
    """Module-level names with an attribute docstring or a ``#:`` comment, package-wide."""
    found: set[str] = set()
    root = Path(ftjobs.__file__).parent
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        body = ast.parse(source).body
        for i, node in enumerate(body):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not names:
                continue
            following = body[i + 1] if i + 1 < len(body) else None
            has_string = (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            )
            has_comment = node.lineno >= 2 and lines[node.lineno - 2].lstrip().startswith("#:")
            if has_string or has_comment:
                found.update(names)
    return frozenset(found)


def _optional_modules() -> list[ModuleType]:
    """Public modules behind an extra, when it is installed (the dev extra installs them)."""
    try:
        import ftjobs.contrib.arq
    except ImportError:
        return []
    return [ftjobs.contrib.arq]


def _public_objects() -> list[tuple[str, Any]]:
    objects = [
        entry
        for module in map(importlib.import_module, hooks.PUBLIC_MODULES)
        for entry in _public(module)
    ]
    for module in _optional_modules():
        objects += _public(module)
    return objects


@pytest.mark.parametrize(
    ("name", "obj"), _public_objects(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_public_name_has_docstring(name: str, obj: Any) -> None:
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj):
        assert _documented(obj), f"{name} has no docstring"
    else:
        short = name.rsplit(".", 1)[-1]
        assert short in _documented_constants(), (
            f"{name} is a constant without a docstring: add a string literal after its "
            "assignment or a '#:' comment before it"
        )


def _classes() -> list[type]:
    classes = [obj for _, obj in _public_objects() if inspect.isclass(obj)]
    return [*classes, *EXTRA_CLASSES]


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: c.__qualname__)
def test_public_members_have_docstrings(cls: type) -> None:
    missing = [name for name, member in _members(cls) if not _documented(member)]
    assert not missing, f"{cls.__module__}.{cls.__qualname__}: no docstring on {missing}"


def test_the_check_can_fail() -> None:
    class Undocumented:
        def method(self) -> None:
            pass

    assert not _documented(Undocumented)
    assert [name for name, m in _members(Undocumented) if not _documented(m)] == ["method"]
    assert "DEFAULT_WAIT_TIMEOUT" in _documented_constants()


def test_reference_renders_every_public_name() -> None:
    """Names no reference page lists explicitly are rendered on the "Other names" page."""
    listed = hooks.referenced_names()
    unlisted = hooks.unlisted_names()
    for module in map(importlib.import_module, hooks.PUBLIC_MODULES):
        for name in module.__all__:
            if not name.startswith("__"):
                assert name in listed or f"{module.__name__}.{name}" in unlisted, name
    for module in _optional_modules():  # not auto-listed: each has its own reference page
        missing = [name for name in module.__all__ if name not in listed]
        assert not missing, f"add '::: {module.__name__}.NAME' to docs/reference/ for {missing}"
    page = (ROOT / "docs" / "reference" / "other.md").read_text(encoding="utf-8")
    assert "<!-- unlisted-public-names -->" in page


def test_unlisted_names_are_found(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text("# Page\n\n::: ftjobs.AsyncClient\n")
    unlisted = hooks.unlisted_names(tmp_path)
    assert "ftjobs.AsyncClient" not in unlisted
    assert "ftjobs.FineTuningJob" in unlisted and "ftjobs.emulator.serve_emulator" in unlisted
    assert "::: ftjobs.FineTuningJob" in hooks.unlisted_markdown(tmp_path)
