"""SQLite persistence (stdlib `sqlite3`) of everything the emulator holds.

One file keeps files (with their bytes), jobs, events, checkpoints, idempotency records and
the clock's anchor, so a restarted emulator continues where it stopped. Writes are batched:
the store hands over one `Batch` per request and it is committed in one transaction
before the response is sent.

A state file is only written once it has been read whole, read-only: a file that is empty,
damaged or another program's database is refused with a `StateFileError` and left as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from typing import Any

import attrs
import cattrs

from ftjobs.emulator._lifecycle import CheckpointRecord, EventRecord, JobState
from ftjobs.emulator._render import FileRecord

__all__ = ["Batch", "IdempotencyRecord", "Loaded", "SqliteBackend", "StateFileError", "open_state"]

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

# SQLite's header field for "which program's file is this": "ftjb". Files written before it
# was set have 0 and only the tables of _SCHEMA.
_APPLICATION_ID = 0x66746A62
_TABLES = frozenset(
    {"meta", "files", "jobs", "events", "checkpoints", "idempotency", "sqlite_sequence"}
)


class StateFileError(ValueError):
    """A state file cannot be used (empty, damaged, another program's): the message names
    the file and the problem. The file has not been changed."""


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

    __slots__ = (
        "checkpoints",
        "deleted_files",
        "deleted_jobs",
        "events",
        "files",
        "idempotency",
        "jobs",
        "meta",
    )

    def __init__(self) -> None:
        self.files: list[tuple[FileRecord, bytes]] = []
        self.deleted_files: list[str] = []
        self.jobs: dict[str, JobState] = {}
        self.deleted_jobs: list[str] = []
        self.events: list[EventRecord] = []
        self.checkpoints: list[CheckpointRecord] = []
        self.idempotency: list[IdempotencyRecord] = []
        self.meta: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return bool(
            self.files
            or self.deleted_files
            or self.jobs
            or self.deleted_jobs
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
    """A state file; every [`commit()`][ftjobs.emulator.Emulator.commit] is one transaction."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock: int | None = None
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")

    def load(self) -> Loaded:
        """Read the whole state."""
        return _read(self._db)

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
            deleted = [(i,) for i in batch.deleted_jobs]
            db.executemany("DELETE FROM jobs WHERE id = ?", deleted)
            for table in ("events", "checkpoints"):
                db.executemany(
                    f"DELETE FROM {table} WHERE json_extract(record, '$.job_id') = ?", deleted
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
            # SQLite ends the transaction itself on some errors (a full disk: SQLITE_FULL).
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def hold(self, lock: int) -> None:
        """Keep ``lock`` (an open descriptor holding the file's lock) until `close`."""
        self._lock = lock

    def close(self) -> None:
        """Close the database, and release its lock."""
        self._db.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _read(db: sqlite3.Connection) -> Loaded:
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


def _check_ours(db: sqlite3.Connection, path: str) -> None:
    (integrity,) = db.execute("PRAGMA quick_check").fetchone()
    if integrity != "ok":
        raise StateFileError(f"{path}: the state file is damaged ({integrity})")
    (application_id,) = db.execute("PRAGMA application_id").fetchone()
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    foreign = sorted(tables - _TABLES)
    if application_id not in (0, _APPLICATION_ID) or foreign:
        raise StateFileError(
            f"{path}: an SQLite database of another program, not an emulator state file"
            + (f" (tables: {', '.join(foreign[:5])})" if foreign else "")
        )


def _read_existing(path: str) -> Loaded:
    if os.path.isdir(path):
        raise StateFileError(f"{path}: a directory, not an emulator state file")
    if os.path.getsize(path) == 0:
        raise StateFileError(f"{path}: the file is empty, not an emulator state file")
    # Without a write-ahead log beside it (a clean shutdown), the file is read as immutable:
    # SQLite then creates no -wal/-shm files either. After a crash the log holds committed
    # writes, which a plain read-only connection reads.
    query = "mode=ro" if os.path.exists(path + "-wal") else "mode=ro&immutable=1"
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?" + query
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise StateFileError(f"{path}: cannot open the state file ({exc})") from None
    try:
        _check_ours(db, path)
        return _read(db)
    except sqlite3.Error as exc:
        raise StateFileError(f"{path}: not a readable emulator state file ({exc})") from None
    except StateFileError:
        raise
    except Exception as exc:
        # JSON, cattrs or field errors: the tables are ours but a record is not.
        raise StateFileError(
            f"{path}: the state file holds a record this emulator cannot read "
            f"({type(exc).__name__}: {exc})"
        ) from None
    finally:
        db.close()


def open_state(path: str) -> tuple[SqliteBackend, Loaded]:
    """Open the state file at ``path`` (created when missing) and read it.

    An existing file is first read whole through a read-only connection, so that a file
    that cannot be used is refused before anything is written to it.

    Raises:
        StateFileError: The file cannot be used; it is unchanged.
    """
    existed = os.path.lexists(path)
    lock = _lock(path) if existed else None
    try:
        loaded = _read_existing(path) if existed else None
        try:
            backend = SqliteBackend(path)
        except sqlite3.Error as exc:
            raise StateFileError(
                f"{path}: cannot open the state file for writing ({exc})"
            ) from None
    except BaseException:
        if lock is not None:
            os.close(lock)
        raise
    if lock is None:
        try:
            lock = _lock(path)  # the file did not exist: it does now
        except BaseException:
            backend.close()
            raise
    backend.hold(lock)
    return backend, loaded if loaded is not None else Loaded([], [], [], [], [], {})


def _lock(path: str) -> int:
    """An exclusive lock on the state file for as long as this emulator runs (the returned
    descriptor holds it): two emulators on one file would each see only their own jobs, and
    write sequence numbers over each other's.

    Raises:
        StateFileError: Another process holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock on Windows: the file is not locked there
        return os.open(path, os.O_RDONLY)
    handle = os.open(path, os.O_RDONLY)
    try:
        # flock, not fcntl's record locks: SQLite uses those on the same file, and the two
        # kinds do not meet on Linux or macOS.
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        raise StateFileError(
            f"{path}: the state file is in use by another emulator (ftjobs serve); stop it or "
            "give this one another --state"
        ) from None
    return handle
