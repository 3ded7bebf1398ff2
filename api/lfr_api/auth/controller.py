"""``/auth``: log in, refresh, log out, who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from lfr_api.auth import service
from lfr_api.auth.schemas import LoginRequest, Me, RefreshRequest, TokenPair
from lfr_api.context import ctx_of
from lfr_api.security.guards import allow, principal, public
from lfr_api.security.roles import ALL_ROLES, USER_ROLES


class AuthController(Controller):
    """Authentication endpoints."""

    path = "/auth"
    tags = ["auth"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/login", guards=public, sync_to_thread=True, status_code=200)
    def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]) -> TokenPair:
        """Exchange a username and password for an access and a refresh token. Throttled
        per account and per address (429 with ``Retry-After``)."""
        address = request.client.host if request.client else "unknown"
        return service.login(ctx_of(request), data.username, data.password, address)

    @post("/refresh", guards=public, sync_to_thread=True, status_code=200)
    def refresh(self, request: Request[Any, Any, Any], data: JSONBody[RefreshRequest]) -> TokenPair:
        """Exchange a refresh token for a new pair (the old refresh token stops working;
        presenting it again revokes every token of that login)."""
        return service.refresh(ctx_of(request), data.refresh_token)

    @post("/logout", guards=allow(*USER_ROLES), sync_to_thread=True, status_code=204)
    def logout(self, request: Request[Any, Any, Any]) -> None:
        """Revoke the caller's refresh tokens and access tokens (every device)."""
        with ctx_of(request).db.session() as session:
            service.logout(session, principal(request).id)

    @get("/me", guards=allow(*ALL_ROLES))
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """The caller's identity and role."""
        p = principal(request)
        return Me(id=p.id, name=p.name, role=p.role.value, deployment_id=p.deployment_id)
