"""The retention sweep over a real SQLite database: deadlines crossed with an injected clock,
holds, dry runs, a sweep killed halfway and run again, and storage that is unavailable.

``SqliteRetentionStore`` implements the ``RetentionStore`` protocol the way the service
does: each deletion and its deletion-log entry commit in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lfr_framework.errors import ConfigurationError
from lfr_framework.events import BiometricDataDeleted
from lfr_framework.retention import (
    Deadline,
    DeletionEntry,
    DeploymentTimes,
    RecordKind,
    RetentionEngine,
    RetentionError,
    RetentionItem,
    ShortenedPolicy,
    place_hold,
    release_hold,
)
from lfr_framework.retention import sql as rsql

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
DEP_START = T0 - timedelta(hours=1)
DEP_END = T0 + timedelta(hours=8)


class Killed(BaseException):
    """Stands for the process being killed: not an ``Exception``, nothing catches it."""


class _AlreadyLogged(Exception):
    pass


@dataclass
class Clock:
    """The injected clock: tests move it forward by hand."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class SqliteRetentionStore:
    """A ``RetentionStore`` over a SQLite file: items (with their bytes), deployments, holds
    and the deletion log (``lfr_framework.retention.sql``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})

        @sa.event.listens_for(self.engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA secure_delete=ON")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")  # as the service runs SQLite

        metadata = sa.MetaData()
        self.tables = rsql.retention_tables(metadata)
        self.items = sa.Table(
            "items", metadata,
            sa.Column("kind", sa.String, primary_key=True),
            sa.Column("item_id", sa.String, primary_key=True),
            sa.Column("created_at", rsql.UTCDateTime(), nullable=False),
            sa.Column("deployment_id", sa.String),
            sa.Column("part", sa.String),
            sa.Column("parent_id", sa.String),
            sa.Column("data", sa.LargeBinary, nullable=False),
        )
        self.deployments = sa.Table(
            "deployments", metadata,
            sa.Column("id", sa.String, primary_key=True),
            sa.Column("authorised_start", rsql.UTCDateTime(), nullable=False),
            sa.Column("authorised_end", rsql.UTCDateTime(), nullable=False),
            sa.Column("closed_at", rsql.UTCDateTime()),
        )
        metadata.create_all(self.engine)
        self.kill_after: int | None = None
        self.kill_inside_transaction = False
        self.committed = 0

    # -- set-up helpers ---------------------------------------------------------------

    def add_deployment(self, dep_id: str, start: datetime = DEP_START,
                       end: datetime = DEP_END) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.deployments.insert().values(
                id=dep_id, authorised_start=start, authorised_end=end, closed_at=None))

    def close_deployment(self, dep_id: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.deployments.update().where(self.deployments.c.id == dep_id)
                         .values(closed_at=at))

    def add_item(self, kind: RecordKind, item_id: str, created_at: datetime, data: bytes,
                 deployment_id: str | None = "dep-1", part: str | None = None,
                 parent_id: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.items.insert().values(
                kind=kind.value, item_id=item_id, created_at=created_at,
                deployment_id=deployment_id, part=part, parent_id=parent_id, data=data))

    def item_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r.item_id for r in conn.execute(sa.select(self.items.c.item_id))}

    def log(self) -> list[DeletionEntry]:
        with self.engine.connect() as conn:
            return rsql.deletion_entries(conn, self.tables)

    def hold(self, kind: RecordKind, item_id: str, reference: str, at: datetime,
             hold_type: str = "complaint") -> str:
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(self.items.c.item_id).where(
                self.items.c.kind == kind.value, self.items.c.item_id == item_id)).first()
            deleted = rsql.is_logged(conn, self.tables, kind, [item_id])
            hold = place_hold(hold_type=hold_type, item_kind=kind.value, item_id=item_id,
                              reference=reference, placed_by="pc-compliance", at=at,
                              item_exists=exists is not None, item_deleted=bool(deleted))
            rsql.save_hold(conn, self.tables, hold)
        return hold.hold_id

    def release(self, hold_id: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            hold = rsql.load_hold(conn, self.tables, hold_id)
            assert hold is not None
            rsql.save_hold(conn, self.tables, release_hold(hold, released_by="insp-ray", at=at))

    # -- the protocol -----------------------------------------------------------------

    def candidates(self) -> Sequence[RetentionItem]:
        items, deps = self.items, self.deployments
        query = sa.select(items, deps).select_from(
            items.outerjoin(deps, items.c.deployment_id == deps.c.id)).order_by(
            items.c.created_at, items.c.item_id)
        out: list[RetentionItem] = []
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            holds = {kind: rsql.holds_by_item(conn, self.tables, kind) for kind in RecordKind}
        for row in rows:
            kind = RecordKind(row.kind)
            times = None if row.id is None else DeploymentTimes(
                row.id, row.authorised_start, row.authorised_end, row.closed_at)
            out.append(RetentionItem(kind, row.item_id, row.created_at, times,
                                     holds[kind].get(row.item_id, ()), row.part,
                                     row.parent_id))
        return out

    def delete(self, item: RetentionItem, entry: DeletionEntry) -> bool:
        if self.kill_after is not None and self.committed == self.kill_after \
                and not self.kill_inside_transaction:
            raise Killed
        try:
            with self.engine.begin() as conn:
                gone = conn.execute(self.items.delete().where(
                    self.items.c.kind == item.kind.value,
                    self.items.c.item_id == item.item_id))
                if gone.rowcount == 0:
                    raise _AlreadyLogged
                if self.kill_after is not None and self.committed == self.kill_after:
                    raise Killed  # the item row is deleted but not committed, not logged
                if not rsql.log_deletion(conn, self.tables, entry):
                    raise _AlreadyLogged
        except _AlreadyLogged:
            return False
        self.committed += 1
        return True

    def undelivered(self) -> Sequence[DeletionEntry]:
        with self.engine.connect() as conn:
            return rsql.deletion_entries(conn, self.tables, undelivered_only=True)

    def mark_delivered(self, entry_id: str) -> None:
        with self.engine.begin() as conn:
            rsql.mark_delivered(conn, self.tables, entry_id, datetime.now(UTC))


class VendorPolicy:
    """A third-party policy: age-based, written the way docs/plugins.md shows."""

    name = "vendor"

    def __init__(self, alert_days: float = 31, keep_watchlist_days: float | None = None,
                 claims: float | None = None) -> None:
        self.alert = timedelta(days=alert_days)
        self.claims = claims
        self.watchlist = None if keep_watchlist_days is None else timedelta(
            days=keep_watchlist_days)

    def max_age(self, record_kind: str) -> timedelta | None:
        if record_kind == "non_match_data":
            return timedelta(0)
        if record_kind == "alert_biometrics":
            return timedelta(days=self.claims) if self.claims is not None else self.alert
        return None

    def deadline(self, item: RetentionItem) -> Deadline | None:
        if item.kind is RecordKind.ALERT_BIOMETRICS:
            return Deadline(item.created_at + self.alert, "vendor:alert")
        if item.kind in (RecordKind.WATCHLIST_IMAGE, RecordKind.WATCHLIST_TEMPLATE) \
                and self.watchlist is not None:
            return Deadline(item.created_at + self.watchlist, "vendor:watchlist")
        return None


@dataclass
class Listener:
    events: list[BiometricDataDeleted] = field(default_factory=list)

    def __call__(self, event: BiometricDataDeleted) -> None:
        self.events.append(event)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteRetentionStore]:
    s = SqliteRetentionStore(tmp_path / "lfr.db")
    s.add_deployment("dep-1")
    yield s
    s.engine.dispose()


def _alert(store: SqliteRetentionStore, alert_id: str, at: datetime) -> dict[str, bytes]:
    """An alert's three biometric parts and its facts record; returns the part bytes."""
    parts = {
        "probe_crop": f"CROP-BYTES-{alert_id}-".encode() * 40,
        "probe_template": f"TEMPLATE-BYTES-{alert_id}-".encode() * 40,
        "clip": f"CLIP-BYTES-{alert_id}-".encode() * 40,
    }
    for part, data in parts.items():
        store.add_item(RecordKind.ALERT_BIOMETRICS, f"{alert_id}/{part}", at, data,
                       part=part, parent_id=alert_id)
    store.add_item(RecordKind.ALERT_RECORD, alert_id, at, b'{"camera":"entrance"}')
    return parts


