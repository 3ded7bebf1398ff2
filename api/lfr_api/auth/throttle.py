"""Login throttling: failed logins counted per account and per client address in a sliding
window (limits in :class:`~lfr_api.settings.Settings`, documented in docs/security.md).

Failures live in the database, so every replica counts the same ones. Only a digest of the
username as typed is kept (a password typed into the username box must not be stored).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from lfr_api.db.models import LoginFailure
from lfr_api.errors import TooManyRequests
from lfr_api.settings import Settings


def account_key(username: str) -> str:
    """The digest the throttle counts an account's failures under."""
    return hashlib.sha256(username.casefold().encode()).hexdigest()


def _retry_after(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until fewer than ``limit`` of ``times`` (ascending) fall inside the window."""
    if len(times) < limit:
        return 0
    frees_at = times[len(times) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def check(session: Session, settings: Settings, username: str, address: str,
          now: datetime) -> None:
    """``TooManyRequests`` (429, ``Retry-After``) when the account or the address has used
    up its failed attempts; checked before the password is."""
    window = timedelta(seconds=settings.login_window_seconds)
    since = now - window
    by_account = list(session.exec(
        select(LoginFailure.failed_at).where(LoginFailure.account == account_key(username),
                                             col(LoginFailure.failed_at) > since)
        .order_by(col(LoginFailure.failed_at))).all())
    by_address = list(session.exec(
        select(LoginFailure.failed_at).where(LoginFailure.address == address,
                                             col(LoginFailure.failed_at) > since)
        .order_by(col(LoginFailure.failed_at))).all())
    wait = max(_retry_after(by_account, settings.login_failures_per_account, window, now),
               _retry_after(by_address, settings.login_failures_per_address, window, now))
    if wait:
        raise TooManyRequests(
            f"too many failed logins: try again in {wait} s (or ask an admin)", retry_after=wait)


def record_failure(session: Session, username: str, address: str, now: datetime,
                   settings: Settings) -> None:
    """Count one failed login, and forget failures older than the window."""
    session.add(LoginFailure(account=account_key(username), address=address, failed_at=now))
    cutoff = now - timedelta(seconds=settings.login_window_seconds)
    session.exec(delete(LoginFailure).where(col(LoginFailure.failed_at) <= cutoff))


def clear_account(session: Session, username: str) -> None:
    """A successful login: the account's failures no longer count."""
    session.exec(delete(LoginFailure).where(
        col(LoginFailure.account) == account_key(username)))
