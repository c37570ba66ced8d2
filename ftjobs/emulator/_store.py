"""The emulator's state: files, jobs (through a [`Fleet`][ftjobs.emulator.Fleet]),
events, checkpoints and idempotency records, optionally persisted to SQLite.

Time only moves here: every public operation first advances the fleet to the clock's
``now`` (lazily; there is no background task), then acts at that same instant. The store is
also the scripting surface for tests
([`Store.script_next_jobs()`][ftjobs.emulator.Store.script_next_jobs],
[`Store.script_job()`][ftjobs.emulator.Store.script_job],
[`Store.advance_clock()`][ftjobs.emulator.Store.advance_clock]).
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import orjson

from ftjobs._limits import FILE_PURPOSES
from ftjobs.emulator._base_models import check_model
from ftjobs.emulator._clock import Clock, SystemClock
from ftjobs.emulator._config import EmulatorConfig
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._fleet import Fleet
from ftjobs.emulator._ids import random_id
from ftjobs.emulator._lifecycle import (
    CheckpointRecord,
    EventRecord,
    JobState,
    Outcome,
    ResultFile,
    TransitionError,
    new_job,
)
from ftjobs.emulator._params import JobRequest, MetadataFilter
from ftjobs.emulator._persistence import (
    Batch,
    IdempotencyRecord,
    Loaded,
    SqliteBackend,
    StateFileError,
    open_state,
)
from ftjobs.emulator._quotas import Quotas
from ftjobs.emulator._render import FileRecord, render_job
from ftjobs.emulator._validation import DatasetReport, validate_dataset

__all__ = ["StateFileError", "StateNotSaved", "Store", "open_store"]

_SEED_BOUND = 2_147_483_647
_T = TypeVar("_T")


class _Timeline:
    """Records of one kind for one job, oldest first, with id -> position lookup."""

    __slots__ = ("items", "positions")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.positions: dict[str, int] = {}

    def append(self, item: Any) -> None:
        if item.id in self.positions:
            return
        self.positions[item.id] = len(self.items)
        self.items.append(item)


def _listing_order(
    positions: Mapping[str, int], count: int, after: str | None, what: str, *, newest_first: bool
) -> range:
    """Positions (of ``count`` in creation order) strictly after the cursor ``after``, in
    listing order; a 400 [`ApiError`][ftjobs.emulator.ApiError] for an unknown cursor."""
    step = -1 if newest_first else 1
    start = count - 1 if newest_first else 0
    if after is not None:
        position = positions.get(after)
        if position is None:
            raise ApiError.invalid(f"Invalid 'after': no {what} with id '{after}'.", param="after")
        start = position + step
    return range(start, -1, -1) if newest_first else range(start, count)


def _page(items: Iterable[_T], limit: int) -> tuple[list[_T], bool]:
    """The first ``limit`` items, and whether there is at least one more."""
    page = list(itertools.islice(items, limit + 1))
    return page[:limit], len(page) > limit


def _page_newest_first(
    timeline: _Timeline, limit: int, after: str | None, what: str
) -> tuple[list[Any], bool]:
    order = _listing_order(timeline.positions, len(timeline.items), after, what, newest_first=True)
    return _page((timeline.items[i] for i in order), limit)


class StateNotSaved(Exception):
    """The state file refused a commit; the store is back at its last saved state."""


class Store:
    """In-memory state with optional SQLite persistence; see the module docstring.

    Create one with [`open_store()`][ftjobs.emulator.open_store]. With a state file, memory
    never runs ahead of disk for long: [`flush()`][ftjobs.emulator.Store.flush] commits
    what changed, and when it cannot, the store reloads the file, so that nothing a client was
    told about exists only in memory.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        clock: Clock,
        backend: SqliteBackend | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._backend = backend
        self._reports: dict[tuple[str, str, str, bytes], DatasetReport] = {}
        self._scripted: deque[Outcome] = deque()
        # The scripted outcomes as of the last commit: a create that could not be saved
        # gives its outcome back.
        self._saved_scripted: tuple[Outcome, ...] = ()
        # Set when a failed commit could not be undone by reading the file back.
        self._unreadable: str | None = None
        #: Called with each job as it ends (the webhook sender listens).
        self.on_terminal: list[Callable[[JobState], None]] = []
        #: The per-model create limits and their counters (kept across a reload).
        self.quotas = Quotas(config.daily_job_limit, config.max_active_jobs)
        self._clear()

    def _clear(self) -> None:
        """Forget everything held in memory (but the scripting and derived caches)."""
        self.fleet = Fleet(self.config.timings, self.config.max_running_jobs)
        self.quotas.load(())
        self._batch = Batch()
        self._files: dict[str, FileRecord] = {}
        self._contents: dict[str, bytes] = {}
        self._file_order: list[str] = []
        self._file_positions: dict[str, int] = {}
        self._job_order: list[str] = []
        self._job_positions: dict[str, int] = {}
        self._events: dict[str, _Timeline] = {}
        self._checkpoints: dict[str, _Timeline] = {}
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._rendered: dict[str, tuple[JobState, dict[str, Any]]] = {}
        self._file_seq = 0
        self._job_seq = 0

    # -- loading, time and persistence -------------------------------------------------------

    def _load(self, loaded: Loaded) -> None:
        for record, content in loaded.files:
            self._add_file_record(record, content, persist=False)
        for job in loaded.jobs:
            self._job_positions[job.id] = len(self._job_order)
            self._job_order.append(job.id)
            self._job_seq = max(self._job_seq, job.seq + 1)
        self.fleet.load(loaded.jobs)
        self.quotas.load(loaded.jobs)
        for event in loaded.events:
            self._events.setdefault(event.job_id, _Timeline()).append(event)
        for checkpoint in loaded.checkpoints:
            self._checkpoints.setdefault(checkpoint.job_id, _Timeline()).append(checkpoint)
        for replay in loaded.idempotency:
            self._idempotency[(replay.scope, replay.key)] = replay

    def now(self) -> float:
        """Advance every job to the clock's current time and return that time."""
        self.fleet.advance(self.clock.now())
        self._absorb()
        return self.fleet.now

    def advance_clock(self, seconds: float) -> float:
        """Jump the clock forward (for tests and ``POST /_emulator/clock``); returns ``now``."""
        self.clock.advance(seconds)
        if isinstance(self.clock, SystemClock):
            self._batch.meta["clock"] = _clock_anchor(self.clock)
        now = self.now()
        self.flush()
        return now

    def _absorb(self) -> None:
        changed, records = self.fleet.drain()
        for job in changed:
            self._batch.jobs[job.id] = job
            if job.terminal:
                self.quotas.ended(job)
                for listener in self.on_terminal:
                    listener(job)
        for record in records:
            if isinstance(record, EventRecord):
                self._events.setdefault(record.job_id, _Timeline()).append(record)
                self._batch.events.append(record)
            elif isinstance(record, CheckpointRecord):
                self._checkpoints.setdefault(record.job_id, _Timeline()).append(record)
                self._batch.checkpoints.append(record)
            elif isinstance(record, ResultFile) and record.id not in self._files:
                file = FileRecord(
                    id=record.id,
                    seq=self._file_seq,
                    created_at=record.created_at,
                    filename=record.filename,
                    purpose="fine-tune-results",
                    bytes=len(record.content),
                )
                self._add_file_record(file, record.content, persist=True)

    def flush(self) -> None:
        """Commit pending writes (one transaction); a no-op without a state file.

        Raises:
            StateNotSaved: The commit failed (a full disk...). Memory is reloaded from the
                file, so it holds what the file holds, as before the changes. If the file
                cannot be read back either, every later flush fails too.
        """
        self._absorb()
        batch, self._batch = self._batch, Batch()
        backend = self._backend
        if backend is None:
            return
        if self._unreadable is not None:
            raise StateNotSaved(self._unreadable)
        try:
            backend.commit(batch)
        except Exception as exc:
            message = f"could not write the state file {backend.path}: {exc}"
            try:
                loaded = backend.load()
            except Exception as reload_error:
                # Memory is ahead of a disk it cannot read back: refuse every request from
                # now on (a restart reads the file again) rather than answer from memory.
                self._unreadable = f"{message}; nor read it back: {reload_error}"
                raise StateNotSaved(self._unreadable) from exc
            self._clear()
            self._load(loaded)
            self._scripted = deque(self._saved_scripted)
            # Time only moves forward: the clock's new anchor is still to be saved.
            self._batch.meta.update(batch.meta)
            raise StateNotSaved(message) from exc
        self._saved_scripted = tuple(self._scripted)

    def close(self) -> None:
        """Flush and close the state file."""
        backend = self._backend
        if backend is not None:
            try:
                if self._unreadable is None:
                    self.flush()
            finally:
                backend.close()
                self._backend = None

    # -- files -------------------------------------------------------------------------------

    def _add_file_record(self, record: FileRecord, content: bytes, *, persist: bool) -> None:
        self._files[record.id] = record
        self._contents[record.id] = content
        self._file_positions[record.id] = len(self._file_order)
        self._file_order.append(record.id)
        self._file_seq = max(self._file_seq, record.seq + 1)
        if persist:
            self._batch.files.append((record, content))

    def add_file(
        self,
        filename: str,
        purpose: str,
        content: bytes,
        *,
        expires_after: int | None = None,
        purposes: tuple[str, ...] = FILE_PURPOSES,
        file_id: str | None = None,
    ) -> FileRecord:
        """Store an uploaded file (``expires_after`` seconds from now, if given) whose
        ``purpose`` is one of ``purposes`` (the dialect's), under ``file_id`` if one was
        already handed out."""
        if purpose not in purposes:
            raise ApiError.invalid(
                f"Invalid value for 'purpose': expected one of {', '.join(purposes)}.",
                param="purpose",
            )
        now = self.now()
        record = FileRecord(
            id=file_id or random_id("file-"),
            seq=self._file_seq,
            created_at=now,
            filename=filename,
            purpose=purpose,
            bytes=len(content),
            expires_at=None if expires_after is None else now + expires_after,
        )
        self._add_file_record(record, content, persist=True)
        return record

    def get_file(self, file_id: str) -> FileRecord:
        """Return a file's metadata or raise a 404 [`ApiError`][ftjobs.emulator.ApiError]."""
        self.now()
        record = self._files.get(file_id)
        if record is None:
            raise ApiError.not_found(f"No such File object: {file_id}", param="id")
        return record

    def file_content(self, file_id: str) -> bytes:
        """Return a file's bytes or raise a 404 [`ApiError`][ftjobs.emulator.ApiError]."""
        self.get_file(file_id)
        return self._contents[file_id]

    def delete_file(self, file_id: str) -> None:
        """Delete a file (its position stays valid as a list cursor)."""
        self.get_file(file_id)
        del self._files[file_id]
        del self._contents[file_id]
        self._batch.deleted_files.append(file_id)

    def list_files(
        self, *, purpose: str | None, limit: int, order: str, after: str | None
    ) -> tuple[list[FileRecord], bool]:
        """A page of files in ``order`` of creation, strictly after the cursor ``after``."""
        self.now()
        positions = _listing_order(
            self._file_positions,
            len(self._file_order),
            after,
            "file",
            newest_first=order == "desc",
        )
        # Deleted files keep their position (still a valid cursor) but are skipped.
        records = (self._files.get(self._file_order[i]) for i in positions)
        return _page(
            (r for r in records if r is not None and (purpose is None or r.purpose == purpose)),
            limit,
        )

    # -- jobs --------------------------------------------------------------------------------

    def _dataset_report(self, file_id: str, request: JobRequest, kind: str) -> DatasetReport:
        grader = request.method[request.method_type].get("grader")
        key = (
            file_id,
            request.method_type,
            kind,
            orjson.dumps(grader, option=orjson.OPT_SORT_KEYS),
        )
        report = self._reports.get(key)
        if report is None:
            minimum = self.config.min_training_examples if kind == "training" else 0
            report = validate_dataset(
                self._contents[file_id],
                request.method_type,
                kind=kind,
                min_examples=minimum,
                grader=grader,
            )
            self._reports[key] = report
        return report

    def _check_input_file(self, file_id: str, param: str) -> None:
        record = self._files.get(file_id)
        if record is None:
            raise ApiError.invalid(
                f"Invalid {param}: no file with id '{file_id}' exists.",
                param=param,
                code="file_not_found",
            )
        if record.purpose != "fine-tune":
            raise ApiError.invalid(
                f"Invalid {param}: file {file_id} has purpose '{record.purpose}', "
                "but fine-tuning requires purpose 'fine-tune'.",
                param=param,
                code="invalid_file_purpose",
            )

    def create_job(
        self, request: JobRequest, *, outcome: Outcome | None = None, limited: bool = True
    ) -> JobState:
        """Create a job (400 [`ApiError`][ftjobs.emulator.ApiError] when a file is missing or
        has the wrong purpose; 429 past `EmulatorConfig.daily_job_limit` or
        `EmulatorConfig.max_active_jobs` for its model, unless ``limited`` is false).

        ``outcome`` (else the next scripted one, else none) forces how the job ends.
        """
        check_model(self.config.models, request.model, request.method_type, exists=self.has_model)
        now = self.now()
        self._check_input_file(request.training_file, "training_file")
        validation = None
        if request.validation_file is not None:
            self._check_input_file(request.validation_file, "validation_file")
            validation = self._dataset_report(request.validation_file, request, "validation")
        training = self._dataset_report(request.training_file, request, "training")
        if limited:
            # After every other check: a 429 says this very request would be created later.
            self.quotas.admit(request.model, now)
        if outcome is None and self._scripted:
            outcome = self._scripted.popleft()
        job_id = random_id(self.config.job_id_prefix)
        transition = new_job(
            request,
            job_id=job_id,
            seq=self._job_seq,
            at=now,
            organization_id=self.config.organization,
            training=training,
            validation=validation,
            outcome=outcome,
            seed=random.Random(job_id).randrange(_SEED_BOUND),
        )
        self._job_seq += 1
        self._job_positions[job_id] = len(self._job_order)
        self._job_order.append(job_id)
        job = self.fleet.add(transition)
        self.quotas.add(job)
        self._absorb()
        return self.fleet.jobs[job.id]

    def get_job(self, job_id: str) -> JobState:
        """Return a job (advanced to now) or raise a 404
        [`ApiError`][ftjobs.emulator.ApiError]."""
        self.now()
        job = self.fleet.jobs.get(job_id)
        if job is None:
            raise ApiError.not_found(
                f"No fine-tuning job found with id '{job_id}'.", param="fine_tuning_job_id"
            )
        return job

    def act(self, job_id: str, action: str) -> JobState:
        """``cancel``, ``pause`` or ``resume`` a job; 400 when its status does not allow it."""
        self.get_job(job_id)
        try:
            # At the instant get_job advanced to: a second clock read would act later.
            job = self.fleet.act(job_id, action, self.fleet.now)
        except TransitionError as exc:
            raise ApiError.invalid(str(exc), code="invalid_job_state") from None
        self._absorb()
        return job

    def list_jobs(
        self, *, limit: int, after: str | None, metadata: MetadataFilter | None = None
    ) -> tuple[list[JobState], bool]:
        """A page of jobs, newest first, strictly after the cursor job ``after``."""
        self.now()
        positions = _listing_order(
            self._job_positions, len(self._job_order), after, "fine-tuning job", newest_first=True
        )
        # Deleted jobs keep their position (still a valid cursor) but are skipped.
        found = (self.fleet.jobs.get(self._job_order[i]) for i in positions)
        jobs = (job for job in found if job is not None)
        if metadata is not None and metadata.active:
            jobs = (job for job in jobs if metadata.matches(job.metadata))
        return _page(jobs, limit)

    def list_events(
        self, job_id: str, *, limit: int, after: str | None
    ) -> tuple[list[EventRecord], bool]:
        """A page of a job's events, newest first."""
        self.get_job(job_id)
        timeline = self._events.setdefault(job_id, _Timeline())
        return _page_newest_first(timeline, limit, after, "event")

    def list_checkpoints(
        self, job_id: str, *, limit: int, after: str | None
    ) -> tuple[list[CheckpointRecord], bool]:
        """A page of a job's checkpoints, newest first."""
        self.get_job(job_id)
        timeline = self._checkpoints.setdefault(job_id, _Timeline())
        return _page_newest_first(timeline, limit, after, "checkpoint")

    def delete_job(self, job_id: str) -> None:
        """Delete a finished job with its events and checkpoints (400 while it runs)."""
        self.get_job(job_id)
        try:
            self.fleet.remove(job_id)
        except TransitionError as exc:
            raise ApiError.invalid(str(exc), code="invalid_job_state") from None
        self._events.pop(job_id, None)
        self._checkpoints.pop(job_id, None)
        self._rendered.pop(job_id, None)
        batch = self._batch
        batch.jobs.pop(job_id, None)
        batch.events = [e for e in batch.events if e.job_id != job_id]
        batch.checkpoints = [c for c in batch.checkpoints if c.job_id != job_id]
        batch.deleted_jobs.append(job_id)

    def events_of(self, job_id: str) -> list[EventRecord]:
        """Every event of a job, oldest first."""
        self.get_job(job_id)
        return list(self._events.get(job_id, _Timeline()).items)

    def checkpoints_of(self, job_id: str) -> list[CheckpointRecord]:
        """Every checkpoint of a job, oldest first."""
        self.get_job(job_id)
        return list(self._checkpoints.get(job_id, _Timeline()).items)

    def has_model(self, name: str) -> bool:
        """Whether ``name`` is a fine-tuned model or checkpoint one of the jobs produced."""
        self.now()
        if any(job.fine_tuned_model == name for job in self.fleet.jobs.values()):
            return True
        return any(
            c.fine_tuned_model_checkpoint == name
            for timeline in self._checkpoints.values()
            for c in timeline.items
        )

    def render_job(self, job: JobState) -> dict[str, Any]:
        """The job's JSON object (cached per job state, since states are immutable)."""
        cached = self._rendered.get(job.id)
        if cached is not None and cached[0] is job:
            return cached[1]
        body = render_job(job, self.config.timings, self.clock.to_wall)
        self._rendered[job.id] = (job, body)
        return body

    def jobs(self) -> Iterator[JobState]:
        """All jobs (advanced to now), oldest first."""
        self.now()
        jobs = self.fleet.jobs
        return (jobs[job_id] for job_id in self._job_order if job_id in jobs)

    @property
    def file_count(self) -> int:
        """Number of stored files."""
        return len(self._files)

    # -- scripting -----------------------------------------------------------------------------

    def script_next_jobs(self, *outcomes: Outcome) -> None:
        """Force the outcome of the next jobs created, one outcome per job, in order."""
        self._scripted.extend(outcomes)

    def script_job(self, job_id: str, outcome: Outcome) -> JobState:
        """Force the outcome of an existing, unfinished job."""
        self.get_job(job_id)
        try:
            job = self.fleet.script(job_id, outcome)
        except TransitionError as exc:
            raise ApiError.invalid(str(exc), code="invalid_job_state") from None
        self._absorb()
        return job

    # -- idempotency ---------------------------------------------------------------------------

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The stored response for ``key`` on ``scope`` (e.g. ``POST /fine_tuning/jobs``)."""
        return self._idempotency.get((scope, key))

    def remember_response(self, record: IdempotencyRecord) -> None:
        """Store a response to replay for the same key and request."""
        self._idempotency[(record.scope, record.key)] = record
        self._batch.idempotency.append(record)


def _clock_anchor(clock: SystemClock) -> dict[str, float]:
    return {"wall": clock.origin_wall, "emulated": clock.origin_emulated, "speed": clock.speed}


def open_store(config: EmulatorConfig, clock: Clock | None = None) -> Store:
    """Build the store for ``config``: in memory, or loaded from ``config.state_path``.

    Raises `StateFileError` (naming the file and the problem) for a state file that cannot be
    used; the file is then left as it was.

    Without an explicit ``clock``, a [`SystemClock`][ftjobs.emulator.SystemClock] at
    ``config.speed`` is used; with a state file it continues the stored timeline (re-anchored if the
    speed changed).
    """
    if config.state_path is None:
        return Store(config, clock or SystemClock(config.speed))
    backend, loaded = open_state(config.state_path)
    try:
        meta: dict[str, Any] = {}
        if clock is None:
            anchor = loaded.meta.get("clock")
            system = SystemClock(config.speed)
            if isinstance(anchor, dict):
                previous = SystemClock(
                    float(anchor["speed"]),
                    origin_wall=float(anchor["wall"]),
                    origin_emulated=float(anchor["emulated"]),
                )
                system = SystemClock(
                    config.speed, origin_wall=system.origin_wall, origin_emulated=previous.now()
                )
            meta["clock"] = _clock_anchor(system)
            clock = system
        store = Store(config, clock, backend)
        store._load(loaded)
        store._batch.meta.update(meta)
        try:
            store.flush()
        except StateNotSaved as exc:
            raise StateFileError(str(exc)) from None
    except BaseException:
        backend.close()
        raise
    return store
