"""What every handler needs, built once per app and kept in ``app.state["ctx"]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection

from lfr_api.db.engine import Database
from lfr_api.delivery import AlertDelivery
from lfr_api.recognition import LiveMatchers, Recognition
from lfr_api.security.passwords import Passwords
from lfr_api.security.tokens import AccessTokens
from lfr_api.settings import Settings
from lfr_framework.plugins import PluginHost


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


def ctx_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AppContext:
    """The app context of a request or WebSocket."""
    ctx: AppContext = connection.app.state["ctx"]
    return ctx
