"""The emulator's routes, one module per resource.

Each module has ``ROUTES``: ``aiohttp.web`` route definitions with paths relative to the API
prefix (``/v1``...). A new resource is a new module listed in `API_ROUTES`; ``create_app``
serves it under every prefix, behind auth, faults and error rendering. Admin routes
(``/_emulator``) are in ``admin``.
"""

from __future__ import annotations

from aiohttp import web

from ftjobs.emulator._routes import admin, checkpoints, files, graders, jobs, uploads

__all__ = ["ADMIN_ROUTES", "API_ROUTES"]

API_ROUTES: tuple[web.RouteDef, ...] = (
    *jobs.ROUTES,
    *files.ROUTES,
    *uploads.ROUTES,
    *checkpoints.ROUTES,
    *graders.ROUTES,
)
"""Every API route, relative to an API prefix."""

ADMIN_ROUTES: tuple[web.RouteDef, ...] = admin.ROUTES
"""The admin routes, relative to ``/_emulator``."""
