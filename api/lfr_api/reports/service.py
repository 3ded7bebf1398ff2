"""Building the post-deployment report from the records it summarises."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from lfr_api.alerts.assessment import verdict as assessment_verdict
from lfr_api.db.models import (
    RETENTION_TABLES,
    Alert,
    AlertMedia,
    Camera,
    Decision,
    Deployment,
    DeploymentTransition,
    PipelineCount,
    User,
    WatchlistEntry,
    WatchlistImage,
)
from lfr_api.deployments.camera_health import frames_by_camera
from lfr_api.deployments.service import CLOSED, LIVE, get_deployment
from lfr_api.reports.schemas import (
    AccuracyFacts,
    AuthorisationFacts,
    CameraFacts,
    DeletionStatus,
    DeploymentReport,
    PublicSummary,
    ResultCounts,
    RetentionFacts,
    TimelineBucket,
)
from lfr_api.retention.periods import EffectivePeriods, effective_periods
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.statistics import clopper_pearson, upper_bound_zero

# Whether an alert was true or false: lfr_api.alerts.assessment.verdict (the decision's
# four-outcome assessment where recorded, else what its outcome says).


def _live_window(session: Session, deployment: Deployment,
                 now: datetime) -> tuple[datetime | None, datetime | None]:
    steps = session.exec(select(DeploymentTransition)
                         .where(DeploymentTransition.deployment_id == deployment.id)
                         .order_by(col(DeploymentTransition.id))).all()
    live_from = next((s.at for s in steps if s.to_state == LIVE), None)
    closed = next((s.at for s in steps if s.to_state == CLOSED), None)
    if live_from is None:
        return None, None
    if closed is not None:
        return live_from, closed
    return live_from, now if deployment.state == LIVE else None


def _rate_text(false_alerts: int, faces_seen: int) -> str:
    if faces_seen == 0:
        return "no faces seen"
    if false_alerts == 0:
        return f"0 false alerts in {faces_seen} faces seen"
    return f"1 in {round(faces_seen / false_alerts):,} faces seen"


def _accuracy(d: Deployment, results: ResultCounts) -> AccuracyFacts:
    """The recorded prediction beside the observed false alert rate."""
    point = d.operating_point or {}
    seen, false = results.faces_seen, results.false_alerts
    observed = clopper_pearson(false, seen)
    if observed is not None and false == 0:
        observed = (0.0, upper_bound_zero(seen) or 1.0)
    predicted = point.get("predicted_fpir")
    band = point.get("predicted_fpir_ci95")
    consistent = None
    if band is not None and observed is not None:
        consistent = observed[0] <= band[1] and band[0] <= observed[1]
    return AccuracyFacts(
        policy=point.get("policy"), target_fpir=point.get("target_fpir"),
        threshold=point.get("threshold"), watchlist_templates=point.get("watchlist_templates"),
        predicted_fpir=predicted, predicted_fpir_ci95=band,
        predicted_false_alerts=None if predicted is None else predicted * seen,
        faces_seen=seen, false_alerts=false,
        observed_false_alert_rate=false / seen if seen else None,
        observed_ci95=list(observed) if observed is not None else None,
        consistent=consistent, warnings=list(point.get("warnings", [])))


def _bucket_minutes(start: datetime, end: datetime) -> int:
    span = (end - start).total_seconds() / 60
    for minutes in (15, 60, 240, 1440):
        if span / minutes <= 48:
            return minutes
    return 1440


def _floor(at: datetime, minutes: int) -> datetime:
    seconds = minutes * 60
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, at.tzinfo)


def _results(session: Session, deployment_id: str, hours_live: float
             ) -> tuple[ResultCounts, list[tuple[datetime, str]]]:
    sums = session.exec(select(
        sa.func.coalesce(sa.func.sum(PipelineCount.faces_seen), 0),
        sa.func.coalesce(sa.func.sum(PipelineCount.faces_discarded), 0),
        sa.func.coalesce(sa.func.sum(PipelineCount.faces_rejected_quality), 0))
        .where(PipelineCount.deployment_id == deployment_id)).one()
    faces_seen, discarded, rejected = (int(v) for v in sums)
    rows = session.exec(
        select(Alert.raised_at, Decision.decision, Decision.outcome, Decision.assessment)
        .outerjoin(Decision, sa.and_(col(Decision.alert_id) == col(Alert.id),
                                     col(Decision.current).is_(True)))
        .where(Alert.deployment_id == deployment_id)).all()
    outcomes: Counter[str] = Counter()
    verdicts: list[tuple[datetime, str]] = []
    true_eng = false_eng = engaged = not_engaged = pending = 0
    for raised_at, decision, outcome, stated in rows:
        verdict = assessment_verdict(stated, outcome)
        verdicts.append((raised_at, verdict))
        if decision is None:
            pending += 1
            continue
        outcomes[outcome] += 1
        if decision == "engage":
            engaged += 1
            true_eng += verdict == "true"
            false_eng += verdict == "false"
        else:
            not_engaged += 1
    kinds = Counter(v for _, v in verdicts)
    alerts = len(rows)
    return ResultCounts(
        faces_seen=faces_seen, non_match_discards=discarded, faces_rejected_quality=rejected,
        alerts=alerts, true_alerts=kinds["true"], false_alerts=kinds["false"],
        undetermined_alerts=kinds["undetermined"], engagements=engaged,
        true_alert_engagements=true_eng, false_alert_engagements=false_eng,
        no_engagements=not_engaged, awaiting_decision=pending, outcomes=dict(outcomes),
        false_alert_rate=kinds["false"] / faces_seen if faces_seen else None,
        false_alert_rate_text=_rate_text(kinds["false"], faces_seen),
        alerts_per_hour=alerts / hours_live if hours_live > 0 else None), verdicts


def _timeline(session: Session, deployment_id: str, start: datetime | None,
              end: datetime | None, verdicts: list[tuple[datetime, str]]
              ) -> tuple[int, list[TimelineBucket]]:
    counts = session.exec(select(PipelineCount.period_end, PipelineCount.faces_seen)
                          .where(PipelineCount.deployment_id == deployment_id)).all()
    times = [t for t, _ in counts] + [t for t, _ in verdicts]
    if start is None or end is None:
        if not times:
            return 60, []
        start, end = min(times), max(times)
    start, end = min([start, *times]), max([end, *times])
    minutes = _bucket_minutes(start, end)
    buckets: dict[datetime, dict[str, int]] = {}
    at = _floor(start, minutes)
    while at <= end:
        buckets[at] = {"faces_seen": 0, "alerts": 0, "true_alerts": 0, "false_alerts": 0}
        at += timedelta(minutes=minutes)
    for period_end, seen in counts:
        buckets[_floor(period_end, minutes)]["faces_seen"] += seen
    for raised_at, verdict in verdicts:
        b = buckets[_floor(raised_at, minutes)]
        b["alerts"] += 1
        if verdict in ("true", "false"):
            b[f"{verdict}_alerts"] += 1
    return minutes, [TimelineBucket(start=k, **v) for k, v in sorted(buckets.items())]


def _deletion(session: Session, deployment: Deployment,
              periods: EffectivePeriods) -> DeletionStatus:
    conn = session.connection()
    log = RETENTION_TABLES.deletion_log
    deleted: dict[str, int] = dict(conn.execute(sa.select(log.c.kind, sa.func.count())
                                .where(log.c.deployment_id == deployment.id)
                                .group_by(log.c.kind)).all())
    entries = select(WatchlistEntry.id).where(WatchlistEntry.deployment_id == deployment.id)
    images = session.exec(select(
        sa.func.count(col(WatchlistImage.data)), sa.func.count(col(WatchlistImage.template)))
        .where(col(WatchlistImage.entry_id).in_(entries))).one()
    alert_ids = select(Alert.id).where(Alert.deployment_id == deployment.id)
    media = session.exec(select(AlertMedia.alert_id, AlertMedia.data.is_not(None),  # type: ignore[union-attr]
                                AlertMedia.template.is_not(None), Alert.raised_at)  # type: ignore[union-attr]
                         .join(Alert, col(Alert.id) == col(AlertMedia.alert_id))
                         .where(col(AlertMedia.alert_id).in_(alert_ids))).all()
    holds = RETENTION_TABLES.holds
    active = conn.execute(sa.select(holds.c.item_id).where(
        holds.c.released_at.is_(None),
        sa.or_(holds.c.item_id.in_(alert_ids), holds.c.item_id.in_(
            select(WatchlistImage.id).where(col(WatchlistImage.entry_id).in_(entries)))))
    ).scalars().all()
    held_ids = set(active)
    remaining = held = 0
    latest: datetime | None = None
    for alert_id, crop, tpl, raised_at in media:
        parts = int(bool(crop)) + int(bool(tpl))
        remaining += parts
        if alert_id in held_ids:
            held += parts
        elif parts and (latest is None or raised_at > latest):
            latest = raised_at
    wl_deadline = None
    if deployment.authorised_end is not None:
        wl_deadline = deployment.authorised_end + periods.watchlist_grace
    left = int(images[0]) + int(images[1])
    gone = deleted.get("watchlist_image", 0) + deleted.get("watchlist_template", 0)
    return DeletionStatus(
        watchlist_images_remaining=int(images[0]), watchlist_templates_remaining=int(images[1]),
        watchlist_images_deleted=deleted.get("watchlist_image", 0),
        watchlist_templates_deleted=deleted.get("watchlist_template", 0),
        watchlist_destroyed=left == 0 and (gone > 0 or deployment.state == CLOSED),
        watchlist_deadline=wl_deadline,
        alert_biometric_parts_remaining=remaining,
        alert_biometric_parts_deleted=deleted.get("alert_biometrics", 0),
        alert_biometric_parts_held=held, active_holds=len(active),
        alert_biometrics_deadline=None if latest is None
        else latest + periods.alert_biometrics)


def build_report(session: Session, deployment_id: str, now: datetime,
                 policy: RetentionPolicy | None = None) -> DeploymentReport:
    """The report of one deployment as its records stand at ``now``, its deadlines under
    ``policy`` (the service's) shortened by the deployment's own periods; without
    ``policy``, under the core's limits so shortened."""
    d = get_deployment(session, deployment_id)
    periods = effective_periods(policy, d.retention_periods)
    authoriser = session.get(User, d.authorised_by) if d.authorised_by else None
    cameras = session.exec(select(Camera).where(Camera.deployment_id == d.id)
                           .order_by(col(Camera.camera_id))).all()
    entries = session.exec(select(WatchlistEntry.model_id)
                           .where(WatchlistEntry.deployment_id == d.id)).all()
    alert_facts = session.exec(select(Alert.threshold, Alert.model_id)
                               .where(Alert.deployment_id == d.id)).all()
    frames = frames_by_camera(session, d.id)
    live_from, live_until = _live_window(session, d, now)
    hours = (live_until - live_from).total_seconds() / 3600 if live_from and live_until else 0.0
    results, verdicts = _results(session, d.id, hours)
    minutes, timeline = _timeline(session, d.id, live_from, live_until, verdicts)
    deletion = _deletion(session, d, periods)
    return DeploymentReport(
        deployment_id=d.id, name=d.name, state=d.state, generated_at=now,
        authorisation=AuthorisationFacts(
            purpose=d.purpose, legal_basis=d.legal_basis, necessity=d.necessity,
            proportionality=d.proportionality, watchlist_criteria=d.watchlist_criteria,
            community_impact_ref=d.community_impact_ref, location=d.location,
            authorised_by=authoriser.username if authoriser else d.authorised_by,
            authorised_at=d.authorised_at, authorised_start=d.authorised_start,
            authorised_end=d.authorised_end, published_at=d.published_at),
        cameras=[CameraFacts(camera_id=c.camera_id, location_name=c.location_name,
                             source=c.source, frames_read=frames.get(c.camera_id, 0),
                             delivered_frames=frames.get(c.camera_id, 0) > 0)
                 for c in cameras],
        watchlist_size=len(entries),
        watchlist_images_enrolled=deletion.watchlist_images_remaining
        + deletion.watchlist_images_deleted,
        live_from=live_from, live_until=live_until, hours_live=hours,
        threshold=d.threshold, thresholds_used=sorted({t for t, _ in alert_facts}),
        recogniser=d.recogniser,
        model_ids=sorted(set(entries) | {m for _, m in alert_facts}),
        results=results, accuracy=_accuracy(d, results), timeline_bucket_minutes=minutes,
        timeline=timeline,
        retention=RetentionFacts(policy=periods.policy,
                                 alert_biometrics_days=periods.alert_biometrics_days,
                                 watchlist_hours_after_end=periods.watchlist_hours_after_end,
                                 shortened=list(periods.shortened)),
        deletion=deletion)


def public_summary(report: DeploymentReport) -> PublicSummary:
    """The report without personal data, for publication beside the notice."""
    r = report.results
    return PublicSummary(
        deployment_id=report.deployment_id, name=report.name,
        location=report.authorisation.location, purpose=report.authorisation.purpose,
        legal_basis=report.authorisation.legal_basis, state=report.state,
        authorised_start=report.authorisation.authorised_start,
        authorised_end=report.authorisation.authorised_end, hours_live=report.hours_live,
        cameras=len(report.cameras),
        cameras_without_frames=sum(not c.delivered_frames for c in report.cameras)
        if report.live_from else 0,
        watchlist_size=report.watchlist_size,
        faces_seen=r.faces_seen, alerts=r.alerts, true_alerts=r.true_alerts,
        false_alerts=r.false_alerts, engagements=r.engagements,
        true_alert_engagements=r.true_alert_engagements,
        false_alert_engagements=r.false_alert_engagements, outcomes=r.outcomes,
        false_alert_rate=r.false_alert_rate, false_alert_rate_text=r.false_alert_rate_text,
        alerts_per_hour=r.alerts_per_hour,
        watchlist_destroyed=report.deletion.watchlist_destroyed,
        alert_biometric_parts_remaining=report.deletion.alert_biometric_parts_remaining)
