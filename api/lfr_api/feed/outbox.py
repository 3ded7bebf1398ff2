"""Reading the ``alert_events`` outbox in commit order: what the feed serves, and from where.

A position in the feed is ``(txid, id)``. On PostgreSQL ``txid`` is the transaction that
wrote the event (``pg_current_xact_id()``, migration 0009); an event is served only once
every transaction below it has ended (``txid < pg_snapshot_xmin(pg_current_snapshot())``,
read in the same statement as the events), so an event that another replica commits late
(its transaction began earlier) can never land behind a position already served. On
SQLite one writer at a time commits in id order, so the position is ``(0, id)``.

The cursor a client holds is the event id of the last message it received; it resumes at
that event's position. An id the outbox no longer holds (its alert deleted by retention)
cannot be placed, so the feed starts again from the pending snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

Position = tuple[int, int]
#: Before every event (``?after=0``).
START: Position = (-1, 0)
BATCH = 500
_EVENTS = sa.table("alert_events", sa.column("id", sa.Integer), sa.column("txid", sa.BigInteger),
                   sa.column("deployment_id", sa.String), sa.column("kind", sa.String),
                   sa.column("payload", sa.JSON))
_SAFE: Any = sa.literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One feed message read from the outbox, with its position."""

    position: Position
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Batch:
    """Events after a position, in order; ``held_back``: committed events exist that wait
    for an older transaction to end (read again soon)."""

    events: list[FeedEvent]
    held_back: bool = False


class OutboxReader:
    """Commit-ordered reads of one database's outbox (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def _order(self) -> list[Any]:
        return [_EVENTS.c.txid, _EVENTS.c.id] if self.postgres else [_EVENTS.c.id]

    def _after(self, position: Position) -> Any:
        if self.postgres:
            return sa.tuple_(_EVENTS.c.txid, _EVENTS.c.id) > sa.tuple_(*position)
        return _EVENTS.c.id > position[1]

    def _query(self, deployment_id: str, position: Position) -> Any:
        return (sa.select(_EVENTS.c.id, _EVENTS.c.txid, _EVENTS.c.kind, _EVENTS.c.payload)
                .where(_EVENTS.c.deployment_id == deployment_id,
                       # delivery.* records (push outcomes) stay off the feed
                       _EVENTS.c.kind.startswith("alert."), self._after(position))
                .order_by(*self._order()))

    def _event(self, row: Any) -> FeedEvent:
        position = (int(row.txid or 0), int(row.id))
        return FeedEvent(position, {"type": row.kind, "cursor": int(row.id),
                                    "alert": row.payload})

    def after(self, deployment_id: str, position: Position, limit: int = BATCH) -> Batch:
        """The servable events after ``position`` (at most ``limit``), in commit order."""
        query = self._query(deployment_id, position).limit(limit)
        if self.postgres:
            query = query.add_columns(_SAFE.label("safe"))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not self.postgres:
            return Batch([self._event(r) for r in rows])
        ready = [self._event(r) for r in rows if int(r.txid) < int(r.safe)]
        return Batch(ready, held_back=len(ready) < len(rows))

    def between(self, deployment_id: str, low: Position, high: Position) -> list[FeedEvent]:
        """Every event after ``low`` up to ``high`` included (all of them servable)."""
        out: list[FeedEvent] = []
        while True:
            upto = (sa.tuple_(_EVENTS.c.txid, _EVENTS.c.id) <= sa.tuple_(*high)
                    if self.postgres else _EVENTS.c.id <= high[1])
            with self.engine.connect() as conn:
                rows = conn.execute(self._query(deployment_id, low).where(upto)
                                    .limit(BATCH)).all()
            out.extend(self._event(r) for r in rows)
            if len(rows) < BATCH:
                return out
            low = out[-1].position

    def head(self, deployment_id: str) -> Position:
        """The position of the last servable event of the deployment (``START``: none)."""
        query = (sa.select(_EVENTS.c.id, _EVENTS.c.txid)
                 .where(_EVENTS.c.deployment_id == deployment_id,
                        _EVENTS.c.kind.startswith("alert."))
                 .order_by(*[c.desc() for c in self._order()]).limit(1))
        if self.postgres:
            query = query.where(_EVENTS.c.txid < _SAFE)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return START if row is None else (int(row.txid or 0), int(row.id))

    def place(self, cursor: int) -> Position | None:
        """The position of the event a client's cursor names (``None``: not held)."""
        if cursor == 0:
            return START
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_EVENTS.c.id, _EVENTS.c.txid)
                               .where(_EVENTS.c.id == cursor)).first()
        if row is None:
            return None
        return (int(row.txid or 0), int(row.id))
