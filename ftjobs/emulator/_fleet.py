"""The scheduler: runs the lifecycle of many jobs in time order under a running-job limit.

The limit is where jobs couple together (a job leaves ``queued`` when another frees a slot).
Deterministic in (its states, the time it is advanced to): no clock and no I/O.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator

import attrs

from ftjobs.emulator._config import Timings
from ftjobs.emulator._lifecycle import (
    JobState,
    Outcome,
    Record,
    Transition,
    TransitionError,
    cancel,
    finish_running,
    finish_validation,
    next_wakeup,
    pause,
    report_steps,
    resume,
    start_running,
    terminal_time,
)

__all__ = ["Fleet"]


class Fleet:
    """Runs the lifecycle of many jobs in time order under a limit of running jobs.

    No clock and no I/O: [`advance()`][ftjobs.emulator.Fleet.advance] is told the time. Jobs
    are held by id; the records produced since the last
    [`drain()`][ftjobs.emulator.Fleet.drain] are collected for the store to apply.
    """

    def __init__(self, timings: Timings, max_running: int) -> None:
        self.timings = timings
        self.max_running = max_running
        self.jobs: dict[str, JobState] = {}
        self.now = -math.inf
        self._heap: list[tuple[float, int, str, int]] = []
        self._waiting: list[tuple[float, int, str, int]] = []
        self._versions: dict[str, int] = {}
        self._running: set[str] = set()
        self._changed: dict[str, JobState] = {}
        self._records: list[Record] = []

    # -- loading and bookkeeping ---------------------------------------------------------

    def load(self, jobs: Iterable[JobState]) -> None:
        """Adopt existing jobs (e.g. read back from disk) and schedule the active ones."""
        for job in jobs:
            self.jobs[job.id] = job
            if job.status == "running":
                self._running.add(job.id)
            self._schedule(job)

    def _schedule(self, job: JobState) -> None:
        version = self._versions.get(job.id, 0) + 1
        self._versions[job.id] = version
        wake = next_wakeup(job, self.timings)
        if wake is not None:
            heapq.heappush(self._heap, (wake, job.seq, job.id, version))

    def _apply(self, transition: Transition) -> JobState:
        job = transition.job
        previous = self.jobs.get(job.id)
        self.jobs[job.id] = job
        self._changed[job.id] = job
        self._records.extend(transition.records)
        if job.status == "running":
            self._running.add(job.id)
        else:
            self._running.discard(job.id)
        if previous is None or previous.status != job.status or job.status == "running":
            self._schedule(job)
        return job

    def drain(self) -> tuple[list[JobState], list[Record]]:
        """Return (and forget) the jobs changed and records produced since the last drain."""
        changed, records = list(self._changed.values()), self._records
        self._changed, self._records = {}, []
        return changed, records

    # -- time ------------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Apply every transition due up to ``now``, in time order."""
        now = max(now, self.now)
        self.now = now
        timings = self.timings
        while self._heap and self._heap[0][0] <= now:
            at, _, job_id, version = heapq.heappop(self._heap)
            if self._versions.get(job_id) != version:
                continue
            job = self.jobs[job_id]
            if job.status == "validating_files":
                self._apply(finish_validation(job, at, timings))
            elif job.status == "queued":
                heapq.heappush(self._waiting, (at, job.seq, job_id, version))
                self._admit(at)
            elif job.status == "running":
                end = terminal_time(job, timings)
                assert end is not None
                if end <= at:
                    self._apply(finish_running(job, at, timings))
                    self._admit(at)
                else:
                    stepped = report_steps(job, min(now, end), timings)
                    self._apply(stepped)

    def _admit(self, at: float) -> None:
        while self._waiting and len(self._running) < self.max_running:
            _, _, job_id, version = heapq.heappop(self._waiting)
            if self._versions.get(job_id) != version:
                continue
            self._apply(start_running(self.jobs[job_id], at))

    # -- actions at the current time ---------------------------------------------------------

    def add(self, transition: Transition) -> JobState:
        """Register a job created at the current time."""
        job = self._apply(transition)
        self.advance(self.now)
        return job

    def act(self, job_id: str, action: str, at: float) -> JobState:
        """Apply ``cancel``/``pause``/``resume`` at ``at`` (after advancing to it).

        Raises [`TransitionError`][ftjobs.emulator.TransitionError] when the job's status does
        not allow it.
        """
        self.advance(at)
        at = self.now
        job = self.jobs[job_id]
        if action == "cancel":
            transition = cancel(job, at, self.timings)
        elif action == "pause":
            transition = pause(job, at, self.timings)
        elif action == "resume":
            transition = resume(job, at)
        else:
            raise ValueError(f"unknown action {action!r}")
        self._apply(transition)
        self._admit(at)
        self.advance(at)
        return self.jobs[job_id]

    def remove(self, job_id: str) -> None:
        """Forget a finished job (a deleted one); an unfinished one raises `TransitionError`."""
        job = self.jobs[job_id]
        if not job.terminal:
            raise TransitionError(
                f"Cannot delete fine-tuning job {job_id}: its status is '{job.status}' "
                "(cancel it first)."
            )
        del self.jobs[job_id]
        # Its entries left in the heaps no longer match a version, so they are skipped.
        self._versions.pop(job_id, None)
        self._changed.pop(job_id, None)

    def script(self, job_id: str, outcome: Outcome) -> JobState:
        """Replace a job's scripted outcome (effective from its next transition)."""
        job = self.jobs[job_id]
        if job.terminal:
            raise TransitionError(f"Fine-tuning job {job_id} has already finished.")
        updated = attrs.evolve(job, outcome=outcome)
        self.jobs[job_id] = updated
        self._changed[job_id] = updated
        self._schedule(updated)
        self.advance(self.now)
        return self.jobs[job_id]

    def __iter__(self) -> Iterator[JobState]:
        return iter(self.jobs.values())
