"""Authentication middleware: a bearer access token (users) or an API key (camera nodes).

No credentials gives an anonymous connection; each route's guard then decides (401 when
the route is not public). Bad credentials are refused at once (401).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlmodel import Session, select

from lfr_api.db.models import ServiceAccount, User
from lfr_api.errors import NotAuthenticated
from lfr_api.security.passwords import secret_digest
from lfr_api.security.roles import Principal, Role

API_KEY_PREFIX = "lfrk"


def _credentials(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str] | None:
    header = connection.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'")
        value = value.strip()
        return ("key" if value.startswith(API_KEY_PREFIX + "_") else "jwt", value)
    key = connection.headers.get("x-api-key")
    if key:
        return ("key", key.strip())
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        token = connection.query_params.get("token")
        if token:
            return ("key" if token.startswith(API_KEY_PREFIX + "_") else "jwt", token)
    return None


def principal_for(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The caller's principal, ``None`` for anonymous; ``NotAuthenticated`` for bad ones."""
    creds = _credentials(connection)
    if creds is None:
        return None
    ctx = connection.app.state["ctx"]
    kind, value = creds
    with Session(ctx.db.engine) as session:
        if kind == "jwt":
            user_id = ctx.tokens.verify(value)
            user = session.get(User, user_id)
            if user is None or not user.active:
                raise NotAuthenticated("the account is disabled or no longer exists")
            return Principal(user.id, user.username, Role(user.role))
        account = session.exec(
            select(ServiceAccount).where(ServiceAccount.key_hash == secret_digest(value))
        ).first()
        if account is None or not account.active:
            raise NotAuthenticated("the API key is not valid")
        return Principal(account.id, account.name, Role.service, account.deployment_id)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Puts the caller's :class:`Principal` (or ``None``) in ``connection.user``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        try:
            return AuthenticationResult(user=principal_for(connection), auth=None)
        except NotAuthenticated as exc:
            if connection.scope["type"] == ScopeType.WEBSOCKET:
                raise WebSocketException(detail=exc.detail, code=4401) from None
            raise