def test_alert_biometrics_go_31_days_after_the_alert_and_the_facts_stay(
        store: SqliteRetentionStore) -> None:
    clock, listener = Clock(), Listener()
    parts = _alert(store, "a1", T0)
    engine = RetentionEngine(store, VendorPolicy(), clock=clock, on_deleted=listener)

    clock.advance(timedelta(days=31) - timedelta(seconds=1))
    report = engine.sweep()
    assert report.deleted == [] and report.kept == 4
    assert report.next_due == T0 + timedelta(days=31)

    clock.advance(timedelta(seconds=1))
    report = engine.sweep()
    assert sorted(e.item_id for e in report.deleted) == ["a1/clip", "a1/probe_crop",
                                                         "a1/probe_template"]
    assert {e.rule for e in report.deleted} == {"vendor:alert"}
    assert store.item_ids() == {"a1"}  # the alert record (facts) is kept
    assert len(store.log()) == 3
    assert sorted(e.kind for e in listener.events) == [
        "alert_biometrics.clip", "alert_biometrics.probe_crop", "alert_biometrics.probe_template"]
    # No biometric byte is left in any file of the database once the WAL is checkpointed
    # (secure_delete zeroes freed pages; the WAL keeps old page images until truncated).
    def leftovers() -> set[str]:
        files = [p for p in store.path.parent.iterdir() if p.name.startswith(store.path.name)]
        return {p.name for p in files for data in parts.values() if data[:30] in p.read_bytes()}

    assert leftovers() == {"lfr.db-wal"}
    rsql.purge_freed_space(store.engine)
    assert leftovers() == set()


