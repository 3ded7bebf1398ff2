"""End to end without the service: the default policy and compliance plugins through the
plugin host, the core's retention engine, and a real SQLite store. A sweep killed while it
was telling the plugins still leaves exactly one compliance log entry per deletion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from lfr_compliance import ComplianceRecorder, SqlComplianceStore
from lfr_retention_default import plugin as retention_plugin

from lfr_framework.events import BiometricDataDeleted
from lfr_framework.plugins import PluginHost
from lfr_framework.retention import RecordKind, RetentionEngine, hold_event, place_hold
from tests.test_retention_sweep import DEP_END, T0, Clock, Killed, SqliteRetentionStore, _alert


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[SqliteRetentionStore, SqlComplianceStore,
                                             PluginHost]]:
    store = SqliteRetentionStore(tmp_path / "lfr.db")
    store.add_deployment("dep-1")
    compliance = SqlComplianceStore(sa.create_engine(f"sqlite:///{tmp_path / 'lfr.db'}"))
    host = PluginHost(load_entry_points=False)
    host.register_plugin(retention_plugin, name="retention_default")
    host.register_plugin(ComplianceRecorder(compliance), name="compliance")
    yield store, compliance, host
    store.engine.dispose()
    compliance.engine.dispose()


def test_after_31_days_and_the_watchlist_deadline_everything_is_gone_and_logged_once(
        setup: tuple[SqliteRetentionStore, SqlComplianceStore, PluginHost]) -> None:
    store, compliance, host = setup
    for n in range(3):
        _alert(store, f"a{n}", T0)
    store.add_item(RecordKind.WATCHLIST_IMAGE, "wl-1/img", T0, b"IMG" * 100)
    store.add_item(RecordKind.WATCHLIST_TEMPLATE, "wl-1/tpl", T0, b"TPL" * 100)
    held = place_hold(hold_type="complaint", item_kind="alert_biometrics", item_id="a2/clip",
                      reference="CMP-9", placed_by="pc-compliance", at=T0, item_exists=True)
    host.hold_changed(hold_event(held))
    store.hold(RecordKind.ALERT_BIOMETRICS, "a2/clip", "CMP-9", T0)

    policy = host.retention_policies.create("default", {}, where="retention")
    clock = Clock()
    delivered = 0

    def flaky(event: BiometricDataDeleted) -> None:
        nonlocal delivered
        host.biometric_data_deleted(event)
        delivered += 1
        if delivered == 2:
            raise Killed  # the plugins heard it, the outbox never learned it was delivered

    engine = RetentionEngine(store, policy, clock=clock, on_deleted=flaky)
    clock.now = DEP_END + timedelta(hours=24)
    with pytest.raises(Killed):
        engine.sweep()  # the watchlist is due, the alerts not yet
    assert store.item_ids() >= {"a0/clip", "a2/clip"}
    assert "wl-1/img" not in store.item_ids()

    engine = RetentionEngine(store, policy, clock=clock, on_deleted=host.biometric_data_deleted)
    clock.now = T0 + timedelta(days=31)
    report = engine.sweep()
    assert len(report.deleted) == 8 and [v.item.item_id for v in report.held] == ["a2/clip"]
    remaining = store.item_ids()
    assert remaining == {"a0", "a1", "a2", "a2/clip"}

    logged = sorted(r.item_id for r in compliance.deletions())
    assert logged == sorted(e.item_id for e in store.log())
    assert len(logged) == len(set(logged)) == 10
    assert [(h.action, h.reference) for h in compliance.holds()] == [("placed", "CMP-9")]
