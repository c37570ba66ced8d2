"""``python -m ftjobs``: the ``ftjobs`` command line (for when the script is not on PATH)."""

from ftjobs.cli import main

raise SystemExit(main())
