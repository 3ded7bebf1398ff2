"""Turns the framework's events into compliance log rows (an object pluggy can register)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lfr_compliance.records import ActivityRecord, DeletionRecord, DiscardCount, HoldRecord
from lfr_compliance.store import ComplianceStore
from lfr_framework import hookimpl
from lfr_framework.events import (
    BiometricDataDeleted,
    DecisionRecorded,
    DeploymentStateChanged,
    HoldChanged,
)
from lfr_framework.types import Alert

#: The facts of an alert the activity log keeps: no crop, no template, no watchlist entry.
ALERT_FACTS = ("camera_id", "track_id", "score", "threshold", "model_id")


def _json(value: dict[str, object]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def bucket_start(at: datetime, bucket: timedelta) -> datetime:
    """The start of the ``bucket``-long window (aligned to the epoch, UTC) holding ``at``."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at.isoformat()} for a discard count")
    seconds = int(bucket.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


class ComplianceRecorder:
    """Writes the deletion log, the hold log, discard counts and an activity log.

    Register an instance with ``PluginHost.register_plugin(recorder, name="compliance")``;
    each hook method keeps only ids, rules, actors, times and facts, never biometric data.
    Repeated events (at-least-once delivery) change nothing.
    """

    def __init__(self, store: ComplianceStore, bucket: timedelta = timedelta(minutes=15)) -> None:
        if bucket < timedelta(seconds=1) or bucket.total_seconds() % 1:
            raise ValueError(f"discard bucket must be a whole number of seconds >= 1, "
                             f"got {bucket}")
        self.store = store
        self.bucket = bucket

    @hookimpl
    def biometric_data_deleted(self, event: BiometricDataDeleted) -> None:
        """One deletion log row per deleted item."""
        self.store.record_deletion(DeletionRecord(
            event.kind, event.item_id, event.deployment_id, event.rule, event.deleted_at,
            event.deleted_by))

    @hookimpl
    def hold_changed(self, event: HoldChanged) -> None:
        """One hold log row per placement or release."""
        if event.action not in ("placed", "released"):
            raise ValueError(f"hold event action must be 'placed' or 'released', "
                             f"got {event.action!r}")
        self.store.record_hold(HoldRecord(
            event.hold_id, event.action, event.hold_type, event.item_kind, event.item_id,
            event.reference, event.actor, event.at))

    @hookimpl
    def alert_raised(self, alert: Alert) -> None:
        """The alert's facts (camera, score, threshold, model), never its biometrics."""
        facts = alert.facts()
        self.store.record_activity(ActivityRecord(
            "alert_raised", alert.alert_id, alert.deployment_id, "system", alert.raised_at,
            _json({k: facts[k] for k in ALERT_FACTS})))

    @hookimpl
    def decision_recorded(self, event: DecisionRecorded) -> None:
        """Who decided what on which alert, and when."""
        self.store.record_activity(ActivityRecord(
            "decision_amended" if event.amended else "decision_recorded", event.alert_id,
            event.deployment_id, event.decided_by, event.decided_at,
            _json({"decision": event.decision, "outcome": event.outcome,
                   "reason": event.reason})))

    @hookimpl
    def deployment_state_changed(self, event: DeploymentStateChanged) -> None:
        """Each lifecycle step of a deployment."""
        self.store.record_activity(ActivityRecord(
            "deployment_state_changed", event.deployment_id, event.deployment_id, event.actor,
            event.at, _json({"old_state": event.old_state, "new_state": event.new_state})))

    def record_discards(self, deployment_id: str, camera_id: str, at: datetime,
                        count: int) -> None:
        """Add ``count`` non-match discards seen by ``camera_id`` at ``at`` to its bucket."""
        if count < 0:
            raise ValueError(f"a discard count cannot be negative, got {count}")
        if count == 0:
            return
        self.store.record_discards(DiscardCount(
            deployment_id, camera_id, bucket_start(at, self.bucket),
            int(self.bucket.total_seconds()), count))
