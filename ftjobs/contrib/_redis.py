"""Where a wait's state lives between steps, in Redis (any Redis-backed engine can use it).

Per job ``<id>``:

- ``ftjobs:wait:<id>:state``: a hash with the next ``token``, the last ``status``, the last
  ``job`` (JSON), ``done``, ``steps``, ``events`` (count), ``updated_ms`` and, once a
  follow-up task was enqueued, ``follow_up``;
- ``ftjobs:events:<id>``: a stream of the job's events, oldest first, each entry holding the
  event ``id`` and the ``event`` as JSON;
- ``ftjobs:events:<id>:seen``: the set of event ids already in the stream;
- ``ftjobs:wait:<id>:wake``: set when a webhook spoke of the job (`RedisWaitStore.wake()`),
  taken by the next step.

One step's outcome is written by one Lua script, which Redis runs atomically: an event lands in
the stream only if its id was not yet in the seen set, and the token moves on in the same
transaction, so a step re-run after a crash (before or after the write) never doubles or loses
an event. The same script can enqueue a follow-up task exactly once (see
`RedisWaitStore.record()`).
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = [
    "FollowUp",
    "RedisWaitStore",
    "StoredWait",
    "events_key",
    "move_if_flagged",
    "resolve",
    "seen_key",
    "state_key",
    "text",
    "wake_key",
]

_RECORD = """
local added = 0
local n = tonumber(ARGV[8])
for i = 0, n - 1 do
  local id = ARGV[9 + 2 * i]
  if redis.call('SADD', KEYS[3], id) == 1 then
    redis.call('XADD', KEYS[2], '*', 'id', id, 'event', ARGV[10 + 2 * i])
    added = added + 1
  end
end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'status', ARGV[2], 'job', ARGV[3],
           'done', ARGV[4], 'updated_ms', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'steps', 1)
