"""ftjobs: an async-first SDK for fine-tuning job APIs (OpenAI, Azure OpenAI, gateways).

Start with :class:`AsyncClient`::

    async with ftjobs.AsyncClient() as client:
        job = await client.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
"""

from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from .budget import RatePolicy, RequestBudget
from .client import AsyncClient
from .continuation import ContinuationToken
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    FTJobsError,
    InternalServerError,
    InvalidContinuationToken,
    JobFailed,
    JobPaused,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
    WaitTimeout,
)
from .models import (
    TERMINAL_STATUSES,
    CheckpointMetrics,
    DpoHyperparameters,
    DpoMethod,
    FileDeleted,
    FileObject,
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    Hyperparameters,
    JobError,
    JobStatus,
    Page,
    ReinforcementHyperparameters,
    ReinforcementMethod,
    SupervisedHyperparameters,
    SupervisedMethod,
    WandbConfig,
    WandbIntegration,
)
from .pagination import AsyncPaginator
from .polling import PollPolicy
from .retry import RetryPolicy
from .waiting import (
    CheckpointReceived,
    EtaChanged,
    EventReceived,
    JobUpdate,
    JobWaiter,
    StatusChanged,
    StepResult,
)

__all__ = [
    "NOT_GIVEN",
    "TERMINAL_STATUSES",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointMetrics",
    "CheckpointReceived",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ContinuationToken",
    "DpoHyperparameters",
    "DpoMethod",
    "EtaChanged",
    "EventReceived",
    "FTJobsError",
    "FileDeleted",
    "FileObject",
    "FineTuneMethod",
    "FineTuningJob",
    "FineTuningJobCheckpoint",
    "FineTuningJobEvent",
    "Hyperparameters",
    "InternalServerError",
    "InvalidContinuationToken",
    "JobError",
    "JobFailed",
    "JobPaused",
    "JobStatus",
    "JobUpdate",
    "JobWaiter",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PermissionDeniedError",
    "PollPolicy",
    "RateLimitError",
    "RatePolicy",
    "ReinforcementHyperparameters",
    "ReinforcementMethod",
    "RequestBudget",
    "ResponseValidationError",
    "RetryPolicy",
    "StatusChanged",
    "StepResult",
    "SupervisedHyperparameters",
    "SupervisedMethod",
    "UnprocessableEntityError",
    "WaitTimeout",
    "WandbConfig",
    "WandbIntegration",
    "__version__",
]
