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
- **4404**: the deployment does not exist (any more): stop.
- **1013**: the database could not be reached to check: reconnect later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import anyio.to_thread
import sqlalchemy as sa
import sqlalchemy.exc
from litestar.connection import WebSocket
from litestar.exceptions import WebSocketDisconnect
from sqlmodel import Session, col

from lfr_api.context import AppContext
from lfr_api.db.models import Assignment, Deployment, User
from lfr_api.db.types import utcnow
from lfr_api.deployments.service import visibility_problem
from lfr_api.errors import NotAuthenticated, database_unavailable
from lfr_api.security.credentials import FEED_SUBPROTOCOL, offered_subprotocols
from lfr_api.security.middleware import TRY_AGAIN_LATER
from lfr_api.security.principals import (
    Authenticated,
    UserState,
    grant_principal,
    service_principal,
)
from lfr_api.security.roles import Principal, Role

log = logging.getLogger(__name__)

TOKEN_REVOKED = 4401
RIGHT_GONE = 4403
NO_SUCH_DEPLOYMENT = 4404
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


def refusals(ctx: AppContext, auths: Sequence[Authenticated],
             deployment_id: str) -> list[Refusal | None]:
    """Why each of ``auths`` may no longer follow the deployment's feed (``None``: it may),
    from one read of the deployment, its callers' accounts and assignments (a few plain
    queries whatever the number of callers). Blocking: run it on a worker thread."""
    now = utcnow()
    users = sorted({a.grant.user_id for a in auths if a.grant is not None})
    try:
        with Session(ctx.db.engine) as session:
            known = session.execute(sa.select(Deployment.id).where(  # type: ignore[call-overload]
                Deployment.id == deployment_id)).first() is not None
            state = {row.id: row for row in session.execute(sa.select(  # type: ignore[call-overload]
                User.id, User.username, User.role, User.active, User.token_version)
                .where(col(User.id).in_(users)))} if users else {}
            assigned = set(session.execute(sa.select(Assignment.user_id).where(  # type: ignore[call-overload]
                Assignment.deployment_id == deployment_id,
                col(Assignment.user_id).in_(users))).scalars()) if users else set()
            return [_refusal(session, auth, deployment_id, now, known, state, assigned)
                    for auth in auths]
    except sqlalchemy.exc.SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        down = Refusal(TRY_AGAIN_LATER, "the database is unavailable: reconnect shortly")
        return [down for _ in auths]


def _refusal(session: Session, auth: Authenticated, deployment_id: str, now: datetime,
             known: bool, users: Mapping[str, UserState], assigned: set[str]
             ) -> Refusal | None:
    grant = auth.grant
    if grant is not None and grant.expires_at <= now:
        return Refusal(TOKEN_REVOKED, "the access token has expired: refresh it and reconnect")
    try:
        who: Principal
        if grant is not None:
            who = grant_principal(grant, users.get(grant.user_id))
        elif auth.key_digest is not None:
            who = service_principal(session, auth.key_digest)
        else:
            return Refusal(TOKEN_REVOKED, "log in first")
    except NotAuthenticated as exc:
        return Refusal(TOKEN_REVOKED, exc.detail)
    if who.role not in FEED_ROLES:
        return Refusal(RIGHT_GONE, f"the {who.role.value} role may not follow a feed")
    if not known:
        return Refusal(NO_SUCH_DEPLOYMENT, f"no deployment {deployment_id}")
    problem = visibility_problem(who, deployment_id, lambda: who.id in assigned)
    return None if problem is None else Refusal(RIGHT_GONE, problem.detail)


class EntitlementChecks:
    """The replica's feed re-checks, coalesced: the feeds of a deployment that ask at about
    the same moment (a new batch wakes them all; their timers tick together) share one
    :func:`refusals` call. A check asked for while one is running waits for the next, so
    every answer comes from a read that began after it was asked: a revocation committed
    before a feed asks is always seen."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._waiting: dict[str, list[tuple[Authenticated, asyncio.Future[Refusal | None]]]] = {}
        self._draining: dict[str, asyncio.Task[None]] = {}

    async def refusal(self, auth: Authenticated, deployment_id: str) -> Refusal | None:
        """Why ``auth`` may no longer follow the deployment's feed; ``None`` while it may."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Refusal | None] = loop.create_future()
        draining = self._draining.get(deployment_id)
        if draining is not None and draining.get_loop() is not loop:
            # Left by an event loop that ended (a test's): its waiters are gone with it.
            del self._draining[deployment_id]
            self._waiting.pop(deployment_id, None)
        self._waiting.setdefault(deployment_id, []).append((auth, answer))
        if deployment_id not in self._draining:
            self._draining[deployment_id] = asyncio.create_task(
                self._drain(deployment_id), name=f"lfr-feed-checks-{deployment_id}")
        return await answer

    async def _drain(self, deployment_id: str) -> None:
        batch: list[tuple[Authenticated, asyncio.Future[Refusal | None]]] = []
        try:
            await asyncio.sleep(0)  # the other feeds woken with this one ask meanwhile
            while batch := self._waiting.pop(deployment_id, []):
                try:
                    found = await anyio.to_thread.run_sync(
                        refusals, self.ctx, [auth for auth, _ in batch], deployment_id)
                except Exception as exc:
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (_, answer), refused in zip(batch, found, strict=True):
                    if not answer.done():
                        answer.set_result(refused)
        finally:
            left = batch
            if self._draining.get(deployment_id) is asyncio.current_task():
                del self._draining[deployment_id]
                left = batch + self._waiting.pop(deployment_id, [])
            for _, answer in left:
                if not answer.done():  # cancelled (shutdown): nobody is left to answer
                    answer.cancel()


def entitlement_checks_of(ctx: AppContext) -> EntitlementChecks:
    """The app's coalesced feed re-checks (made on first use)."""
    if ctx.feed_checks is None:
        ctx.feed_checks = EntitlementChecks(ctx)
    return ctx.feed_checks


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
        self.checks = entitlement_checks_of(ctx)
        self._refused: Refusal | None = None
        self._gone = anyio.Event()

    async def allows(self) -> bool:
        """Re-check now; ``False`` (and the feed closes) once the right is gone."""
        if self._refused is None:
            found = await self.checks.refusal(self.auth, self.deployment_id)
            if found is not None and self._refused is None:
                self._refused = found
                log.info("feed of %s closes for %s: code %d", self.deployment_id,
                         self.auth.principal.actor, found.code)
                self._gone.set()
        return self._refused is None

    async def watch(self) -> None:
        """Return once the right is gone (re-checking every ``feed_recheck_seconds``, on
        the replica's common beat, so that the re-checks of its feeds are shared)."""
        while await self.allows():
            with anyio.move_on_after(self.every_s - time.monotonic() % self.every_s):
                await self._gone.wait()

    async def close_if_refused(self) -> bool:
        """Close the feed with the refusal's code if the right is gone; whether it was."""
        if self._refused is None:
            return False
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.socket.close(code=self._refused.code, reason=self._refused.reason[:120])
        return True
