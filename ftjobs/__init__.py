"""ftjobs: an async-first SDK for fine-tuning job APIs (OpenAI, Azure OpenAI, gateways).

Start with :class:`AsyncClient`::

    async with ftjobs.AsyncClient() as client:
        job = await client.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)
"""

from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from .client import AsyncClient
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
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
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
from .retry import RetryPolicy

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
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DpoHyperparameters",
    "DpoMethod",
    "FTJobsError",
    "FileDeleted",
    "FileObject",
    "FineTuneMethod",
    "FineTuningJob",
    "FineTuningJobCheckpoint",
    "FineTuningJobEvent",
    "Hyperparameters",
    "InternalServerError",
    "JobError",
    "JobStatus",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "ReinforcementHyperparameters",
    "ReinforcementMethod",
    "ResponseValidationError",
    "RetryPolicy",
    "SupervisedHyperparameters",
    "SupervisedMethod",
    "UnprocessableEntityError",
    "WandbConfig",
    "WandbIntegration",
    "__version__",
]
