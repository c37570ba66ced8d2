"""The design page's rules, checked against the code: the import graph and the public names.

Everything here reads source with `ast` and never imports the package it checks, so it runs the
same on ftjobs and on a small synthetic package a test writes to a temporary directory.

The import graph counts every import statement wherever it stands: at module level, under
``if TYPE_CHECKING:``, inside a function. ``from . import x`` where ``x`` is a module of the
package counts as importing ``x``. Importing a module is not counted as importing its parent
packages (Python runs their ``__init__`` first, but that is not an arrow anyone wrote).

The page states the layers as a Markdown table (see `parse_layers`) and the public names as a
second one (see `parse_public_names`); the tests compare both with the code.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

# -- the import graph -----------------------------------------------------------------------


@attrs.frozen
class Import:
    """One imported module, as one statement of one module wrote it."""

    target: str  # the module imported, dotted and absolute
    line: int
    where: str  # "module", "TYPE_CHECKING" or "function"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a directory under ``root``) by its dotted name."""
    modules: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Collects the imports of one module, noting where each statement stands."""

    def __init__(self, module: str, is_package: bool, modules: Iterable[str]) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.modules = set(modules)
        self.found: list[Import] = []
        self._where = ["module"]

    def _add(self, target: str, node: ast.stmt) -> None:
        found = Import(target, node.lineno, self._where[-1])
        if found not in self.found:
            self.found.append(found)

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self._where.append("TYPE_CHECKING")
        for child in node.body:
            self.visit(child)
        self._where.pop()
        for child in node.orelse:
            self.visit(child)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._where.append("function")
        self.generic_visit(node)
        self._where.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module or ""
        for alias in node.names:
            # `from . import x` (or `from pkg import x`) where x is a module imports x, and
            # needs of the package only what any submodule needs: its parent run first.
            if f"{source}.{alias.name}" in self.modules:
                self._add(f"{source}.{alias.name}", node)
            else:
                self._add(source, node)


def read_imports(root: Path, package: str) -> dict[str, list[Import]]:
    """Every import of every module of ``package``, by importing module."""
    files = module_files(root, package)
    graph: dict[str, list[Import]] = {}
    for module, path in files.items():
        visitor = _Imports(module, path.name == "__init__.py", files)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        graph[module] = visitor.found
    return graph


def internal_edges(graph: Mapping[str, list[Import]]) -> dict[str, set[str]]:
    """The arrows between the package's own modules (a module importing itself excluded)."""
    return {
        module: {i.target for i in imports if i.target in graph and i.target != module}
        for module, imports in graph.items()
    }


@attrs.frozen
class Cycle:
    """A knot of modules that import each other (a strongly connected component of two or
    more modules), with one closed path through it."""

    modules: tuple[str, ...]  # every module of the knot, sorted
    path: tuple[str, ...]  # a shortest cycle through the first of them: (a, b, ..., a)

    def __str__(self) -> str:
        knot = f" (a knot of {len(self.modules)}: {', '.join(self.modules)})"
        return (
            "import cycle: "
            + " -> ".join(self.path)
            + (knot if len(self.path) < len(self.modules) + 1 else "")
        )


def find_cycles(graph: Mapping[str, list[Import]]) -> list[Cycle]:
    """Every knot of modules that import each other, smallest first."""
    edges = internal_edges(graph)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    cycles = [Cycle(tuple(c), tuple(_shortest_cycle(c, edges))) for c in components]
    return sorted(cycles, key=lambda c: (len(c.modules), c.modules))


def _shortest_cycle(component: list[str], edges: Mapping[str, set[str]]) -> list[str]:
    """The shortest closed path through the first module of a component (breadth first)."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(edges[node] & members):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{component} is not strongly connected")  # pragma: no cover


# -- the layers the page states -----------------------------------------------------------


@attrs.frozen
class Layer:
    """One row of the page's layers table."""

    name: str
    modules: tuple[str, ...]  # names or globs (``ftjobs.emulator.*``)
    may_import: frozenset[str]  # names of layers (its own is always allowed)
    never_imports: tuple[str, ...]  # third-party modules; ``aiohttp`` covers ``aiohttp.web``
    may_import_modules: tuple[str, ...] = ()  # modules of other layers, by name or glob


