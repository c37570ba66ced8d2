"""Typed models of the fine-tuning jobs and Files API objects.

All models are frozen, slotted attrs classes. They are plain data: building them from JSON
and turning them back into JSON is the job of `ftjobs._converter`.

Every model that comes from the server carries ``extra``: the JSON keys it does not know,
kept so that nothing the server sent is lost and unstructuring writes them back. Top-level
response models also carry ``request_id`` (the response's ``x-request-id``), which is not part
of the JSON and takes no part in equality.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Annotated, Any, Generic, Literal, Protocol, TypeAlias, TypeVar

import attrs

from ._types import NO_EXTRA, RARE
from .graders import Grader

__all__ = [
    "LEVEL_ALIASES",
    "STATUS_ALIASES",
    "TERMINAL_STATUSES",
    "Auto",
    "CheckpointMetrics",
    "CheckpointPermission",
    "CheckpointPermissionDeleted",
    "DpoHyperparameters",
    "DpoMethod",
    "EventLevel",
    "FileDeleted",
    "FileExpiration",
    "FileObject",
    "FineTuneMethod",
    "FineTuningJob",
    "FineTuningJobCheckpoint",
    "FineTuningJobEvent",
    "HasId",
    "Hyperparameters",
    "JobError",
    "JobProgress",
    "JobStatus",
    "Page",
    "ReinforcementHyperparameters",
    "ReinforcementMethod",
    "SupervisedHyperparameters",
    "SupervisedMethod",
    "Timestamp",
    "Upload",
    "UploadPart",
    "WandbConfig",
    "WandbIntegration",
]

Auto: TypeAlias = Literal["auto"]
"""The literal ``"auto"``: let the server choose a hyperparameter."""


Timestamp: TypeAlias = Annotated[int, "unix-seconds"]
"""Unix seconds. Read leniently: an int, a float, a digit string or an ISO-8601 string (a
naive one taken as UTC) all become int seconds; to the type checker it is an ``int``."""


def _utc(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


class JobStatus(enum.StrEnum):
    """Known states of a fine-tuning job.

    The set is open: a status the SDK does not know (Azure's ``pending``, ``notRunning`` and
    ``canceling``, a future state) is kept on `FineTuningJob.status` as the plain string
    received. Azure's spelling ``canceled`` is `CANCELLED` (see
    [`STATUS_ALIASES`][ftjobs.types.STATUS_ALIASES]).
    """

    VALIDATING_FILES = "validating_files"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Missing from the spec's enum, yet returned by POST /pause.
    PAUSED = "paused"

    @classmethod
    def _missing_(cls, value: object) -> JobStatus | None:
        return STATUS_ALIASES.get(value) if isinstance(value, str) else None


STATUS_ALIASES: Mapping[str, JobStatus] = MappingProxyType({"canceled": JobStatus.CANCELLED})
"""Other servers' spellings of known statuses (Azure OpenAI's ``canceled``)."""


class EventLevel(enum.StrEnum):
    """Levels of a job event.

    The set is open like [JobStatus][ftjobs.JobStatus]'s: an unknown level is kept as the
    string received. Azure OpenAI's ``warning`` is ``WARN`` (see `LEVEL_ALIASES`), so one
    comparison covers both servers.
    """

    INFO = "info"
    WARN = "warn"
    ERROR = "error"

    @classmethod
    def _missing_(cls, value: object) -> EventLevel | None:
        return LEVEL_ALIASES.get(value) if isinstance(value, str) else None


LEVEL_ALIASES: Mapping[str, EventLevel] = MappingProxyType({"warning": EventLevel.WARN})
"""Other servers' spellings of known event levels (Azure OpenAI's ``warning``)."""

OPEN_ENUMS: Mapping[type[enum.Enum], Mapping[str, enum.Enum]] = MappingProxyType(
    {JobStatus: STATUS_ALIASES, EventLevel: LEVEL_ALIASES}
)
"""The open enums (a field typed ``Enum | str``) with their aliases: the converter turns a
known value or alias into the member and keeps any other string as it is."""

TERMINAL_STATUSES: frozenset[JobStatus] = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
)
"""Statuses after which a job never changes again."""


class _Slotted:
    """Base of the models: it holds their weak-reference slot, so that a model's own slots
    are its fields alone. Python lets an object change class only between classes whose
    added slots match exactly, a weak-reference slot among them never; with it here, a plain
    class of the same slots can build a model (``ftjobs._fastpath``, ``builder_of``)."""

    __slots__ = ("__weakref__",)


@attrs.frozen
class JobError(_Slotted):
    """Why a job failed.

    The spec requires ``code`` and ``message``; they still default to None so that a
    half-filled error from some server is kept rather than rejected.

    Attributes:
        code: Machine-readable error code.
        message: Human-readable message.
        param: The offending parameter (``training_file``...), or None.
    """

    code: str | None = None
    message: str | None = None
    param: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class Hyperparameters(_Slotted):
    """Hyperparameters echoed on a job (the legacy top-level ``hyperparameters``).

    None means the server did not send the value.
    """

    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    n_epochs: int | Auto | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class SupervisedHyperparameters(_Slotted):
    """Hyperparameters of a supervised job. None means "not sent" (the server's default)."""

    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    n_epochs: int | Auto | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class DpoHyperparameters(_Slotted):
    """Hyperparameters of a DPO job. None means "not sent" (the server's default)."""

    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    n_epochs: int | Auto | None = None
    beta: float | Auto | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class ReinforcementHyperparameters(_Slotted):
    """Hyperparameters of a reinforcement job. None means "not sent" (the server's default).

    ``reasoning_effort`` is one of ``default``, ``low``, ``medium``, ``high`` (kept open).
    """

    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    n_epochs: int | Auto | None = None
    reasoning_effort: str | None = None
    compute_multiplier: float | Auto | None = None
    eval_interval: int | Auto | None = None
    eval_samples: int | Auto | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class SupervisedMethod(_Slotted):
    """Configuration of the supervised method."""

    hyperparameters: SupervisedHyperparameters | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class DpoMethod(_Slotted):
    """Configuration of the DPO method."""

    hyperparameters: DpoHyperparameters | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class ReinforcementMethod(_Slotted):
    """Configuration of the reinforcement method.

    ``grader`` is one of the typed graders of `ftjobs.graders`, or a plain JSON mapping (which
    is also how a grader of a type this SDK does not know comes back).
    """

    grader: Grader | Mapping[str, Any]
    hyperparameters: ReinforcementHyperparameters | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class FineTuneMethod(_Slotted):
    """The fine-tuning method: ``type`` names which of the three sub-objects applies.

    Build one with [`supervised_method()`][ftjobs.FineTuneMethod.supervised_method],
    [`dpo_method()`][ftjobs.FineTuneMethod.dpo_method] or
    [`reinforcement_method()`][ftjobs.FineTuneMethod.reinforcement_method].
    """

    type: str
    supervised: SupervisedMethod | None = None
    dpo: DpoMethod | None = None
    reinforcement: ReinforcementMethod | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)

    @classmethod
    def supervised_method(
        cls, hyperparameters: SupervisedHyperparameters | None = None
    ) -> FineTuneMethod:
        """A ``supervised`` method, with optional hyperparameters."""
        return cls(type="supervised", supervised=SupervisedMethod(hyperparameters))

    @classmethod
    def dpo_method(cls, hyperparameters: DpoHyperparameters | None = None) -> FineTuneMethod:
        """A ``dpo`` method, with optional hyperparameters."""
        return cls(type="dpo", dpo=DpoMethod(hyperparameters))

    @classmethod
    def reinforcement_method(
        cls,
        grader: Grader | Mapping[str, Any],
        hyperparameters: ReinforcementHyperparameters | None = None,
    ) -> FineTuneMethod:
        """A ``reinforcement`` method with its grader (a typed grader such as
        `StringCheckGrader.exact(...)`, or a mapping) and optional hyperparameters."""
        return cls(type="reinforcement", reinforcement=ReinforcementMethod(grader, hyperparameters))


