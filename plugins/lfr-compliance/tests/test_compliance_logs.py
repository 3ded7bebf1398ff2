"""The compliance plugin hears the framework's events through the plugin host and keeps
its logs in a real SQLite database, without any biometric content."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from lfr_compliance import ComplianceRecorder, SqlComplianceStore, export_log
from lfr_compliance import plugin as compliance_plugin

from lfr_framework.events import (
    BiometricDataDeleted,
    DecisionRecorded,
    DeploymentStateChanged,
    HoldChanged,
)
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_alert() -> Alert:
    rng = np.random.default_rng(3)
    template = rng.standard_normal((1, 512)).astype(np.float32)
    return Alert(
        alert_id="alert-1", deployment_id="dep-1", camera_id="entrance", track_id=4,
        entry_id="wl-0042", score=0.71, threshold=0.6, model_id="arcface-r100",
        raised_at=T0, frame_timestamp=T0, first_seen_at=T0,
        probe_crop=rng.integers(0, 255, (112, 112, 3), dtype=np.uint8),
        probe_template=template / np.linalg.norm(template))


def deletion(item_id: str, at: datetime = T0) -> BiometricDataDeleted:
    return BiometricDataDeleted("alert_biometrics.probe_crop", item_id, "dep-1",
                                "default:alert_biometrics_31_days", at, "retention-sweep")


def hold(action: str, at: datetime, actor: str) -> HoldChanged:
    return HoldChanged("hold-1", "complaint", "alert_biometrics", "alert-1/probe_crop",
                       "CMP-2024-17", action, actor, at)


def test_every_deletion_is_logged_once_even_if_the_event_comes_again(
        host: PluginHost, store: SqlComplianceStore) -> None:
    host.biometric_data_deleted(deletion("alert-1/probe_crop"))
    host.biometric_data_deleted(deletion("alert-1/probe_crop"))  # redelivered by the outbox
    host.biometric_data_deleted(deletion("alert-2/probe_crop", T0 + timedelta(minutes=1)))
    logged = store.deletions()
    assert [(r.item_id, r.rule, r.deleted_by) for r in logged] == [
        ("alert-1/probe_crop", "default:alert_biometrics_31_days", "retention-sweep"),
        ("alert-2/probe_crop", "default:alert_biometrics_31_days", "retention-sweep")]
    assert logged[0].deleted_at == T0
    assert store.deletions("other-deployment") == []


def test_hold_placements_and_releases_are_logged_with_reference_and_actor(
        host: PluginHost, store: SqlComplianceStore) -> None:
    host.hold_changed(hold("placed", T0, "pc-compliance"))
    host.hold_changed(hold("released", T0 + timedelta(days=40), "insp-ray"))
    host.hold_changed(hold("released", T0 + timedelta(days=41), "someone-else"))
    assert [(r.action, r.reference, r.actor) for r in store.holds()] == [
        ("placed", "CMP-2024-17", "pc-compliance"), ("released", "CMP-2024-17", "insp-ray")]
    assert store.holds("unrelated") == []


def test_a_hold_event_with_an_unknown_action_is_refused(recorder: ComplianceRecorder) -> None:
    with pytest.raises(ValueError, match="'placed' or 'released', got 'extended'"):
        recorder.hold_changed(hold("extended", T0, "pc-1"))


def test_alerts_decisions_and_state_changes_keep_facts_and_never_biometrics(
        host: PluginHost, store: SqlComplianceStore, db_path: Path) -> None:
    alert = make_alert()
    host.alert_raised(alert)
    host.decision_recorded(DecisionRecorded("alert-1", "dep-1", "engage", "arrest", "pc-7",
                                            T0 + timedelta(minutes=2)))
    host.decision_recorded(DecisionRecorded("alert-1", "dep-1", "engage", "no_further_action",
                                            "sgt-2", T0 + timedelta(hours=1), amended=True,
                                            reason="outcome corrected"))
    host.deployment_state_changed(DeploymentStateChanged("dep-1", "live", "closed", "insp-ray",
                                                         T0 + timedelta(hours=8)))
    rows = store.activity("dep-1")
    assert [(r.kind, r.actor) for r in rows] == [
        ("alert_raised", "system"), ("decision_recorded", "pc-7"),
        ("decision_amended", "sgt-2"), ("deployment_state_changed", "insp-ray")]
    assert json.loads(rows[0].facts) == {"camera_id": "entrance", "track_id": 4, "score": 0.71,
                                         "threshold": 0.6, "model_id": "arcface-r100"}
    assert json.loads(rows[3].facts) == {"old_state": "live", "new_state": "closed"}
    raw = db_path.read_bytes()
    assert alert.probe_crop is not None and alert.probe_template is not None
    assert alert.probe_crop.tobytes()[:64] not in raw
    assert alert.probe_template.tobytes()[:64] not in raw
    assert b"wl-0042" not in raw


def test_non_match_discards_are_counts_per_camera_and_bucket(
        recorder: ComplianceRecorder, store: SqlComplianceStore) -> None:
    recorder.record_discards("dep-1", "entrance", T0 + timedelta(minutes=1), 40)
    recorder.record_discards("dep-1", "entrance", T0 + timedelta(minutes=14), 2)
    recorder.record_discards("dep-1", "entrance", T0 + timedelta(minutes=15), 5)
    recorder.record_discards("dep-1", "exit", T0, 7)
    recorder.record_discards("dep-1", "exit", T0, 0)
    assert [(c.camera_id, c.bucket_start, c.bucket_seconds, c.count)
            for c in store.discards("dep-1")] == [
        ("entrance", T0, 900, 42), ("exit", T0, 900, 7),
        ("entrance", T0 + timedelta(minutes=15), 900, 5)]
    with pytest.raises(ValueError, match="cannot be negative"):
        recorder.record_discards("dep-1", "exit", T0, -1)
    with pytest.raises(ValueError, match="naive datetime"):
        recorder.record_discards("dep-1", "exit", datetime(2024, 5, 1), 1)
    with pytest.raises(ValueError, match="whole number of seconds"):
        ComplianceRecorder(store, timedelta(milliseconds=500))


def test_export_as_csv_and_json(host: PluginHost, store: SqlComplianceStore) -> None:
    host.biometric_data_deleted(deletion("alert-1/probe_crop"))
    host.hold_changed(hold("placed", T0, "pc-compliance"))
    out = io.StringIO()
    assert export_log(store, "deletions", "csv", out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == [{"kind": "alert_biometrics.probe_crop", "item_id": "alert-1/probe_crop",
                     "deployment_id": "dep-1", "rule": "default:alert_biometrics_31_days",
                     "deleted_at": "2024-05-01T09:00:00+00:00",
                     "deleted_by": "retention-sweep"}]
    out = io.StringIO()
    assert export_log(store, "holds", "json", out) == 1
    assert json.loads(out.getvalue())[0]["reference"] == "CMP-2024-17"
    out = io.StringIO()
    assert export_log(store, "discards", "csv", out) == 0
    assert out.getvalue().strip() == "deployment_id,camera_id,bucket_start,bucket_seconds,count"


@pytest.mark.parametrize(("log", "fmt", "message"), [
    ("faces", "csv", "unknown compliance log 'faces'; known: deletions"),
    ("holds", "xml", "unknown export format 'xml'; known: csv, json"),
])
def test_export_refuses_unknown_logs_and_formats(store: SqlComplianceStore, log: str,
                                                 fmt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        export_log(store, log, fmt, io.StringIO())


def test_the_entry_point_module_writes_to_lfr_database_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "service.db"
    monkeypatch.setenv("LFR_DATABASE_URL", f"sqlite:///{path}")
    compliance_plugin.reset()
    try:
        host = PluginHost(load_entry_points=False)
        host.register_plugin(compliance_plugin, name="compliance")
        host.biometric_data_deleted(deletion("alert-9/clip"))
        engine = sa.create_engine(f"sqlite:///{path}")
        assert [r.item_id for r in SqlComplianceStore(engine).deletions()] == ["alert-9/clip"]
        engine.dispose()
        configured = compliance_plugin.configure(SqlComplianceStore(
            sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")))
        host.biometric_data_deleted(deletion("alert-10/clip"))
        assert [r.item_id for r in configured.store.deletions()] == ["alert-10/clip"]
    finally:
        compliance_plugin.reset()
