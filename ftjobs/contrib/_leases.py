"""A distributed campaign's shared state in Redis: its slots (leases), its members' progress.

The bound on a campaign's active jobs is a set of **leases**, never a counter: a counter that a
worker killed with ``kill -9`` incremented is never decremented, and the campaign shrinks by one
slot for good. A lease is a member in the sorted set ``<prefix>:leases`` scored by the time it
expires (ms); the member holding it renews it at every step (for the step's delay plus a
grace that outlasts the engine's re-run of a killed task). Taking a slot is one Lua script,
which Redis runs atomically: drop the expired leases, then take one if the member already holds
it (a re-run), if it must (its job already exists on the server: it is active whatever Redis
says), or if fewer than ``max_active`` are held. A member refused a slot joins
``<prefix>:waiting``; releasing a slot wakes the first waiting member (its deferred task moves
to now, and a flag covers a task that is running at that moment, see `CampaignStore.release`).

Per campaign ``<name>`` (prefix ``ftjobs:campaign:<name>``):

- ``:spec``: the members as enqueued (JSON; the same name with other members is refused);
- ``:limits``: a hash with ``max_active`` and the members' ``fingerprint``;
- ``:leases`` and ``:waiting``: sorted sets of member indexes (as text);
- ``:member:<index>``: a hash with the member's ``attempt``, the ``token`` of its wait (set once
  its job was submitted) and its ``job_id``;
- ``:wake:<index>``: set when a released slot woke the member;
- ``:blocked``: a hash of model -> time (ms) before which creates of that model are refused
  (the provider's daily limit).

Every key lives ``ttl`` after the last write to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..campaigns import Campaign
from ._redis import move_if_flagged, resolve, text

__all__ = ["CampaignSettings", "CampaignStore", "MemberState", "campaign_prefix"]

_SAVE_SPEC = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('HSET', KEYS[2], 'max_active', ARGV[2], 'fingerprint', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
"""

# KEYS: leases, waiting, limits, spec. ARGV: member, now_ms, expiry_ms, force, order, ttl_ms.
# A member's every step keeps the whole campaign alive (a quota may stretch it over weeks).
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local max = tonumber(redis.call('HGET', KEYS[3], 'max_active') or '0')
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
local granted = 0
if held or ARGV[4] == '1' or redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  granted = 1
else
  redis.call('ZADD', KEYS[2], 'NX', ARGV[5], ARGV[1])
end
for i = 1, 4 do
  redis.call('PEXPIRE', KEYS[i], ARGV[6])
end
return granted
"""

# KEYS: leases, waiting, engine queue. ARGV: member, now_ms, task id prefix, wake key prefix,
# ttl_ms. The woken member's keys are built here (its index is known only here): one Redis,
# not a cluster.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local woken = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if woken then
  redis.call('ZREM', KEYS[2], woken)
  redis.call('SET', ARGV[4] .. woken, '1', 'PX', ARGV[5])
  redis.call('ZADD', KEYS[3], 'XX', 'LT', ARGV[2], ARGV[3] .. woken)
  return woken
end
return ''
"""

_BLOCK = """
local until_ms = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > until_ms then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[1])
"""


def campaign_prefix(name: str) -> str:
    """The prefix of every Redis key of the campaign ``name``."""
    return f"ftjobs:campaign:{name}"


def _now_ms() -> int:
    return int(time.time() * 1000)


@attrs.frozen
class MemberState:
    """A member's progress as stored (attempt 0, no token, for a member never run).

    Attributes:
        attempt: The member's current attempt (0 first; one more per re-created failure).
        token: The continuation token of the wait on the attempt's job, once submitted.
        job_id: The attempt's job, once submitted.
    """

    attempt: int = 0
    token: str | None = None
    job_id: str | None = None