LAYERS_HEADER = ("Layer", "Modules", "May import", "Never imports")
_NOTHING = {"", "-", "—", "nothing"}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _names(cell: str) -> tuple[str, ...]:
    if cell.strip().lower() in _NOTHING:
        return ()
    return tuple(part.replace("`", "").strip() for part in cell.split(","))


def _table(text: str, header: tuple[str, ...]) -> list[list[str]]:
    """The body rows of the Markdown table of ``text`` with this header row."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("|") and tuple(_cells(line)) == header:
            rows = []
            for row in lines[i + 2 :]:
                if not row.lstrip().startswith("|"):
                    break
                rows.append(_cells(row))
            return rows
    raise ValueError(f"no table with the header {' | '.join(header)}")


def parse_layers(text: str) -> list[Layer]:
    """The layers table of a design page: one row per layer; its modules (names, or globs such
    as ``ftjobs.emulator.*``), what it may import (comma-separated: plain words are layers,
    names in backticks are single modules of other layers, or globs), and the third-party
    modules it never imports. A module belongs to the row that names it exactly, else to the
    row with the longest glob that matches it."""
    layers = []
    for row in _table(text, LAYERS_HEADER):
        name, modules, may, never = row
        entries = [] if may.strip().lower() in _NOTHING else [e.strip() for e in may.split(",")]
        may_layers = frozenset(e for e in entries if not e.startswith("`"))
        may_modules = tuple(e.strip("`") for e in entries if e.startswith("`"))
        layers.append(Layer(name, _names(modules), may_layers, _names(never), may_modules))
    known = {layer.name for layer in layers}
    for layer in layers:
        unknown = layer.may_import - known
        if unknown:
            raise ValueError(f"layer {layer.name} may import unknown layers {sorted(unknown)}")
    return layers


def layer_of(module: str, layers: Iterable[Layer]) -> Layer | None:
    """The layer ``module`` belongs to (exact name first, then the longest matching glob)."""
    best: Layer | None = None
    best_length = 0
    for layer in layers:
        for pattern in layer.modules:
            if pattern == module:
                return layer
            is_glob = any(c in pattern for c in "*?[")
            if is_glob and fnmatch.fnmatchcase(module, pattern) and len(pattern) > best_length:
                best, best_length = layer, len(pattern)
    return best


def _covers(pattern: str, module: str) -> bool:
    return module == pattern or module.startswith(pattern + ".")


def forbidden_arrows(graph: Mapping[str, list[Import]], layers: list[Layer]) -> list[str]:
    """Every import the layers forbid, one line each, and every module in no layer."""
    problems = []
    for module in sorted(graph):
        layer = layer_of(module, layers)
        if layer is None:
            problems.append(f"{module} is in no layer of the table")
            continue
        for imp in graph[module]:
            at = f"{module}:{imp.line} ({imp.where})"
            if imp.target in graph:
                other = layer_of(imp.target, layers)
                if other is None or other is layer or other.name in layer.may_import:
                    continue
                if any(fnmatch.fnmatchcase(imp.target, p) for p in layer.may_import_modules):
                    continue
                problems.append(
                    f"{at} imports {imp.target}: layer {layer.name} may not import "
                    f"layer {other.name}"
                )
            else:
                for pattern in layer.never_imports:
                    if _covers(pattern, imp.target):
                        problems.append(
                            f"{at} imports {imp.target}: layer {layer.name} never imports {pattern}"
                        )
    return problems


def import_problems(root: Path, package: str, page: str) -> list[str]:
    """Everything wrong with ``package``'s imports against the page: cycles, then arrows."""
    graph = read_imports(root, package)
    cycles = [str(cycle) for cycle in find_cycles(graph)]
    return cycles + forbidden_arrows(graph, parse_layers(page))


# -- the public names ---------------------------------------------------------------------

PUBLIC_NAMES_HEADER = ("Public module", "Names")


def is_public(module: str) -> bool:
    """A module is public when no segment of its dotted name starts with an underscore."""
    return not any(part.startswith("_") for part in module.split("."))


