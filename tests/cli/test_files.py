"""``ftjobs files upload`` of a large file: in parts, with a progress bar on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from ftjobs.cli.files import upload_bar
from ftjobs.emulator import EmulatorHandle, get_emulator
from tests.cli.test_commands import _env, run_cli
from tests.emulator.helpers import chat_file


def test_the_bar_draws_on_a_terminal_only() -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80)
    with upload_bar(terminal, "big.jsonl", shown=True) as on_progress:
        assert on_progress is not None
        on_progress(0, 2_000_000)
        on_progress(2_000_000, 2_000_000)
    assert "big.jsonl" in screen.getvalue() and "2.0/2.0 MB" in screen.getvalue()
    piped = Console(file=io.StringIO(), force_terminal=False)
    with upload_bar(piped, "big.jsonl", shown=True) as on_progress:
        assert on_progress is None
    with upload_bar(terminal, "small.jsonl", shown=False) as on_progress:
        assert on_progress is None


async def test_a_file_above_the_threshold_goes_in_parts(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_file(50))
    code, out, err = await run_cli(
        "files", "upload", str(path), "--multipart-threshold", "100", "--json", env=_env(emulator)
    )
    assert code == 0, err
    assert json.loads(out)["bytes"] == path.stat().st_size
    assert get_emulator(emulator.app).uploads.by_status() == {"completed": 1}
