"""Login (throttled, failures audited), refresh-token rotation with reuse detection, and
logout (refresh tokens and access tokens revoked).

Each function opens its own sessions: a refusal (a failed login, a reused refresh token)
must still commit what it records before the error is raised.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select, update

from lfr_api.auth import throttle
from lfr_api.auth.schemas import TokenPair
from lfr_api.context import AppContext
from lfr_api.db import audit
from lfr_api.db.models import RefreshToken, User
from lfr_api.db.types import new_id, utcnow
from lfr_api.errors import NotAuthenticated
from lfr_api.security.passwords import new_secret, secret_digest


def _issue(ctx: AppContext, session: Session, user: User, family_id: str) -> TokenPair:
    refresh = new_secret("lfrr")
    session.add(RefreshToken(
        user_id=user.id, token_hash=secret_digest(refresh), family_id=family_id,
        expires_at=utcnow() + timedelta(seconds=ctx.settings.refresh_token_seconds)))
    return TokenPair(access_token=ctx.tokens.issue(user.id, user.role, user.token_version),
                     refresh_token=refresh, expires_in=ctx.settings.access_token_seconds)


def revoke_access(session: Session, user: User) -> None:
    """Every access token issued to ``user`` so far stops working (token version moves)."""
    user.token_version += 1
    session.add(user)


def login(ctx: AppContext, username: str, password: str, address: str) -> TokenPair:
    """A token pair for valid credentials; ``NotAuthenticated`` (one message for every
    cause) otherwise, audited as ``auth.login_failed``; 429 once the throttle's limit is
    reached (the password is then not even checked)."""
    now = utcnow()
    with ctx.db.session() as session:
        throttle.check(session, ctx.settings, username, address, now)
        user = session.exec(select(User).where(User.username == username)).first()
        ok = ctx.passwords.verify(user.password_hash if user else None, password)
        if user is not None and ok and user.active:
            throttle.clear_account(session, username)
            audit.record(session, actor=f"user:{user.username}", action="auth.login",
                         subject=f"user:{user.id}", details={"address": address})
            return _issue(ctx, session, user, new_id())
        throttle.record_failure(session, username, address, now, ctx.settings)
        reason = "unknown_user" if user is None else ("disabled" if ok else "wrong_password")
        audit.record(session, actor=f"address:{address}", action="auth.login_failed",
                     subject=f"user:{user.id}" if user is not None else "user:unknown",
                     details={"reason": reason, "address": address})
    raise NotAuthenticated("wrong username or password, or the account is disabled")


def refresh(ctx: AppContext, token: str) -> TokenPair:
    """Rotate a refresh token: the old one is revoked, a new pair is issued. A revoked
    token presented again means it was copied: its whole family is revoked, and the
    user's access tokens with it."""
    now = utcnow()
    with ctx.db.session() as session:
        row = session.exec(select(RefreshToken)
                           .where(RefreshToken.token_hash == secret_digest(token))).first()
        if row is not None and row.revoked_at is None and row.expires_at > now:
            user = session.get(User, row.user_id)
            if user is None or not user.active:
                raise NotAuthenticated("the account is disabled")
            row.revoked_at = now
            session.add(row)
            audit.record(session, actor=f"user:{user.username}", action="auth.refresh",
                         subject=f"user:{user.id}")
            return _issue(ctx, session, user, row.family_id or row.id)
        reused = row is not None and row.revoked_at is not None and row.expires_at > now
        if reused and row is not None:
            family = row.family_id or row.id
            revoked = session.exec(update(RefreshToken).where(
                (col(RefreshToken.family_id) == family) | (col(RefreshToken.id) == family),
                col(RefreshToken.revoked_at).is_(None)).values(revoked_at=now)).rowcount
            user = session.get(User, row.user_id)
            if user is not None:
                revoke_access(session, user)
            audit.record(session, actor="system", action="auth.refresh_reused",
                         subject=f"user:{row.user_id}",
                         details={"family": family, "tokens_revoked": revoked})
    if reused:
        raise NotAuthenticated("the refresh token was already used: every session of that "
                               "login is revoked; log in again")
    raise NotAuthenticated("the refresh token is not valid: log in again")


def logout(session: Session, user_id: str) -> int:
    """Revoke every live refresh token of a user, and every access token; return how many
    refresh tokens."""
    rows = session.exec(select(RefreshToken).where(RefreshToken.user_id == user_id,
                                                   RefreshToken.revoked_at == None)).all()  # noqa: E711
    for row in rows:
        row.revoked_at = utcnow()
        session.add(row)
    user = session.get(User, user_id)
    if user is not None:
        revoke_access(session, user)
    audit.record(session, actor=f"user:{user_id}", action="auth.logout",
                 subject=f"user:{user_id}", details={"tokens_revoked": len(rows)})
    return len(rows)
