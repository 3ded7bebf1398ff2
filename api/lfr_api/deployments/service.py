"""Deployment lifecycle (draft → authorised → live → closed), access and cameras."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from lfr_api.context import AppContext, retention_of
from lfr_api.db import audit
from lfr_api.db.models import Assignment, Camera, Deployment, DeploymentTransition, User
from lfr_api.db.types import utcnow
from lfr_api.deployments import operating_point
from lfr_api.deployments.schemas import (
    Authorisation,
    CameraIn,
    DeploymentCreate,
    DeploymentUpdate,
)
from lfr_api.errors import Conflict, Forbidden, InvalidRequest, NotFound
from lfr_api.security.roles import Principal, Role
from lfr_framework.events import DeploymentStateChanged
from lfr_framework.thresholds.policy import check_target_fpir

DRAFT, AUTHORISED, LIVE, CLOSED = "draft", "authorised", "live", "closed"
#: Roles that see every deployment; officers see only those they are assigned to.
SEE_ALL = frozenset({Role.admin, Role.authorising_officer, Role.supervisor, Role.compliance})


def get_deployment(session: Session, deployment_id: str) -> Deployment:
    """A deployment by id, or 404."""
    deployment = session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound(f"no deployment {deployment_id}")
    return deployment


def is_assigned(session: Session, deployment_id: str, user_id: str) -> bool:
    """Whether a user is assigned to a deployment."""
    return session.get(Assignment, (deployment_id, user_id)) is not None


def visible_deployment(session: Session, who: Principal, deployment_id: str) -> Deployment:
    """The deployment if ``who`` may see it: 404 unknown, 403 not assigned."""
    deployment = get_deployment(session, deployment_id)
    problem = visibility_problem(who, deployment_id, lambda: is_assigned(
        session, deployment_id, who.id))
    if problem is not None:
        raise problem
    return deployment


def visibility_problem(who: Principal, deployment_id: str,
                       assigned: Callable[[], bool]) -> Forbidden | None:
    """Why ``who`` may not see the (existing) deployment, ``None`` if they may;
    ``assigned()`` says whether ``who`` is assigned to it (asked only when it matters)."""
    if who.role in SEE_ALL:
        return None
    if who.is_service:
        return None if who.deployment_id == deployment_id else Forbidden(
            "this API key belongs to another deployment")
    return None if assigned() else Forbidden("you are not assigned to this deployment")


def visible_deployments(session: Session, who: Principal) -> list[Deployment]:
    """The deployments ``who`` may see, newest first."""
    query = select(Deployment).order_by(col(Deployment.created_at).desc())
    if who.role not in SEE_ALL:
        query = query.join(Assignment, col(Assignment.deployment_id) == col(Deployment.id)) \
            .where(Assignment.user_id == who.id)
    return list(session.exec(query).all())


def create(ctx: AppContext, session: Session, who: Principal,
           data: DeploymentCreate) -> Deployment:
    """A new draft; plugin names and options, and retention periods, are checked first
    (400 naming the key)."""
    _check_window(data.planned_start, data.planned_end, "planned_end")
    check_target_fpir(data.target_fpir)
    periods = data.retention_periods.stored()
    retention_of(ctx).check_periods(periods)
    deployment = Deployment(**data.model_dump(exclude={"retention_periods"}),
                            retention_periods=periods, created_by=who.id)
    ctx.recognition.validate(deployment)
    session.add(deployment)
    session.add(DeploymentTransition(deployment_id=deployment.id, from_state="",
                                     to_state=DRAFT, actor=who.actor, note="created"))
    audit.record(session, actor=who.actor, action="deployment.created",
                 subject=f"deployment:{deployment.id}", details={"name": deployment.name})
    if periods:
        _record_periods(session, deployment, who, {}, periods)
    return deployment


#: Draft fields that always hold a value: ``null`` in a PATCH is a 400, not a NULL column.
NOT_NULL = frozenset({"name", "location", "purpose", "target_fpir", "publish_prediction"})


def update(ctx: AppContext, session: Session, who: Principal, deployment: Deployment,
           data: DeploymentUpdate) -> Deployment:
    """Change a draft (409 once authorised: the authorising officer authorised what they
    saw, retention periods included). ``retention_periods``, when given, replaces the
    deployment's periods (``null`` or ``{}`` clears them)."""
    _require(deployment, DRAFT, action="edit")
    changes = data.model_dump(exclude_unset=True)
    for name in sorted(NOT_NULL & {k for k, v in changes.items() if v is None}):
        raise InvalidRequest(f"{name} cannot be null: leave it out to keep it, or give a value",
                             errors=[{"field": name, "message": "null"}])
    if "target_fpir" in changes:
        check_target_fpir(changes["target_fpir"])
    old_periods = dict(deployment.retention_periods)
    if "retention_periods" in changes:
        given = data.retention_periods
        changes["retention_periods"] = {} if given is None else given.stored()
        retention_of(ctx).check_periods(changes["retention_periods"])
    for key, value in changes.items():
        setattr(deployment, key, value)
    _check_window(deployment.planned_start, deployment.planned_end, "planned_end")
    session.add(deployment)
    audit.record(session, actor=who.actor, action="deployment.updated",
                 subject=f"deployment:{deployment.id}", details={"fields": sorted(changes)})
    if changes.get("retention_periods", old_periods) != old_periods:
        _record_periods(session, deployment, who, old_periods, deployment.retention_periods)
    return deployment


