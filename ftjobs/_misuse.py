"""Plain words for the two ways an async client is most often misused: ``with`` instead of
``async with``, and a client that is never closed.

Python's own messages ("does not support the context manager protocol") and aiohttp's
("Unclosed client session", "Unclosed connector", at a place inside aiohttp) name neither the
fix nor the line of the user's code that made the client; these do.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["SYNC_WITH", "creation_site", "unclosed_message", "warn_unclosed"]

SYNC_WITH = (
    "{name} is an async client: use `async with {name}(...) as client:` inside an "
    "`async def` (or call `await client.close()` when done), not `with`"
)

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def creation_site() -> str:
    """``file:line`` of the first frame outside ftjobs on the stack (the caller's line)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def unclosed_message(name: str, site: str) -> str:
    """What the unclosed-client warning says."""
    return (
        f"an {name} created at {site} was never closed: use `async with {name}(...) as "
        "client:`, or `await client.close()` when done (ftjobs closed its connections now)"
    )


def warn_unclosed(name: str, site: str) -> None:
    """Emit the ``ResourceWarning`` for an unclosed client (from its ``__del__``)."""
    warnings.warn(unclosed_message(name, site), ResourceWarning, stacklevel=1)
