"""The long tail of the public API: the models and types beyond the first hour that have no
public module of their own.

Every public name has one home. `ftjobs` itself keeps what a user types first (the clients, the
errors, `PollPolicy`, `RetryPolicy`, `FineTuningJob`, `JobStatus`, the method and
hyperparameter helpers, the update types). The topic packages keep their own names
(`ftjobs.waiting`, `ftjobs.webhooks`, `ftjobs.graders`, `ftjobs.metrics`,
`ftjobs.training_data`, `ftjobs.resources`). Everything else that appears in a public
signature or result is here:

    from ftjobs.types import FileObject, FineTuningJobEvent, Page
"""

from ._client import DEFAULT_BASE_URL, DEFAULT_REQUEST_TIMEOUT, ClientOptions
from ._models import (
    LEVEL_ALIASES,
    STATUS_ALIASES,
    TERMINAL_STATUSES,
    Auto,
    CheckpointMetrics,
    CheckpointPermission,
    CheckpointPermissionDeleted,
    DpoMethod,
    EventLevel,
    FileDeleted,
    FileExpiration,
    FileObject,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    HasId,
    Hyperparameters,
    JobError,
    JobProgress,
    Page,
    ReinforcementMethod,
    SupervisedMethod,
    Timestamp,
    Upload,
    UploadPart,
    WandbConfig,
    WandbIntegration,
)
from ._pagination import AsyncPaginator
from ._providers import PORTKEY_BASE_URL, AzureTokenProvider
from ._types import NOT_GIVEN, NotGiven

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_TIMEOUT",
    "LEVEL_ALIASES",
    "NOT_GIVEN",
    "PORTKEY_BASE_URL",
    "STATUS_ALIASES",
    "TERMINAL_STATUSES",
    "AsyncPaginator",
    "Auto",
    "AzureTokenProvider",
    "CheckpointMetrics",
    "CheckpointPermission",
    "CheckpointPermissionDeleted",
    "ClientOptions",
    "DpoMethod",
    "EventLevel",
    "FileDeleted",
    "FileExpiration",
    "FileObject",
    "FineTuningJobCheckpoint",
    "FineTuningJobEvent",
    "HasId",
    "Hyperparameters",
    "JobError",
    "JobProgress",
    "NotGiven",
    "Page",
    "ReinforcementMethod",
    "SupervisedMethod",
    "Timestamp",
    "Upload",
    "UploadPart",
    "WandbConfig",
    "WandbIntegration",
]
