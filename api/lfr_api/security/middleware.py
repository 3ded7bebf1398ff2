"""Authentication middleware: a bearer access token (users) or an API key (camera nodes).

No credentials gives an anonymous connection; each route's guard then decides (401 when
the route is not public). Public routes ignore credentials altogether, so a stale token
sent with a login or refresh does no harm. Bad credentials are refused at once (401); the
database lookup runs on a worker thread, and a database outage is a 503 with
``Retry-After`` (close code 1013 on a WebSocket handshake), never a hung event loop.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
import sqlalchemy.exc
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from lfr_api.errors import (
    DATABASE_RETRY_AFTER_S,
    DATABASE_UNAVAILABLE_DETAIL,
    DatabaseUnavailable,
    NotAuthenticated,
    database_unavailable,
)
from lfr_api.security.credentials import API_KEY_PREFIX, credentials
from lfr_api.security.guards import PublicGuard
from lfr_api.security.principals import authenticate

__all__ = ["API_KEY_PREFIX", "TRY_AGAIN_LATER", "AuthMiddleware"]

log = logging.getLogger("lfr_api")
#: WebSocket close code 1013 "Try Again Later": the feed could not check the caller now.
TRY_AGAIN_LATER = 1013


def _is_public(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    # Litestar wraps a sync guard in an ``AsyncCallable`` (the guard itself is ``.func``).
    return handler is not None and any(isinstance(getattr(g, "func", g), PublicGuard)
                                       for g in handler.resolve_guards())


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Puts the caller's :class:`Principal` (or ``None``) in ``connection.user`` and the
    :class:`~lfr_api.security.principals.Authenticated` record in ``connection.auth``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        ws = connection.scope["type"] == ScopeType.WEBSOCKET
        if _is_public(connection):
            return AuthenticationResult(user=None, auth=None)
        ctx = connection.app.state["ctx"]
        try:
            creds = credentials(connection)
            if creds is None:
                return AuthenticationResult(user=None, auth=None)
            found = await anyio.to_thread.run_sync(authenticate, ctx.db.engine, ctx.tokens,
                                                   creds)
        except NotAuthenticated as exc:
            if ws:
                raise WebSocketException(detail=exc.detail, code=4401) from None
            raise
        except sqlalchemy.exc.SQLAlchemyError as exc:
            if not database_unavailable(exc):
                raise
            log.warning("authentication: the database is unavailable (%s)",
                        type(exc).__name__)
            message = DATABASE_UNAVAILABLE_DETAIL
            if ws:
                raise WebSocketException(detail=message, code=TRY_AGAIN_LATER) from None
            raise DatabaseUnavailable(message, retry_after=DATABASE_RETRY_AFTER_S) from None
        return AuthenticationResult(user=found.principal, auth=found)
