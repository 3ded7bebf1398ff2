"""Alerts: persisted first (with an outbox event), then delivered; decisions on them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from lfr_api.alerts import assessment, ingest_checks, probe_quality
from lfr_api.alerts.schemas import (
    AlertOut,
    AmendmentIn,
    CameraRef,
    DecisionIn,
    DecisionOut,
    EntryRef,
    Links,
    ProbeQuality,
)
from lfr_api.biometrics import storage
from lfr_api.context import AppContext
from lfr_api.db import audit
from lfr_api.db.models import (
    Alert,
    AlertEvent,
    Camera,
    Decision,
    Deployment,
    WatchlistEntry,
)
from lfr_api.db.types import new_id, utcnow
from lfr_api.deployments.service import LIVE, get_deployment, visible_deployment
from lfr_api.errors import Conflict, NotFound, Unprocessable
from lfr_api.security.roles import Principal
from lfr_framework import types as core
from lfr_framework.events import DecisionRecorded

log = logging.getLogger(__name__)
PENDING, DECIDED = "pending", "decided"


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert as it arrives (from a camera node or the in-process pipeline)."""

    deployment_id: str
    idempotency_key: str
    camera_id: str
    entry_id: str
    score: float
    threshold: float
    model_id: str
    track_id: int
    raised_at: datetime
    frame_timestamp: datetime
    source: str
    probe_crop_jpeg: bytes | None = None
    #: The probe template (float32 bytes): alert biometrics, stored encrypted like the crop.
    probe_template: bytes | None = None
    #: Tell the plugin host (False in-process: the pipeline's builder already does).
    notify_host: bool = True
    #: The id to store it under: in-process alerts keep the core's id, so the server log,
    #: the API, the feed and the compliance rows all name an alert the same way.
    alert_id: str | None = None
    #: Check it against the deployment (:mod:`.ingest_checks`): True for camera nodes.
    from_node: bool = False


def _iso(value: datetime) -> str:
    return value.isoformat()


def current_decision(session: Session, alert_id: str) -> Decision | None:
    """The alert's decision in force, if any."""
    return session.exec(select(Decision).where(Decision.alert_id == alert_id,
                                               col(Decision.current).is_(True))).first()


def alert_view(session: Session, alert: Alert) -> AlertOut:
    """The alert as officers see it (no biometric data, only links)."""
    image_id = None
    if alert.entry_id is not None:
        image_id = storage.first_image_id(session, alert.entry_id)
    has_crop = storage.has_probe_crop(session, alert.id)
    decision = current_decision(session, alert.id)
    return AlertOut(
        id=alert.id, deployment_id=alert.deployment_id,
        camera=CameraRef(id=alert.camera_id, location=alert.camera_location),
        raised_at=_iso(alert.raised_at), frame_timestamp=_iso(alert.frame_timestamp),
        received_at=_iso(alert.received_at), score=alert.score, threshold=alert.threshold,
        model_id=alert.model_id,
        watchlist_entry=EntryRef(id=alert.entry_id, reference=alert.entry_reference,
                                 category=alert.entry_category, reason=alert.entry_reason),
        links=Links(probe_crop=f"/alerts/{alert.id}/probe-crop" if has_crop else None,
                    watchlist_image=f"/watchlist-images/{image_id}" if image_id else None),
        state=alert.state,
        decision=None if decision is None else DecisionOut(
            decision=decision.decision, outcome=decision.outcome, note=decision.note,
            decided_by=decision.decided_by, decided_at=_iso(decision.decided_at),
            amended=decision.amended, reason=decision.reason,
            assessment=decision.assessment),
        probe_quality=_probe_quality(alert),
    )


def _probe_quality(alert: Alert) -> ProbeQuality | None:
    if alert.probe_width is None or alert.probe_height is None or alert.probe_sharpness is None:
        return None
    return ProbeQuality(width=alert.probe_width, height=alert.probe_height,
                        face_px=round(alert.probe_height / probe_quality.CROP_SPAN, 1),
                        sharpness=alert.probe_sharpness)


def _event(session: Session, alert: Alert, kind: str) -> dict[str, Any]:
    view = alert_view(session, alert).model_dump(mode="json")
    event = AlertEvent(deployment_id=alert.deployment_id, alert_id=alert.id, kind=kind,
                       payload=view)
    session.add(event)
    session.flush()
    return {"type": kind, "cursor": event.id, "alert": view}


def _existing(session: Session, deployment_id: str, key: str) -> Alert | None:
    return session.exec(select(Alert).where(Alert.deployment_id == deployment_id,
                                            Alert.idempotency_key == key)).first()


