"""The threshold a deployment runs at, and the recogniser model it runs: the one place that
decides them, used by the live pipelines, camera nodes, ingest checks and the report.

A deployment states a target FPIR per passer-by (or an expert's fixed threshold); the
threshold follows from the recogniser's calibration and the watchlist's size (core:
:mod:`lfr_framework.thresholds`). It is recorded, with its prediction, at authorisation and
re-derived (and audited) whenever the watchlist changes after that; before authorisation it
is a preview computed on request.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from lfr_api.context import AppContext
from lfr_api.db import audit
from lfr_api.db.models import Deployment, WatchlistEntry, WatchlistImage
from lfr_api.db.types import utcnow
from lfr_framework.thresholds.lookup import find_calibration
from lfr_framework.thresholds.policy import OperatingPoint, ThresholdPolicy, operating_point

log = logging.getLogger(__name__)
#: States in which the recorded operating point is the one in force.
RECORDED_STATES = frozenset({"authorised", "live"})


def recogniser_model_id(ctx: AppContext, deployment: Deployment) -> str:
    """The model id of the deployment's recogniser (what its alerts must carry)."""
    return ctx.recognition.models(deployment).recogniser.model_id


def watchlist_size(session: Session, deployment_id: str) -> tuple[int, int]:
    """``(entries, templates)`` of a deployment's watchlist as stored now."""
    entries = session.exec(select(func.count()).select_from(WatchlistEntry)
                           .where(WatchlistEntry.deployment_id == deployment_id)).one()
    templates = session.exec(
        select(func.count()).select_from(WatchlistImage)
        .join(WatchlistEntry, col(WatchlistEntry.id) == col(WatchlistImage.entry_id))
        .where(WatchlistEntry.deployment_id == deployment_id,
               col(WatchlistImage.template).is_not(None))).one()
    return int(entries), int(templates)


def compute(ctx: AppContext, session: Session, deployment: Deployment,
            expected_faces: int | None = None) -> OperatingPoint:
    """The operating point the deployment's policy gives for its watchlist now."""
    model_id = recogniser_model_id(ctx, deployment)
    found = find_calibration(ctx.host, ctx.recognition.store, model_id)
    entries, templates = watchlist_size(session, deployment.id)
    policy = ThresholdPolicy(deployment.target_fpir, deployment.threshold)
    faces = expected_faces if expected_faces is not None else deployment.expected_faces
    return operating_point(policy, found.calibration if found else None, model_id=model_id,
                           entries=entries, templates=templates, expected_faces=faces)


def record(ctx: AppContext, session: Session, deployment: Deployment, actor: str,
           reason: str) -> OperatingPoint:
    """Compute, store and audit the deployment's operating point (in the caller's
    transaction); a change of threshold is logged."""
    point = compute(ctx, session, deployment)
    before = (deployment.operating_point or {}).get("threshold")
    deployment.operating_point = stored(point)
    deployment.operating_point_at = utcnow()
    session.add(deployment)
    audit.record(session, actor=actor, action="deployment.operating_point_set",
                 subject=f"deployment:{deployment.id}",
                 details={"reason": reason, "threshold_before": before,
                          "threshold": point.threshold, "policy": point.policy,
                          "target_fpir": point.target_fpir,
                          "watchlist_templates": point.watchlist_templates,
                          "predicted_fpir": point.predicted_fpir, "warnings": point.warnings})
    if before is not None and before != point.threshold:
        log.info("deployment %s: threshold %s -> %s (%s)", deployment.id, before,
                 point.threshold, reason)
    return point


def stored(point: OperatingPoint) -> dict[str, Any]:
    """The operating point as the deployment row keeps it."""
    return point.to_dict()


def operating_threshold(ctx: AppContext, deployment: Deployment) -> float:
    """The score threshold the deployment's matches must reach to raise an alert: the
    recorded one once authorised, else the policy's for the watchlist now."""
    if deployment.state in RECORDED_STATES and deployment.operating_point:
        return float(deployment.operating_point["threshold"])
    with ctx.db.session() as session:
        return compute(ctx, session, deployment).threshold


def rederive_after_watchlist_change(ctx: AppContext, session: Session, deployment: Deployment,
                                    actor: str) -> OperatingPoint | None:
    """Re-derive (and audit) the threshold of an authorised or live deployment whose
    watchlist changed. The caller tells running pipelines after the commit
    (``ctx.matchers.set_threshold``)."""
    if deployment.state not in RECORDED_STATES:
        return None
    point = record(ctx, session, deployment, actor, "watchlist changed")
    return point
