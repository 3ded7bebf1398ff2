"""deployments.retention_periods: a deployment's own, shorter retention periods

A JSON object (``alert_biometrics_days``, ``watchlist_hours_after_end``) with server
default ``{}``: existing deployments keep the service policy's periods. Downgrading drops
the column: those deployments are then swept under the service policy, whose periods are
longer, so run a sweep under 0003 first if any deployment set shorter ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (a string server default keeps Alembic's SQLite batch mode from
    # copying the table: dropping ``deployments`` to copy it would cascade to its children).
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_periods", sa.JSON(), server_default="{}",
                                      nullable=False))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, not batch mode, for the same reason (SQLite >= 3.35).
    op.drop_column("deployments", "retention_periods")