def _literal_all(tree: ast.Module, where: str) -> list[str] | None:
    names: list[str] | None = None
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets, value = [node.target], node.value
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        try:
            found = ast.literal_eval(value) if value is not None else None
        except ValueError:
            raise ValueError(f"{where}: __all__ is not a literal list of names") from None
        if not isinstance(found, list | tuple):
            raise ValueError(f"{where}: __all__ is not a literal list of names")
        names = [*(names or []), *found] if isinstance(node, ast.AugAssign) else list(found)
    return names


def _origins(root: Path, package: str) -> dict[str, dict[str, tuple[str, str]]]:
    """For every module, each name it imports with ``from X import name``: (X, name)."""
    files = module_files(root, package)
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for module, path in files.items():
        base = module if path.name == "__init__.py" else module.rpartition(".")[0]
        names: dict[str, tuple[str, str]] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = base.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    source = ".".join([*parts, node.module] if node.module else parts)
                else:
                    source = node.module or ""
                for alias in node.names:
                    names[alias.asname or alias.name] = (source, alias.name)
        found[module] = names
    return found


def definition(module: str, name: str, origins: Mapping[str, Mapping[str, tuple[str, str]]]) -> str:
    """Where ``module``'s ``name`` is defined, following ``from X import name`` through the
    package: ``"pkg._models.Job"`` (two exports are one name when this is the same)."""
    seen = set()
    while name in origins.get(module, {}) and (module, name) not in seen:
        seen.add((module, name))
        module, name = origins[module][name]
    return f"{module}.{name}"


def public_exports(root: Path, package: str) -> dict[str, list[str] | None]:
    """``__all__`` of every public module of ``package`` (None where it has none)."""
    exports: dict[str, list[str] | None] = {}
    for module, path in module_files(root, package).items():
        if is_public(module):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            exports[module] = _literal_all(tree, module)
    return exports


def parse_public_names(text: str) -> dict[str, set[str]]:
    """The public names table of a design page: public module -> the names it exports."""
    return {
        _names(module)[0]: set(_names(names)) for module, names in _table(text, PUBLIC_NAMES_HEADER)
    }


def public_name_problems(root: Path, package: str, page: str | None) -> list[str]:
    """What is wrong with the public names: a public module without ``__all__``; a name
    exported by two public modules besides the top-level package (the same object: two
    modules may each have their own ``main``); and, with a page, every
    difference between its public names table and the code."""
    exports = public_exports(root, package)
    origins = _origins(root, package)
    problems = [f"{module} has no __all__" for module, names in exports.items() if names is None]
    homes: dict[tuple[str, str], list[str]] = {}
    for module, names in exports.items():
        for name in names or ():
            if module != package:
                homes.setdefault((name, definition(module, name, origins)), []).append(module)
    for (name, _), modules in sorted(homes.items()):
        if len(modules) > 1:
            problems.append(f"{name} is exported by {', '.join(sorted(modules))}")
    if page is None:
        return problems
    table = parse_public_names(page)
    for module in sorted(set(exports) | set(table)):
        if module not in table:
            problems.append(f"{module} is missing from the public names table")
            continue
        if module not in exports:
            problems.append(f"the public names table lists {module}, which is not a module")
            continue
        real = set(exports[module] or ())
        if missing := sorted(real - table[module]):
            problems.append(f"{module} exports {missing}, not in the table")
        if extra := sorted(table[module] - real):
            problems.append(f"the table lists {extra} for {module}, which does not export them")
    return problems


# -- the test suite's own rule ----------------------------------------------------------------


def imports_of_test_modules(root: Path, package: str) -> list[str]:
    """Every import of a test module (``test_*``) or of a ``conftest`` by a module of the test
    suite ``package``: shared data and helpers belong in a support module, fixtures in
    conftest.py, where pytest finds them without an import."""
    problems = []
    for module, imports in sorted(read_imports(root, package).items()):
        for imp in imports:
            last = imp.target.rpartition(".")[2]
            if imp.target.startswith(package + ".") and (
                last.startswith("test_") or last == "conftest"
            ):
                problems.append(f"{module}:{imp.line} imports {imp.target}")
    return problems
