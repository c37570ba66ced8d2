"""Continuation tokens: resume a wait later, in this process or another one.

A token is ``ftjw1.<payload>.<checksum>``:

- ``ftjw1``: the format and its version;
- ``payload``: unpadded urlsafe base64 of compact JSON with exactly the keys ``j`` (job id),
  ``u`` (base URL fingerprint), ``e`` (last event id or null), ``b`` (seconds of total budget
  left, or null for none), ``s`` (last status or null), ``q`` (seconds spent queued),
  ``n`` (polls since the last status change), ``t`` (unix time the token was issued) and
  ``c`` (last checkpoint id or null);
- ``checksum``: the first 8 hex digits of the SHA-256 of ``ftjw1.<payload>``, so a truncated
  or mistyped token is caught. It is not a signature: the token is not secret and not
  authenticated, which is why decoding allow-lists every key, type and character.

The token never carries an API key or the base URL itself (it may embed credentials or a
private host name), only the first 16 hex digits of the SHA-256 of the *normalised* base URL:
scheme and host lower-cased, user info, query, fragment, default port and trailing slashes
dropped. It is plain JSON, never pickle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import urllib.parse
from typing import Any

import attrs

from .. import _validation as check
from .._errors import InvalidContinuationToken
from ._policy import PollState

__all__ = [
    "ID_PATTERN",
    "MAX_TOKEN_LENGTH",
    "TOKEN_PREFIX",
    "TOKEN_VERSION",
    "ContinuationToken",
    "base_url_fingerprint",
    "is_token",
]

#: Version of the token format this module writes and reads.
TOKEN_VERSION = 1
#: Leading part of every token of this version.
TOKEN_PREFIX = f"ftjw{TOKEN_VERSION}"
#: Longest token accepted; checked before any decoding work.
MAX_TOKEN_LENGTH = 2048

_MAX_ATTEMPT = 1_000_000
#: What a job, event or checkpoint id must look like to travel in a token (and in a task id).
ID_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.:-]{0,255}")
_STATUS_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_FINGERPRINT_RE = re.compile(r"[0-9a-f]{16}")
_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]+")
_CHECKSUM_RE = re.compile(r"[0-9a-f]{8}")
_VERSION_RE = re.compile(r"ftjw(\d{1,6})")
_KEYS = frozenset({"j", "u", "e", "b", "s", "q", "n", "t", "c"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_token(value: str) -> bool:
    """True when ``value`` is shaped like a continuation token (of any version), not a job id.

    Only the leading ``ftjw<version>.`` is looked at: a token of another version or a damaged
    one is still a token, so decoding it gives a clear error rather than a 404 for a job id.
    """
    head, dot, _ = value.partition(".")
    return bool(dot) and _VERSION_RE.fullmatch(head) is not None


def _normalise_base_url(base_url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(base_url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid base_url: {exc}") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def base_url_fingerprint(base_url: str) -> str:
    """First 16 hex digits of the SHA-256 of the normalised ``base_url``.

    ``https://API.openai.com:443/v1/`` and ``https://api.openai.com/v1?x=1`` share a
    fingerprint; user info, query and fragment never influence it.
    """
    normalised = _normalise_base_url(base_url)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def _checksum(signed_part: str) -> str:
    return hashlib.sha256(signed_part.encode("ascii")).hexdigest()[:8]


def _whole(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{attribute.name} must be an int, got {value!r}")


_str = attrs.validators.instance_of(str)
_id = attrs.validators.and_(_str, attrs.validators.matches_re(ID_PATTERN))


def _round(value: float) -> float:
    # Millisecond precision keeps tokens short; nothing here needs finer.
    return round(float(value), 3)


@attrs.frozen
class ContinuationToken:
    """The decoded content of a continuation token.

    Attributes:
        job_id: The awaited job.
        base_url_fingerprint: `base_url_fingerprint()` of the API the job lives on.
        last_event_id: Newest event already delivered (``watch`` resumes after it), or ``None``.
        budget_left: Seconds of total budget left when the token was issued; ``None``: no limit.
        last_status: Status seen by the last successful poll, or ``None``.
        queued_used: Seconds the job had spent ``queued`` when the token was issued.
        attempt: Polls since the status last changed (keeps the backoff where it was).
        issued_at: Unix time of issue; the time since then is charged to ``budget_left`` on
            resumption (a clock running behind is treated as no time passed).
        last_checkpoint_id: Newest checkpoint already delivered, or ``None``.
    """

    job_id: str = attrs.field(validator=_id)
    base_url_fingerprint: str = attrs.field(
        validator=attrs.validators.and_(_str, attrs.validators.matches_re(_FINGERPRINT_RE))
    )
    last_event_id: str | None = attrs.field(default=None, validator=attrs.validators.optional(_id))
    budget_left: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(check.non_negative)
    )
    last_status: str | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(
            attrs.validators.and_(_str, attrs.validators.matches_re(_STATUS_RE))
        ),
    )
    queued_used: float = attrs.field(default=0.0, validator=check.non_negative)
    attempt: int = attrs.field(
        default=0,
        validator=attrs.validators.and_(
            _whole, attrs.validators.ge(0), attrs.validators.le(_MAX_ATTEMPT)
        ),
    )
    issued_at: float = attrs.field(default=0.0, validator=check.non_negative)
    last_checkpoint_id: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_id)
    )

    @classmethod
    def from_state(
        cls,
        job_id: str,
        state: PollState,
        *,
        now: float,
        wall_now: float,
        base_url: str,
    ) -> ContinuationToken:
        """Capture ``state`` at ``now`` (the state's clock) / ``wall_now`` (unix time)."""
        left = state.time_left(now)
        return cls(
            job_id=job_id,
            base_url_fingerprint=base_url_fingerprint(base_url),
            last_event_id=state.last_event_id,
            budget_left=None if left is None else _round(max(left, 0.0)),
            last_status=state.last_status,
            queued_used=_round(state.queued_used_at(now)),
            attempt=min(state.attempt, _MAX_ATTEMPT),
            issued_at=_round(max(wall_now, 0.0)),
            last_checkpoint_id=state.last_checkpoint_id,
        )

    def to_state(self, *, now: float, wall_now: float) -> PollState:
        """A `PollState` resuming this token at ``now`` (the waiter's clock).

        The wall-clock time since `issued_at` is charged to the budget and, if the job
        was last seen queued, to the queued time. Use `PollState.with_budget()` to give
        the resumed wait a fresh total budget instead.
        """
        gap = max(wall_now - self.issued_at, 0.0)
        return PollState(
            started_at=now,
            deadline=None if self.budget_left is None else now + self.budget_left - gap,
            attempt=self.attempt,
            last_status=self.last_status,
            last_poll_at=None if self.last_status is None else now - gap,
            queued_used=self.queued_used,
            last_event_id=self.last_event_id,
            last_checkpoint_id=self.last_checkpoint_id,
        )

    def encode(self) -> str:
        """The token as a compact ASCII string (``ftjw1.<payload>.<checksum>``)."""
        body = {
            "j": self.job_id,
            "u": self.base_url_fingerprint,
            "e": self.last_event_id,
            "b": self.budget_left,
            "s": self.last_status,
            "q": self.queued_used,
            "n": self.attempt,
            "t": self.issued_at,
            "c": self.last_checkpoint_id,
        }
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True, allow_nan=False)
        payload = base64.urlsafe_b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")
        signed = f"{TOKEN_PREFIX}.{payload}"
        return f"{signed}.{_checksum(signed)}"

    @classmethod
    def decode(cls, token: str, *, base_url: str) -> ContinuationToken:
        """Parse and check a token issued for ``base_url``.

        Raises:
            InvalidContinuationToken: The token is not a string, too long, not a token,
                of an unsupported version, truncated or altered, holds unknown, missing or
                ill-typed fields, or was issued for another base URL.
        """
        decoded = cls.parse(token)
        if not hmac.compare_digest(decoded.base_url_fingerprint, base_url_fingerprint(base_url)):
            raise InvalidContinuationToken(
                "continuation token was issued for a different base URL than this client's"
            )
        return decoded

    @classmethod
    def parse(cls, token: str) -> ContinuationToken:
        """Parse and check a token without knowing the API it is for.

        For a side with no client (a task queue's producer reading the job id); a waiter
        uses `decode`, which also checks the base URL.

        Raises:
            InvalidContinuationToken: As `decode`, but for the base URL.
        """
        if not isinstance(token, str):
            raise InvalidContinuationToken(
                f"continuation token must be a str, got {type(token).__name__}"
            )
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidContinuationToken(
                f"continuation token is too long ({len(token)} characters, "
                f"at most {MAX_TOKEN_LENGTH})"
            )
        parts = token.strip().split(".")
        version = _VERSION_RE.fullmatch(parts[0])
        if version is None:
            raise InvalidContinuationToken(
                f"not an ftjobs continuation token (expected '{TOKEN_PREFIX}.<payload>.<checksum>')"
            )
        if int(version.group(1)) != TOKEN_VERSION:
            raise InvalidContinuationToken(
                f"unsupported continuation token version {version.group(1)} "
                f"(this ftjobs reads version {TOKEN_VERSION})"
            )
        if (
            len(parts) != 3
            or not _PAYLOAD_RE.fullmatch(parts[1])
            or not _CHECKSUM_RE.fullmatch(parts[2])
        ):
            raise InvalidContinuationToken(
                "malformed continuation token (truncated, or not copied whole?)"
            )
        signed = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(_checksum(signed), parts[2]):
            raise InvalidContinuationToken(
                "continuation token checksum mismatch: the token was truncated or altered"
            )
        fields = _parse_payload(parts[1])
        try:
            return cls(
                job_id=fields["j"],
                base_url_fingerprint=fields["u"],
                last_event_id=fields["e"],
                budget_left=_as_float(fields["b"]),
                last_status=fields["s"],
                queued_used=_as_float(fields["q"]),
                attempt=fields["n"],
                issued_at=_as_float(fields["t"]),
                last_checkpoint_id=fields["c"],
            )
        except (TypeError, ValueError) as exc:
            raise InvalidContinuationToken(f"invalid continuation token: {exc}") from None


def _as_float(value: Any) -> Any:
    # JSON integers become floats; anything else is left for the validator to reject.
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _parse_payload(payload: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise InvalidContinuationToken("continuation token payload is not valid base64") from None
    try:
        data = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidContinuationToken(
            f"continuation token payload is not valid JSON: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidContinuationToken("continuation token payload must be a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidContinuationToken(
            f"continuation token has unknown keys {unknown} (made by another ftjobs version?)"
        )
    missing = sorted(_KEYS - set(data))
    if missing:
        raise InvalidContinuationToken(f"continuation token lacks keys {missing}")
    return data
