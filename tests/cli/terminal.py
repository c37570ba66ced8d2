"""Run the CLI in a real pseudo-terminal and replay what it drew into pyte terminal emulators.

The child sees an 80x24 terminal (``TIOCSWINSZ`` on the pty). Its output is replayed twice:
into a screen wider than the terminal, whose every ``draw`` records the column the cursor
reached (a character drawn past column 80 would have wrapped on the real terminal, and a live
redraw that counts lines would then overwrite the wrong ones), and into an 80x24 screen with
scrollback, which shows what the user is left looking at.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Mapping

import attrs
import pyte

PROGRAM = "import sys; from ftjobs.cli import main; sys.exit(main())"


class _WidthProbe(pyte.Screen):
    """A screen that remembers the rightmost column anything was drawn up to."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.widest = 0
        self.widest_text = ""

    def draw(self, data: str) -> None:
        super().draw(data)
        if self.cursor.x > self.widest:
            self.widest = self.cursor.x
            self.widest_text = data


@attrs.frozen
class Drawn:
    """What a run in the terminal drew."""

    code: int
    raw: bytes
    widest: int
    """The rightmost column any character was drawn up to (1-based)."""
    widest_text: str
    lines: list[str]
    """The 80-column screen's scrollback then its visible lines, right-stripped."""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_in_terminal(
    *args: str,
    env: Mapping[str, str] | None = None,
    columns: int = 80,
    lines: int = 24,
    interrupt_on: bytes | None = None,
    seen: tuple[bytes, threading.Event] | None = None,
    timeout: float = 90,
    cwd: str | os.PathLike[str] | None = None,
) -> Drawn:
    """Run ``ftjobs ARGS`` on a pty of ``columns`` x ``lines`` until it exits (blocking), in
    the directory ``cwd`` (default: this one).

    With ``interrupt_on``, send SIGINT (what Ctrl-C does) once the output contains it; with
    ``seen=(text, event)``, set the event once the output contains the text.
    """
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENAI_") and k not in ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR")
    }
    full_env.update({"TERM": "xterm-256color", **(env or {})})
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
        # A shell running the suite in the background hands its children SIGINT ignored, and
        # Python then installs no KeyboardInterrupt handler: Ctrl-C must reach the CLI as a
        # terminal's would.
        preexec_fn=_default_sigint,
    )
    os.close(slave)
    raw = bytearray()
    deadline = time.monotonic() + timeout
    interrupted = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                raw += chunk
            if seen is not None and seen[0] in raw:
                seen[1].set()
            if interrupt_on is not None and not interrupted and interrupt_on in raw:
                proc.send_signal(signal.SIGINT)
                interrupted = True
        else:
            raise AssertionError(f"ftjobs {' '.join(args)} did not finish:\n{raw.decode()}")
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    probe = _WidthProbe(columns * 4, lines)
    pyte.ByteStream(probe).feed(bytes(raw))
    screen = pyte.HistoryScreen(columns, lines, history=10_000)
    pyte.ByteStream(screen).feed(bytes(raw))
    history = [
        "".join(line[x].data for x in range(columns)).rstrip() for line in screen.history.top
    ]
    visible = [line.rstrip() for line in screen.display]
    while visible and not visible[-1]:
        visible.pop()
    return Drawn(code, bytes(raw), probe.widest, probe.widest_text, history + visible)
