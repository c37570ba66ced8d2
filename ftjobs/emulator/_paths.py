"""Where things are served: the API prefixes and the admin prefix."""

from __future__ import annotations

from ftjobs.emulator._azure import DATED_PREFIX

__all__ = ["ADMIN_PREFIX", "API_PREFIXES", "STORAGE_PREFIX", "api_path", "is_admin", "is_storage"]

API_PREFIXES = ("/v1", "/openai/v1")
"""Path prefixes the API is served under (OpenAI style and Azure OpenAI v1 style)."""

ADMIN_PREFIX = "/_emulator"
"""Prefix of the admin endpoints (statistics, faults, scripting, clock, seeding)."""


STORAGE_PREFIX = "/_storage"
"""Prefix of presigned upload URLs (the Together dialect's object store): each URL is
signed, so no API key is asked for, and they are never faulted."""


def api_path(path: str) -> str:
    """``path`` without its API prefix, so that one resource has one name under every prefix."""
    for prefix in (*API_PREFIXES[::-1], DATED_PREFIX):
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path


def is_admin(path: str) -> bool:
    """True for the admin endpoints."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def is_storage(path: str) -> bool:
    """True for a presigned upload URL."""
    return path.startswith(STORAGE_PREFIX + "/")
