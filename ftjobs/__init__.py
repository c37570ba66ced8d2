"""ftjobs: an async-first SDK for fine-tuning job APIs (OpenAI, Azure OpenAI, gateways,
Together AI).

Start with `AsyncClient`::

    async with ftjobs.AsyncClient() as client:
        job = await client.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)

The top level holds what a user types in the first hour: the clients, the errors, the
policies, the job and its status, the method and hyperparameter helpers and the updates a wait
delivers. Every other model and type of the public API is in `ftjobs.types`.
"""

from . import types as types
from ._client import AsyncClient
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CampaignPlanError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    DailyLimitError,
    FTJobsError,
    InternalServerError,
    InvalidContinuationToken,
    InvalidWebhookSignatureError,
    JobFailed,
    JobPaused,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    PoolTimeoutError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    ResponseValidationError,
    TrainingFileError,
    UnprocessableEntityError,
    UnsupportedOperationError,
    UploadIntegrityError,
    WaitTimeout,
)
from ._models import (
    DpoHyperparameters,
    FineTuneMethod,
    FineTuningJob,
    JobStatus,
    ReinforcementHyperparameters,
    SupervisedHyperparameters,
)
from ._providers import AsyncAzureClient, AsyncPortkeyClient, AsyncTogetherClient
from ._retry import RetryPolicy
from ._version import __version__
from .campaigns import Campaign, CampaignReport, CampaignRun
from .training_data import check_training_file
from .waiting import (
    CheckpointReceived,
    EtaChanged,
    EventReceived,
    JobUpdate,
    PollPolicy,
    StatusChanged,
)
from .webhooks import WebhookEvent

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAzureClient",
    "AsyncClient",
    "AsyncPortkeyClient",
    "AsyncTogetherClient",
    "AuthenticationError",
    "BadRequestError",
    "Campaign",
    "CampaignPlanError",
    "CampaignReport",
    "CampaignRun",
    "CheckpointReceived",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DailyLimitError",
    "DpoHyperparameters",
    "EtaChanged",
    "EventReceived",
    "FTJobsError",
    "FineTuneMethod",
    "FineTuningJob",
    "InternalServerError",
    "InvalidContinuationToken",
    "InvalidWebhookSignatureError",
    "JobFailed",
    "JobPaused",
    "JobStatus",
    "JobUpdate",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "PollPolicy",
    "PoolTimeoutError",
    "RateLimitError",
    "RedirectError",
    "ReinforcementHyperparameters",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RetryPolicy",
    "StatusChanged",
    "SupervisedHyperparameters",
    "TrainingFileError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "UploadIntegrityError",
    "WaitTimeout",
    "WebhookEvent",
    "__version__",
    "check_training_file",
]
