"""The typed webhook event (plain data, like the models of `ftjobs._models`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from .._types import NO_EXTRA

__all__ = ["JOB_EVENT_TYPES", "WebhookEvent", "WebhookEventData"]

#: The event types OpenAI sends for fine-tuning jobs; each means the job is terminal.
JOB_EVENT_TYPES = frozenset(
    {"fine_tuning.job.succeeded", "fine_tuning.job.failed", "fine_tuning.job.cancelled"}
)


@attrs.frozen
class WebhookEventData:
    """An event's ``data``: the id of the object it is about (the job, for job events)."""

    id: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class WebhookEvent:
    """A verified webhook event (``client.webhooks.unwrap``).

    The set of types is open: an event of a type ftjobs does not know is kept, with its
    unknown keys in ``extra``, rather than refused.

    Attributes:
        id: The event's id (``evt_...``).
        type: ``fine_tuning.job.succeeded``, ``.failed``, ``.cancelled``, or any other type.
        created_at: Unix seconds when the job reached the state the event reports.
        data: What the event is about; ``data.id`` is the job's id for job events.
        object: Always ``"event"``.
    """

    id: str
    type: str
    created_at: int
    data: WebhookEventData
    object: str = "event"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)

    @property
    def job_id(self) -> str | None:
        """The fine-tuning job the event is about, or ``None`` for another kind of event."""
        return self.data.id if self.type in JOB_EVENT_TYPES else None

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.created_at, tz=UTC)