redis.call('HINCRBY', KEYS[1], 'events', added)
local followed = 0
if ARGV[4] == '1' and ARGV[7] ~= '' then
  if redis.call('HSETNX', KEYS[1], 'follow_up', ARGV[7]) == 1 then
    if redis.call('SET', KEYS[4], ARGV[#ARGV - 1], 'PX', ARGV[#ARGV], 'NX') then
      redis.call('ZADD', KEYS[5], ARGV[6], ARGV[7])
      followed = 1
    end
  end
end
for i = 1, 3 do
  redis.call('PEXPIRE', KEYS[i], ARGV[5])
end
return {added, followed}
"""

_FORGET = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[2], 'token', 'done')
  return 1
end
return 0
"""

# The step in progress finds the flag when it ends; a step still scheduled moves to now (only
# ever earlier: LT; only if it is scheduled at all: XX).
_WAKE = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('ZADD', KEYS[2], 'XX', 'LT', 'CH', ARGV[2], ARGV[3])
"""
# After the engine re-scheduled a step that had already read the flag: a webhook that came in
# between still moves the step to now.
_WAKE_IF_FLAGGED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('ZADD', KEYS[2], 'XX', 'LT', 'CH', ARGV[1], ARGV[2])
end
return 0
"""


def state_key(job_id: str) -> str:
    """The hash holding a wait's token and last seen job."""
    return f"ftjobs:wait:{job_id}:state"


def events_key(job_id: str) -> str:
    """The stream of a job's events."""
    return f"ftjobs:events:{job_id}"


def seen_key(job_id: str) -> str:
    """The set of event ids already in the stream."""
    return f"ftjobs:events:{job_id}:seen"


def wake_key(job_id: str) -> str:
    """The flag a webhook sets for the wait on ``job_id``."""
    return f"ftjobs:wait:{job_id}:wake"


async def resolve(value: Any) -> Any:
    """The value of a redis-py call, awaited if it is awaitable."""
    # redis-py types its commands as "Awaitable[T] | T" (one class serves sync and asyncio).
    if inspect.isawaitable(value):
        return await value
    return value


def text(value: Any) -> str | None:
    """A Redis reply as text (``None`` stays ``None``)."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


async def move_if_flagged(redis: Any, flag_key: str, *, queue_key: str, task_id: str) -> bool:
    """If ``flag_key`` is set, move ``task_id`` in the engine's sorted set ``queue_key`` to now
    (only earlier, only if it is scheduled), atomically. Returns whether it was moved."""
    now_ms = int(time.time() * 1000)
    keys = [flag_key, queue_key]
    return bool(await resolve(redis.eval(_WAKE_IF_FLAGGED, len(keys), *keys, now_ms, task_id)))


@attrs.frozen
class FollowUp:
    """A task to enqueue once the job is terminal, written in the same transaction.

    Attributes:
        task_id: Its stable id (``ftjobs:then:<job id>``).
        job_key: The engine's key for the task's payload (set only if absent).
        queue_key: The engine's sorted set the task id is added to, scored by due time (ms).
        payload: The serialised task.
        expires_ms: Lifetime of ``job_key``.
    """

    task_id: str
    job_key: str
    queue_key: str
    payload: bytes
    expires_ms: int


@attrs.frozen
class StoredWait:
    """A wait's state as stored (all ``None``/0 for a wait never stepped)."""

    token: str | None
    status: str | None
    job: dict[str, Any] | None
    done: bool
    steps: int
    events: int


class RedisWaitStore:
    """Reads and writes waits' state in Redis.

    Args:
        redis: A ``redis.asyncio.Redis`` (arq's pool is one).
        ttl: Seconds every key of a wait lives after its last step.
    """

    def __init__(self, redis: Any, *, ttl: float = 7 * 86400.0) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be > 0, got {ttl!r}")
        self._redis = redis
        self._ttl_ms = int(ttl * 1000)

    async def load(self, job_id: str) -> StoredWait:
        """The stored state of the wait on ``job_id``."""
        fields = ("token", "status", "job", "done", "steps", "events")
        values = await resolve(self._redis.hmget(state_key(job_id), list(fields)))
        token, status, job, done, steps, events = (text(v) for v in values)
        return StoredWait(
            token=token or None,
            status=status or None,
            job=json.loads(job) if job else None,
            done=done == "1",
            steps=int(steps or 0),
            events=int(events or 0),
        )

    async def record(
        self,
        job_id: str,
        *,
        token: str | None,
        status: str | None,
        job: dict[str, Any] | None,
        events: Sequence[tuple[str, str]],
        follow_up: FollowUp | None = None,
    ) -> tuple[int, bool]:
        """Store one step atomically: new events (each id once), the next token, the job.

        ``token=None`` marks the wait done; then ``follow_up`` (if any) is enqueued unless a
        previous run already did. Returns ``(events added, follow-up enqueued)``.
        """
        done = token is None
        now_ms = int(time.time() * 1000)
        keys = [state_key(job_id), events_key(job_id), seen_key(job_id)]
        argv: list[Any] = [
            token or "",
            status or "",
            json.dumps(job, separators=(",", ":")) if job is not None else "",
            "1" if done else "0",
            self._ttl_ms,
            now_ms,
            follow_up.task_id if follow_up is not None and done else "",
            len(events),
        ]
        for event_id, body in events:
            argv += [event_id, body]
        if follow_up is not None and done:
            keys += [follow_up.job_key, follow_up.queue_key]
            argv += [follow_up.payload, follow_up.expires_ms]
        else:
            keys += [keys[0], keys[0]]  # unused, but the script names five keys
        added, followed = await resolve(self._redis.eval(_RECORD, len(keys), *keys, *argv))
        return int(added), bool(followed)

    async def forget_if(self, job_id: str, marker_key: str) -> bool:
        """If ``marker_key`` exists (the engine's record of a finished wait), delete it and the
        wait's position, atomically, so that a new wait starts afresh; else change nothing.

        Events already stored stay, and are not delivered again.
        """
        keys = [marker_key, state_key(job_id)]
        return bool(await resolve(self._redis.eval(_FORGET, len(keys), *keys)))

    async def events(self, job_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Every event stored for ``job_id``, oldest first, as ``(event id, event)``."""
        entries = await resolve(self._redis.xrange(events_key(job_id)))
        found: list[tuple[str, dict[str, Any]]] = []
        for _entry_id, fields in entries:
            decoded = {text(k): text(v) for k, v in fields.items()}
            found.append((str(decoded["id"]), json.loads(str(decoded["event"]))))
        return found

    async def wake(self, job_id: str, *, queue_key: str, task_id: str) -> bool:
        """A webhook spoke of ``job_id``: make its wait step now, atomically.

        The wait's task ``task_id``, if scheduled in the engine's sorted set ``queue_key``
        (scored by due time in ms), is moved to now; a step running at this moment finds the
        flag when it ends and steps again at once (`take_wake()`). Returns whether a
        scheduled step was moved.
        """
        keys = [wake_key(job_id), queue_key]
        now_ms = int(time.time() * 1000)
        moved = await resolve(
            self._redis.eval(_WAKE, len(keys), *keys, self._ttl_ms, now_ms, task_id)
        )
        return bool(moved)

    async def wake_if_flagged(self, job_id: str, *, queue_key: str, task_id: str) -> bool:
        """After a step was re-scheduled: if a webhook flagged ``job_id`` meanwhile (after the
        step read the flag), move the step to now. Returns whether it was moved."""
        return await move_if_flagged(
            self._redis, wake_key(job_id), queue_key=queue_key, task_id=task_id
        )

    async def take_wake(self, job_id: str) -> bool:
        """Clear the webhook flag of ``job_id``; return whether it was set."""
        return bool(await resolve(self._redis.delete(wake_key(job_id))))
