"""What the web app shows: the probe's quality, the four-outcome assessment, who is looking

``alerts.probe_width``, ``probe_height``, ``probe_sharpness`` (measurements of the stored
probe crop, not biometric data; NULL for alerts stored before, or without a crop);
``decisions.assessment`` (South Wales Police's four outcomes: ``true_alert``,
``confirmed_true_alert``, ``false_alert``, ``confirmed_false_alert``; NULL where the
decision did not say); ``alert_viewers`` (who has an alert's card open, refreshed while it
is). Downgrading drops them: nothing else depends on them.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-01 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no default): SQLite's batch mode would copy the tables,
    # and dropping ``alerts`` to copy it would cascade to its children.
    op.add_column("alerts", sa.Column("probe_width", sa.Integer(), nullable=True))
    op.add_column("alerts", sa.Column("probe_height", sa.Integer(), nullable=True))
    op.add_column("alerts", sa.Column("probe_sharpness", sa.Float(), nullable=True))
    op.add_column("decisions", sa.Column("assessment", sa.String(length=32), nullable=True))
    op.create_table(
        "alert_viewers",
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("activity", sa.String(length=16), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_viewers_alert_id_alerts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_viewers_user_id_users")),
        sa.PrimaryKeyConstraint("alert_id", "user_id", name=op.f("pk_alert_viewers")),
    )


def downgrade() -> None:
    op.drop_table("alert_viewers")
    op.drop_column("decisions", "assessment")
    op.drop_column("alerts", "probe_sharpness")
    op.drop_column("alerts", "probe_height")
    op.drop_column("alerts", "probe_width")
