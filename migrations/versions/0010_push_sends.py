"""Push sends: one row per alert and device a push went to (``lfr_api.feed.push``).

Replicas that publish the same alert consult it under the alert's lease, so each device is
pushed an alert once. The device is a digest of its FCM token (no token is kept here).
Downgrading drops the table: nothing else depends on it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_sends",
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name=op.f("fk_push_sends_alert_id_alerts")),
        sa.PrimaryKeyConstraint("alert_id", "device", name=op.f("pk_push_sends")),
    )


def downgrade() -> None:
    op.drop_table("push_sends")
