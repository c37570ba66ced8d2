"""The types of the public API beyond the first hour: every model, and what signatures name.

`ftjobs` itself keeps what a user types first (the clients, the errors, `PollPolicy`,
`RetryPolicy`, `FineTuningJob`, `JobStatus`, the method and hyperparameter helpers, the update
types). Everything else that appears in a public signature or result is here, under one name:

    from ftjobs.types import FileObject, FineTuningJobEvent, Page, RatePolicy
"""

from ._client import ClientOptions
from ._models import (
    LEVEL_ALIASES,
    STATUS_ALIASES,
    TERMINAL_STATUSES,
    Auto,
    CheckpointMetrics,
    CheckpointPermission,
    CheckpointPermissionDeleted,
    DpoHyperparameters,
    DpoMethod,
    EventLevel,
    FileDeleted,
    FileExpiration,
    FileObject,
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    HasId,
    Hyperparameters,
    JobError,
    JobStatus,
    Page,
    ReinforcementHyperparameters,
    ReinforcementMethod,
    SupervisedHyperparameters,
    SupervisedMethod,
    Timestamp,
    Upload,
    UploadPart,
    WandbConfig,
    WandbIntegration,
)
from ._pagination import AsyncPaginator
from ._providers import AzureTokenProvider
from ._types import NOT_GIVEN, NotGiven
from .graders import (
    Grader,
    GraderRunMetadata,
    GraderRunResult,
    GraderValidation,
    LabelModelGrader,
    MultiGrader,
    PythonGrader,
    ScoreModelGrader,
    StringCheckGrader,
    SubGrader,
    TextSimilarityGrader,
)
from .metrics import StepMetrics
from .training_data import TrainingFileIssue, TrainingFileReport
from .waiting import StepResult
from .waiting._group import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_FAILURE,
    ReturnWhen,
    WaitManyResult,
)
from .waiting._ratelimit import RatePolicy
from .waiting._token import ContinuationToken
from .webhooks import WebhookEventData, Webhooks

__all__ = [
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_FAILURE",
    "LEVEL_ALIASES",
    "NOT_GIVEN",
    "STATUS_ALIASES",
    "TERMINAL_STATUSES",
    "AsyncPaginator",
    "Auto",
    "AzureTokenProvider",
    "CheckpointMetrics",
    "CheckpointPermission",
    "CheckpointPermissionDeleted",
    "ClientOptions",
    "ContinuationToken",
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
    "Grader",
    "GraderRunMetadata",
    "GraderRunResult",
    "GraderValidation",
    "HasId",
    "Hyperparameters",
    "JobError",
    "JobStatus",
    "LabelModelGrader",
    "MultiGrader",
    "NotGiven",
    "Page",
    "PythonGrader",
    "RatePolicy",
    "ReinforcementHyperparameters",
    "ReinforcementMethod",
    "ReturnWhen",
    "ScoreModelGrader",
    "StepMetrics",
    "StepResult",
    "StringCheckGrader",
    "SubGrader",
    "SupervisedHyperparameters",
    "SupervisedMethod",
    "TextSimilarityGrader",
    "Timestamp",
    "TrainingFileIssue",
    "TrainingFileReport",
    "Upload",
    "UploadPart",
    "WaitManyResult",
    "WandbConfig",
    "WandbIntegration",
    "WebhookEventData",
    "Webhooks",
]
