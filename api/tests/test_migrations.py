"""Migrations upgrade and downgrade, and the models match them (empty autogenerate diff)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from lfr_api.biometrics.crypto import DataKey, DataKeyError, Keyring
from lfr_api.biometrics.keys import rotate
from lfr_api.biometrics.storage import probe_crop, watchlist_image
from lfr_api.db.engine import Database, audit_trail, downgrade, make_engine, upgrade
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




OLD_ROWS_AT = "2025-01-01 00:00:00"


def _insert_user_deployment_and_entry(conn: sa.Connection) -> None:
    """Rows as an 0001/0002 schema holds them, written with raw SQL (the models are newer):
    user ``u1``, draft deployment ``d1`` and watchlist entry ``e1``."""
    now = OLD_ROWS_AT
    conn.execute(sa.text(
        "INSERT INTO users (id, username, display_name, role, password_hash, active, "
        f"created_at) VALUES ('u1', 'admin', '', 'admin', 'x', true, '{now}')"))
    conn.execute(sa.text(
        "INSERT INTO deployments (id, name, state, location, purpose, legal_basis, "
        "necessity, proportionality, watchlist_criteria, community_impact_ref, "
        "detector, detector_options, recogniser, recogniser_options, matcher, "
        f"matcher_options, created_by, created_at) VALUES ('d1', 'old', 'draft', '', "
        f"'', '', '', '', '', '', 'm', '{{}}', 'a', '{{}}', 'u', '{{}}', 'u1', '{now}')"))
    conn.execute(sa.text(
        "INSERT INTO watchlist_entries (id, deployment_id, reference, category, reason, "
        "image_source, lawfully_held, added_by, added_at, model_id) VALUES ('e1', "
        f"'d1', 'R', 'c', '', 's', true, 'a', '{now}', 'm')"))


def test_0002_keeps_rows_stored_before_encryption_until_rotate_encrypts_them(
        database_url: str) -> None:
    """A database from 0001 holds plaintext: after the upgrade it is refused on reading,
    and ``lfr keys rotate`` encrypts it in place without losing a byte."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        now = OLD_ROWS_AT
        with engine.begin() as conn:
            _insert_user_deployment_and_entry(conn)
            conn.execute(sa.text(
                "INSERT INTO watchlist_images (id, entry_id, position, filename, "
                "content_type, data, template, dimension) VALUES ('i1', 'e1', 0, 'f', "
                "'image/jpeg', :data, :tpl, 2)"), {"data": b"OLD-IMAGE", "tpl": b"\0" * 8})
            conn.execute(sa.text(
                "INSERT INTO alerts (id, deployment_id, idempotency_key, camera_id, "
                "camera_location, entry_reference, entry_category, entry_reason, score, "
                "threshold, model_id, track_id, raised_at, frame_timestamp, received_at, "
                "state, source) VALUES ('a1', 'd1', 'k', 'c', '', 'R', 'c', '', 0.7, 0.5, "
                f"'m', 0, '{now}', '{now}', '{now}', 'pending', 's')"))
            conn.execute(sa.text("INSERT INTO alert_media (alert_id, content_type, data) "
                                 "VALUES ('a1', 'image/jpeg', :data)"), {"data": b"OLD-CROP"})
        upgrade(engine)
        key = Keyring(DataKey.generate())
        db = Database(engine, vault=key, audit=audit_trail())
        with db.session() as session, pytest.raises(DataKeyError, match="lfr keys rotate"):
            watchlist_image(session, "i1")
        report = rotate(engine, db.audit, key.current, [], actor="test")
        assert report.from_key_ids == {"plaintext": 2}
        with db.session() as session:
            found = watchlist_image(session, "i1")
            assert found is not None and found[1] == b"OLD-IMAGE"
            assert probe_crop(session, "a1") == ("image/jpeg", b"OLD-CROP")
        with engine.connect() as conn:
            raw = conn.execute(sa.text("SELECT data FROM alert_media")).scalar_one()
        assert b"OLD-CROP" not in raw
        downgrade(engine, "base")
    finally:
        engine.dispose()


def test_0003_gives_existing_deployments_no_periods_and_keeps_their_rows(
        database_url: str) -> None:
    """Adding and dropping ``deployments.retention_periods`` never copies the table (which
    on SQLite would cascade to its children): the watchlist rows survive both ways."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            _insert_user_deployment_and_entry(conn)
        upgrade(engine, "0003")
        deployments = metadata.tables["deployments"]
        with engine.connect() as conn:
            periods = conn.execute(sa.select(deployments.c.retention_periods)).scalar_one()
            entries = conn.execute(sa.text("SELECT count(*) FROM watchlist_entries")).scalar()
        assert (periods, entries) == ({}, 1)
        downgrade(engine, "0002")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM watchlist_entries")).scalar() == 1
        assert "retention_periods" not in {
            c["name"] for c in sa.inspect(engine).get_columns("deployments")}
        downgrade(engine, "base")
    finally:
        engine.dispose()
