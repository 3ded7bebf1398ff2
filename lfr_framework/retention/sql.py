"""SQLAlchemy Core tables and statements for the deletion log and holds.

The service adds these tables to its own metadata (``retention_tables(SQLModel.metadata)``)
and its Alembic migration, and calls :func:`log_deletion` inside the same transaction that
erases an item, so the deletion and its log entry commit together or not at all.
Needs SQLAlchemy 2 (the core imports this module only when asked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from lfr_framework.retention.errors import RetentionError
from lfr_framework.retention.items import DeletionEntry, Hold, HoldType
from lfr_framework.retention.kinds import RecordKind


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (SQLite keeps no zone; PostgreSQL does)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None,
                             dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RetentionTables:
    """The two tables: ``deletion_log`` (one row per deleted item) and ``holds``."""

    deletion_log: sa.Table
    holds: sa.Table


def retention_tables(metadata: sa.MetaData, prefix: str = "retention_") -> RetentionTables:
    """Define the tables in ``metadata`` (once per metadata; a second call returns them)."""
    name = f"{prefix}deletion_log"
    if name in metadata.tables:
        return RetentionTables(metadata.tables[name], metadata.tables[f"{prefix}holds"])
    deletion_log = sa.Table(
        name, metadata,
        sa.Column("entry_id", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("part", sa.String(40)),
        sa.Column("parent_id", sa.String(255)),
        sa.Column("deployment_id", sa.String(255), index=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("policy", sa.String(200), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("deleted_by", sa.String(255), nullable=False),
        sa.Column("delivered_at", UTCDateTime()),
    )
    holds = sa.Table(
        f"{prefix}holds", metadata,
        sa.Column("hold_id", sa.String(64), primary_key=True),
        sa.Column("hold_type", sa.String(40), nullable=False),
        sa.Column("item_kind", sa.String(40), nullable=False),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("placed_by", sa.String(255), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(255)),
        sa.Column("released_at", UTCDateTime()),
        sa.Index(f"ix_{prefix}holds_item", "item_kind", "item_id"),
    )
    return RetentionTables(deletion_log, holds)


def log_deletion(conn: sa.Connection, tables: RetentionTables, entry: DeletionEntry) -> bool:
    """Append ``entry`` inside the caller's transaction; ``False`` if it is already logged.

    The primary key on ``entry_id`` also stops two concurrent sweeps: the second insert
    fails and its transaction, with its deletion, rolls back.
    """
    table = tables.deletion_log
    exists = conn.execute(
        sa.select(table.c.entry_id).where(table.c.entry_id == entry.entry_id)).first()
    if exists is not None:
        return False
    conn.execute(table.insert().values(
        entry_id=entry.entry_id, kind=entry.kind.value, item_id=entry.item_id, part=entry.part,
        parent_id=entry.parent_id, deployment_id=entry.deployment_id, rule=entry.rule,
        policy=entry.policy, due_at=entry.due_at, deleted_at=entry.deleted_at,
        deleted_by=entry.deleted_by, delivered_at=None,
    ))
    return True


def _entry(row: sa.Row[Any]) -> DeletionEntry:
    return DeletionEntry(
        entry_id=row.entry_id, kind=RecordKind(row.kind), item_id=row.item_id, part=row.part,
        parent_id=row.parent_id, deployment_id=row.deployment_id, rule=row.rule,
        policy=row.policy, due_at=row.due_at, deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def deletion_entries(conn: sa.Connection, tables: RetentionTables,
                     *, undelivered_only: bool = False) -> list[DeletionEntry]:
    """The deletion log, oldest first (only the outbox with ``undelivered_only``)."""
    table = tables.deletion_log
    query = sa.select(table).order_by(table.c.deleted_at, table.c.entry_id)
    if undelivered_only:
        query = query.where(table.c.delivered_at.is_(None))
    return [_entry(row) for row in conn.execute(query)]


def mark_delivered(conn: sa.Connection, tables: RetentionTables, entry_id: str,
                   at: datetime) -> None:
    """Record that the event of ``entry_id`` reached the plugins."""
    table = tables.deletion_log
    conn.execute(table.update().where(table.c.entry_id == entry_id).values(delivered_at=at))


def save_hold(conn: sa.Connection, tables: RetentionTables, hold: Hold) -> None:
    """Insert a new hold, or write the release of an existing one."""
    table = tables.holds
    values = {
        "hold_type": hold.hold_type.value, "item_kind": hold.item_kind.value,
        "item_id": hold.item_id, "reference": hold.reference, "placed_by": hold.placed_by,
        "placed_at": hold.placed_at, "released_by": hold.released_by,
        "released_at": hold.released_at,
    }
    updated = conn.execute(table.update().where(table.c.hold_id == hold.hold_id).values(values))
    if updated.rowcount == 0:
        conn.execute(table.insert().values(hold_id=hold.hold_id, **values))


def _hold(row: sa.Row[Any]) -> Hold:
    return Hold(
        hold_id=row.hold_id, hold_type=HoldType(row.hold_type),
        item_kind=RecordKind(row.item_kind), item_id=row.item_id, reference=row.reference,
        placed_by=row.placed_by, placed_at=row.placed_at, released_by=row.released_by,
        released_at=row.released_at,
    )


def load_hold(conn: sa.Connection, tables: RetentionTables, hold_id: str) -> Hold | None:
    """The hold called ``hold_id``, or ``None``."""
    row = conn.execute(sa.select(tables.holds).where(tables.holds.c.hold_id == hold_id)).first()
    return None if row is None else _hold(row)


def holds_by_item(conn: sa.Connection, tables: RetentionTables, kind: RecordKind,
                  item_ids: Iterable[str] | None = None) -> dict[str, tuple[Hold, ...]]:
    """Every hold (active and released) on items of ``kind``, by item id."""
    table = tables.holds
    query = sa.select(table).where(table.c.item_kind == kind.value).order_by(table.c.placed_at)
    if item_ids is not None:
        query = query.where(table.c.item_id.in_(list(item_ids)))
    out: dict[str, list[Hold]] = {}
    for row in conn.execute(query):
        out.setdefault(row.item_id, []).append(_hold(row))
    return {k: tuple(v) for k, v in out.items()}


def is_logged(conn: sa.Connection, tables: RetentionTables, kind: RecordKind,
              item_ids: Sequence[str]) -> set[str]:
    """Which of ``item_ids`` of ``kind`` have a deletion log entry (they were deleted)."""
    keys = [DeletionEntry.key(kind, i) for i in item_ids]
    table = tables.deletion_log
    rows = conn.execute(sa.select(table.c.item_id).where(table.c.entry_id.in_(keys)))
    return {row.item_id for row in rows}


def purge_freed_space(engine: sa.Engine) -> None:
    """After a sweep, push deleted bytes out of SQLite's write-ahead log.

    With ``PRAGMA secure_delete=ON`` SQLite zeroes freed pages in the database file, but in
    WAL mode the old page images stay in the ``-wal`` file until a checkpoint truncates it.
    This runs ``PRAGMA wal_checkpoint(TRUNCATE)``; on other databases it does nothing (see
    docs/privacy-and-retention.md for PostgreSQL).
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        raise RetentionError("SQLite could not checkpoint the WAL (a reader held it); run the "
                           "sweep's purge again")