def test_the_core_ceiling_wins_over_a_policy_that_would_keep_longer(
        store: SqliteRetentionStore) -> None:
    clock = Clock()
    _alert(store, "a1", T0)
    # The policy declares 31 days (so it passes validation) but its deadline says 90.
    engine = RetentionEngine(store, VendorPolicy(alert_days=90, claims=31), clock=clock)
    clock.advance(timedelta(days=31))
    report = engine.sweep()
    assert len(report.deleted) == 3
    assert {e.rule for e in report.deleted} == {"core:alert_biometrics_31_days"}


def test_a_policy_that_declares_longer_than_31_days_is_refused(
        store: SqliteRetentionStore) -> None:
    with pytest.raises(ConfigurationError, match=r"alert_biometrics may be kept at most 31 days"):
        RetentionEngine(store, VendorPolicy(claims=40))


def test_watchlist_is_destroyed_24_hours_after_the_authorised_end_if_nobody_closes_it(
        store: SqliteRetentionStore) -> None:
    clock, listener = Clock(), Listener()
    store.add_item(RecordKind.WATCHLIST_IMAGE, "wl-1/img", DEP_START, b"IMAGE" * 50)
    store.add_item(RecordKind.WATCHLIST_TEMPLATE, "wl-1/tpl", DEP_START, b"TEMPLATE" * 50)
    engine = RetentionEngine(store, VendorPolicy(), clock=clock, on_deleted=listener)

    clock.now = DEP_END + timedelta(hours=24) - timedelta(seconds=1)
    assert engine.sweep().deleted == []
    clock.now = DEP_END + timedelta(hours=24)
    report = engine.sweep()
    assert {e.item_id for e in report.deleted} == {"wl-1/img", "wl-1/tpl"}
    assert {e.rule for e in report.deleted} == {"core:watchlist_24h_after_authorised_end"}
    assert store.item_ids() == set()
    assert {e.kind for e in listener.events} == {"watchlist_image", "watchlist_template"}


def test_watchlist_is_destroyed_when_the_deployment_closes(store: SqliteRetentionStore) -> None:
    clock = Clock()
    store.add_item(RecordKind.WATCHLIST_TEMPLATE, "wl-1/tpl", DEP_START, b"TEMPLATE" * 50)
    engine = RetentionEngine(store, VendorPolicy(), clock=clock)
    clock.now = T0 + timedelta(hours=2)
    assert engine.sweep().deleted == []
    store.close_deployment("dep-1", T0 + timedelta(hours=2))
    report = engine.sweep()
    assert [e.rule for e in report.deleted] == ["core:watchlist_deployment_closed"]


