"""The aiohttp.web application: the routes of every resource behind the gateway middleware.

API routes are served under ``/v1`` and under the Azure-style ``/openai/v1`` (an
``api-version`` query parameter is accepted and ignored); in the Together dialect, Together's
routes under ``/v1`` instead, and its presigned upload URLs under ``/_storage``. Admin
routes live under ``/_emulator`` and are never faulted. Resources are listed in
`ftjobs.emulator._routes`.
"""

from __future__ import annotations

from aiohttp import web

from ftjobs.emulator._azure import DATED_PREFIX
from ftjobs.emulator._bodies import MULTIPART_OVERHEAD
from ftjobs.emulator._clock import Clock
from ftjobs.emulator._config import EmulatorConfig
from ftjobs.emulator._gateway import gateway
from ftjobs.emulator._instance import EMULATOR_KEY, Emulator
from ftjobs.emulator._paths import ADMIN_PREFIX, API_PREFIXES, STORAGE_PREFIX
from ftjobs.emulator._routes import ADMIN_ROUTES, API_ROUTES, STORAGE_ROUTES, TOGETHER_ROUTES
from ftjobs.emulator._store import open_store
from ftjobs.emulator._webhooks import add_webhook_sender

__all__ = ["create_app"]

_LINGERING_SECONDS = 2.0


def _add_routes(router: web.UrlDispatcher, prefix: str, routes: tuple[web.RouteDef, ...]) -> None:
    for route in routes:
        web.RouteDef(route.method, prefix + route.path, route.handler, route.kwargs).register(
            router
        )


def create_app(config: EmulatorConfig | None = None, clock: Clock | None = None) -> web.Application:
    """Build the emulator's aiohttp application.

    Args:
        config: Emulator settings (defaults: key ``sk-emulator``, speed 1, in memory).
        clock: Source of emulated time; defaults to a `SystemClock` at
            ``config.speed`` (continuing a persisted timeline when ``state_path`` is set).

    The state file, if any, is opened now and closed on the application's cleanup.
    """
    config = config or EmulatorConfig()
    store = open_store(config, clock)
    app = web.Application(
        middlewares=[gateway],
        client_max_size=config.max_upload_bytes + MULTIPART_OVERHEAD,
        # After a 408/413 the rest of the body is read and dropped for this long only, so
        # that the client sees the answer before the connection closes.
        handler_args={"lingering_time": _LINGERING_SECONDS},
    )
    app[EMULATOR_KEY] = emulator = Emulator(config, store)
    if config.webhook_url is not None:
        add_webhook_sender(app, emulator)

    async def close_store(app: web.Application) -> None:
        emulator = app[EMULATOR_KEY]
        # Parts waiting on disk go with the emulator, not at interpreter exit with a warning.
        emulator.uploads.close()
        emulator.store.close()

    app.on_cleanup.append(close_store)
    if config.dialect == "together":
        # Together's API alone: its paths under /v1, and the presigned upload URLs.
        _add_routes(app.router, "/v1", TOGETHER_ROUTES)
        _add_routes(app.router, STORAGE_PREFIX, STORAGE_ROUTES)
    else:
        prefixes = (*API_PREFIXES, DATED_PREFIX) if config.dialect == "azure" else API_PREFIXES
        for prefix in prefixes:
            _add_routes(app.router, prefix, API_ROUTES)
    _add_routes(app.router, ADMIN_PREFIX, ADMIN_ROUTES)
    return app
