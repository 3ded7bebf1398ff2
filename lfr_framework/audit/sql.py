"""The audit trail in a SQL database (SQLAlchemy Core): two tables and a small class.

``audit_log`` holds the entries; ``audit_head`` one row with the latest ``(seq, hash)``,
updated in the same transaction as each append, so a trail cut short or extended behind
the application's back no longer matches its head. The service adds both tables to its
metadata with ``audit_tables(SQLModel.metadata)`` and calls :meth:`SqlAuditTrail.append`
with the connection of the transaction that makes the change it records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from lfr_framework.audit.chain import Anchor, AuditEntry, VerifyResult, next_entry, verify
from lfr_framework.audit.errors import AuditTrailError


@dataclass(frozen=True, slots=True)
class AuditTables:
    """The entry table and the head table."""

    log: sa.Table
    head: sa.Table


def audit_tables(metadata: sa.MetaData) -> AuditTables:
    """Define ``audit_log`` and ``audit_head`` in ``metadata`` (idempotent)."""
    if "audit_log" in metadata.tables:
        return AuditTables(metadata.tables["audit_log"], metadata.tables["audit_head"])
    log = sa.Table(
        "audit_log", metadata,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(100), nullable=False, index=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    head = sa.Table(
        "audit_head", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    return AuditTables(log, head)


def _entry(row: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(row.seq, row.at, row.actor, row.action, row.subject, row.details,
                      row.prev_hash, row.hash)


class SqlAuditTrail:
    """Appends to and verifies the trail; every method works on the caller's connection."""

    HEAD_ID = 1

    def __init__(self, tables: AuditTables, *, key: bytes | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.tables = tables
        self._key = key
        self._clock = clock or (lambda: datetime.now(UTC))

    def head(self, conn: sa.Connection) -> Anchor | None:
        """The recorded head, or ``None`` for an empty trail."""
        row = conn.execute(sa.select(self.tables.head).where(
            self.tables.head.c.id == self.HEAD_ID)).first()
        return None if row is None else Anchor(row.seq, row.hash)

    def append(self, conn: sa.Connection, *, actor: str, action: str, subject: str = "",
               details: Mapping[str, Any] | None = None,
               at: datetime | None = None) -> AuditEntry:
        """Append one entry inside the caller's transaction and move the head to it.

        Details must hold no biometric data (ids and facts only). Concurrent appends are
        serialised by :meth:`lock`, taken here before the head is read.
        """
        self.lock(conn)
        head_table, log = self.tables.head, self.tables.log
        row = conn.execute(sa.select(head_table).where(head_table.c.id == self.HEAD_ID)
                           .with_for_update()).first()
        prev: AuditEntry | None = None
        if row is not None:
            prev_row = conn.execute(sa.select(log).where(log.c.seq == row.seq)).first()
            if prev_row is None or prev_row.hash != row.hash:
                raise AuditTrailError(
                    f"the audit trail's head (entry {row.seq}) is not in the trail; "
                    f"run 'lfr audit verify' before writing more")
            prev = _entry(prev_row)
        elif conn.execute(sa.select(log.c.seq).limit(1)).first() is not None:
            raise AuditTrailError("the audit trail has entries but no head; it was tampered "
                                  "with: run 'lfr audit verify'")
        entry = next_entry(prev, at=at or self._clock(), actor=actor, action=action,
                           subject=subject, details=details, key=self._key)
        conn.execute(log.insert().values(
            seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
            subject=entry.subject, details=entry.details, prev_hash=entry.prev_hash,
            hash=entry.hash))
        if row is None:
            conn.execute(head_table.insert().values(id=self.HEAD_ID, seq=entry.seq,
                                                    hash=entry.hash))
        else:
            conn.execute(head_table.update().where(head_table.c.id == self.HEAD_ID)
                         .values(seq=entry.seq, hash=entry.hash))
        return entry

    def lock(self, conn: sa.Connection) -> None:
        """Serialise appends for the rest of the caller's transaction, so two appends never
        read the same head. SQLite: write first, so the transaction holds the database's
        write lock (pysqlite runs a transaction's first SELECTs outside it). PostgreSQL:
        lock the head table (a row lock cannot cover the very first entry, when there is no
        head row yet). A transaction that will append after locking other rows calls this
        first, so every transaction takes the locks in the same order. Safe to call again.
        """
        head = self.tables.head
        if conn.dialect.name == "sqlite":
            conn.execute(head.update().where(head.c.id == self.HEAD_ID).values(seq=head.c.seq))
        elif conn.dialect.name == "postgresql":
            conn.execute(sa.text(f'LOCK TABLE "{head.name}" IN SHARE ROW EXCLUSIVE MODE'))

    def entries(self, conn: sa.Connection, *, after: int = 0) -> list[AuditEntry]:
        """The entries after ``after``, by ``seq``."""
        log = self.tables.log
        rows = conn.execute(sa.select(log).where(log.c.seq > after).order_by(log.c.seq))
        return [_entry(r) for r in rows]

    def verify(self, conn: sa.Connection, checkpoints: Sequence[Anchor] = ()) -> VerifyResult:
        """Check the whole chain against its head and any published checkpoints."""
        head = self.head(conn)
        entries = self.entries(conn)
        if head is None and entries:
            return VerifyResult(False, 0, entries[-1].seq,
                                "the trail has entries but its head row was removed")
        return verify(entries, key=self._key, head=head, checkpoints=checkpoints)