def test_a_watchlist_item_without_deployment_times_fails_loudly(
        store: SqliteRetentionStore) -> None:
    store.add_item(RecordKind.WATCHLIST_IMAGE, "orphan", T0, b"x", deployment_id=None)
    engine = RetentionEngine(store, VendorPolicy(), clock=Clock(T0 + timedelta(days=400)))
    with pytest.raises(RetentionError, match="'orphan' has no deployment times"):
        engine.sweep()
    assert store.item_ids() == {"orphan"}


def test_held_data_is_kept_until_the_last_hold_is_released(store: SqliteRetentionStore) -> None:
    clock = Clock()
    _alert(store, "a1", T0)
    _alert(store, "a2", T0)
    first = store.hold(RecordKind.ALERT_BIOMETRICS, "a1/probe_crop", "CMP-2024-17", T0)
    second = store.hold(RecordKind.ALERT_BIOMETRICS, "a1/probe_crop", "CRIM-88", T0,
                        hold_type="evidential")
    engine = RetentionEngine(store, VendorPolicy(), clock=clock)

    clock.advance(timedelta(days=40))
    report = engine.sweep()
    assert "a1/probe_crop" in store.item_ids()
    assert [v.item.item_id for v in report.held] == ["a1/probe_crop"]
    assert {h.reference for h in report.held[0].held_by} == {"CMP-2024-17", "CRIM-88"}
    assert len(report.deleted) == 5

    store.release(first, clock.now)
    assert engine.sweep().deleted == []  # one hold is still in force
    clock.advance(timedelta(days=100))
    store.release(second, clock.now)
    report = engine.sweep()  # the normal rule applies again: long past due
    assert [e.item_id for e in report.deleted] == ["a1/probe_crop"]
    assert report.deleted[0].rule == "vendor:alert"
    assert store.item_ids() == {"a1", "a2"}
    assert len(store.log()) == 6


def test_holding_a_deleted_or_unknown_item_is_a_clear_error(store: SqliteRetentionStore) -> None:
    from lfr_framework.retention import HoldTargetError

    _alert(store, "a1", T0)
    RetentionEngine(store, VendorPolicy(), clock=Clock(T0 + timedelta(days=31))).sweep()
    with pytest.raises(HoldTargetError, match="'a1/probe_crop' was already deleted"):
        store.hold(RecordKind.ALERT_BIOMETRICS, "a1/probe_crop", "CMP-1", T0)
    with pytest.raises(HoldTargetError, match="no alert_biometrics 'nope' to hold"):
        store.hold(RecordKind.ALERT_BIOMETRICS, "nope", "CMP-1", T0)


def test_dry_run_reports_and_deletes_nothing(store: SqliteRetentionStore) -> None:
    listener = Listener()
    _alert(store, "a1", T0)
    engine = RetentionEngine(store, VendorPolicy(), clock=Clock(T0 + timedelta(days=31)),
                             on_deleted=listener)
    report = engine.sweep(dry_run=True)
    assert len(report.would_delete) == 3 and report.deleted == []
    assert report.counts() == {"alert_biometrics": 3}
    assert report.as_dict()["would_delete"]
    assert store.item_ids() == {"a1", "a1/probe_crop", "a1/probe_template", "a1/clip"}
    assert store.log() == [] and listener.events == []


@pytest.mark.parametrize("inside_transaction", [False, True],
                         ids=["killed-between-deletions", "killed-inside-a-deletion"])
def test_a_sweep_killed_halfway_and_run_again_deletes_and_logs_each_item_once(
        store: SqliteRetentionStore, inside_transaction: bool) -> None:
    clock, listener = Clock(), Listener()
    for n in range(4):
        _alert(store, f"a{n}", T0)
    due = {f"a{n}/{p}" for n in range(4) for p in ("probe_crop", "probe_template", "clip")}
    engine = RetentionEngine(store, VendorPolicy(), clock=clock, on_deleted=listener)
    clock.advance(timedelta(days=31))

    store.kill_after, store.kill_inside_transaction = 5, inside_transaction
    with pytest.raises(Killed):
        engine.sweep()
    assert len(store.log()) == 5  # five committed, each with its entry; the sixth not at all
    assert len(store.item_ids() & due) == 7
    assert listener.events == []  # killed before delivery: the outbox still holds them

    store.kill_after = None
    clock.advance(timedelta(minutes=5))
    report = engine.sweep()
    assert len(report.deleted) == 7
    assert report.events_delivered == 12
    logged = [e.item_id for e in store.log()]
    assert sorted(logged) == sorted(due)  # exactly once each
    assert store.item_ids() == {"a0", "a1", "a2", "a3"}
    assert sorted(e.item_id for e in listener.events) == sorted(due)

    again = engine.sweep()
    assert again.deleted == [] and again.events_delivered == 0
    assert len(store.log()) == 12