@attrs.frozen
class WandbConfig(_Slotted):
    """Weights and Biases settings of a job."""

    project: str
    name: str | None = None
    entity: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class WandbIntegration(_Slotted):
    """The ``wandb`` integration of a job."""

    wandb: WandbConfig
    type: Literal["wandb"] = "wandb"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class JobProgress(_Slotted):
    """How far a job has come, as a provider reports it (None where it does not).

    OpenAI's own API reports progress through ``estimated_finish`` and its metrics events, so
    its jobs carry no ``progress``; Together AI's jobs do (``progress`` and
    ``epochs_completed``).

    Attributes:
        seconds_remaining: The provider's estimate of the seconds left before the job's next
            state (Together: ``progress.seconds_remaining``).
        estimate_available: Whether the provider has an estimate at all.
        epochs_completed: Passes over the training file done so far.
        trained_steps: Training steps done so far.
        total_steps: Training steps the job will run.
    """

    seconds_remaining: int | None = None
    estimate_available: bool | None = None
    epochs_completed: int | None = None
    trained_steps: int | None = None
    total_steps: int | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class FineTuningJob(_Slotted):
    """A ``fine_tuning.job`` object.

    Only ``id``, ``created_at``, ``model`` and ``status`` are required: real servers omit or
    null many of the fields the spec marks required, so the rest default to None (or empty).
    Timestamps are Unix seconds; the ``*_datetime`` properties give UTC datetimes.

    Attributes:
        status: A [`JobStatus`][ftjobs.JobStatus], or the raw string for a status the SDK
            does not know.
        error: Why the job failed; None when the server sent no (or an all-null) error.
        result_files: Result file ids; an empty tuple when none (or null).
        integrations: Integrations; an unknown integration type is kept as its mapping.
        provider_status: The provider's own word for the status, when its dialect maps its
            words onto [`JobStatus`][ftjobs.JobStatus] (Together AI's ``completed`` is
            ``succeeded``, its ``cancel_requested`` stays as it is); None for the OpenAI-shaped
            dialects, whose ``status`` is already the word the server sent.
        progress: Progress the provider reports beyond ``estimated_finish`` (Together AI's
            ``progress`` and ``epochs_completed``), or None.
        extra: JSON keys this model does not know (``user_provided_suffix``...).
        request_id: The response's ``x-request-id``, when this object was a response body.
    """

    id: str
    created_at: Timestamp
    model: str
    status: JobStatus | str
    object: str = "fine_tuning.job"
    error: JobError | None = None
    fine_tuned_model: str | None = None
    finished_at: Timestamp | None = None
    hyperparameters: Hyperparameters | None = None
    organization_id: str | None = None
    result_files: tuple[str, ...] = ()
    trained_tokens: int | None = None
    training_file: str | None = None
    validation_file: str | None = None
    integrations: tuple[WandbIntegration | Mapping[str, Any], ...] | None = None
    seed: int | None = None
    estimated_finish: Timestamp | None = None
    method: FineTuneMethod | None = None
    metadata: Mapping[str, str] | None = None
    # Rare: an OpenAI job has neither, and its fast path pays no lookup for them.
    provider_status: str | None = attrs.field(default=None, metadata={RARE: True})
    progress: JobProgress | None = attrs.field(default=None, metadata={RARE: True})
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def is_terminal(self) -> bool:
        """True once the job succeeded, failed or was cancelled (never for unknown statuses).

        Azure's ``canceling`` is not terminal (the job may still finish); ``canceled`` is.
        """
        status = self.status
        return status in TERMINAL_STATUSES or STATUS_ALIASES.get(status) in TERMINAL_STATUSES

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.created_at, tz=UTC)

    @property
    def finished_at_datetime(self) -> datetime | None:
        """``finished_at`` as an aware UTC datetime, or None."""
        return _utc(self.finished_at)

    @property
    def estimated_finish_datetime(self) -> datetime | None:
        """``estimated_finish`` as an aware UTC datetime, or None."""
        return _utc(self.estimated_finish)


