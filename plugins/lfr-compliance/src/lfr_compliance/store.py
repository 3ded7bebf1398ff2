"""Where the compliance logs live: a small protocol and its SQL implementation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa

from lfr_compliance.records import ActivityRecord, DeletionRecord, DiscardCount, HoldRecord


@runtime_checkable
class ComplianceStore(Protocol):
    """Append-only logs; every ``record_*`` is idempotent except discard counts, which add."""

    def record_deletion(self, record: DeletionRecord) -> bool:
        """Log a deletion; ``False`` if ``(kind, item_id)`` is already logged."""

    def record_hold(self, record: HoldRecord) -> bool:
        """Log a hold placement or release; ``False`` if ``(hold_id, action)`` is logged."""

    def record_discards(self, count: DiscardCount) -> None:
        """Add ``count.count`` to the camera's bucket."""

    def record_activity(self, record: ActivityRecord) -> bool:
        """Log an activity; ``False`` if ``(kind, subject_id, at)`` is already logged."""

    def deletions(self, deployment_id: str | None = None) -> Sequence[DeletionRecord]:
        """The deletion log, oldest first."""

    def holds(self, item_id: str | None = None) -> Sequence[HoldRecord]:
        """The hold log, oldest first."""

    def discards(self, deployment_id: str | None = None) -> Sequence[DiscardCount]:
        """The discard counts by deployment, camera and bucket."""

    def activity(self, deployment_id: str | None = None) -> Sequence[ActivityRecord]:
        """The activity log, oldest first."""