def record_alert(ctx: AppContext, new: NewAlert) -> tuple[AlertOut, bool]:
    """Persist an alert and its outbox event, then deliver it. The same idempotency key
    gives back the alert already stored (``created`` is False) and delivers nothing."""
    with ctx.delivery.in_cursor_order():
        try:
            with ctx.db.session() as session:
                found = _existing(session, new.deployment_id, new.idempotency_key)
                if found is not None:
                    return alert_view(session, found), False
                message, alert = _insert(ctx, session, new)
        except sa.exc.IntegrityError:
            with ctx.db.session() as session:
                found = _existing(session, new.deployment_id, new.idempotency_key)
                if found is None:
                    raise
                return alert_view(session, found), False
        ctx.delivery.deliver(message)
    if ctx.metrics is not None:
        ctx.metrics.ingested(in_process=new.source == "in-process")
    if not new.notify_host:
        return AlertOut.model_validate(message["alert"]), True
    ctx.host.alert_raised(core.Alert(
        alert_id=alert.id, deployment_id=alert.deployment_id, camera_id=alert.camera_id,
        track_id=alert.track_id, entry_id=new.entry_id, score=alert.score,
        threshold=alert.threshold, model_id=alert.model_id, raised_at=alert.raised_at,
        frame_timestamp=alert.frame_timestamp, first_seen_at=alert.frame_timestamp))
    return AlertOut.model_validate(message["alert"]), True


def _insert(ctx: AppContext, session: Session, new: NewAlert) -> tuple[dict[str, Any], Alert]:
    deployment: Deployment = get_deployment(session, new.deployment_id)
    if deployment.state != LIVE:
        raise Conflict(f"deployment {deployment.id} is {deployment.state}, not live: "
                       "alerts are accepted only while it is live")
    entry = session.get(WatchlistEntry, new.entry_id)
    if entry is None or entry.deployment_id != deployment.id:
        raise Unprocessable(f"entry_id {new.entry_id} is not on this deployment's watchlist",
                            errors=[{"field": "entry_id", "message": "not on the watchlist"}])
    camera = session.exec(select(Camera).where(Camera.deployment_id == deployment.id,
                                               Camera.camera_id == new.camera_id)).first()
    if camera is None:
        raise Unprocessable(f"camera_id {new.camera_id!r} is not a camera of this deployment",
                            errors=[{"field": "camera_id", "message": "unknown camera"}])
    if new.from_node:
        ingest_checks.check(ctx, session, deployment, model_id=new.model_id, score=new.score,
                            threshold=new.threshold, raised_at=new.raised_at,
                            frame_timestamp=new.frame_timestamp, now=utcnow())
    alert = Alert(id=new.alert_id or new_id(),
                  deployment_id=deployment.id, idempotency_key=new.idempotency_key,
                  camera_id=camera.camera_id, camera_location=camera.location_name,
                  entry_id=entry.id, entry_reference=entry.reference,
                  entry_category=entry.category, entry_reason=entry.reason, score=new.score,
                  threshold=new.threshold, model_id=new.model_id, track_id=new.track_id,
                  raised_at=new.raised_at, frame_timestamp=new.frame_timestamp,
                  source=new.source)
    measured = probe_quality.measure(new.probe_crop_jpeg) if new.probe_crop_jpeg else None
    if measured is not None:
        alert.probe_width, alert.probe_height = measured.width, measured.height
        alert.probe_sharpness = measured.sharpness
    session.add(alert)
    session.flush()
    if new.probe_crop_jpeg or new.probe_template:
        storage.save_probe_crop(session, alert.id, new.probe_crop_jpeg or None,
                                template=new.probe_template or None)
        session.flush()
    audit.record(session, actor=new.source, action="alert.raised", subject=f"alert:{alert.id}",
                 details={"deployment_id": deployment.id, "camera_id": alert.camera_id,
                          "entry_id": entry.id, "score": alert.score,
                          "threshold": alert.threshold, "model_id": alert.model_id,
                          "raised_at": alert.raised_at.isoformat()})
    return _event(session, alert, "alert.raised"), alert


def visible_alert(session: Session, who: Principal, alert_id: str) -> Alert:
    """An alert ``who`` may see: 404 unknown, 403 not assigned."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    visible_deployment(session, who, alert.deployment_id)
    return alert


def _same(decision: Decision, data: DecisionIn, stated: str | None) -> bool:
    return (decision.decision, decision.outcome, decision.note, decision.assessment) == (
        data.decision.value, data.outcome.value, data.note, stated)


def decide(ctx: AppContext, who: Principal, alert_id: str, data: DecisionIn,
           amendment: AmendmentIn | None = None) -> AlertOut:
    """Record a decision (idempotent) or a supervisor's amendment; tell every watcher."""
    with ctx.delivery.in_cursor_order():
        outcome = _decide(ctx, who, alert_id, data, amendment)
        if outcome.message is None or outcome.decision is None:
            return outcome.view
        ctx.delivery.deliver(outcome.message)
    decision = outcome.decision
    ctx.host.decision_recorded(DecisionRecorded(
        alert_id=alert_id, deployment_id=outcome.view.deployment_id,
        decision=decision.decision, outcome=decision.outcome, decided_by=decision.decided_by,
        decided_at=decision.decided_at, amended=decision.amended, reason=decision.reason))
    return outcome.view


