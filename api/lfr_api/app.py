"""The app factory: settings in, a Litestar app out (routes, auth, feed delivery, errors)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request, get
from litestar.config.app import AppConfig
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import InitPluginProtocol
from sqlmodel import select

from lfr_api import __version__, accountability
from lfr_api.alerts.controller import (
    AlertController,
    DeploymentAlertsController,
    IngestController,
)
from lfr_api.alerts.deliveries import AlertDeliveryController
from lfr_api.auth.controller import AuthController
from lfr_api.context import AppContext
from lfr_api.contract import truth
from lfr_api.contract.version import CONTRACT_VERSION
from lfr_api.db.engine import Database, audit_trail, make_engine, upgrade
from lfr_api.db.leases import Leases
from lfr_api.db.models import Deployment
from lfr_api.deployments import service as deployments
from lfr_api.deployments.controller import (
    DeploymentController,
    NodeController,
    PublicController,
)
from lfr_api.devices.controller import DeviceController
from lfr_api.errors import EXCEPTION_HANDLERS
from lfr_api.feed.delivery import AlertDelivery
from lfr_api.feed.push import FcmPublisher, fcm_publisher, resend_loop
from lfr_api.feed.ws_denial import WebSocketDenial
from lfr_api.health import routes as health_routes
from lfr_api.health.metrics import AppMetrics
from lfr_api.inputs.middleware import InputPolicy
from lfr_api.live import watchlist_follow
from lfr_api.live.node_watchlist import NodeWatchlistController
from lfr_api.live.pipelines import LivePipelines
from lfr_api.live.recognition import LiveMatchers, Recognition
from lfr_api.security import log_redaction
from lfr_api.security.guards import public
from lfr_api.security.middleware import AuthMiddleware
from lfr_api.security.passwords import Passwords
from lfr_api.security.tokens import AccessTokens
from lfr_api.settings import Settings
from lfr_api.users.controller import UserController
from lfr_api.watchlists.controller import WatchlistController, WatchlistImageController
from lfr_api.webapp.routes import WEB_APP_ROUTES, webapp_router
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost

log = logging.getLogger("lfr_api")

OPENAPI_PATH = "/schema"


@get("/health", guards=public, tags=["public"])
async def health(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Liveness: the service answers. ``mode`` is ``development`` under ``LFR_DEV=1``."""
    dev = request.app.state["ctx"].settings.dev_mode
    return {"status": "ok", "version": __version__, "contract_version": CONTRACT_VERSION,
            "mode": "development" if dev else "production"}


ROUTE_HANDLERS: list[Any] = [
    health, AuthController, UserController, DeploymentController, PublicController,
    NodeController, WatchlistController, WatchlistImageController, IngestController,
    AlertController, DeploymentAlertsController, DeviceController, AlertDeliveryController,
    NodeWatchlistController, *accountability.ROUTES, *WEB_APP_ROUTES, *health_routes.ROUTES,
]


def openapi_config() -> OpenAPIConfig:
    """The OpenAPI document (served at ``/schema/openapi.json``)."""
    return OpenAPIConfig(
        title="LFR service", version=__version__, path=OPENAPI_PATH,
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            "apiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
        }),
    )


class LfrServicePlugin(InitPluginProtocol):
    """Wires routes, auth, error mapping and the start-up work into the app."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        ctx = self.ctx
        app_config.route_handlers.extend([*ROUTE_HANDLERS, webapp_router()])
        app_config.middleware.append(DefineMiddleware(WebSocketDenial))
        app_config.middleware.append(DefineMiddleware(InputPolicy))
        app_config.middleware.append(DefineMiddleware(AuthMiddleware, exclude=["^/schema"]))
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.state["ctx"] = ctx
        app_config.state["fanout"] = ctx.delivery.fanout_status()
        app_config.lifespan.append(self.lifespan)
        app_config.request_max_body_size = ctx.settings.upload_limit_bytes + 64 * 1024
        return app_config

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        ctx = self.ctx
        log_redaction.install()  # again: the server may have configured logging since
        await ctx.delivery.start()
        await anyio.to_thread.run_sync(restore_live_matchers, ctx)
        task = asyncio.create_task(_expiry_loop(ctx))
        sweeps = asyncio.create_task(accountability.retention_loop(ctx))
        follow = asyncio.create_task(watchlist_follow.follow_loop(ctx))
        resends = [asyncio.create_task(resend_loop(p, p.resend_every_s))
                   for p in ctx.delivery.publishers if isinstance(p, FcmPublisher)]
        pipelines = LivePipelines(ctx) if ctx.settings.run_pipelines else None
        if pipelines is not None:
            _app.state["pipelines"] = pipelines
            pipelines.start()
        try:
            yield
        finally:
            task.cancel()
            sweeps.cancel()
            follow.cancel()
            for resend in resends:
                resend.cancel()
            if pipelines is not None:
                await anyio.to_thread.run_sync(pipelines.stop_all)
            ctx.matchers.stop_all()
            await ctx.delivery.stop()
            ctx.delivery.close()
            if ctx.leases is not None:
                ctx.leases.close()


def restore_live_matchers(ctx: AppContext) -> None:
    """Rebuild the matchers of deployments that are live (after a restart)."""
    deployments.close_expired(ctx)
    with ctx.db.session() as session:
        live = session.exec(select(Deployment).where(Deployment.state == deployments.LIVE)).all()
        for deployment in live:
            try:
                watchlist_follow.build_matcher(ctx, session, deployment)
            except Exception as exc:
                log.error("live deployment %s: matcher not rebuilt: %s", deployment.id, exc)


async def _expiry_loop(ctx: AppContext) -> None:
    while True:
        await asyncio.sleep(ctx.settings.expiry_check_seconds)
        try:
            await anyio.to_thread.run_sync(deployments.close_expired, ctx)
        except Exception:
            log.exception("closing expired deployments failed")


def build_context(settings: Settings, host: PluginHost | None = None,
                  store: ModelStore | None = None, migrate: bool = True) -> AppContext:
    """The app's services: database (migrated to head), plugins, models, delivery."""
    host = host or PluginHost()
    store = store or host.model_store(settings.home)
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    if migrate:
        upgrade(engine)
    ctx = AppContext(
        settings=settings, host=host,
        db=Database(engine, vault=accountability.service_keyring(settings), audit=audit_trail()),
        passwords=Passwords(settings.password_hashing), tokens=AccessTokens(settings),
        recognition=Recognition(host, store), matchers=LiveMatchers(host),
        delivery=AlertDelivery(engine, settings.redis_url, settings.feed_poll_seconds),
        leases=Leases(engine), metrics=AppMetrics(engine))
    if settings.fcm is not None:
        push = fcm_publisher(settings.fcm, ctx.db, ctx.leases)
        push.metrics = ctx.metrics
        ctx.delivery.add_publisher(push)
    accountability.wire(ctx)
    return ctx


def create_app(settings: Settings | None = None, *, host: PluginHost | None = None,
               store: ModelStore | None = None, migrate: bool = True,
               debug: bool = False) -> Litestar:
    """The LFR service app. ``host`` defaults to the installed plugins (tests pass their
    own ``PluginHost(load_entry_points=False)``); the database is migrated to head."""
    settings = settings or Settings.from_env()
    log_redaction.install()
    ctx = build_context(settings, host, store, migrate)
    app = Litestar(
        plugins=[LfrServicePlugin(ctx)],
        openapi_config=openapi_config(),
        debug=debug,
    )
    truth.apply(app)
    return app
