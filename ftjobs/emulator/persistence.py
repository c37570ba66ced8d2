"""SQLite persistence (stdlib :mod:`sqlite3`) of everything the emulator holds.

One file keeps files (with their bytes), jobs, events, checkpoints, idempotency records and
the clock's anchor, so a restarted emulator continues where it stopped. Writes are batched:
the store hands over one :class:`Batch` per request and it is committed in one transaction
before the response is sent.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import attrs
import cattrs

from ftjobs.emulator.lifecycle import CheckpointRecord, EventRecord, JobState
from ftjobs.emulator.render import FileRecord

__all__ = ["Batch", "IdempotencyRecord", "Loaded", "SqliteBackend"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, record TEXT NOT NULL, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, record TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (scope, key));
"""

_converter = cattrs.Converter()


@attrs.frozen
class IdempotencyRecord:
    """A stored response for an ``Idempotency-Key``: replayed for the same request."""

    scope: str
    key: str
    fingerprint: str
    status: int
    content_type: str
    body: bytes


class Batch:
    """Writes collected during one request (a mutable accumulator, hence not attrs)."""

    __slots__ = ("checkpoints", "deleted_files", "events", "files", "idempotency", "jobs", "meta")

    def __init__(self) -> None:
        self.files: list[tuple[FileRecord, bytes]] = []
        self.deleted_files: list[str] = []
        self.jobs: dict[str, JobState] = {}
        self.events: list[EventRecord] = []
        self.checkpoints: list[CheckpointRecord] = []
        self.idempotency: list[IdempotencyRecord] = []
        self.meta: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return bool(
            self.files
            or self.deleted_files
            or self.jobs
            or self.events
            or self.checkpoints
            or self.idempotency
            or self.meta
        )


@attrs.frozen
class Loaded:
    """Everything read back from a state file, in creation order."""

    files: list[tuple[FileRecord, bytes]]
    jobs: list[JobState]
    events: list[EventRecord]
    checkpoints: list[CheckpointRecord]
    idempotency: list[IdempotencyRecord]
    meta: dict[str, Any]


def _dump(obj: Any) -> str:
    return json.dumps(_converter.unstructure(obj), separators=(",", ":"))


class SqliteBackend:
    """A state file; every :meth:`commit` is one transaction."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def load(self) -> Loaded:
        """Read the whole state."""
        db = self._db
        files = [
            (_converter.structure(json.loads(record), FileRecord), bytes(content))
            for record, content in db.execute("SELECT record, content FROM files ORDER BY seq")
        ]
        jobs = [
            _converter.structure(json.loads(state), JobState)
            for (state,) in db.execute("SELECT state FROM jobs ORDER BY seq")
        ]
        events = [
            _converter.structure(json.loads(record), EventRecord)
            for (record,) in db.execute("SELECT record FROM events ORDER BY n")
        ]
        checkpoints = [
            _converter.structure(json.loads(record), CheckpointRecord)
            for (record,) in db.execute("SELECT record FROM checkpoints ORDER BY n")
        ]
        idempotency = []
        for record, body in db.execute("SELECT record, body FROM idempotency"):
            fields = json.loads(record)
            idempotency.append(IdempotencyRecord(body=bytes(body), **fields))
        meta = {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM meta")}
        return Loaded(files, jobs, events, checkpoints, idempotency, meta)

    def commit(self, batch: Batch) -> None:
        """Write one batch atomically."""
        if not batch:
            return
        db = self._db
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT OR REPLACE INTO files (id, seq, record, content) VALUES (?, ?, ?, ?)",
                [(f.id, f.seq, _dump(f), content) for f, content in batch.files],
            )
            db.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in batch.deleted_files])
            db.executemany(
                "INSERT OR REPLACE INTO jobs (id, seq, state) VALUES (?, ?, ?)",
                [(j.id, j.seq, _dump(j)) for j in batch.jobs.values()],
            )
            db.executemany(
                "INSERT OR IGNORE INTO events (id, record) VALUES (?, ?)",
                [(e.id, _dump(e)) for e in batch.events],
            )
            db.executemany(
                "INSERT OR IGNORE INTO checkpoints (id, record) VALUES (?, ?)",
                [(c.id, _dump(c)) for c in batch.checkpoints],
            )
            db.executemany(
                "INSERT OR REPLACE INTO idempotency (scope, key, record, body) VALUES (?, ?, ?, ?)",
                [
                    (
                        r.scope,
                        r.key,
                        json.dumps(
                            {
                                "scope": r.scope,
                                "key": r.key,
                                "fingerprint": r.fingerprint,
                                "status": r.status,
                                "content_type": r.content_type,
                            }
                        ),
                        r.body,
                    )
                    for r in batch.idempotency
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in batch.meta.items()],
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        self._db.close()
