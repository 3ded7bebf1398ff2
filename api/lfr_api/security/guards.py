"""Route guards. Every route declares exactly one: :func:`allow` (roles) or :data:`public`."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.handlers.base import BaseRouteHandler

from lfr_api.errors import Forbidden, NotAuthenticated
from lfr_api.security.roles import Principal, Role


class RoleGuard:
    """Lets through callers whose role is one of ``roles``; 401 anonymous, 403 others."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any],
                 _handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        ws = connection.scope["type"] == ScopeType.WEBSOCKET
        if not isinstance(user, Principal):
            message = "log in first: this route needs a bearer token"
            # A WebSocket is closed with code 4000 + status (4401, 4403).
            raise WebSocketException(detail=message, code=4401) if ws else NotAuthenticated(message)
        if user.role not in self.roles:
            message = f"the {user.role.value} role may not do this"
            raise WebSocketException(detail=message, code=4403) if ws else Forbidden(message)

    def __repr__(self) -> str:
        return f"allow({', '.join(sorted(r.value for r in self.roles))})"


class PublicGuard:
    """Declares a route open to anyone (the public notices, login, the OpenAPI document)."""

    roles: frozenset[Role] = frozenset()

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any],
                 _handler: BaseRouteHandler) -> None:
        return None

    def __repr__(self) -> str:
        return "public"


def allow(*roles: Role) -> list[Any]:
    """The guard list for a route open to ``roles`` (admin is never implied)."""
    return [RoleGuard(*roles)]


public: list[Any] = [PublicGuard()]


def principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated caller (the guard already refused anyone else)."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthenticated("log in first")
    return user
