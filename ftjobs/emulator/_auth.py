"""Who may call: the API key (as a bearer token or an ``api-key`` header) for the API, the
admin key for ``/_emulator``."""

from __future__ import annotations

from aiohttp import web

from ftjobs.emulator._config import EmulatorConfig
from ftjobs.emulator._errors import ApiError
from ftjobs.emulator._paths import ADMIN_PREFIX

__all__ = ["require_admin", "require_api_key"]

# Readiness probes poll this without credentials; it answers {"ok": true} and nothing else.
_OPEN_ADMIN_PATHS = frozenset({ADMIN_PREFIX + "/health"})


def _refusal(request: web.Request, key: str, what: str) -> str | None:
    """``None`` when ``request`` carries ``key``, else the 401 message (the key masked)."""
    header = request.headers.get("Authorization")
    given: str | None = None
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            given = token.strip()
    if given is None:
        given = request.headers.get("api-key")
    if given == key:
        return None
    if not given:
        return (
            f"You didn't provide an {what}. You need to provide your {what} in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or as the api-key header."
        )
    shown = given[:3] + "*" * 4 + given[-4:] if len(given) > 8 else "*" * len(given)
    return f"Incorrect {what} provided: {shown}."


def require_api_key(request: web.Request, config: EmulatorConfig) -> None:
    """Raise a 401 [ApiError][ftjobs.emulator.ApiError] unless the request has the API key."""
    message = _refusal(request, config.api_key, "API key")
    if message is not None:
        raise ApiError(401, message, code="invalid_api_key")


def require_admin(request: web.Request, config: EmulatorConfig) -> None:
    """Raise unless an admin request has the admin key (401) and, with a body, JSON (415).

    Both make a cross-site request from a web page need a CORS preflight, which the emulator
    never grants: a page cannot switch faults on or seed jobs.
    """
    if request.path in _OPEN_ADMIN_PATHS and request.method in ("GET", "HEAD"):
        return
    message = _refusal(request, config.effective_admin_key, "admin key")
    if message is not None:
        raise ApiError(401, message, code="invalid_api_key")
    if request.method not in ("GET", "HEAD") and request.content_type != "application/json":
        raise ApiError(
            415,
            f"Admin requests must be sent as application/json, not {request.content_type}.",
            code="unsupported_media_type",
        )