def _record_periods(session: Session, deployment: Deployment, who: Principal,
                    old: dict[str, float], new: dict[str, float]) -> None:
    audit.record(session, actor=who.actor, action="deployment.retention_periods_set",
                 subject=f"deployment:{deployment.id}", details={"from": old, "to": new})


def _check_window(start: datetime | None, end: datetime | None, field: str) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidRequest(f"{field} must be after the start",
                             errors=[{"field": field, "message": "must be after the start"}])


def _move(session: Session, deployment: Deployment, to_state: str, who: Principal,
          note: str = "", **details: object) -> DeploymentStateChanged:
    now = utcnow()
    old = deployment.state
    deployment.state = to_state
    session.add(deployment)
    session.add(DeploymentTransition(deployment_id=deployment.id, from_state=old,
                                     to_state=to_state, actor=who.actor, at=now, note=note))
    audit.record(session, actor=who.actor, action=f"deployment.{to_state}",
                 subject=f"deployment:{deployment.id}",
                 details={"from_state": old, "to_state": to_state, "note": note,
                          **details})
    return DeploymentStateChanged(deployment.id, old, to_state, who.actor, now)


def _require(deployment: Deployment, *states: str, action: str) -> None:
    if deployment.state not in states:
        raise Conflict(f"cannot {action} a deployment that is {deployment.state} "
                       f"(it must be {' or '.join(states)})", state=deployment.state)


def authorise(ctx: AppContext, session: Session, deployment: Deployment, who: Principal,
              data: Authorisation) -> DeploymentStateChanged:
    """Record the authorisation and move draft → authorised; the operating point (threshold
    and predicted false alerts) the authorising officer saw is recorded with it."""
    _require(deployment, DRAFT, action="authorise")
    for key, value in data.model_dump(exclude={"expected_faces"}).items():
        setattr(deployment, key, value)
    if data.expected_faces is not None:
        deployment.expected_faces = data.expected_faces
    deployment.authorised_by = who.id
    deployment.authorised_at = utcnow()
    point = operating_point.record(ctx, session, deployment, who.actor, "authorised")
    # The periods authorised are on record: they cannot change after this (``update``).
    return _move(session, deployment, AUTHORISED, who,
                 retention_periods=dict(deployment.retention_periods),
                 threshold=point.threshold, predicted_fpir=point.predicted_fpir)


def publish(session: Session, deployment: Deployment, who: Principal) -> Deployment:
    """Publish the deployment's notice (authorised or live deployments only)."""
    _require(deployment, AUTHORISED, LIVE, action="publish")
    if deployment.published_at is None:
        deployment.published_at = utcnow()
        session.add(deployment)
        audit.record(session, actor=who.actor, action="deployment.published",
                     subject=f"deployment:{deployment.id}")
    return deployment


def start(ctx: AppContext, session: Session, deployment: Deployment, who: Principal,
          note: str = "") -> DeploymentStateChanged:
    """Move authorised → live, only inside the authorised window; build its live matcher."""
    _require(deployment, AUTHORISED, action="start")
    now = utcnow()
    assert deployment.authorised_start is not None and deployment.authorised_end is not None
    if not deployment.authorised_start <= now < deployment.authorised_end:
        raise Conflict(
            f"cannot go live now ({now.isoformat()}): outside the authorised window "
            f"{deployment.authorised_start.isoformat()} to "
            f"{deployment.authorised_end.isoformat()}",
            authorised_start=deployment.authorised_start.isoformat(),
            authorised_end=deployment.authorised_end.isoformat())
    event = _move(session, deployment, LIVE, who, note)
    from lfr_api.live.watchlist_follow import build_matcher  # it needs this module's states

    build_matcher(ctx, session, deployment)
    return event


