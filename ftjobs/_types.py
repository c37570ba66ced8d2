"""Small shared types."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

__all__ = ["NOT_GIVEN", "NO_EXTRA", "RARE", "NotGiven"]

RARE: Final = "ftjobs_rare"
"""Field metadata key: ``attrs.field(default=None, metadata={RARE: True})`` marks an optional
field of a model that most payloads leave out (a provider's own, such as a job's
``provider_status``); the generated fast path looks it up only when the object has keys
beyond the common ones (`ftjobs._fastpath`)."""


class NotGiven(enum.Enum):
    """Sentinel for "argument not given", where ``None`` is a meaningful value (no timeout)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final[Literal[NotGiven.NOT_GIVEN]] = NotGiven.NOT_GIVEN
"""Default of ``timeout=`` arguments: use the client's setting (``None`` means no limit)."""


class _NoExtra(Mapping[str, Any]):
    """The empty, immutable ``extra`` of a model that has no unknown keys."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return hash(frozenset())

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        # Pickled and copied as the one shared instance (a mappingproxy cannot be pickled, so
        # no model without unknown keys could be).
        return "NO_EXTRA"


# One shared immutable empty mapping, the default ``extra`` of every model: most objects have no
# unknown keys, and a fresh dict per object would cost an allocation on the hot structuring path.
NO_EXTRA: Mapping[str, Any] = _NoExtra()