@dataclass(frozen=True)
class _DecisionOutcome:
    view: AlertOut
    message: dict[str, Any] | None = None  # None: the request repeated what was recorded
    decision: Decision | None = None


def _decide(ctx: AppContext, who: Principal, alert_id: str, data: DecisionIn,
            amendment: AmendmentIn | None) -> _DecisionOutcome:
    """The decision's own transaction; delivering it is the caller's job."""
    resolved = assessment.resolve(data.decision.value, data.outcome.value, data.assessment)
    stated = None if resolved is None else resolved.value
    with ctx.db.session() as session:
        alert = visible_alert(session, who, alert_id)
        current = current_decision(session, alert_id)
        if amendment is None:
            if current is not None:
                if _same(current, data, stated):
                    return _DecisionOutcome(alert_view(session, alert))
                raise Conflict(
                    f"alert {alert_id} already has a different decision "
                    f"({current.decision}, {current.outcome}) by {current.decided_by}; "
                    "a supervisor may amend it with a reason",
                    current={"decision": current.decision, "outcome": current.outcome,
                             "assessment": current.assessment,
                             "decided_by": current.decided_by,
                             "decided_at": _iso(current.decided_at)})
        else:
            if current is None:
                raise Conflict(f"alert {alert_id} has no decision to amend")
            if (current.amended and _same(current, data, stated)
                    and current.reason == amendment.reason):
                return _DecisionOutcome(alert_view(session, alert))
            current.current = False
            session.add(current)
            session.flush()
        decision = Decision(alert_id=alert_id, decision=data.decision.value,
                            outcome=data.outcome.value, note=data.note, decided_by=who.actor,
                            amended=amendment is not None,
                            reason=amendment.reason if amendment else None, assessment=stated)
        session.add(decision)
        alert.state = DECIDED
        session.add(alert)
        audit.record(session, actor=who.actor,
                     action="alert.decision_amended" if amendment else "alert.decision_recorded",
                     subject=f"alert:{alert_id}",
                     details={"decision": decision.decision, "outcome": decision.outcome,
                              "assessment": decision.assessment, "reason": decision.reason})
        message = _event(session, alert, "alert.updated")
        return _DecisionOutcome(AlertOut.model_validate(message["alert"]), message, decision)


def feed_backlog(ctx: AppContext, deployment_id: str, after: int) -> list[dict[str, Any]]:
    """Every feed message stored after event id ``after``, by id (an inspection of the
    outbox; the feed itself reads in commit order: :mod:`lfr_api.feed.outbox`)."""
    with ctx.db.session() as session:
        events = session.exec(select(AlertEvent)
                              .where(AlertEvent.deployment_id == deployment_id,
                                     col(AlertEvent.id) > after,
                                     # delivery.* records (push outcomes) stay off the feed
                                     col(AlertEvent.kind).startswith("alert."))
                              .order_by(col(AlertEvent.id))).all()
        return [{"type": e.kind, "cursor": e.id, "alert": e.payload} for e in events]


def pending_snapshot(ctx: AppContext, deployment_id: str,
                     head: tuple[int, int]) -> list[dict[str, Any]]:
    """The deployment's pending alerts as they are now, up to the feed position ``head``
    (an alert raised after it comes live instead, as ``alert.raised``), in the feed's order
    (that of their ``alert.raised`` events), each an ``alert.pending`` message whose cursor
    is ``head``'s event."""
    with ctx.db.session() as session:
        pending = session.exec(select(Alert).where(Alert.deployment_id == deployment_id,
                                                   Alert.state == PENDING)
                               .order_by(col(Alert.received_at))).all()
        raised = {a: (t or 0, i) for a, t, i in session.exec(
            select(AlertEvent.alert_id, AlertEvent.txid, AlertEvent.id)
            .where(AlertEvent.deployment_id == deployment_id,
                   AlertEvent.kind == "alert.raised",
                   col(AlertEvent.alert_id).in_([a.id for a in pending]))).all()}
        pending = sorted((a for a in pending if raised.get(a.id, (0, 0)) <= head),
                         key=lambda a: raised.get(a.id, (0, 0)))
        return [{"type": "alert.pending", "cursor": head[1],
                 "alert": alert_view(session, a).model_dump(mode="json")} for a in pending]
