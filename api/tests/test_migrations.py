"""Migrations upgrade and downgrade, and the models match them (empty autogenerate diff)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from lfr_api.db.engine import downgrade, make_engine, upgrade
from lfr_api.db.models import metadata


def _diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def test_upgrade_matches_models_and_downgrade_empties(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert _diff(engine) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert {"users", "deployments", "alerts", "alert_events", "watchlist_images"} <= tables
        downgrade(engine, "base")
        left = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade(engine)
        assert _diff(engine) == []
        downgrade(engine, "base")
    finally:
        engine.dispose()