class CampaignStore:
    """Reads and writes a distributed campaign's state in Redis (see the module's doc).

    Args:
        redis: A ``redis.asyncio.Redis`` (arq's pool is one).
        ttl: Seconds every key lives after the last write to it.
    """

    def __init__(self, redis: Any, *, ttl: float = 30 * 86400.0) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be > 0, got {ttl!r}")
        self._redis = redis
        self._ttl_ms = int(ttl * 1000)

    async def save_spec(
        self, name: str, members: Sequence[Mapping[str, Any]], max_active: int, fingerprint: str
    ) -> bool:
        """Record the campaign's members (once, with their ``fingerprint``) and its
        ``max_active`` (every time).

        Returns ``False``, changing nothing, if ``name`` was enqueued with other members.
        """
        spec = json.dumps(list(members), separators=(",", ":"), sort_keys=True)
        keys = [self._key(name, "spec"), self._key(name, "limits")]
        argv = [spec, max_active, fingerprint, self._ttl_ms]
        return bool(await resolve(self._redis.eval(_SAVE_SPEC, len(keys), *keys, *argv)))

    async def fingerprint(self, name: str) -> str | None:
        """The fingerprint recorded with the members (cheap: tells a cached copy is current)."""
        return text(await resolve(self._redis.hget(self._key(name, "limits"), "fingerprint")))

    async def load_spec(self, name: str) -> list[dict[str, Any]] | None:
        """The members as enqueued, or ``None`` (never enqueued, or expired)."""
        raw = text(await resolve(self._redis.get(self._key(name, "spec"))))
        if raw is None:
            return None
        members: list[dict[str, Any]] = json.loads(raw)
        return members

    @staticmethod
    def _key(name: str, part: str) -> str:
        return f"{campaign_prefix(name)}:{part}"

    async def acquire(
        self,
        name: str,
        index: int,
        *,
        hold: float,
        force: bool = False,
        now_ms: int | None = None,
    ) -> bool:
        """Take (or renew) member ``index``'s slot for ``hold`` seconds, atomically.

        Granted if the member already holds it, if ``force`` (its job exists on the server, so
        it is active whatever Redis holds), or if fewer than ``max_active`` leases are held
        once the expired ones are dropped. Refused, the member joins the waiting members.
        """
        now = _now_ms() if now_ms is None else now_ms
        keys = [self._key(name, part) for part in ("leases", "waiting", "limits", "spec")]
        argv = [str(index), now, now + int(hold * 1000), "1" if force else "0", index]
        taken = self._redis.eval(_ACQUIRE, len(keys), *keys, *argv, self._ttl_ms)
        return bool(await resolve(taken))

    async def release(
        self, name: str, index: int, *, queue_key: str, task_prefix: str
    ) -> int | None:
        """Give member ``index``'s slot back (and its place among the waiting), and wake the
        first waiting member: its deferred task ``<task_prefix><index>`` in the engine's sorted
        set ``queue_key`` moves to now, and its wake flag is set for the case that it is
        running (see `move_if_woken`). Returns the woken member's index, if any.
        """
        keys = [self._key(name, "leases"), self._key(name, "waiting"), queue_key]
        argv = [str(index), _now_ms(), task_prefix, f"{campaign_prefix(name)}:wake:", self._ttl_ms]
        woken = text(await resolve(self._redis.eval(_RELEASE, len(keys), *keys, *argv)))
        return int(woken) if woken else None

    async def take_wake(self, name: str, index: int) -> bool:
        """Clear member ``index``'s wake flag; return whether it was set."""
        return bool(await resolve(self._redis.delete(self._key(name, f"wake:{index}"))))

    async def move_if_woken(self, name: str, index: int, *, queue_key: str, task_id: str) -> bool:
        """After the engine re-scheduled member ``index``'s task: if a released slot woke it
        meanwhile, move the task to now. Returns whether it was moved."""
        flag = self._key(name, f"wake:{index}")
        return await move_if_flagged(self._redis, flag, queue_key=queue_key, task_id=task_id)

    async def leases(self, name: str) -> dict[int, int]:
        """The leases held (expired ones included until the next take), index -> expiry ms."""
        entries = await resolve(
            self._redis.zrange(self._key(name, "leases"), 0, -1, withscores=True)
        )
        return {int(text(member) or 0): int(score) for member, score in entries}

    async def waiting(self, name: str) -> list[int]:
        """The members waiting for a slot, first to be woken first."""
        entries = await resolve(self._redis.zrange(self._key(name, "waiting"), 0, -1))
        return [int(text(member) or 0) for member in entries]

    async def member(self, name: str, index: int) -> MemberState:
        """Member ``index``'s stored progress."""
        key = self._key(name, f"member:{index}")
        attempt, token, job_id = await resolve(
            self._redis.hmget(key, ["attempt", "token", "job_id"])
        )
        return MemberState(
            attempt=int(text(attempt) or 0),
            token=text(token) or None,
            job_id=text(job_id) or None,
        )

    async def save_member(self, name: str, index: int, state: MemberState) -> None:
        """Store member ``index``'s progress (one HSET: all fields or none)."""
        key = self._key(name, f"member:{index}")
        fields = {
            "attempt": state.attempt,
            "token": state.token or "",
            "job_id": state.job_id or "",
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.pexpire(key, self._ttl_ms)
            await pipe.execute()

    async def block(self, name: str, model: str, until_ms: int) -> int:
        """Refuse creates of ``model`` until ``until_ms`` (only ever later); the time now set."""
        key = self._key(name, "blocked")
        until = await resolve(self._redis.eval(_BLOCK, 1, key, model, until_ms, self._ttl_ms))
        return int(text(until) or 0)

    async def blocked_until(self, name: str, model: str) -> int | None:
        """The time (ms) before which creates of ``model`` wait, if one was set."""
        until = text(await resolve(self._redis.hget(self._key(name, "blocked"), model)))
        return int(until) if until else None


@attrs.frozen
class CampaignSettings:
    """What a worker's member tasks share: the store, the lease grace, the slot poll, and the
    campaigns already read from Redis.

    Attributes:
        store: The campaigns' state in Redis.
        lease_grace: Seconds a slot outlives its member's next scheduled step: longer than a
            killed task takes to be re-run, so a living member never loses its slot.
        slot_poll: Seconds between two looks for a slot by a member that was not woken.
        campaigns: Campaign name -> the campaign as last read (checked by its fingerprint).
    """

    store: CampaignStore
    lease_grace: float
    slot_poll: float
    campaigns: dict[str, Campaign] = attrs.field(factory=dict, eq=False)
