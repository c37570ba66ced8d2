"""The built documentation site: works offline and shows no raw Sphinx markup.

One ``mkdocs build --strict`` per test session (the ``site`` fixture); every test reads its HTML.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._support.docs import ROOT

pytest.importorskip("mkdocs", reason="the docs extra is not installed")

# A Sphinx role left in a docstring renders as text: ":class:<code>Name</code>".
_RAW_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|attr|data|exc|mod|obj|const|ref|term|any|attribute|method"
    r"|function|module|exception):(?=<code|`|~)"
)
# Resources the browser would fetch from another host: scripts, stylesheets, frames, images.
_REMOTE = re.compile(
    r"<(?:script|link|iframe|img|source)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", re.IGNORECASE
)
_PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _pages(site: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(site.rglob("*.html")):
        yield path.relative_to(site).as_posix(), path.read_text(encoding="utf-8")


def test_no_raw_sphinx_role(site: Path) -> None:
    found = [
        f"{page}: ...{text[max(m.start() - 40, 0) : m.end() + 40]}..."
        for page, html in _pages(site)
        for text in [_PRE.sub("", html)]
        for m in _RAW_ROLE.finditer(text)
    ]
    assert not found, "\n".join(found)


def test_docstring_references_are_links(site: Path) -> None:
    # A docstring's [`WaitTimeout`][ftjobs.WaitTimeout] becomes a link to its entry, across pages.
    page = (site / "reference" / "waiting" / "index.html").read_text(encoding="utf-8")
    assert 'href="../errors/#ftjobs.WaitTimeout"><code>WaitTimeout' in page


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    remote = [
        f"{page}: {m.group(0)}" for page, html in _pages(site) for m in _REMOTE.finditer(html)
    ]
    assert not remote, "\n".join(remote)
    # Material fetches mermaid.js from a CDN when a page has a diagram block: none may have one.
    assert not [page for page, html in _pages(site) if 'class="mermaid"' in html]


def test_the_lifecycle_diagram_is_an_image(site: Path) -> None:
    page = (site / "guides" / "lifecycle" / "index.html").read_text(encoding="utf-8")
    assert 'src="../../assets/lifecycle.svg"' in page
    assert (site / "assets" / "lifecycle.svg").is_file()


def test_no_empty_reference_page(site: Path) -> None:
    # "Other names" is built only while some public name has no topic page, and then lists it.
    for page, html in _pages(site):
        if page.startswith("reference/"):
            article = html.split('<article class="md-content__inner', 1)[1].split("</article>")[0]
            assert 'class="doc doc-heading"' in article, f"{page} documents nothing"


def test_the_design_page_is_built(site: Path) -> None:
    page = (site / "design" / "index.html").read_text(encoding="utf-8")
    assert "Decisions and trade-offs" in page


@pytest.mark.parametrize(
    "source", sorted((ROOT / "docs" / "_scripts").glob("*.dot")), ids=lambda p: p.name
)
def test_each_diagram_is_drawn_from_its_source(source: Path) -> None:
    # Redraw with `dot -Tsvg docs/_scripts/NAME.dot -o docs/assets/NAME.svg` after an edit.
    drawn = (ROOT / "docs" / "assets" / f"{source.stem}.svg").read_text(encoding="utf-8")
    shown = set(re.findall(r">([^<>]+)</text>", drawn))
    for label in re.findall(r'label="([^"]+)"', source.read_text(encoding="utf-8")):
        assert set(label.split("\\n")) <= shown, f"{label!r} is not in the drawn SVG"


def test_the_checks_can_fail() -> None:
    assert _RAW_ROLE.search("see :class:<code>Timings</code>")
    assert _RAW_ROLE.search("a :meth:`drain` call")
    assert not _RAW_ROLE.search('{"class": 1} and a:class:b')
    assert _REMOTE.search('<script src="https://unpkg.com/mermaid/dist/mermaid.min.js">')
    assert _REMOTE.search("<link rel=stylesheet href=//fonts.googleapis.com/css>")
    assert not _REMOTE.search('<script src="../assets/javascripts/bundle.min.js">')
    assert not _REMOTE.search('<a href="https://arq-docs.helpmanual.io/">arq</a>')
