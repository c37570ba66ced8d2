"""Small shared types."""

from __future__ import annotations

import enum
from typing import Final, Literal

__all__ = ["NOT_GIVEN", "NotGiven"]


class NotGiven(enum.Enum):
    """Sentinel for "argument not given", where ``None`` is a meaningful value (no timeout)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final[Literal[NotGiven.NOT_GIVEN]] = NotGiven.NOT_GIVEN
"""Default of ``timeout=`` arguments: use the client's setting (``None`` means no limit)."""
