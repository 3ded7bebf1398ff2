"""Appending state changes to the hash-chained audit trail, in the change's own transaction.

Every service function that changes state calls :func:`record` with its session before the
session commits, so the change and its audit entry commit together or not at all. Details
hold ids and facts only, never biometric data or secrets. Verify with ``lfr audit verify``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from lfr_api.db.engine import AUDIT_INFO
from lfr_framework.audit import AuditEntry, AuditTrailError
from lfr_framework.audit.sql import SqlAuditTrail


def trail_of(session: Session) -> SqlAuditTrail:
    """The audit trail the session's :class:`~lfr_api.db.engine.Database` carries."""
    trail = session.info.get(AUDIT_INFO)
    if not isinstance(trail, SqlAuditTrail):
        raise AuditTrailError("this session has no audit trail: open it with Database.session()")
    return trail


def lock_trail(conn: sa.Connection, trail: SqlAuditTrail) -> None:
    """Take the trail's lock before this transaction locks other rows (see
    :meth:`SqlAuditTrail.lock`), so every transaction takes the locks in the same order."""
    trail.lock(conn)


def record(session: Session, *, actor: str, action: str, subject: str = "",
           details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Append one entry inside the session's transaction (flushing pending changes first,
    so a change that fails its constraints fails before it is recorded)."""
    session.flush()
    return record_on(session.connection(), trail_of(session), actor=actor, action=action,
                     subject=subject, details=details)


def record_on(conn: sa.Connection, trail: SqlAuditTrail, *, actor: str, action: str,
              subject: str = "", details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Append one entry on a Core connection's transaction (the retention store's)."""
    lock_trail(conn, trail)
    return trail.append(conn, actor=actor, action=action, subject=subject, details=details)
