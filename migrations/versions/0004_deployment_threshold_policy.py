"""deployments: the threshold policy (target FPIR, expected footfall) and the operating point

``target_fpir`` (server default 0.001: 1 in 1,000 per passer-by) replaces a raw score as
what a deployment states; ``threshold`` stays as an expert's fixed threshold. The operating
point (threshold, prediction, calibration) is recorded at authorisation and whenever the
watchlist changes after it, with ``operating_point_at``; ``publish_prediction`` (off by
default) puts the predicted false alert rate in the public notice. Existing deployments keep their
``threshold`` if they had one; the others run at the threshold their target gives.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs with server defaults (see 0003 for why batch mode is avoided).
    op.add_column("deployments", sa.Column("target_fpir", sa.Float(), server_default="0.001",
                                           nullable=False))
    op.add_column("deployments", sa.Column("expected_faces", sa.Integer(), nullable=True))
    op.add_column("deployments", sa.Column("operating_point", sa.JSON(), nullable=True))
    op.add_column("deployments", sa.Column("operating_point_at", sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column("deployments", sa.Column("publish_prediction", sa.Boolean(),
                                           server_default=sa.false(), nullable=False))


def downgrade() -> None:
    for column in ("publish_prediction", "operating_point_at", "operating_point",
                   "expected_faces", "target_fpir"):
        op.drop_column("deployments", column)
