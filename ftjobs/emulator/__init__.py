"""A local emulator of the OpenAI fine-tuning jobs + Files API (a standalone aiohttp app).

Start one in-process::

    async with serve_emulator(EmulatorConfig(speed=100)) as emu:
        emu.base_url   # "http://127.0.0.1:54321/v1" (also served under /openai/v1)
        emu.api_key    # "sk-emulator"
        emu.stats()    # requests served, faults injected by kind, jobs by status

or as a server: ``python -m ftjobs.emulator --port 8765 --speed 100 --faults 429=0.1,seed=7``
(``add_serve_arguments``/``config_from_args``/``run`` let a CLI offer the same options).

Lifecycle (emulated seconds at speed 1.0; see [`Timings`][ftjobs.emulator.Timings]):
``validating_files`` 5 s (the training file is really parsed; a bad line fails the job naming the
line) -> ``queued`` at least 2 s and until one of ``max_running_jobs`` slots is free -> ``running``,
1 s per step (steps = ceil(examples / batch_size) x n_epochs; ``n_epochs`` "auto" = 3,
``batch_size`` "auto" keeps an epoch at <= 32 steps), a checkpoint per epoch (last 3),
then 2 s to ``succeeded`` with a results CSV file. ``pause``/``resume``/``cancel`` work.

``EmulatorConfig(dialect="azure")`` (``--dialect azure``) speaks Azure OpenAI's dialect
instead; see `ftjobs.emulator._azure`.

Admin endpoints (never faulted; the admin key, by default the API key, and JSON bodies):
``GET /_emulator/stats``, ``POST /_emulator/stats/reset``, ``GET|POST /_emulator/faults``,
``POST /_emulator/script``, ``GET|POST /_emulator/clock``, ``POST /_emulator/seed``, and
``GET /_emulator/health`` (open, for readiness probes).

What it takes from the SDK: the emulator is a server, not a client. It never imports the
client, the transport, the resources, the waits, the converter or the webhook receiver
(``ftjobs._client``, ``_transport``, ``resources``, ``waiting``, ``_converter``, the
``webhooks`` package). It imports only these pure SDK modules, which state what the API is, so
that server and client cannot drift apart:

- ``ftjobs._signing``: the Standard Webhooks signature of its deliveries and the
  ``$OPENAI_WEBHOOK_SECRET`` fallback (``resolve_secret``);
- ``ftjobs._limits``: file and upload purposes, part and upload size limits;
- ``ftjobs._models``: ``TERMINAL_STATUSES`` and ``JobError``;
- ``ftjobs.graders``: the graders' vocabulary (string check operations, similarity metrics);
- ``ftjobs.metrics``: ``StepMetrics`` and the result file's CSV;
- ``ftjobs.training_data``: the checks a job's ``validating_files`` runs on its files.

These in turn import only ``ftjobs._errors``, ``_types``, ``_token_count`` and
``_training_rules``, with attrs and orjson: none of them loads aiohttp or cattrs. (Importing
``ftjobs.emulator`` still runs ``ftjobs/__init__.py`` first, as any submodule does.)
"""

from __future__ import annotations

from ftjobs.emulator._app import create_app
from ftjobs.emulator._clock import Clock, ManualClock, SystemClock
from ftjobs.emulator._config import DIALECTS, EmulatorConfig, Timings
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._faults import FAULT_KINDS, FaultConfig, FaultInjector, WebhookFaults
from ftjobs.emulator._fleet import Fleet
from ftjobs.emulator._instance import EMULATOR_KEY, Emulator, get_emulator
from ftjobs.emulator._lifecycle import JobState, Outcome, TransitionError
from ftjobs.emulator._paths import API_PREFIXES
from ftjobs.emulator._server import (
    EmulatorHandle,
    add_serve_arguments,
    config_from_args,
    main,
    run,
    serve_emulator,
    serve_from_args,
)
from ftjobs.emulator._store import StateFileError, StateNotSaved, Store, open_store
from ftjobs.emulator._validation import DatasetReport, validate_dataset

__all__ = [
    "API_PREFIXES",
    "DIALECTS",
    "EMULATOR_KEY",
    "FAULT_KINDS",
    "ApiError",
    "Clock",
    "DatasetReport",
    "Emulator",
    "EmulatorConfig",
    "EmulatorHandle",
    "FaultConfig",
    "FaultInjector",
    "Fleet",
    "JobState",
    "ManualClock",
    "Outcome",
    "StateFileError",
    "StateNotSaved",
    "Store",
    "SystemClock",
    "Timings",
    "TransitionError",
    "WebhookFaults",
    "add_serve_arguments",
    "config_from_args",
    "create_app",
    "get_emulator",
    "main",
    "open_store",
    "run",
    "serve_emulator",
    "serve_from_args",
    "validate_dataset",
]
