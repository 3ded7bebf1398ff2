"""Revocation and login throttling

``users.token_version`` (bumped by logout, deactivation, a role or password change; access
tokens carry it and stop working when it moves on), ``refresh_tokens.family_id`` (the login
a rotated token descends from: presenting a revoked token again revokes the family; NULL for
tokens issued before) and ``login_failures`` (failed logins per account and address, for the
throttle; never a password). Downgrading drops them: nothing else depends on them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite's batch mode would copy the tables).
    op.add_column("users", sa.Column("token_version", sa.Integer(), nullable=False,
                                     server_default="0"))
    op.add_column("refresh_tokens", sa.Column("family_id", sa.String(length=36), nullable=True))
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    for column in ("account", "address", "failed_at"):
        op.create_index(op.f(f"ix_login_failures_{column}"), "login_failures", [column])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_column("refresh_tokens", "family_id")
    op.drop_column("users", "token_version")
