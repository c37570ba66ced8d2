"""``python -m ftjobs.emulator``: run the emulator server."""

from __future__ import annotations

import sys

from ftjobs.emulator._server import main

if __name__ == "__main__":
    sys.exit(main())
