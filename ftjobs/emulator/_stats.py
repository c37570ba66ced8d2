"""Counters of the API requests an emulator has served."""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["RequestStats"]


class RequestStats:
    """Requests served, responses by status (``"dropped"`` for a closed connection), replays."""

    __slots__ = ("by_status", "idempotent_replays", "total")

    def __init__(self) -> None:
        self.total = 0
        self.by_status: Counter[str] = Counter()
        self.idempotent_replays = 0

    def reset(self) -> None:
        """Zero every counter."""
        self.total = 0
        self.by_status.clear()
        self.idempotent_replays = 0

    def to_dict(self) -> dict[str, Any]:
        """The ``requests`` part of ``GET /_emulator/stats``."""
        return {
            "total": self.total,
            "by_status": dict(self.by_status),
            "idempotent_replays": self.idempotent_replays,
        }