@attrs.frozen
class FineTuningJobEvent(_Slotted):
    """A ``fine_tuning.job.event`` object.

    ``level`` is an [EventLevel][ftjobs.types.EventLevel] (Azure's ``warning`` is ``warn``) or
    the string received; ``type`` is ``message``/``metrics`` (kept open).
    """

    id: str
    created_at: Timestamp
    level: EventLevel | str
    message: str
    object: str = "fine_tuning.job.event"
    type: str | None = None
    data: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.created_at, tz=UTC)


_StepT = TypeVar("_StepT")


@attrs.frozen
class _Metrics(_Slotted, Generic[_StepT]):
    """The metrics after a training step, the fields a checkpoint and a curve row share
    (`CheckpointMetrics` and ``ftjobs.metrics.StepMetrics``); None where not measured.

    Only the step differs: a checkpoint's is the API's number, or None when not sent; a row's is
    a required int (its subclass makes it so). ``step`` defaults to None here so that it stays
    the first field of both (attrs moves a redefined field last).
    """

    step: _StepT = attrs.field(default=None)
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


@attrs.frozen
class CheckpointMetrics(_Metrics[float | None]):
    """Metrics at a checkpoint's step; None for a metric the server did not report."""

    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class FineTuningJobCheckpoint(_Slotted):
    """A ``fine_tuning.job.checkpoint`` object."""

    id: str
    created_at: Timestamp
    fine_tuned_model_checkpoint: str
    step_number: int
    metrics: CheckpointMetrics = attrs.field(factory=CheckpointMetrics)
    fine_tuning_job_id: str | None = None
    object: str = "fine_tuning.job.checkpoint"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.created_at, tz=UTC)