class _UTC(sa.types.TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} in a compliance log")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None,
                             dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def compliance_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Define the four ``compliance_*`` tables in ``metadata`` (idempotent)."""
    names = ("compliance_deletion_log", "compliance_hold_log", "compliance_discards",
             "compliance_activity")
    if names[0] in metadata.tables:
        return {n: metadata.tables[n] for n in names}
    return {
        names[0]: sa.Table(
            names[0], metadata,
            sa.Column("kind", sa.String(60), primary_key=True),
            sa.Column("item_id", sa.String(255), primary_key=True),
            sa.Column("deployment_id", sa.String(255), index=True),
            sa.Column("rule", sa.String(200), nullable=False),
            sa.Column("deleted_at", _UTC(), nullable=False),
            sa.Column("deleted_by", sa.String(255), nullable=False)),
        names[1]: sa.Table(
            names[1], metadata,
            sa.Column("hold_id", sa.String(64), primary_key=True),
            sa.Column("action", sa.String(20), primary_key=True),
            sa.Column("hold_type", sa.String(40), nullable=False),
            sa.Column("item_kind", sa.String(40), nullable=False),
            sa.Column("item_id", sa.String(255), nullable=False, index=True),
            sa.Column("reference", sa.String(255), nullable=False),
            sa.Column("actor", sa.String(255), nullable=False),
            sa.Column("at", _UTC(), nullable=False)),
        names[2]: sa.Table(
            names[2], metadata,
            sa.Column("deployment_id", sa.String(255), primary_key=True),
            sa.Column("camera_id", sa.String(255), primary_key=True),
            sa.Column("bucket_start", _UTC(), primary_key=True),
            sa.Column("bucket_seconds", sa.Integer, nullable=False),
            sa.Column("count", sa.Integer, nullable=False)),
        names[3]: sa.Table(
            names[3], metadata,
            sa.Column("kind", sa.String(40), primary_key=True),
            sa.Column("subject_id", sa.String(255), primary_key=True),
            sa.Column("at", _UTC(), primary_key=True),
            sa.Column("deployment_id", sa.String(255), nullable=False, index=True),
            sa.Column("actor", sa.String(255), nullable=False),
            sa.Column("facts", sa.Text, nullable=False)),
    }


class SqlComplianceStore:
    """The logs in any SQLAlchemy database (SQLite embedded, PostgreSQL at scale)."""

    def __init__(self, engine: sa.Engine, metadata: sa.MetaData | None = None,
                 create: bool = True) -> None:
        self.engine = engine
        self.metadata = metadata if metadata is not None else sa.MetaData()
        tables = compliance_tables(self.metadata)
        self._deletions = tables["compliance_deletion_log"]
        self._holds = tables["compliance_hold_log"]
        self._discards = tables["compliance_discards"]
        self._activity = tables["compliance_activity"]
        if create:
            self.metadata.create_all(engine, tables=list(tables.values()))

    def _insert_once(self, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> bool:
        with self.engine.begin() as conn:
            where = [table.c[k] == v for k, v in key.items()]
            if conn.execute(sa.select(*table.primary_key.columns).where(*where)).first():
                return False
            conn.execute(table.insert().values(**key, **values))
        return True

    def record_deletion(self, record: DeletionRecord) -> bool:
        """Log a deletion once."""
        return self._insert_once(
            self._deletions, {"kind": record.kind, "item_id": record.item_id},
            {"deployment_id": record.deployment_id, "rule": record.rule,
             "deleted_at": record.deleted_at, "deleted_by": record.deleted_by})

    def record_hold(self, record: HoldRecord) -> bool:
        """Log a hold placement or release once."""
        return self._insert_once(
            self._holds, {"hold_id": record.hold_id, "action": record.action},
            {"hold_type": record.hold_type, "item_kind": record.item_kind,
             "item_id": record.item_id, "reference": record.reference, "actor": record.actor,
             "at": record.at})

    def record_discards(self, count: DiscardCount) -> None:
        """Add to a camera's bucket, creating it if needed."""
        t = self._discards
        key = [t.c.deployment_id == count.deployment_id, t.c.camera_id == count.camera_id,
               t.c.bucket_start == count.bucket_start]
        with self.engine.begin() as conn:
            updated = conn.execute(t.update().where(*key).values(count=t.c.count + count.count))
            if updated.rowcount == 0:
                conn.execute(t.insert().values(
                    deployment_id=count.deployment_id, camera_id=count.camera_id,
                    bucket_start=count.bucket_start, bucket_seconds=count.bucket_seconds,
                    count=count.count))

    def record_activity(self, record: ActivityRecord) -> bool:
        """Log an activity once."""
        return self._insert_once(
            self._activity, {"kind": record.kind, "subject_id": record.subject_id,
                             "at": record.at},
            {"deployment_id": record.deployment_id, "actor": record.actor,
             "facts": record.facts})

    def _rows(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def deletions(self, deployment_id: str | None = None) -> list[DeletionRecord]:
        """The deletion log, oldest first."""
        t = self._deletions
        q = sa.select(t).order_by(t.c.deleted_at, t.c.kind, t.c.item_id)
        if deployment_id is not None:
            q = q.where(t.c.deployment_id == deployment_id)
        return [DeletionRecord(r.kind, r.item_id, r.deployment_id, r.rule, r.deleted_at,
                               r.deleted_by) for r in self._rows(q)]

    def holds(self, item_id: str | None = None) -> list[HoldRecord]:
        """The hold log, oldest first."""
        t = self._holds
        q = sa.select(t).order_by(t.c.at, t.c.hold_id, t.c.action.desc())
        if item_id is not None:
            q = q.where(t.c.item_id == item_id)
        return [HoldRecord(r.hold_id, r.action, r.hold_type, r.item_kind, r.item_id,
                           r.reference, r.actor, r.at) for r in self._rows(q)]

    def discards(self, deployment_id: str | None = None) -> list[DiscardCount]:
        """Discard counts by deployment, camera and bucket."""
        t = self._discards
        q = sa.select(t).order_by(t.c.deployment_id, t.c.bucket_start, t.c.camera_id)
        if deployment_id is not None:
            q = q.where(t.c.deployment_id == deployment_id)
        return [DiscardCount(r.deployment_id, r.camera_id, r.bucket_start, r.bucket_seconds,
                             r._mapping["count"]) for r in self._rows(q)]

    def activity(self, deployment_id: str | None = None) -> list[ActivityRecord]:
        """The activity log, oldest first."""
        t = self._activity
        q = sa.select(t).order_by(t.c.at, t.c.kind, t.c.subject_id)
        if deployment_id is not None:
            q = q.where(t.c.deployment_id == deployment_id)
        return [ActivityRecord(r.kind, r.subject_id, r.deployment_id, r.actor, r.at, r.facts)
                for r in self._rows(q)]
