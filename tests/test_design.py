"""The design page holds: the import graph has no cycle and no arrow the page's layers table
forbids; the public names are those of the page's table, each in one public home; no test module
imports another.

The checker (``tests/_support/design.py``) reads source with `ast`. Each rule is first shown
catching a broken synthetic package written to a temporary directory, so a rule that would
never fail cannot pass for a check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._support.design import (
    Import,
    find_cycles,
    import_problems,
    imports_of_test_modules,
    layer_of,
    parse_layers,
    public_name_problems,
    read_imports,
)

ROOT = Path(__file__).resolve().parents[1]


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


LAYERS = """
Some prose before the table.

| Layer | Modules | May import | Never imports |
| --- | --- | --- | --- |
| models | `pkg._models` | — | `aiohttp`, `cattrs` |
| client | `pkg`, `pkg._client` | models | — |
| emulator | `pkg.emulator`, `pkg.emulator.*` | models | — |

Prose after.
"""

CLEAN = {
    "pkg/__init__.py": "from ._client import Client\n",
    "pkg/_models.py": "import attrs\n\nclass Job:\n    pass\n",
    "pkg/_client.py": "from . import _models\n\nclass Client:\n    pass\n",
    "pkg/emulator/__init__.py": "from ._clock import Clock\n",
    "pkg/emulator/_clock.py": "from pkg._models import Job\n\nclass Clock:\n    pass\n",
}

BROKEN = {
    **CLEAN,
    # A cycle closed under TYPE_CHECKING, a forbidden arrow inside a function, and a
    # third-party module the models layer never imports.
    "pkg/_models.py": (
        "from typing import TYPE_CHECKING\n"
        "import aiohttp.web\n"
        "if TYPE_CHECKING:\n"
        "    from ._client import Client\n"
        "def now() -> float:\n"
        "    from .emulator import _clock\n"
        "    return 0.0\n"
    ),
}


def test_a_clean_package_has_no_problems(tmp_path: Path) -> None:
    write_package(tmp_path, CLEAN)
    assert import_problems(tmp_path, "pkg", LAYERS) == []


def test_a_cycle_and_forbidden_arrows_are_reported(tmp_path: Path) -> None:
    write_package(tmp_path, BROKEN)
    assert import_problems(tmp_path, "pkg", LAYERS) == [
        # The clock imports the models, so the models' import of the clock closes a cycle too.
        "import cycle: pkg._client -> pkg._models -> pkg._client "
        "(a knot of 3: pkg._client, pkg._models, pkg.emulator._clock)",
        "pkg._models:2 (module) imports aiohttp.web: layer models never imports aiohttp",
        "pkg._models:4 (TYPE_CHECKING) imports pkg._client: layer models may not import "
        "layer client",
        "pkg._models:6 (function) imports pkg.emulator._clock: layer models may not import "
        "layer emulator",
    ]


def test_every_kind_of_import_is_read(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "",
            "pkg/sub/__init__.py": "from .b import X\n",
            "pkg/sub/b.py": (
                "import os.path\n"
                "import pkg.a as alias\n"
                "from .. import a\n"
                "from ..a import thing\n"
                "from . import c, helper\n"
                "import typing\n"
                "if typing.TYPE_CHECKING:\n"
                "    from pkg import a\n"
                "else:\n"
                "    import json\n"
                "async def f():\n"
                "    from pkg.sub import c\n"
                "class K:\n"
                "    def m(self):\n"
                "        import pkg\n"
            ),
            "pkg/sub/c.py": "",
        },
    )
    graph = read_imports(tmp_path, "pkg")
    assert graph["pkg.sub"] == [Import("pkg.sub.b", 1, "module")]
    assert graph["pkg.sub.b"] == [
        Import("os.path", 1, "module"),
        Import("pkg.a", 2, "module"),
        Import("pkg.a", 3, "module"),  # `from .. import a`: a is a module
        Import("pkg.a", 4, "module"),
        Import("pkg.sub.c", 5, "module"),
        Import("pkg.sub", 5, "module"),  # `helper` is a name of the package, not a module
        Import("typing", 6, "module"),
        Import("pkg.a", 8, "TYPE_CHECKING"),
        Import("json", 10, "module"),  # the else branch runs
        Import("pkg.sub.c", 12, "function"),
        Import("pkg", 15, "function"),
    ]


def test_every_knot_is_reported_with_a_shortest_path(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from . import b\n",
            "pkg/b.py": "from . import c\n",
            "pkg/c.py": "from . import a, d\n",
            "pkg/d.py": "from . import c\n",
            "pkg/x.py": "from . import y\n",
            "pkg/y.py": "def f():\n    from . import x\n",
        },
    )
    cycles = find_cycles(read_imports(tmp_path, "pkg"))
    assert [c.path for c in cycles] == [
        ("pkg.x", "pkg.y", "pkg.x"),
        ("pkg.a", "pkg.b", "pkg.c", "pkg.a"),
    ]
    assert str(cycles[1]) == (
        "import cycle: pkg.a -> pkg.b -> pkg.c -> pkg.a (a knot of 4: pkg.a, pkg.b, pkg.c, pkg.d)"
    )


def test_a_module_in_no_layer_is_reported(tmp_path: Path) -> None:
    write_package(tmp_path, {**CLEAN, "pkg/_stray.py": ""})
    assert import_problems(tmp_path, "pkg", LAYERS) == ["pkg._stray is in no layer of the table"]


def test_a_module_belongs_to_its_exact_row_else_the_longest_glob() -> None:
    layers = parse_layers(
        "| Layer | Modules | May import | Never imports |\n|-|-|-|-|\n"
        "| top | `p.*` | — | — |\n"
        "| waiting | `p.waiting.*` | top | — |\n"
        "| pure | `p.waiting._policy` | — | `asyncio` |\n"
    )
    found = {m: layer_of(m, layers) for m in ("p.x", "p.waiting._w", "p.waiting._policy", "q")}
    assert {m: layer.name if layer else None for m, layer in found.items()} == {
        "p.x": "top",
        "p.waiting._w": "waiting",
        "p.waiting._policy": "pure",
        "q": None,
    }


def test_a_layer_may_import_single_modules_of_another(tmp_path: Path) -> None:
    write_package(tmp_path, {**CLEAN, "pkg/emulator/_clock.py": "from pkg import _client\n"})
    page = LAYERS.replace(
        "| `pkg.emulator`, `pkg.emulator.*` | models |",
        "| `pkg.emulator`, `pkg.emulator.*` | models, `pkg._client` |",
    )
    assert import_problems(tmp_path, "pkg", LAYERS) == [
        "pkg.emulator._clock:1 (module) imports pkg._client: layer emulator may not import "
        "layer client"
    ]
    assert import_problems(tmp_path, "pkg", page) == []


def test_a_row_naming_an_unknown_layer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown layers"):
        parse_layers(
            "| Layer | Modules | May import | Never imports |\n|-|-|-|-|\n| a | `p` | b | — |\n"
        )


def test_a_page_without_the_table_is_refused(tmp_path: Path) -> None:
    write_package(tmp_path, CLEAN)
    with pytest.raises(ValueError, match="no table with the header Layer"):
        import_problems(tmp_path, "pkg", "# Design\n\nNo table here.\n")


# -- public names -------------------------------------------------------------------------

NAMES = """
| Public module | Names |
| --- | --- |
| `pkg` | `Client`, `Job` |
| `pkg.types` | `Job`, `Gone` |
| `pkg.emulator` | `Clock` |
"""


def test_public_names_without_problems(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": '__all__ = ["Client", "Job"]\n',
            "pkg/_client.py": "",  # internal: no __all__ needed
            "pkg/types.py": '__all__ = ("Job",)\n__all__ += ["Gone"]\n',
            "pkg/emulator/__init__.py": "__all__: list[str] = ['Clock']\n",
        },
    )
    assert public_name_problems(tmp_path, "pkg", NAMES) == []


def test_public_name_problems_are_reported(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": '__all__ = ["Client", "Job"]\n',
            # Clock is the emulator's, exported twice; the two mains are two functions.
            "pkg/types.py": (
                'from .emulator import Clock\n\n__all__ = ["Job", "Clock", "main"]\n'
                "def main(): ...\n"
            ),
            "pkg/emulator/__init__.py": 'from ._clock import *\n\n__all__ = ["Clock", "main"]\n',
            "pkg/emulator/_clock.py": "class Clock: ...\ndef main(): ...\n",
            "pkg/emulator/serve.py": "def main(): ...\n",
        },
    )
    assert public_name_problems(tmp_path, "pkg", NAMES) == [
        "pkg.emulator.serve has no __all__",
        "Clock is exported by pkg.emulator, pkg.types",
        "pkg.emulator exports ['main'], not in the table",
        "pkg.emulator.serve is missing from the public names table",
        "pkg.types exports ['Clock', 'main'], not in the table",
        "the table lists ['Gone'] for pkg.types, which does not export them",
    ]


def test_a_computed_all_is_refused(tmp_path: Path) -> None:
    write_package(tmp_path, {"pkg/__init__.py": "__all__ = sorted(globals())\n"})
    with pytest.raises(ValueError, match="pkg: __all__ is not a literal"):
        public_name_problems(tmp_path, "pkg", None)


# -- the test suite -----------------------------------------------------------------------


def test_an_import_of_a_test_module_or_a_conftest_is_reported(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "suite/__init__.py": "",
            "suite/conftest.py": "",
            "suite/_support.py": "",
            "suite/test_a.py": "from suite._support import x\nfrom .conftest import y\n",
            "suite/sub/__init__.py": "",
            "suite/sub/test_b.py": "def t():\n    from suite.test_a import z\n",
        },
    )
    assert imports_of_test_modules(tmp_path, "suite") == [
        "suite.sub.test_b:2 imports suite.test_a",
        "suite.test_a:2 imports suite.conftest",
    ]


def test_no_test_module_imports_a_test_module_or_a_conftest() -> None:
    assert imports_of_test_modules(ROOT, "tests") == []


# -- the real package against the design page -------------------------------------------------

DESIGN = ROOT / "docs" / "design.md"


def test_the_package_imports_only_what_the_design_page_allows() -> None:
    problems = import_problems(ROOT, "ftjobs", DESIGN.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_the_public_names_are_the_design_pages() -> None:
    problems = public_name_problems(ROOT, "ftjobs", DESIGN.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)