def close(ctx: AppContext, session: Session, deployment: Deployment, who: Principal,
          note: str = "") -> DeploymentStateChanged:
    """Move any open deployment to closed and, in the same transaction, destroy its
    watchlist images and templates (each logged as a deletion; held ones are kept). The
    caller delivers the deletion events after the commit (``deliver_after_commit``)."""
    _require(deployment, DRAFT, AUTHORISED, LIVE, action="close")
    event = _move(session, deployment, CLOSED, who, note)
    session.flush()
    retention_of(ctx).destroy_watchlist(session, deployment.id, event.at, who.actor)
    ctx.matchers.stop(deployment.id)
    return event


SYSTEM = Principal(id="system", name="expiry", role=Role.admin)


def close_expired(ctx: AppContext, now: datetime | None = None) -> list[DeploymentStateChanged]:
    """Close every live deployment whose authorised window has ended."""
    now = now or utcnow()
    events = []
    with ctx.db.session() as session:
        rows = session.exec(select(Deployment).where(Deployment.state == LIVE,
                                                     col(Deployment.authorised_end) <= now))
        for deployment in rows.all():
            events.append(close(ctx, session, deployment, SYSTEM,
                                "the authorised window ended"))
    if events:
        retention_of(ctx).deliver_after_commit()
    for event in events:
        ctx.host.deployment_state_changed(event)
    return events


def assign(session: Session, deployment: Deployment, user_id: str, who: Principal) -> Assignment:
    """Assign an officer or supervisor to a deployment (idempotent)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if user.role not in (Role.officer, Role.supervisor):
        raise InvalidRequest("only officers and supervisors are assigned to deployments",
                             errors=[{"field": "user_id", "message": f"user is {user.role}"}])
    existing = session.get(Assignment, (deployment.id, user_id))
    if existing is not None:
        return existing
    assignment = Assignment(deployment_id=deployment.id, user_id=user_id, assigned_by=who.actor)
    session.add(assignment)
    audit.record(session, actor=who.actor, action="deployment.user_assigned",
                 subject=f"deployment:{deployment.id}", details={"user_id": user_id})
    return assignment


def save_camera(ctx: AppContext, session: Session, deployment: Deployment, data: CameraIn,
                who: Principal, replace: Camera | None = None) -> Camera:
    """Add or replace a camera after checking its source plugin and options (a draft's
    only: 409 once authorised, see :func:`require_camera_change`)."""
    require_camera_change(deployment)
    ctx.host.camera_sources.validate_options(data.source, data.options, "options")
    clash = session.exec(select(Camera).where(Camera.deployment_id == deployment.id,
                                              Camera.camera_id == data.camera_id)).first()
    if clash is not None and clash is not replace:
        raise Conflict(f"camera {data.camera_id!r} already exists in this deployment")
    camera = replace or Camera(deployment_id=deployment.id, camera_id=data.camera_id,
                               source=data.source, uri=data.uri)
    for key, value in data.model_dump().items():
        setattr(camera, key, value)
    session.add(camera)
    # The URI may carry credentials: the trail records that it changed, not what it is.
    audit.record(session, actor=who.actor,
                 action="camera.replaced" if replace else "camera.added",
                 subject=f"deployment:{deployment.id}",
                 details={"camera_id": data.camera_id, "source": data.source,
                          "location_name": data.location_name})
    return camera


def require_camera_change(deployment: Deployment) -> None:
    """409 unless the deployment is a draft: its cameras (where they are, what they see)
    are part of what was authorised, so adding, removing or re-pointing one after
    authorisation needs a new authorisation."""
    if deployment.state in (AUTHORISED, LIVE):
        raise Conflict(f"deployment {deployment.id} is {deployment.state}: its cameras are "
                       "part of what was authorised, so changing one needs re-authorisation "
                       "(close it and authorise a new deployment with the cameras needed)",
                       state=deployment.state)
    _require(deployment, DRAFT, action="change cameras of")


def get_camera(session: Session, deployment_id: str, camera_id: str) -> Camera:
    """A camera of a deployment, or 404."""
    camera = session.exec(select(Camera).where(Camera.deployment_id == deployment_id,
                                               Camera.camera_id == camera_id)).first()
    if camera is None:
        raise NotFound(f"no camera {camera_id!r} in deployment {deployment_id}")
    return camera
