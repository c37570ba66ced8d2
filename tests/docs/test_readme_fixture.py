"""README's pytest snippet, as pasted: a fresh directory with the README's two-line pytest.ini,
no ftjobs conftest, a plain ``pytest`` in a subprocess (the default strict pytest-asyncio
mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests._support.docs import ROOT, extract_blocks


def _fixture_snippet() -> str:
    blocks = extract_blocks((ROOT / "README.md").read_text(encoding="utf-8"), "README.md")
    (snippet,) = (b.source for b in blocks if "@pytest_asyncio.fixture" in b.source)
    return snippet


def _pytest_ini() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("```ini\n", 1)[1].split("```", 1)[0]


def test_the_fixture_snippet_passes_as_pasted(tmp_path: Path) -> None:
    snippet = _fixture_snippet()
    assert "def test_" in snippet, "the snippet shows a complete test using the fixture"
    (tmp_path / "test_with_emulator.py").write_text(snippet, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(_pytest_ini(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAI_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_with_emulator.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # No failure, no skip, no warning: not even pytest-asyncio's about its loop scope.
    assert done.stdout.strip().splitlines()[-1].startswith("1 passed in "), out
    assert "warning" not in out.lower() and "asyncio_default_fixture_loop_scope" not in out, out
