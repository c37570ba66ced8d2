"""Small shared types."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

__all__ = ["NOT_GIVEN", "NO_EXTRA", "NotGiven"]


class NotGiven(enum.Enum):
    """Sentinel for "argument not given", where ``None`` is a meaningful value (no timeout)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final[Literal[NotGiven.NOT_GIVEN]] = NotGiven.NOT_GIVEN
"""Default of ``timeout=`` arguments: use the client's setting (``None`` means no limit)."""

# One shared immutable empty mapping, the default ``extra`` of every model: most objects have no
# unknown keys, and a fresh dict per object would cost an allocation on the hot structuring path.
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})
