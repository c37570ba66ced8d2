"""The emulator's routes, one module per resource.

Each module has ``ROUTES``: ``aiohttp.web`` route definitions with paths relative to the API
prefix (``/v1``...). A new resource is a new module listed in `API_ROUTES`; ``create_app``
serves it under every prefix, behind auth, faults and error rendering. Admin routes
(``/_emulator``) are in ``admin``.
"""

from __future__ import annotations

from aiohttp import web

from ftjobs.emulator._routes import admin, checkpoints, files, graders, jobs, together, uploads

__all__ = ["ADMIN_ROUTES", "API_ROUTES", "STORAGE_ROUTES", "TOGETHER_ROUTES"]

API_ROUTES: tuple[web.RouteDef, ...] = (
    *jobs.ROUTES,
    *files.ROUTES,
    *uploads.ROUTES,
    *checkpoints.ROUTES,
    *graders.ROUTES,
)
"""Every API route, relative to an API prefix."""

TOGETHER_ROUTES: tuple[web.RouteDef, ...] = together.ROUTES
"""The Together dialect's API routes (instead of `API_ROUTES`), relative to ``/v1``."""

STORAGE_ROUTES: tuple[web.RouteDef, ...] = together.STORAGE_ROUTES
"""The Together dialect's presigned upload URLs, relative to ``/_storage``."""

ADMIN_ROUTES: tuple[web.RouteDef, ...] = admin.ROUTES
"""The admin routes, relative to ``/_emulator``."""
