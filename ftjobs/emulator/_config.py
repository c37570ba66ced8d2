"""Configuration of the emulator: [`EmulatorConfig`][ftjobs.emulator.EmulatorConfig] and
lifecycle [`Timings`][ftjobs.emulator.Timings]."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from ftjobs._signing import decode_secret
from ftjobs.emulator._base_models import DEFAULT_MODELS, TOGETHER_MODELS, to_models
from ftjobs.emulator._faults import FaultConfig, WebhookFaults, to_faults, to_webhook_faults

__all__ = ["DIALECTS", "EmulatorConfig", "Timings"]

DIALECTS = ("openai", "azure", "together")
"""Dialects the emulator speaks (see `ftjobs.emulator._azure`, `ftjobs.emulator._together`)."""


@attrs.frozen
class Timings:
    """Durations of the lifecycle phases in emulated seconds (divide by speed for real time).

    Attributes:
        validate_seconds: Time spent in ``validating_files``.
        queue_seconds: Least time a new job waits in ``queued`` before a free slot takes it
            (a resumed job re-enters the queue without this wait).
        step_seconds: Duration of one training step.
        finalize_seconds: Time between the last step and ``succeeded`` (still ``running``).
        default_epochs: ``n_epochs`` when ``"auto"``.
        max_auto_steps_per_epoch: ``batch_size="auto"`` picks the smallest batch size that
            keeps an epoch at or under this many steps.
    """

    validate_seconds: float = 5.0
    queue_seconds: float = 2.0
    step_seconds: float = 1.0
    finalize_seconds: float = 2.0
    default_epochs: int = 3
    max_auto_steps_per_epoch: int = 32

    def __attrs_post_init__(self) -> None:
        durations = (self.validate_seconds, self.queue_seconds, self.finalize_seconds)
        if min(durations) < 0 or self.step_seconds <= 0:
            raise ValueError("durations must be >= 0 and step_seconds > 0")
        if self.default_epochs < 1 or self.max_auto_steps_per_epoch < 1:
            raise ValueError("default_epochs and max_auto_steps_per_epoch must be >= 1")


def _to_path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)


@attrs.frozen
class EmulatorConfig:
    """Everything that shapes one emulator instance.

    Attributes:
        api_key: The only accepted key (``Authorization: Bearer <key>`` or ``api-key: <key>``).
        speed: Emulated seconds per real second (``100`` runs the lifecycle 100x faster).
        max_running_jobs: Jobs that may be ``running`` at once; the rest wait in ``queued``.
        faults: Fault injection (a [`FaultConfig`][ftjobs.emulator.FaultConfig] or a spec
            string); off by default.
        state_path: SQLite file that persists everything; ``None`` keeps state in memory.
        honor_idempotency: ``False`` makes the emulator ignore ``Idempotency-Key``.
        organization: ``organization_id`` of every job; its name part (without ``org-``)
            goes into fine-tuned model names.
        timings: Lifecycle durations.
        min_training_examples: Training files with fewer examples fail validation.
        max_upload_bytes: Largest accepted upload.
        dialect: ``"openai"``, ``"azure"`` (Azure OpenAI's statuses, nulls, ``-1``
            hyperparameters, ``trainingType``, the dated ``/openai`` path with a required
            ``api-version``, ``apim-request-id``) or ``"together"`` (Together AI's
            ``/v1/fine-tunes`` and ``/v1/files`` paths, shapes, statuses and models, and
            nothing of OpenAI's API).
        canceling_seconds: Emulated seconds a cancelled job reads Azure's ``canceling``
            before ``canceled``, or Together's ``cancel_requested`` before ``cancelled``.
        poll_after_ms: When set, ``GET`` of a job answers with an ``openai-poll-after-ms``
            header of this value (the server's pacing hint to pollers).
        admin_key: The key the admin endpoints (``/_emulator/...``) require; ``None``: the
            ``api_key``. Set it to keep API clients away from faults, the clock and seeding.
        max_json_bytes: Largest JSON request body (413 above it).
        body_timeout: Seconds a request body may take to arrive (408 after it).
        webhook_url: Where to POST ``fine_tuning.job.*`` webhooks (see
            `ftjobs.emulator._webhooks`); ``None`` sends none.
        webhook_secret: The ``whsec_...`` secret the webhooks are signed with (required
            with ``webhook_url``).
        webhook_faults: Webhook faults (a `WebhookFaults` or its spec string).
        webhook_max_attempts: Attempts per delivery before it is given up.
        webhook_backoff: Real seconds before the first retry (doubled for each next one).
        models: The base models jobs may fine-tune, each with the methods it takes (a
            mapping of name -> methods, names alone (supervised and dpo), or a ``--models``
            spec such as ``"gpt-4o-mini-2024-07-18,o4-mini-2025-04-16=reinforcement"``);
            any other model is refused with the service's 400. By default the models
            OpenAI's fine-tuning guide names (in the Together dialect, a few of Together's).
            A fine-tuned model made here is a base too.
        daily_job_limit: Creates of one model allowed in a rolling 24 hours of emulated time;
            one more is refused with the service's 429 ``daily_rate_limit_exceeded``.
            ``None``: no limit.
        max_active_jobs: Non-terminal jobs of one model allowed at once; a create past it is
            refused with a 429 ``rate_limit_exceeded`` (the emulator's stand-in). ``None``:
            no limit.
    """

    api_key: str = "sk-emulator"
    speed: float = attrs.field(default=1.0, converter=float)
    max_running_jobs: int = 4
    faults: FaultConfig = attrs.field(default=None, converter=to_faults)
    state_path: str | None = attrs.field(default=None, converter=_to_path)
    honor_idempotency: bool = True
    organization: str = "org-emulator"
    timings: Timings = Timings()
    min_training_examples: int = 10
    max_upload_bytes: int = 64 * 1024 * 1024
    dialect: str = "openai"
    canceling_seconds: float = 2.0
    poll_after_ms: int | None = None
    admin_key: str | None = None
    max_json_bytes: int = 1024 * 1024
    body_timeout: float = attrs.field(default=30.0, converter=float)
    webhook_url: str | None = None
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    webhook_faults: WebhookFaults = attrs.field(default=None, converter=to_webhook_faults)
    webhook_max_attempts: int = 5
    webhook_backoff: float = 0.5
    models: Mapping[str, frozenset[str]] = attrs.field(
        default=attrs.Factory(
            lambda self: TOGETHER_MODELS if self.dialect == "together" else DEFAULT_MODELS,
            takes_self=True,
        ),
        converter=to_models,
        repr=False,
    )
    daily_job_limit: int | None = None
    max_active_jobs: int | None = None

    @property
    def job_id_prefix(self) -> str:
        """How job ids start: ``ft-`` in the Together dialect, else ``ftjob-``."""
        return "ft-" if self.dialect == "together" else "ftjob-"

    @property
    def effective_admin_key(self) -> str:
        """The key the admin endpoints accept: ``admin_key``, else ``api_key``."""
        return self.admin_key if self.admin_key is not None else self.api_key

    def __attrs_post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, got {self.dialect!r}")
        if self.canceling_seconds < 0:
            raise ValueError("canceling_seconds must be >= 0")
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if self.admin_key is not None and not self.admin_key:
            raise ValueError("admin_key must not be empty (None uses api_key)")
        if self.max_json_bytes < 1 or not self.body_timeout > 0:
            raise ValueError("max_json_bytes must be >= 1 and body_timeout > 0")
        if not self.speed > 0:
            raise ValueError("speed must be > 0")
        if self.max_running_jobs < 1:
            raise ValueError("max_running_jobs must be >= 1")
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ValueError("webhook_url and webhook_secret go together")
        if self.webhook_url is not None and self.dialect == "together":
            raise ValueError("the together dialect sends no webhooks (Together AI has none)")
        if self.webhook_secret is not None:
            decode_secret(self.webhook_secret, name="webhook_secret")
        if self.webhook_max_attempts < 1 or self.webhook_backoff < 0:
            raise ValueError("webhook_max_attempts must be >= 1 and webhook_backoff >= 0")
        for name in ("daily_job_limit", "max_active_jobs"):
            limit = getattr(self, name)
            if limit is not None and (isinstance(limit, bool) or limit < 1):
                raise ValueError(f"{name} must be >= 1 (None: no limit), got {limit!r}")
        if self.min_training_examples < 0 or self.max_upload_bytes < 1:
            raise ValueError("min_training_examples must be >= 0 and max_upload_bytes >= 1")
