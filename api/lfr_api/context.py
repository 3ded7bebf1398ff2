"""What every handler needs, built once per app and kept in ``app.state["ctx"]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection

from lfr_api.db.engine import Database
from lfr_api.db.leases import Leases
from lfr_api.feed.delivery import AlertDelivery
from lfr_api.live.recognition import LiveMatchers, Recognition
from lfr_api.security.passwords import Passwords
from lfr_api.security.tokens import AccessTokens
from lfr_api.settings import Settings
from lfr_framework.plugins import PluginHost

if TYPE_CHECKING:
    from lfr_compliance.recorder import ComplianceRecorder

    from lfr_api.feed.entitlement import EntitlementChecks
    from lfr_api.health.metrics import AppMetrics
    from lfr_api.retention.service import RetentionService


@dataclass(slots=True)
class AppContext:
    """The app's long-lived services."""

    settings: Settings
    db: Database
    host: PluginHost
    passwords: Passwords
    tokens: AccessTokens
    recognition: Recognition
    matchers: LiveMatchers
    delivery: AlertDelivery
    #: The retention sweep and holds' clock (set by ``build_context``).
    retention: RetentionService | None = None
    #: The compliance plugin's recorder over the service database, if the plugin is loaded.
    compliance: ComplianceRecorder | None = None
    #: One owner per job across replicas (set by ``build_context``).
    leases: Leases | None = None
    #: The replica's Prometheus metrics (set by ``build_context``).
    metrics: AppMetrics | None = None
    #: The open feeds' coalesced re-checks of their callers' rights (made on first use).
    feed_checks: EntitlementChecks | None = None


def retention_of(ctx: AppContext) -> RetentionService:
    """The app's retention service (always set by ``build_context``)."""
    if ctx.retention is None:
        raise RuntimeError("the app context has no retention service")
    return ctx.retention


def leases_of(ctx: AppContext) -> Leases:
    """The app's leases (always set by ``build_context``)."""
    if ctx.leases is None:
        raise RuntimeError("the app context has no leases")
    return ctx.leases


def ctx_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AppContext:
    """The app context of a request or WebSocket."""
    ctx: AppContext = connection.app.state["ctx"]
    return ctx
