"""Watchlist versions: one counter per deployment, moved in the transaction of every change
to the templates its live matchers hold (an enrolment, a removal, a retention deletion).

Every replica compares it with the version its live matcher was built or last brought up to
date at, and re-reads the watchlist when it moved (``lfr_api.live.watchlist_follow``).
A deployment without a row is at version 0. Downgrading drops the table: nothing else
depends on it.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watchlist_versions",
        sa.Column("deployment_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], ondelete="CASCADE",
                                name=op.f("fk_watchlist_versions_deployment_id_deployments")),
        sa.PrimaryKeyConstraint("deployment_id", name=op.f("pk_watchlist_versions")),
    )


def downgrade() -> None:
    op.drop_table("watchlist_versions")
