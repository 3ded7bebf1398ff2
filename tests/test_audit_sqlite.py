"""The audit trail in a real SQLite file, tampered with directly through ``sqlite3``:
``verify`` names the first entry altered, removed, inserted or reordered, or the point
where the trail was cut short."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lfr_framework.audit import Anchor, AuditTrailError, entry_hash
from lfr_framework.audit.sql import SqlAuditTrail, audit_tables

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
ACTIONS = ["user.login", "deployment.authorised", "watchlist.entry_added", "camera.added",
           "deployment.started", "alert.raised", "alert.decision", "hold.placed",
           "retention.sweep", "deployment.closed"]


class Db:
    def __init__(self, path: Path, key: bytes | None) -> None:
        self.path = path
        self.engine = sa.create_engine(f"sqlite:///{path}")
        metadata = sa.MetaData()
        self.trail = SqlAuditTrail(audit_tables(metadata), key=key)
        metadata.create_all(self.engine)
        for i, action in enumerate(ACTIONS):
            with self.engine.begin() as conn:
                self.trail.append(conn, actor=f"user-{i % 3}", action=action,
                                  subject=f"deployment/dep-1/{i}", details={"step": i},
                                  at=T0 + timedelta(minutes=i))

    def sql(self, *statements: str) -> None:
        """Tamper behind the application's back."""
        raw = sqlite3.connect(self.path)
        with raw:
            for statement in statements:
                raw.execute(statement)
        raw.close()

    def verify(self, checkpoints: tuple[Anchor, ...] = ()) -> tuple[bool, int | None, str]:
        with self.engine.connect() as conn:
            result = self.trail.verify(conn, checkpoints)
        return result.ok, result.first_bad_seq, result.reason

    def row(self, seq: int) -> tuple[str, str]:
        raw = sqlite3.connect(self.path)
        found = raw.execute("SELECT at, hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        raw.close()
        return found[0], found[1]


@pytest.fixture(params=[None, b"audit-key"], ids=["sha256", "hmac"])
def db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Db]:
    d = Db(tmp_path / "lfr.db", request.param)
    yield d
    d.engine.dispose()


def test_an_untouched_trail_verifies(db: Db) -> None:
    assert db.verify() == (True, None, "")


def test_an_updated_row_is_named(db: Db) -> None:
    db.sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 7")
    ok, seq, reason = db.verify()
    assert (ok, seq) == (False, 7) and "entry 7 was altered" in reason


def test_a_deleted_row_is_named(db: Db) -> None:
    db.sql("DELETE FROM audit_log WHERE seq = 4")
    ok, seq, reason = db.verify()
    assert (ok, seq) == (False, 4) and "entry 4 is missing" in reason


def test_a_forged_row_inserted_in_the_middle_is_named(db: Db) -> None:
    # Make room at seq 5 (renumber the tail from the top down) and forge an entry there
    # that links to entry 4 and is hashed with the public algorithm.
    db.sql(*[f"UPDATE audit_log SET seq = {s + 1} WHERE seq = {s}" for s in range(10, 4, -1)])
    _, prev_hash = db.row(4)
    at = "2024-05-01T09:04:30.000000+00:00"
    forged = entry_hash(prev_hash, 5, at, "forger", "hold.released", "x", "{}")
    db.sql(f"INSERT INTO audit_log VALUES (5, '{at}', 'forger', 'hold.released', 'x', '{{}}', "
           f"'{prev_hash}', '{forged}')")
    ok, seq, _ = db.verify()
    # With a key the forged hash itself is wrong; without one its successor no longer links.
    assert (ok, seq) == (False, 5 if db.trail._key else 6)


def test_a_forged_row_appended_after_the_head_is_named(db: Db) -> None:
    _, hash10 = db.row(10)
    at = "2024-05-01T10:00:00.000000+00:00"
    forged = entry_hash(hash10, 11, at, "forger", "alert.decision", "x", "{}")
    db.sql(f"INSERT INTO audit_log VALUES (11, '{at}', 'forger', 'alert.decision', 'x', "
           f"'{{}}', '{hash10}', '{forged}')")
    ok, seq, reason = db.verify()
    assert (ok, seq) == (False, 11) and "entry 11" in reason
    # Moving the head as well only helps without the key.
    db.sql(f"UPDATE audit_head SET seq = 11, hash = '{forged}'")
    ok, seq, _ = db.verify()
    assert ok is (db.trail._key is None)
    if not ok:
        assert seq == 11


def test_two_swapped_rows_are_named(db: Db) -> None:
    db.sql("UPDATE audit_log SET seq = -1 WHERE seq = 3",
           "UPDATE audit_log SET seq = 3 WHERE seq = 6",
           "UPDATE audit_log SET seq = 6 WHERE seq = -1")
    ok, seq, _ = db.verify()
    assert (ok, seq) == (False, 3)


def test_a_cut_tail_is_named(db: Db) -> None:
    db.sql("DELETE FROM audit_log WHERE seq > 7")
    ok, seq, reason = db.verify()
    assert (ok, seq) == (False, 8) and "cut short after entry 7" in reason


def test_a_cut_tail_with_a_moved_head_is_caught_by_a_checkpoint(db: Db) -> None:
    with db.engine.connect() as conn:
        checkpoint = db.trail.head(conn)
    assert checkpoint is not None
    _, hash7 = db.row(7)
    db.sql("DELETE FROM audit_log WHERE seq > 7",
           f"UPDATE audit_head SET seq = 7, hash = '{hash7}'")
    assert db.verify()[0] is True  # undetectable without something kept elsewhere
    ok, seq, reason = db.verify((checkpoint,))
    assert (ok, seq) == (False, 8) and "checkpoint 10 is missing" in reason


def test_a_removed_head_row_is_reported_and_appending_refuses(db: Db) -> None:
    db.sql("DELETE FROM audit_head")
    ok, _, reason = db.verify()
    assert not ok and "head row was removed" in reason
    with db.engine.begin() as conn, pytest.raises(AuditTrailError, match="no head"):
        db.trail.append(conn, actor="a", action="x")


def test_appending_after_a_cut_refuses(db: Db) -> None:
    db.sql("DELETE FROM audit_log WHERE seq = 10")
    with db.engine.begin() as conn, pytest.raises(AuditTrailError,
                                                  match=r"head \(entry 10\) is not"):
        db.trail.append(conn, actor="a", action="x")


def test_an_entry_commits_with_the_change_it_records(db: Db) -> None:
    with pytest.raises(RuntimeError), db.engine.begin() as conn:
        db.trail.append(conn, actor="admin", action="user.role_changed", subject="user/7")
        raise RuntimeError("the change itself failed")
    with db.engine.connect() as conn:
        assert [e.seq for e in db.trail.entries(conn)][-1] == 10
    assert db.verify()[0]
