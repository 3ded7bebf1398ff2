"""Login, refresh-token rotation and logout."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from lfr_api.auth.schemas import TokenPair
from lfr_api.context import AppContext
from lfr_api.db import audit
from lfr_api.db.models import RefreshToken, User
from lfr_api.db.types import utcnow
from lfr_api.errors import NotAuthenticated
from lfr_api.security.passwords import new_secret, secret_digest


def _issue(ctx: AppContext, session: Session, user: User) -> TokenPair:
    refresh = new_secret("lfrr")
    session.add(RefreshToken(
        user_id=user.id, token_hash=secret_digest(refresh),
        expires_at=utcnow() + timedelta(seconds=ctx.settings.refresh_token_seconds)))
    return TokenPair(access_token=ctx.tokens.issue(user.id, user.role), refresh_token=refresh,
                     expires_in=ctx.settings.access_token_seconds)


def login(ctx: AppContext, session: Session, username: str, password: str) -> TokenPair:
    """A token pair for valid credentials, else ``NotAuthenticated`` (same message for all)."""
    user = session.exec(select(User).where(User.username == username)).first()
    ok = ctx.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise NotAuthenticated("wrong username or password, or the account is disabled")
    audit.record(session, actor=f"user:{user.username}", action="auth.login",
                 subject=f"user:{user.id}")
    return _issue(ctx, session, user)


def refresh(ctx: AppContext, session: Session, token: str) -> TokenPair:
    """Rotate a refresh token: the old one is revoked, a new pair is issued."""
    row = session.exec(select(RefreshToken)
                       .where(RefreshToken.token_hash == secret_digest(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise NotAuthenticated("the refresh token is not valid: log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("the account is disabled")
    row.revoked_at = now
    session.add(row)
    audit.record(session, actor=f"user:{user.username}", action="auth.refresh",
                 subject=f"user:{user.id}")
    return _issue(ctx, session, user)


def logout(session: Session, user_id: str) -> int:
    """Revoke every live refresh token of a user; return how many."""
    rows = session.exec(select(RefreshToken).where(RefreshToken.user_id == user_id,
                                                   RefreshToken.revoked_at == None)).all()  # noqa: E711
    for row in rows:
        row.revoked_at = utcnow()
        session.add(row)
    audit.record(session, actor=f"user:{user_id}", action="auth.logout",
                 subject=f"user:{user_id}", details={"tokens_revoked": len(rows)})
    return len(rows)