@attrs.frozen
class FileObject(_Slotted):
    """A ``file`` object of the Files API.

    ``purpose`` is kept open (``fine-tune``, ``fine-tune-results``, ``batch``...);
    ``status``/``status_details`` are deprecated upstream and often absent. ``bytes`` is
    None when the server did not say (Azure OpenAI answers an upload before it knows).
    """

    id: str
    created_at: Timestamp
    filename: str
    purpose: str
    bytes: int | None = None
    object: str = "file"
    status: str | None = None
    status_details: str | None = None
    expires_at: Timestamp | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.created_at, tz=UTC)

    @property
    def expires_at_datetime(self) -> datetime | None:
        """``expires_at`` as an aware UTC datetime, or None."""
        return _utc(self.expires_at)


@attrs.frozen
class FileDeleted(_Slotted):
    """The answer to a file deletion."""

    id: str
    deleted: bool
    object: str = "file"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class FileExpiration(_Slotted):
    """When an uploaded file expires: ``seconds`` (3600..2592000) after ``anchor``.

    By default files with purpose ``batch`` expire after 30 days and the others are kept until
    deleted.
    """

    seconds: int
    anchor: Literal["created_at"] = "created_at"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)


@attrs.frozen
class Upload(_Slotted):
    """An ``upload`` object of the Uploads API: a file sent in parts.

    ``status`` is ``pending``, ``completed``, ``cancelled`` or ``expired`` (kept open); ``file``
    is the resulting File once the upload is completed.
    """

    id: str
    created_at: Timestamp
    filename: str
    bytes: int
    purpose: str
    status: str
    expires_at: Timestamp
    object: str = "upload"
    file: FileObject | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def expires_at_datetime(self) -> datetime:
        """``expires_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.expires_at, tz=UTC)


@attrs.frozen
class UploadPart(_Slotted):
    """An ``upload.part`` object: one chunk of an [Upload][ftjobs.types.Upload]."""

    id: str
    created_at: Timestamp
    upload_id: str
    object: str = "upload.part"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class CheckpointPermission(_Slotted):
    """A ``checkpoint.permission`` object: a fine-tuned checkpoint shared with a project."""

    id: str
    created_at: Timestamp
    project_id: str
    object: str = "checkpoint.permission"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def created_at_datetime(self) -> datetime:
        """``created_at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.created_at, tz=UTC)


@attrs.frozen
class CheckpointPermissionDeleted(_Slotted):
    """The answer to a checkpoint permission deletion."""

    id: str
    deleted: bool
    object: str = "checkpoint.permission"
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


class HasId(Protocol):
    """Anything with a string ``id``: what a page holds and what a cursor is made from."""

    @property
    def id(self) -> str:
        """The object's id (the ``after`` cursor of the page that follows it)."""
        ...


_ItemT = TypeVar("_ItemT", bound=HasId)


@attrs.frozen
class Page(_Slotted, Generic[_ItemT]):
    """One page of a list response (jobs, events, checkpoints, files or permissions).

    Iterating a page iterates its items; ``len(page)`` is the number of items. A list without
    ``has_more`` (Azure OpenAI's file list, which is never paged) is one page: False.
    """

    data: tuple[_ItemT, ...]
    has_more: bool = False
    object: str = "list"
    first_id: str | None = None
    last_id: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def next_cursor(self) -> str | None:
        """The ``after`` cursor of the next page: the last item's id, or None if no more."""
        if self.has_more and self.data:
            return self.data[-1].id
        return None

    def __iter__(self) -> Iterator[_ItemT]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)
