"""What a camera node's alert must agree with before it is stored: the deployment.

A node is trusted to see faces, not to write the evidential record as it likes. An alert is
refused (422 naming the field, and audited as ``ingest.refused`` with the field and reason,
never the crop or a template) unless:

- ``model_id`` is the deployment's recogniser model;
- ``threshold`` is the deployment's operating threshold in force when the alert was raised
  (the one recorded at authorisation, or at the latest watchlist change before
  ``raised_at``; a change within the clock skew of ``raised_at`` is accepted either way),
  and ``score`` reaches it (``score`` ≤ 1);
- ``raised_at`` lies in the live window: not before the deployment went live nor its
  authorised start, not after its authorised end, and not ahead of the server's clock by
  more than the clock skew (:data:`CLOCK_SKEW` by default; each bound widened by it).
  A late arrival is fine: a node's outbox re-sends what it raised during an outage;
- ``frame_timestamp`` is at most the clock skew after ``raised_at`` and at most
  :data:`MAX_FRAME_AGE` before it (a track's best shot precedes its alert);
- the camera is one of the deployment's and the entry on its watchlist (checked where the
  alert is stored), and the crop passed the image gate (in the route).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from lfr_api.context import AppContext
from lfr_api.db import audit
from lfr_api.db.models import Deployment
from lfr_api.deployments import operating_point as points
from lfr_api.deployments.camera_health import live_since
from lfr_api.errors import ServiceError, Unprocessable
from lfr_framework.audit.sql import audit_tables

log = logging.getLogger(__name__)
#: How far a node's clock may be from the server's.
CLOCK_SKEW = timedelta(seconds=60)
#: How long before its alert the frame of a track's best shot may be.
MAX_FRAME_AGE = timedelta(minutes=10)
#: Two thresholds closer than this are the same (JSON round trips).
THRESHOLD_TOLERANCE = 1e-6


class IngestRefused(Unprocessable):
    """The alert disagrees with its deployment (422 naming the field)."""

    type_, title = "ingest-refused", "Alert refused"


def _refuse(field: str, message: str) -> IngestRefused:
    return IngestRefused(f"{field}: {message}", errors=[{"field": field, "message": message}])


def thresholds_in_force(session: Session, deployment: Deployment, at: datetime,
                        skew: timedelta = CLOCK_SKEW) -> list[float]:
    """The operating thresholds that may have been in force at ``at``: the last one recorded
    before it, and any recorded within ``skew`` of it (from the audit trail, where every
    change of threshold is recorded)."""
    log_table = audit_tables(sa.MetaData()).log
    rows = session.connection().execute(
        sa.select(log_table.c.at, log_table.c.details)
        .where(log_table.c.action == "deployment.operating_point_set",
               log_table.c.subject == f"deployment:{deployment.id}")
        .order_by(log_table.c.seq)).all()
    history = [(datetime.fromisoformat(str(t)), float(json.loads(d)["threshold"]))
               for t, d in rows]
    before = [th for t, th in history if t <= at]
    near = [th for t, th in history if abs(t - at) <= skew]
    found = ([before[-1]] if before else []) + near
    if not found and deployment.operating_point:
        found = [float(deployment.operating_point["threshold"])]
    return found


def check(ctx: AppContext, session: Session, deployment: Deployment, *, model_id: str,
          score: float, threshold: float, raised_at: datetime, frame_timestamp: datetime,
          now: datetime) -> None:
    """Refuse (``IngestRefused``) an alert of a live deployment that disagrees with it."""
    skew = timedelta(seconds=ctx.settings.ingest_clock_skew_seconds)
    expected_model = points.recogniser_model_id(ctx, deployment)
    if model_id != expected_model:
        raise _refuse("model_id", f"{model_id!r} is not the deployment's recogniser model "
                      f"({expected_model!r})")
    if raised_at > now + skew:
        raise _refuse("raised_at", f"{raised_at.isoformat()} is ahead of the server's clock "
                      f"by more than {int(skew.total_seconds())} s: check the node's clock")
    starts = [t for t in (deployment.authorised_start, live_since(session, deployment)) if t]
    if starts and raised_at < max(starts) - skew:
        raise _refuse("raised_at", f"{raised_at.isoformat()} is before the deployment went "
                      "live: alerts are accepted only from its live window")
    if deployment.authorised_end and raised_at > deployment.authorised_end + skew:
        raise _refuse("raised_at", f"{raised_at.isoformat()} is after the authorised end")
    if frame_timestamp > raised_at + skew:
        raise _refuse("frame_timestamp", "the frame is later than the alert raised on it")
    if frame_timestamp < raised_at - MAX_FRAME_AGE:
        raise _refuse("frame_timestamp", f"the frame is more than {MAX_FRAME_AGE} older "
                      "than the alert raised on it")
    in_force = thresholds_in_force(session, deployment, raised_at, skew)
    if not any(abs(threshold - t) <= THRESHOLD_TOLERANCE for t in in_force):
        shown = ", ".join(f"{t:.6g}" for t in sorted(set(in_force))) or "none recorded"
        raise _refuse("threshold", f"{threshold:.6g} is not the deployment's operating "
                      f"threshold at raised_at ({shown}): use the one /ingest/watchlist gives")
    if score < threshold:
        raise _refuse("score", f"{score:.6g} is below the operating threshold "
                      f"{threshold:.6g}: only matches at or above it are alerts")


def record_refusal(ctx: AppContext, deployment_id: str, actor: str, camera_id: str,
                   refused: ServiceError) -> None:
    """Audit a refused alert (field and reason; no biometric data), in its own transaction."""
    errors = refused.errors or [{"field": "body", "message": refused.detail}]
    with ctx.db.session() as session:
        audit.record(session, actor=actor, action="ingest.refused",
                     subject=f"deployment:{deployment_id}",
                     details={"field": errors[0]["field"], "reason": errors[0]["message"],
                              "camera_id": camera_id[:64]})
    log.warning("deployment %s: alert from %s refused: %s", deployment_id, actor,
                errors[0]["field"])
