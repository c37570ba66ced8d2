"""The job lifecycle: pure transitions of a [`JobState`][ftjobs.emulator.JobState] at a
given emulated time.

States and what moves them (durations from [`Timings`][ftjobs.emulator.Timings])::

    validating_files --validate_seconds--> queued            (or failed: bad file / scripted)
    queued   --queue_seconds, then a free slot (max_running_jobs)--> running
    running  --one event per step_seconds ... finalize_seconds--> succeeded
             (or failed when a scripted failure step is reached)
    running  --pause--> paused --resume--> queued (no minimum wait) --> running (same steps)
    validating_files | queued | running | paused --cancel--> cancelled

Every function here takes the time it acts at and returns a `Transition` (the new
state plus the records it produced); nothing reads a clock or does I/O. The scheduler that
runs them for many jobs is `ftjobs.emulator.Fleet`.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import attrs

from ftjobs._models import TERMINAL_STATUSES, JobError
from ftjobs.emulator._config import Timings
from ftjobs.emulator._ids import derived_id, short_code
from ftjobs.emulator._params import JobRequest
from ftjobs.emulator._training import results_file, step_metrics
from ftjobs.emulator._validation import DatasetReport

__all__ = [
    "ACTIVE_STATUSES",
    "CheckpointRecord",
    "EventRecord",
    "JobState",
    "Outcome",
    "Record",
    "ResultFile",
    "Transition",
    "TransitionError",
    "cancel",
    "estimated_finish",
    "finish_validation",
    "new_job",
    "pause",
    "report_steps",
    "resume",
    "start_running",
    "terminal_time",
]

ACTIVE_STATUSES = frozenset({"validating_files", "queued", "running", "paused"})

_AUTO_LR = 1.8
_AUTO_BETA = 0.1
_KEPT_CHECKPOINT_EPOCHS = 3


@attrs.frozen
class Outcome:
    """A scripted outcome that overrides what the data alone would decide.

    Attributes:
        fail: Fail the job instead of letting it succeed.
        at_step: With ``fail``, fail when this training step would complete (clamped to the
            job's total); ``None`` fails at the end of ``validating_files``.
        code: ``error.code`` of the failure.
        message: ``error.message`` of the failure.
        param: ``error.param`` of the failure.
    """

    fail: bool = False
    at_step: int | None = None
    code: str = "internal_error"
    message: str = "Fine-tuning job failed due to an internal error."
    param: str | None = None

    @classmethod
    def failure(
        cls,
        *,
        at_step: int | None = None,
        code: str | None = None,
        message: str | None = None,
        param: str | None = None,
    ) -> Outcome:
        """An outcome that fails the job (at validation when ``at_step`` is ``None``)."""
        default_code = "internal_error" if at_step is not None else "invalid_training_file"
        default_message = (
            "Fine-tuning job failed due to an internal error."
            if at_step is not None
            else "The job failed due to an invalid training file."
        )
        return cls(
            fail=True,
            at_step=at_step,
            code=code or default_code,
            message=message or default_message,
            param=param if param is not None or at_step is not None else "training_file",
        )


@attrs.frozen
class EventRecord:
    """A ``fine_tuning.job.event`` (``created_at`` in float emulated seconds)."""

    id: str
    job_id: str
    created_at: float
    level: str
    message: str
    type: str
    data: dict[str, Any]


@attrs.frozen
class CheckpointRecord:
    """A ``fine_tuning.job.checkpoint``."""

    id: str
    job_id: str
    created_at: float
    step_number: int
    metrics: dict[str, float]
    fine_tuned_model_checkpoint: str


@attrs.frozen
class ResultFile:
    """A results file to put in the files store (purpose ``fine-tune-results``)."""

    id: str
    job_id: str
    created_at: float
    filename: str
    content: bytes


Record: TypeAlias = EventRecord | CheckpointRecord | ResultFile


@attrs.frozen
class JobState:
    """Everything the emulator knows about one job; immutable, evolved by transitions.

    Phase bookkeeping: ``phase_started_at`` is when the current status began (for
    ``running``, when the current run segment began); ``steps_done`` counts steps completed
    before that segment; ``steps_reported`` counts steps whose events were emitted. ``extra``
    holds a dialect's own create fields (`JobRequest.extra`), for its rendering.
    """

    id: str
    seq: int
    created_at: float
    model: str
    organization_id: str
    training_file: str
    validation_file: str | None
    suffix: str | None
    seed: int
    method_type: str
    method: dict[str, Any]
    metadata: dict[str, str] | None
    integrations: list[dict[str, Any]] | None
    training: DatasetReport
    validation: DatasetReport | None
    outcome: Outcome = Outcome()
    status: str = "validating_files"
    phase_started_at: float = 0.0
    queue_wait: float = 0.0
    n_epochs: int = 0
    steps_per_epoch: int = 0
    total_steps: int = 0
    steps_done: int = 0
    steps_reported: int = 0
    finished_at: float | None = None
    fine_tuned_model: str | None = None
    result_files: tuple[str, ...] = ()
    trained_tokens: int | None = None
    error: JobError | None = None
    n_events: int = 0
    extra: dict[str, Any] | None = None

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The method's hyperparameters (``"auto"`` until validation resolves them)."""
        inner: dict[str, Any] = self.method[self.method_type]
        hyper: dict[str, Any] = inner["hyperparameters"]
        return hyper

    @property
    def terminal(self) -> bool:
        """True once succeeded, failed or cancelled."""
        return self.status in TERMINAL_STATUSES

    def model_name(self, organization_name: str | None = None) -> str:
        """``ft:{model}:{org}:{suffix}:{code}`` (empty suffix part when none, as the real API)."""
        org = organization_name or _org_name(self.organization_id)
        return f"ft:{self.model}:{org}:{self.suffix or ''}:{short_code(self.id)}"


@attrs.frozen
class Transition:
    """The result of a transition: the new job state and the records it produced."""

    job: JobState
    records: tuple[Record, ...] = ()


class TransitionError(Exception):
    """An action that the job's current status does not allow (answered with a 400)."""


def _org_name(organization_id: str) -> str:
    return organization_id.removeprefix("org-") or organization_id


class _Emitter:
    """Collects records for one transition, numbering events from the job's counter."""

    def __init__(self, job: JobState) -> None:
        self.job = job
        self.records: list[Record] = []
        self._n = job.n_events

    def event(
        self,
        at: float,
        message: str,
        *,
        level: str = "info",
        type: str = "message",
        data: dict[str, Any] | None = None,
    ) -> None:
        event_id = derived_id("ftevent-", self.job.id, self._n)
        self._n += 1
        self.records.append(
            EventRecord(event_id, self.job.id, at, level, message, type, dict(data or {}))
        )

    def done(self, job: JobState) -> Transition:
        return Transition(attrs.evolve(job, n_events=self._n), tuple(self.records))


def new_job(
    request: JobRequest,
    *,
    job_id: str,
    seq: int,
    at: float,
    organization_id: str,
    training: DatasetReport,
    validation: DatasetReport | None,
    outcome: Outcome | None = None,
    seed: int | None = None,
) -> Transition:
    """Create a job in ``validating_files`` from a validated request.

    ``training``/``validation`` are the reports of the data files, computed up front (files
    are immutable) but only acted on when validation ends.
    """
    job = JobState(
        id=job_id,
        seq=seq,
        created_at=at,
        model=request.model,
        organization_id=organization_id,
        training_file=request.training_file,
        validation_file=request.validation_file,
        suffix=request.suffix,
        seed=request.seed if request.seed is not None else (seed or 0),
        method_type=request.method_type,
        method=request.method,
        metadata=request.metadata,
        integrations=request.integrations,
        training=training,
        validation=validation,
        outcome=outcome or Outcome(),
        phase_started_at=at,
        extra=request.extra,
    )
    emit = _Emitter(job)
    emit.event(at, f"Created fine-tuning job: {job_id}")
    files = f"Validating training file: {job.training_file}"
    if job.validation_file:
        files += f" and validation file: {job.validation_file}"
    emit.event(at, files)
    return emit.done(job)


def _resolve(job: JobState, timings: Timings) -> JobState:
    requested = job.hyperparameters
    n_examples = max(job.training.n_examples, 1)
    batch = requested.get("batch_size", "auto")
    if batch == "auto":
        batch = min(256, max(1, math.ceil(n_examples / timings.max_auto_steps_per_epoch)))
    epochs = requested.get("n_epochs", "auto")
    if epochs == "auto":
        epochs = timings.default_epochs
    resolved = dict(requested)
    resolved["batch_size"] = batch
    resolved["n_epochs"] = epochs
    if resolved.get("learning_rate_multiplier", "auto") == "auto":
        resolved["learning_rate_multiplier"] = _AUTO_LR
    defaults = {
        "beta": _AUTO_BETA,
        "compute_multiplier": 1.0,
        "eval_interval": 1,
        "eval_samples": 1,
    }
    for key, value in defaults.items():
        if resolved.get(key) == "auto":
            resolved[key] = value
    inner = dict(job.method[job.method_type])
    inner["hyperparameters"] = resolved
    method = {**job.method, job.method_type: inner}
    steps_per_epoch = math.ceil(n_examples / batch)
    return attrs.evolve(
        job,
        method=method,
        n_epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        total_steps=steps_per_epoch * epochs,
    )


def _failed(
    job: JobState, at: float, emit: _Emitter, code: str, message: str, param: str | None
) -> Transition:
    emit.event(at, message, level="error")
    error = JobError(code, message, param)
    return emit.done(attrs.evolve(job, status="failed", finished_at=at, error=error))


def finish_validation(job: JobState, at: float, timings: Timings) -> Transition:
    """End ``validating_files`` at ``at``: to ``queued``, or ``failed`` on a bad file."""
    _require(job, "finish validation", {"validating_files"})
    emit = _Emitter(job)
    problem: tuple[str, str, str | None] | None = None
    if job.outcome.fail and job.outcome.at_step is None:
        problem = (job.outcome.code, job.outcome.message, job.outcome.param)
    elif not job.training.ok:
        problem = (
            job.training.error_code or "invalid_training_file",
            job.training.error_message or "invalid training file",
            "training_file",
        )
    elif job.validation is not None and not job.validation.ok:
        problem = (
            job.validation.error_code or "invalid_validation_file",
            job.validation.error_message or "invalid validation file",
            "validation_file",
        )
    if problem is not None:
        return _failed(job, at, emit, *problem)
    resolved = _resolve(job, timings)
    emit.event(at, "Files validated, moving job to queued state")
    queued = attrs.evolve(
        resolved, status="queued", phase_started_at=at, queue_wait=timings.queue_seconds
    )
    return emit.done(queued)


def start_running(job: JobState, at: float) -> Transition:
    """Move a ``queued`` job into ``running`` at ``at`` (a slot was free)."""
    _require(job, "start", {"queued"})
    emit = _Emitter(job)
    if job.steps_done == 0:
        emit.event(at, "Fine-tuning job started")
    else:
        emit.event(at, f"Fine-tuning job continued at step {job.steps_done + 1}/{job.total_steps}")
    return emit.done(attrs.evolve(job, status="running", phase_started_at=at))


def _fail_step(job: JobState) -> int | None:
    if not job.outcome.fail or job.outcome.at_step is None:
        return None
    return max(job.steps_reported + 1, min(max(job.outcome.at_step, 1), job.total_steps))


def _step_time(job: JobState, step: int, timings: Timings) -> float:
    return job.phase_started_at + (step - job.steps_done) * timings.step_seconds


def _completed_by(job: JobState, at: float, timings: Timings) -> int:
    elapsed = max(0.0, at - job.phase_started_at)
    # A tiny epsilon keeps float error from delaying a step that is exactly due.
    done = job.steps_done + math.floor(elapsed / timings.step_seconds + 1e-9)
    return min(done, job.total_steps)


def terminal_time(job: JobState, timings: Timings) -> float | None:
    """When a ``running`` job will succeed or (scripted) fail, if nothing intervenes."""
    if job.status != "running":
        return None
    fail_step = _fail_step(job)
    if fail_step is not None:
        return _step_time(job, fail_step, timings)
    return estimated_finish(job, timings)


def estimated_finish(job: JobState, timings: Timings) -> float | None:
    """Estimated finish of a ``running`` job (assumes success), else ``None``."""
    if job.status != "running":
        return None
    return _step_time(job, job.total_steps, timings) + timings.finalize_seconds


def next_wakeup(job: JobState, timings: Timings) -> float | None:
    """The next time this job changes by itself (for ``queued``: when it may start)."""
    if job.status == "validating_files":
        return job.phase_started_at + timings.validate_seconds
    if job.status == "queued":
        return job.phase_started_at + job.queue_wait
    if job.status == "running":
        end = terminal_time(job, timings)
        assert end is not None
        if job.steps_reported < job.total_steps:
            return min(end, _step_time(job, job.steps_reported + 1, timings))
        return end
    return None


def _checkpoint(job: JobState, step: int, at: float, metrics: dict[str, float]) -> CheckpointRecord:
    model = job.model_name()
    return CheckpointRecord(
        id=derived_id("ftckpt_", job.id, step),
        job_id=job.id,
        created_at=at,
        step_number=step,
        metrics=dict(metrics),
        fine_tuned_model_checkpoint=f"{model}:ckpt-step-{step}",
    )


def _metrics(job: JobState, step: int) -> dict[str, float]:
    # A full validation pass ends each epoch, as the service runs one.
    return step_metrics(
        job.seed,
        step,
        job.total_steps,
        with_validation=job.validation_file is not None,
        full_validation=step % job.steps_per_epoch == 0,
    )


def report_steps(job: JobState, until: float, timings: Timings) -> Transition:
    """Emit the step (and epoch checkpoint) records of a ``running`` job up to ``until``.

    Steps at or after a scripted failure step are never reported.
    """
    if job.status != "running":
        return Transition(job)
    last = _completed_by(job, until, timings)
    fail_step = _fail_step(job)
    if fail_step is not None:
        last = min(last, fail_step - 1)
    if last <= job.steps_reported:
        return Transition(job)
    emit = _Emitter(job)
    first_kept_epoch = job.n_epochs - _KEPT_CHECKPOINT_EPOCHS + 1
    for step in range(job.steps_reported + 1, last + 1):
        at = _step_time(job, step, timings)
        metrics = _metrics(job, step)
        message = f"Step {step}/{job.total_steps}: training loss={metrics['train_loss']:.2f}"
        if "valid_loss" in metrics:
            message += f", validation loss={metrics['valid_loss']:.2f}"
        data: dict[str, Any] = {"step": step, "total_steps": job.total_steps}
        data.update({k: v for k, v in metrics.items() if k != "step"})
        emit.event(at, message, type="metrics", data=data)
        epoch, rest = divmod(step, job.steps_per_epoch)
        if rest == 0 and epoch >= first_kept_epoch:
            checkpoint = _checkpoint(job, step, at, metrics)
            emit.records.append(checkpoint)
            emit.event(at, f"Checkpoint created at step {step}", data={"step": step})
    return emit.done(attrs.evolve(job, steps_reported=last))


def _caught_up(job: JobState, at: float, timings: Timings) -> tuple[JobState, _Emitter]:
    """The job with its steps up to ``at`` reported, and an emitter already holding those
    records (a transition at ``at`` first accounts for the steps done by then)."""
    caught_up = report_steps(job, at, timings)
    emit = _Emitter(caught_up.job)
    emit.records.extend(caught_up.records)
    return caught_up.job, emit


def finish_running(job: JobState, at: float, timings: Timings) -> Transition:
    """Complete a ``running`` job at its terminal time: ``succeeded`` (with a results file)
    or ``failed`` at the scripted step."""
    _require(job, "finish", {"running"})
    job, emit = _caught_up(job, at, timings)
    if _fail_step(job) is not None:
        outcome = job.outcome
        return _failed(job, at, emit, outcome.code, outcome.message, outcome.param)
    rows = [_metrics(job, step) for step in range(1, job.total_steps + 1)]
    result = ResultFile(
        id=derived_id("file-", job.id, "results"),
        job_id=job.id,
        created_at=at,
        filename="step_metrics.csv",
        content=results_file(rows, full_validation=job.validation_file is not None),
    )
    emit.records.append(result)
    model = job.model_name()
    emit.event(at, f"New fine-tuned model created: {model}")
    emit.event(at, "The job has successfully completed")
    done = attrs.evolve(
        job,
        status="succeeded",
        steps_done=job.total_steps,
        finished_at=at,
        fine_tuned_model=model,
        result_files=(result.id,),
        trained_tokens=job.training.n_tokens * job.n_epochs,
    )
    return emit.done(done)


def _require(job: JobState, action: str, allowed: set[str]) -> None:
    if job.status not in allowed:
        raise TransitionError(
            f"Cannot {action} fine-tuning job {job.id}: its status is '{job.status}' "
            f"(allowed only when {' or '.join(sorted(allowed))})."
        )


def cancel(job: JobState, at: float, timings: Timings) -> Transition:
    """Cancel a job that has not finished."""
    _require(job, "cancel", set(ACTIVE_STATUSES))
    job, emit = _caught_up(job, at, timings)
    emit.event(at, "Fine-tuning job cancelled")
    steps = job.steps_reported if job.status == "running" else job.steps_done
    return emit.done(attrs.evolve(job, status="cancelled", finished_at=at, steps_done=steps))


def pause(job: JobState, at: float, timings: Timings) -> Transition:
    """Pause a ``running`` job, keeping the steps completed so far."""
    _require(job, "pause", {"running"})
    job, emit = _caught_up(job, at, timings)
    done = job.steps_reported
    emit.event(at, f"Fine-tuning job paused at step {done}/{job.total_steps}")
    return emit.done(attrs.evolve(job, status="paused", steps_done=done, phase_started_at=at))


def resume(job: JobState, at: float) -> Transition:
    """Resume a ``paused`` job: it re-enters the queue with no minimum wait."""
    _require(job, "resume", {"paused"})
    emit = _Emitter(job)
    emit.event(at, "Fine-tuning job resumed")
    return emit.done(attrs.evolve(job, status="queued", phase_started_at=at, queue_wait=0.0))
