"""The feed in commit order across replicas: ``alert_events.txid``

On PostgreSQL each outbox event records the transaction that wrote it
(``pg_current_xact_id()``, a column default); the feed serves an event only once every
transaction below it has ended (``pg_snapshot_xmin``) and orders events by
``(txid, id)``, so an event committed late by another replica is neither skipped nor
served out of order. Events stored before get ``txid`` 0 (they are all committed).
SQLite leaves the column NULL: one writer at a time already commits in id order.
Downgrading drops the column and its index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_TXID = "(pg_current_xact_id()::text::bigint)"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("alert_events", sa.Column(
        "txid", sa.BigInteger(), nullable=True,
        server_default=sa.text(PG_TXID) if postgres else None))
    if postgres:
        op.execute("UPDATE alert_events SET txid = 0 WHERE txid IS NULL")
    op.create_index("ix_alert_events_feed_order", "alert_events",
                    ["deployment_id", "txid", "id"])


def downgrade() -> None:
    op.drop_index("ix_alert_events_feed_order", table_name="alert_events")
    op.drop_column("alert_events", "txid")
