"""An open feed keeps its caller's right to the deployment under watch.

The handshake checked the caller once; an officer unassigned since, a deactivated or
logged-out account, a changed role or an access token that expired must not go on
receiving alerts. :class:`FeedEntitlement` re-checks, on a worker thread, before every
message the feed sends and every ``feed_recheck_seconds``; when the right is gone the feed
is closed with a documented code (docs/api.md, "Feed close codes"):

- **4401**: the access token expired or was revoked (logout, the account disabled, its role
  or password changed): refresh (or log in) and reconnect.
- **4403**: the right to this deployment is gone (unassigned, or a role without the feed):
  stop.
- **1013**: the database could not be reached to check: reconnect later.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import sqlalchemy.exc
from litestar.connection import WebSocket
from litestar.exceptions import WebSocketDisconnect
from sqlmodel import Session

from lfr_api.context import AppContext
from lfr_api.db.types import utcnow
from lfr_api.deployments.service import visible_deployment
from lfr_api.errors import NotAuthenticated, ServiceError, database_unavailable
from lfr_api.security.credentials import FEED_SUBPROTOCOL, offered_subprotocols
from lfr_api.security.middleware import TRY_AGAIN_LATER
from lfr_api.security.principals import Authenticated, service_principal, user_principal
from lfr_api.security.roles import Principal, Role

log = logging.getLogger(__name__)

TOKEN_REVOKED = 4401
RIGHT_GONE = 4403
#: The roles the feed is open to (its route guard says the same).
FEED_ROLES = frozenset({Role.admin, Role.officer, Role.supervisor})


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a feed must close: a close code and a one-line reason."""

    code: int
    reason: str


def feed_subprotocol(socket: WebSocket[Any, Any, Any]) -> str | None:
    """The subprotocol to accept with: ``lfr.v1`` when the client offered it."""
    return FEED_SUBPROTOCOL if FEED_SUBPROTOCOL in offered_subprotocols(socket) else None


def refusal(ctx: AppContext, auth: Authenticated, deployment_id: str) -> Refusal | None:
    """Why ``auth`` may no longer follow the deployment's feed, ``None`` while it may.
    Blocking: run it on a worker thread."""
    grant = auth.grant
    if grant is not None and grant.expires_at <= utcnow():
        return Refusal(TOKEN_REVOKED, "the access token has expired: refresh it and reconnect")
    try:
        with Session(ctx.db.engine) as session:
            try:
                who: Principal
                if grant is not None:
                    who = user_principal(session, grant)
                elif auth.key_digest is not None:
                    who = service_principal(session, auth.key_digest)
                else:
                    return Refusal(TOKEN_REVOKED, "log in first")
            except NotAuthenticated as exc:
                return Refusal(TOKEN_REVOKED, exc.detail)
            if who.role not in FEED_ROLES:
                return Refusal(RIGHT_GONE, f"the {who.role.value} role may not follow a feed")
            try:
                visible_deployment(session, who, deployment_id)
            except ServiceError as exc:
                return Refusal(RIGHT_GONE, exc.detail)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        return Refusal(TRY_AGAIN_LATER, "the database is unavailable: reconnect shortly")
    return None


class FeedEntitlement:
    """Watches one open feed's right to its deployment (see the module)."""

    def __init__(self, ctx: AppContext, socket: WebSocket[Any, Any, Any],
                 deployment_id: str) -> None:
        auth = socket.scope.get("auth")
        if not isinstance(auth, Authenticated):
            raise NotAuthenticated("log in first")
        self.ctx, self.socket, self.auth = ctx, socket, auth
        self.deployment_id = deployment_id
        self.every_s = ctx.settings.feed_recheck_seconds
        self._refused: Refusal | None = None
        self._gone = anyio.Event()

    async def allows(self) -> bool:
        """Re-check now; ``False`` (and the feed closes) once the right is gone."""
        if self._refused is None:
            found = await anyio.to_thread.run_sync(refusal, self.ctx, self.auth,
                                                   self.deployment_id)
            if found is not None and self._refused is None:
                self._refused = found
                log.info("feed of %s closes for %s: code %d", self.deployment_id,
                         self.auth.principal.actor, found.code)
                self._gone.set()
        return self._refused is None

    async def watch(self) -> None:
        """Return once the right is gone (re-checking every ``feed_recheck_seconds``)."""
        while await self.allows():
            with anyio.move_on_after(self.every_s):
                await self._gone.wait()

    async def close_if_refused(self) -> bool:
        """Close the feed with the refusal's code if the right is gone; whether it was."""
        if self._refused is None:
            return False
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.socket.close(code=self._refused.code, reason=self._refused.reason[:120])
        return True