def test_a_deletion_already_logged_is_not_logged_again(store: SqliteRetentionStore) -> None:
    _alert(store, "a1", T0)
    engine = RetentionEngine(store, VendorPolicy(), clock=Clock(T0 + timedelta(days=31)))
    stale = store.candidates()  # a second sweep that listed the items before the first ran
    engine.sweep()
    for item in stale:
        if item.kind is RecordKind.ALERT_BIOMETRICS:
            entry = DeletionEntry(DeletionEntry.key(item.kind, item.item_id), item.kind,
                                  item.item_id, item.part, item.parent_id, "dep-1", "r", "p",
                                  T0, T0, "other-sweep")
            assert store.delete(item, entry) is False
    assert len(store.log()) == 3


def test_a_sweep_with_the_database_unavailable_fails_loudly_and_deletes_nothing(
        store: SqliteRetentionStore) -> None:
    _alert(store, "a1", T0)
    engine = RetentionEngine(store, VendorPolicy(), clock=Clock(T0 + timedelta(days=31)))
    locker = sqlite3.connect(store.path)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(RetentionError, match=r"failed after 0 deletion\(s\).*locked"):
            engine.sweep()
    finally:
        locker.rollback()
        locker.close()
    assert len(store.item_ids()) == 4 and store.log() == []
    assert len(engine.sweep().deleted) == 3


def test_non_match_data_found_in_storage_is_deleted_at_once_and_counted(
        store: SqliteRetentionStore) -> None:
    store.add_item(RecordKind.NON_MATCH_DATA, "leak-1", T0, b"EMBEDDING" * 10)
    report = RetentionEngine(store, VendorPolicy(), clock=Clock(T0)).sweep()
    assert report.non_match_items_found == 1
    assert [e.rule for e in report.deleted] == ["core:non_match_never_kept"]


def test_a_deployment_can_shorten_but_not_lengthen_periods(store: SqliteRetentionStore) -> None:
    store.add_deployment("dep-2")
    _alert(store, "a1", T0)
    store.add_item(RecordKind.ALERT_BIOMETRICS, "b1/probe_crop", T0, b"B" * 100,
                   deployment_id="dep-2", part="probe_crop", parent_id="b1")
    short = ShortenedPolicy(VendorPolicy(), {"alert_biometrics": timedelta(days=7)},
                            where="deployments.dep-2.retention")
    engine = RetentionEngine(store, VendorPolicy(), clock=Clock(T0 + timedelta(days=7)),
                             deployment_policies={"dep-2": short})
    report = engine.sweep()
    assert [(e.item_id, e.rule, e.policy) for e in report.deleted] == [
        ("b1/probe_crop", "vendor+shortened:alert_biometrics", "vendor+shortened")]

    with pytest.raises(ConfigurationError,
                       match=r"deployments\.dep-2\.retention\.alert_biometrics: a deployment "
                             r"may only shorten"):
        ShortenedPolicy(VendorPolicy(), {"alert_biometrics": timedelta(days=32)},
                        where="deployments.dep-2.retention")
    with pytest.raises(ConfigurationError, match=r"retention\.periods\.faces: unknown record"):
        ShortenedPolicy(VendorPolicy(), {"faces": timedelta(days=1)})
    with pytest.raises(ConfigurationError, match="cannot be negative"):
        ShortenedPolicy(VendorPolicy(), {"decision": timedelta(days=-1)})


def test_a_naive_clock_is_refused(store: SqliteRetentionStore) -> None:
    engine = RetentionEngine(store, VendorPolicy(), clock=lambda: datetime(2024, 5, 1))
    with pytest.raises(RetentionError, match="timezone-aware"):
        engine.sweep()
